"""scripts/bench_stages.py: the peers it times, and a run on a slice of the bench corpus."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import script_module, shared_data

REPO = Path(__file__).resolve().parent.parent
PAGE = (
    "Home | News | Sport\n"
    "Storm closes schools across the region.\n"
    "Heavy snow forced hundreds of schools to close on Monday, officials said.\n"
    "Share"
)


def test_every_peer_returns_the_text_without_some_of_its_lines() -> None:
    module = script_module("bench_stages")
    strips = module.peer_strips()
    assert set(strips) <= set(module.PEER_SCORES)
    assert {module.JUSTEXT, module.C4, module.FINEWEB} <= set(strips)
    for name, strip in strips.items():
        kept = strip(PAGE).splitlines()
        assert set(kept) <= set(PAGE.splitlines()), name
        assert "Share" not in kept, name


@pytest.mark.shared_data
@pytest.mark.slow
def test_peer_table_on_a_slice(tmp_path: Path) -> None:
    data = shared_data("cc-text").parent
    shared_data("bbc-news")
    out = tmp_path / "stages.md"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, str(REPO / "scripts" / "bench_stages.py"), "--data", str(data)]
    command += ["--repeat", "1", "--limit", "60", "--out", str(out)]
    subprocess.run(command, check=True, env=env, capture_output=True, timeout=300)
    report = out.read_text(encoding="utf-8")
    assert "## strip_boilerplate and its peers, same texts, same run" in report
    module = script_module("bench_stages")
    rows = {line.split(" | ")[0][2:]: line.split(" | ") for line in report.splitlines()}
    for name in ("**cleanse strip_boilerplate**", module.JUSTEXT, module.C4, module.FINEWEB):
        assert float(rows[name][3]) > 0, name  # cleanse / peer
