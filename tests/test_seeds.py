"""seeds/: the derived demo variants are what scripts/make_seeds.py makes of the seed."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO


def test_derived_seeds_are_up_to_date() -> None:
    done = subprocess.run(
        [sys.executable, "scripts/make_seeds.py", "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (REPO / "seeds" / "derived").glob("*.txt")) == [
        "aljazeera-nato-turkey.copy.txt",
        "aljazeera-nato-turkey.mojibake.txt",
        "aljazeera-nato-turkey.repost.txt",
    ]
