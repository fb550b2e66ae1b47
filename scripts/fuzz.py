"""Run the fuzz properties of tests/test_fuzz.py for much longer than the suite does.

python scripts/fuzz.py            # 3000 examples per property (a few minutes)
python scripts/fuzz.py -x -k txt  # any extra pytest arguments
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    args = ["tests/test_fuzz.py", "-p", "no:cacheprovider", "--hypothesis-profile=fuzz"]
    sys.exit(pytest.main([*args, *sys.argv[1:]]))
