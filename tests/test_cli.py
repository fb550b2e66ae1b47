"""The command line: exit codes, one-line errors, no tracebacks, summary table."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from cleanse.cli import main
from conftest import REPO

SEEDS = REPO / "seeds"


def test_python_m_cleanse_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cleanse", "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert "run" in done.stdout and "stages" in done.stdout


def test_run_on_seeds_prints_summary(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(SEEDS), "-o", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    stats = json.loads((out / "stats.json").read_text())
    first = result.stdout.splitlines()[0]
    assert first.startswith(
        f"rows: 4 in = {stats['rows_clean']} clean + {stats['rows_rejected']} rejected"
    )
    assert "exact_dedup.duplicate" in result.output


def test_config_error_exits_2_without_traceback(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["run", str(SEEDS), "-o", str(tmp_path / "o"), "--set", "near_dedup.treshold=0.5"]
    )
    assert result.exit_code == 2
    assert result.output.startswith("cleanse: config error: near_dedup.treshold is not an option")
    assert "Traceback" not in result.output


def test_missing_input_exits_1(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    result = CliRunner().invoke(main, ["run", str(missing), "-o", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert result.output.startswith("cleanse: input error")
    assert str(missing) in result.output
    assert "Traceback" not in result.output


def test_existing_output_exits_1(tmp_path: Path) -> None:
    out = tmp_path / "o"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    result = CliRunner().invoke(main, ["run", str(SEEDS), "-o", str(out)])
    assert result.exit_code == 1
    assert "already holds files" in result.output
    assert (out / "keep.txt").exists()


def test_stages_lists_options() -> None:
    result = CliRunner().invoke(main, ["stages"])
    assert result.exit_code == 0
    assert "exact_dedup [default]" in result.output
    assert "fix_encoding [default]" in result.output


def test_first_run_says_it_compiles(tmp_path: Path, monkeypatch) -> None:
    import cleanse.cli

    for cached, expected in ((False, True), (True, False)):
        monkeypatch.setattr(cleanse.cli, "kernels_cached", lambda cached=cached: cached)
        out = tmp_path / f"out-{cached}"
        result = CliRunner().invoke(main, ["run", str(SEEDS), "-o", str(out), "--workers", "1"])
        assert result.exit_code == 0, result.output
        assert ("compiling its numba loops once" in result.stderr) is expected
