"""Hostile input end to end: every bad file gets its documented outcome, the run goes on.

Unit-level cases live in tests/io/test_bad_input.py (readers) and tests/test_fuzz.py;
here a whole `cleanse run` meets them together, plus sizes and shapes meant to hurt:
a 50 MB document, a 10 MB line without a newline, lines crafted against regexes.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from cleanse.schema import conform, document_schema
from cleanse.stages import registry
from conftest import REPO

PROSE = (
    "The council approved the new budget after a long debate on Tuesday evening, "
    "and the mayor said the money would go to schools, roads and the city's libraries."
)
OTHER = [
    "Rain is expected across the north of the country for most of the weekend, forecasters said.",
    "The museum reopened its doors to visitors after two years of careful restoration work.",
    "Local farmers say this year's harvest was the best they have seen in more than a decade.",
    "A new bridge over the river will cut travel times for thousands of commuters every day.",
    "The school board voted to extend the library's opening hours from the start of next term.",
]


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Fail (instead of hanging) when the block runs longer than `seconds`."""

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "cleanse", "run", *args, "--no-progress", "--workers", "2"]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)


def cli_peak_mb(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run the CLI and return its result and the peak RSS of its process tree (MB).

    ``os.wait4`` reports this child's own rusage (its largest descendant included once
    they are waited for), unlike RUSAGE_CHILDREN, which keeps the largest child the
    whole test session ever had.
    """
    command = [sys.executable, "-m", "cleanse", "run", *args, "--no-progress", "--workers", "2"]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(command, cwd=REPO, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(command, child.returncode, out.read(), err.read())
    return done, usage.ru_maxrss / 1024


def bad_corpus(root: Path) -> Path:
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text(PROSE)
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    (corpus / "latin1.txt").write_bytes(("Caf\xe9 society: " + OTHER[0]).encode("latin-1"))
    (corpus / "nul.txt").write_bytes(OTHER[1].encode() + b"\x00\x00 and more.")
    lines = [
        json.dumps({"id": "a", "text": OTHER[2]}).encode(),
        b'{"id": "b", "text": "broken',
        b'{"id": "c", "text": "caf\xe9 not utf-8"}',
        json.dumps({"id": "d", "text": ""}).encode(),
        json.dumps({"id": "e", "body": "no text field"}).encode(),
        json.dumps({"id": "f", "text": OTHER[3]}).encode(),
    ]
    (corpus / "mixed.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    whole = gzip.compress(b"\n".join(lines[:1] + lines[-1:]) * 50)
    (corpus / "cut.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    (corpus / "empty.jsonl").write_bytes(b"")
    (corpus / "corrupt.parquet").write_bytes(b"PAR1 this is not really parquet")
    return corpus


def test_every_bad_file_in_one_run(tmp_path: Path) -> None:
    done = cli(str(bad_corpus(tmp_path)), "-o", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert stats["rows_in"] == stats["rows_clean"] + stats["rows_rejected"]
    rejects = pq.read_table(tmp_path / "out" / "rejects").to_pylist()
    reasons = {r["reason"] for r in rejects}
    expected = {
        "read.empty",
        "read.binary",
        "read.malformed_json",
        "read.invalid_utf8",
        "read.missing_text",
        "read.truncated",
        "read.corrupt_file",
    }
    assert expected <= reasons
    assert all(r["detail"] for r in rejects if r["stage"] == "read")
    clean = pq.read_table(tmp_path / "out" / "clean").to_pylist()
    texts = {r["id"]: r["text"] for r in clean}
    assert texts["corpus/latin1.txt"].startswith("Café society")
    assert "\x00" not in texts["corpus/nul.txt"]
    # warnings are one line each, naming the file
    warnings = [line for line in done.stderr.splitlines() if line.startswith("WARNING")]
    assert warnings and all("corpus/" in w or "rows" in w for w in warnings)


@pytest.mark.slow
def test_a_50_mb_document_and_a_10_mb_line(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    paragraph = (PROSE + "\n\n").encode()
    big = paragraph * (50_000_000 // len(paragraph))
    (corpus / "big.txt").write_bytes(big)
    (corpus / "line.txt").write_bytes(PROSE.encode().replace(b", ", b" ") * 60_000)
    done, peak_mb = cli_peak_mb(str(corpus), "-o", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert stats["rows_in"] == 2 == stats["rows_clean"] + stats["rows_rejected"]
    # a 50 MB document costs a few copies of itself, not the machine
    assert peak_mb < 2500, f"peak RSS {peak_mb:.0f} MB"


CRAFTED = [
    "a" * 200_000,
    "Share " * 40_000,
    "/ " * 100_000 + "Reuters",
    "Sign up" + " " * 100_000 + "newsletter!",
    "© " + "2015 " * 50_000,
    "Find " + "x " * 100_000 + "on your TV",
    "&" * 100_000 + ";",
    "Ã" * 100_000,
    ("word " * 30 + "\n") * 20_000,
]


@pytest.mark.parametrize("stage_name", [n for n in registry.available()])
def test_lines_crafted_against_the_regexes_finish(stage_name: str, tmp_path: Path) -> None:
    from conftest import make_batch

    stage = registry.build(stage_name, {})
    batch = conform(make_batch(CRAFTED), document_schema(audit=stage.columns))
    with time_limit(120):
        if hasattr(stage, "collect"):
            stage.aggregate([stage.collect(batch)], workdir=tmp_path).stage()(batch)
        else:
            out = stage(batch)
            assert out.num_rows == len(CRAFTED)


def test_zero_byte_and_tiny_inputs_only(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "empty.jsonl").write_bytes(b"")
    done = cli(str(corpus), "-o", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert (stats["rows_in"], stats["rows_clean"], stats["rows_rejected"]) == (1, 0, 1)
    assert pq.read_table(tmp_path / "out" / "clean").num_rows == 0
    part = next((tmp_path / "out" / "clean").glob("*.parquet"))
    assert "text" in pq.read_schema(part).names


@pytest.mark.slow
def test_a_200_mb_file_streams_in_bounded_memory(tmp_path: Path) -> None:
    """200 MB of JSONL through the readers, a barrier and the writers: memory stays flat.

    The text stages' cost is measured elsewhere; this run keeps to exact_dedup so the
    test is about streaming (reader, spill, barrier, writer), not about stage speed.
    """
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    line_count = 0
    with (corpus / "big.jsonl").open("w") as fh:
        size = 0
        while size < 200_000_000:
            body = " ".join([OTHER[line_count % len(OTHER)], PROSE, str(line_count)] * 4)
            line = json.dumps({"id": f"d{line_count}", "text": body}) + "\n"
            fh.write(line)
            size += len(line)
            line_count += 1
    done, peak_mb = cli_peak_mb(
        str(corpus), "-o", str(tmp_path / "out"), "--set", 'pipeline=["exact_dedup"]'
    )
    assert done.returncode == 0, done.stderr
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert stats["rows_in"] == line_count == stats["rows_clean"] + stats["rows_rejected"]
    assert peak_mb < 1500, f"peak RSS {peak_mb:.0f} MB for a 200 MB input"
