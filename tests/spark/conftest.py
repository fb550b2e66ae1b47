"""Spark fixtures: Java 17+ (installed when missing and allowed), one session per run.

Skips every Spark test, with the reason, where PySpark is not installed or no Java 17+
can be found or installed. On a Debian/Ubuntu machine running as root (CI), a missing
Java is installed with apt-get (``openjdk-17-jre-headless``) within a bounded time.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"

JAVA_PACKAGE = "openjdk-17-jre-headless"
APT_TIMEOUT_S = 300


def java_major() -> int | None:
    """Return the major version of ``java`` on PATH (or in JAVA_HOME), None if absent."""
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java:
        return None
    try:
        done = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r'version "(\d+)(?:\.(\d+))?', done.stderr)
    if not found:
        return None
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major


def install_java() -> str | None:
    """Install Java 17 with apt-get when running as root on Debian; return why not."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "not root, so Java cannot be installed here"
    if not Path("/etc/debian_version").exists() or not shutil.which("apt-get"):
        return "not a Debian/Ubuntu machine, so Java is not installed automatically"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        subprocess.run(
            ["apt-get", "update", "-qq"],
            check=True,
            env=env,
            timeout=APT_TIMEOUT_S,
            capture_output=True,
        )
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", JAVA_PACKAGE],
            check=True,
            env=env,
            timeout=APT_TIMEOUT_S,
            capture_output=True,
        )
    except (OSError, subprocess.SubprocessError) as err:
        return f"apt-get install {JAVA_PACKAGE} failed: {err}"
    return None


@pytest.fixture(scope="session")
def java() -> int:
    """Make sure Java 17+ is available; skip the Spark tests otherwise."""
    pytest.importorskip("pyspark", reason="PySpark is not installed (pip install cleanse[spark])")
    major = java_major()
    if major is None or major < 17:
        why = install_java()
        major = java_major()
        if major is None or major < 17:
            found = "no Java" if major is None else f"Java {major}"
            pytest.skip(f"Spark 4 needs Java 17+; found {found} ({why or 'install did not help'})")
    return major


@pytest.fixture(scope="session")
def spark(java: int) -> Iterator[object]:
    """One small local Spark session for the whole run: local[2], 4 shuffle partitions."""
    from cleanse.engine.spark import session_builder

    session = session_builder(
        "local[2]",
        workers=2,
        conf={
            "spark.sql.shuffle.partitions": "4",
            "spark.default.parallelism": "2",
            "spark.driver.memory": "1g",
        },
    ).getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def shared_data(*parts: str) -> Path:
    """Return a path under ../shared/data, skipping the test where it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared/data/{'/'.join(parts)} is absent (development data, not shipped)")
    return path


def _write_jsonl(path: Path, rows: list[dict[str, object]], *, extra: list[str] = ()) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")
        for line in extra:
            handle.write(line + "\n")


@pytest.fixture(scope="session")
def real_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real documents, about 1,200: Common Crawl WET text with urls and BBC articles.

    From ``../shared/data``: the dolma Common Crawl sample (697 documents, url from its
    metadata, plus one malformed line for the reader's quarantine) and the BBC
    ``business`` articles (510 files, with the corpus' natural exact duplicates), plus
    near copies of 40 of them (one sentence dropped) so near_dedup has clusters.
    """
    folder = tmp_path_factory.mktemp("real")
    wet = shared_data("cc-text", "dolma-CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz")
    with gzip.open(wet, "rt", encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle]
    rows = [{"id": r["id"], "text": r["text"], "url": r["metadata"]["url"]} for r in records]
    _write_jsonl(folder / "cc.jsonl", rows, extra=['{"id": "broken", "text": '])

    bbc = folder / "bbc"
    archive = shared_data("bbc-news", "bbc-raw.tar.xz")
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith("bbc/business/")]
        tar.extractall(folder, members=members, filter="data")
    near = folder / "bbc-near"
    near.mkdir()
    for path in sorted((bbc / "business").glob("*.txt"))[:40]:
        text = path.read_bytes().decode("latin-1")
        sentences = text.split(". ")
        if len(sentences) > 12:
            del sentences[len(sentences) // 2]
        (near / f"near-{path.name}").write_text(". ".join(sentences), encoding="utf-8")
    return folder


def pytest_report_header() -> str:
    return f"spark tests: java {java_major()}, python {sys.executable}"
