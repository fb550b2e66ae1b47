"""Crash and resume: kill -9 a run at several points, rerun, get byte-identical output."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import REPO, shared_data

# A child process runs the README's main command with one function patched to SIGKILL
# itself at a chosen moment: a real kill -9, at a reproducible point.
CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from click.testing import CliRunner
    point, count, corpus, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    calls = {"n": 0}

    def kill_after(fn):
        def wrapper(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] > count:
                os.kill(os.getpid(), signal.SIGKILL)
            return fn(*args, **kwargs)
        return wrapper

    if point == "reading":
        import cleanse.engine.local as local
        local.read_shard = kill_after(local.read_shard)
    elif point == "barrier":
        from cleanse.stages.exact_dedup import ExactDedup
        ExactDedup.aggregate = kill_after(ExactDedup.aggregate)
    elif point == "writing":
        from cleanse.io.writers import PartWriter
        finish = kill_after(PartWriter._finish)
        original = PartWriter._finish
        PartWriter._finish = lambda self: (
            finish(self) if self.folder.name == "clean" else original(self)
        )
    from cleanse.cli import main
    main(["run", corpus, "-o", out, "--workers", "1", "--no-progress", "-q"])
    """
)


def make_corpus(tmp_path: Path) -> Path:
    """Six JSONL shards of real crawled text, with some exact copies across shards."""
    source = shared_data("cc-text", "dolma-CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz")
    with gzip.open(source, "rt", encoding="utf-8") as fh:
        lines = fh.read().splitlines()[:240]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for part in range(6):
        chunk = lines[part * 40 : (part + 1) * 40] + lines[:3]  # copies of three documents
        (corpus / f"part-{part}.jsonl").write_text("\n".join(chunk) + "\n")
    return corpus


def files(out: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(out)): p.read_bytes()
        for name in ("clean", "rejects", "duplicates")
        for p in sorted((out / name).glob("*.parquet"))
    }


def run_child(point: str, count: int, corpus: Path, out: Path) -> int:
    script = [sys.executable, "-c", CHILD, point, str(count), str(corpus), str(out)]
    return subprocess.run(script, cwd=REPO, capture_output=True, check=False).returncode


@pytest.mark.slow
@pytest.mark.parametrize(
    ("point", "count"),
    [("reading", 2), ("barrier", 0), ("writing", 3)],
    ids=["during-reading", "inside-barrier", "while-writing"],
)
def test_killed_run_resumes_to_identical_output(tmp_path: Path, point: str, count: int) -> None:
    corpus = make_corpus(tmp_path)
    reference = tmp_path / "reference"
    assert run_child("none", 0, corpus, reference) == 0

    out = tmp_path / "out"
    assert run_child(point, count, corpus, out) == -signal.SIGKILL
    assert not (out / "_SUCCESS").exists()  # a killed run never looks complete
    staging = tmp_path / ".out.cleanse-partial"
    assert staging.exists()
    done_before = len(list((staging / "_work" / "done").rglob("*.json")))

    assert run_child("none", 0, corpus, out) == 0
    assert (out / "_SUCCESS").exists()
    assert not staging.exists()
    assert files(out) == files(reference)
    stats = json.loads((out / "stats.json").read_text())
    assert stats["rows_in"] == stats["rows_clean"] + stats["rows_rejected"] == 6 * 43
    if point != "reading":
        assert done_before >= 6  # the first pass was not redone from scratch
    if point == "writing":
        assert done_before >= 6 * 3  # killed in the last pass, after clean/ parts landed


def test_changed_input_starts_clean(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("A first document with enough words to be kept around.")
    out = tmp_path / "out"
    assert run_child("barrier", 0, corpus, out) == -signal.SIGKILL
    (corpus / "b.txt").write_text("A second document, added after the crash, also kept.")
    assert run_child("none", 0, corpus, out) == 0
    stats = json.loads((out / "stats.json").read_text())
    assert stats["rows_in"] == 2
    assert sorted(os.listdir(tmp_path)) == ["corpus", "out"]
