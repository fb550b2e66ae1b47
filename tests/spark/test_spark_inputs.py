"""Issue 5's remaining gaps: inputs on Hadoop paths, Spark Connect, footer metadata.

Inputs given as ``file://`` URIs go through Hadoop's FileSystem (Spark lists them and
reads their bytes; the driver never opens them) and must give the local engine's output
on the same files given as paths. A Spark Connect session must give the classic
session's output.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

import cleanse
from cleanse.config import load_config
from cleanse.engine.local import LocalEngine
from cleanse.engine.spark import SparkEngine
from cleanse.errors import InputError
from cleanse.io.readers import ColumnMapping, plan_inputs
from cleanse.io.writers import cleanse_metadata

from .test_spark_engine import assert_same_output, rows

pytestmark = pytest.mark.slow

REAL_INPUTS = ("cc.jsonl", "bbc", "bbc-near")
# what differs between the engines' effective configs: the engine and how inputs are named
ENGINE_KEYS = ("engine", "master", "inputs")


def as_uri(path: Path) -> str:
    return f"file://{path}/" if path.is_dir() else f"file://{path}"


def labels(out: Path) -> list[str]:
    return [item["label"] for item in json.loads((out / "run.json").read_text())["inputs"]]


@pytest.fixture(scope="module")
def default_runs(
    spark: Any, real_corpus: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, Path, list[str]]]:
    """The default pipeline: local engine on paths, Spark on the same files as file:// URIs.

    The Spark run cannot plan with Python's file functions: `plan_inputs` fails there.
    """
    tmp = tmp_path_factory.mktemp("uri-default")
    paths = [real_corpus / name for name in REAL_INPUTS]
    uris = [as_uri(path) for path in paths]
    local_out, spark_out = tmp / "local", tmp / "spark"
    LocalEngine().run(load_config(inputs=[str(p) for p in paths], output=str(local_out), workers=2))

    def no_local_planning(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("URI inputs were planned with Python paths")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("cleanse.engine.spark.plan_inputs", no_local_planning)
        config = load_config(inputs=uris, output=str(spark_out), engine="spark")
        SparkEngine(spark=spark).run(config)
    yield local_out, spark_out, uris


def test_file_uri_inputs_default_pipeline_same_as_local(
    default_runs: tuple[Path, Path, list[str]],
) -> None:
    local_out, spark_out, _ = default_runs
    assert_same_output(local_out, spark_out)
    assert labels(spark_out) == labels(local_out)
    run = json.loads((spark_out / "run.json").read_text())
    assert run["shards"] == len(labels(local_out))  # one task input per file, not per shard
    assert run["inputs"][0]["mtime_ns"] % 1_000_000 == 0  # Hadoop's time, in ms


def test_spark_parts_carry_the_local_engines_footer_metadata(
    spark: Any, default_runs: tuple[Path, Path, list[str]]
) -> None:
    local_out, spark_out, _ = default_runs

    def shaping(found: dict[str, Any] | None) -> dict[str, Any]:
        assert found is not None
        return {k: v for k, v in found["config"].items() if k not in ENGINE_KEYS}

    local_meta = cleanse_metadata(next((local_out / "clean").glob("*.parquet")))
    assert local_meta is not None
    for name in ("clean", "rejects", "duplicates", "boilerplate"):
        local_parts = sorted((local_out / name).glob("*.parquet"))
        parts = sorted((spark_out / name).glob("*.parquet"))
        assert bool(parts) == bool(local_parts), name
        for part in local_parts:  # every part of every output, barrier outputs too
            assert cleanse_metadata(part) == local_meta, part
        for part in parts:
            found = cleanse_metadata(part)
            assert found is not None, part
            assert shaping(found) == shaping(local_meta), part
            assert found["config"]["engine"] == "spark"
            assert found["versions"] == {**local_meta["versions"], "pyspark": spark.version}
    # Spark reads it back as the first column's metadata
    first = spark.read.parquet(str(spark_out / "clean")).schema[0]
    assert json.loads(first.metadata["cleanse"]) == cleanse_metadata(parts[0])


@pytest.fixture
def mixed_corpus(tmp_path: Path) -> Path:
    """Every input format, names Hadoop and the shell treat specially, and broken files."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    root = tmp_path / "in" / "crawl"
    (root / "sub").mkdir(parents=True)
    (root / "_skip").mkdir()
    docs = [
        {
            "id": f"d{i}",
            "text": f"Document {i} talks at some length about subject {i % 3}. " * 4,
            "url": f"https://www.site{i % 2}.com/p{i}",
            "lang": "en",
        }
        for i in range(20)
    ]
    lines = [json.dumps(doc) for doc in docs]
    (root / "a b.jsonl").write_text("\n".join([*lines[:8], '{"broken": ', ""]))
    (root / "sub" / "c[1].jsonl.gz").write_bytes(gzip.compress("\n".join(lines[8:14]).encode()))
    (root / "trunc.jsonl.gz").write_bytes(gzip.compress("\n".join(lines[14:18]).encode())[:-30])
    (root / "z #1.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(lines[18].encode()))
    table = pa.table({"text": [d["text"] + " (parquet)" for d in docs[:5]], "score": [1.5] * 5})
    pq.write_table(table, root / "p.parquet", row_group_size=2)
    (root / "bad.parquet").write_bytes(b"not parquet")
    (root / "t.txt").write_text("A plain text file that says enough to be kept, probably. " * 4)
    (root / "empty.txt").write_bytes(b"")
    page = "<html><body><article><p>{}</p></article></body></html>"
    (root / "page.html").write_text(page.format("An HTML page with a real paragraph. " * 6))
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    for n in range(2):
        headers = StatusAndHeaders(
            "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
        )
        payload = page.format(f"Crawled page number {n} with its own words. " * 6).encode()
        record = writer.create_warc_record(
            f"https://example.org/{n}",
            "response",
            payload=io.BytesIO(payload),
            http_headers=headers,
        )
        writer.write_record(record)
    (root / "sub" / "w.warc.gz").write_bytes(buffer.getvalue())
    for skipped in ("_skip/x.txt", ".hidden.txt", "README.md"):
        (root / skipped).write_text("not input")
    return root


def test_file_uri_formats_and_quarantine_same_as_local(
    spark: Any, mixed_corpus: Path, tmp_path: Path
) -> None:
    """jsonl(.gz/.zst), parquet (passthrough, row groups), txt, html, warc, broken and
    empty files, names with spaces, brackets and #: the same rows and ids."""
    local_out, spark_out = tmp_path / "local", tmp_path / "spark"
    LocalEngine().run(load_config(inputs=[str(mixed_corpus)], output=str(local_out), workers=1))
    config = load_config(inputs=[as_uri(mixed_corpus)], output=str(spark_out), engine="spark")
    SparkEngine(spark=spark).run(config)
    assert_same_output(local_out, spark_out)
    assert "crawl/empty.txt" in labels(spark_out)  # Spark's scans skip empty files
    assert labels(spark_out) == labels(local_out)
    reasons = {r["reason"] for r in rows(spark_out, "rejects")}
    assert {"read.malformed_json", "read.truncated", "read.corrupt_file", "read.empty"} <= reasons
    assert {r["score"] for r in rows(spark_out, "clean") if r["source"] == "crawl/p.parquet"}


def test_uri_input_errors_are_the_local_engines(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "crawl"
    folder.mkdir()
    (folder / "a.jsonl").write_text('{"body": "no text field"}\n')
    pq.write_table(pa.table({"body": ["x"]}), folder / "b.parquet")

    def spark_error(inputs: list[str]) -> str:
        config = load_config(inputs=inputs, output=str(tmp_path / "out"), engine="spark")
        with pytest.raises(InputError) as err:
            SparkEngine(spark=spark).run(config)
        return str(err.value)

    def local_error(inputs: list[Path]) -> str:
        with pytest.raises(InputError) as err:
            plan_inputs(inputs, ColumnMapping())
        return str(err.value)

    for name in ("a.jsonl", "b.parquet"):
        assert spark_error([as_uri(folder / name)]) == local_error([folder / name])
    assert "no such file or folder" in spark_error([as_uri(tmp_path / "nope")])
    monkeypatch.setattr("cleanse.engine.spark_inputs.MAX_FILE_BYTES", 10)
    assert "Spark reads a file on a Hadoop path whole, and at most 2 GiB" in spark_error(
        [as_uri(folder / "a.jsonl")]
    )
    assert not list(tmp_path.glob(".*cleanse-partial"))


CONNECT_RUN = """
import json, sys
from pyspark.sql import SparkSession
from cleanse.config import load_config
from cleanse.engine.spark import SparkEngine
from cleanse.errors import OutputError

inputs, output = json.loads(sys.argv[1]), sys.argv[2]
spark = (
    SparkSession.builder.remote("local[2]")
    .config("spark.sql.shuffle.partitions", "4")
    .config("spark.ui.enabled", "false")
    .config("spark.driver.memory", "1g")
    .getOrCreate()
)
assert type(spark).__module__ == "pyspark.sql.connect.session"
SparkEngine(spark=spark).run(load_config(inputs=inputs, output=output, engine="spark"))
try:
    config = load_config(inputs=inputs, output="hdfs://nowhere:8020/clean", engine="spark")
    SparkEngine(spark=spark).run(config)
except OutputError as err:
    print("REFUSED:", str(err).splitlines()[0])
spark.stop()
"""


def test_spark_connect_same_as_classic(
    default_runs: tuple[Path, Path, list[str]], tmp_path: Path
) -> None:
    """A local Spark Connect server (in a fresh process: one mode per process) gives the
    classic session's output; an output on a Hadoop path is refused before any work."""
    pytest.importorskip("grpc", reason="Spark Connect needs grpcio (cleanse[spark])")
    _, classic_out, uris = default_runs
    connect_out = tmp_path / "connect"
    # the server runs Python workers in a folder of its own: cleanse must be importable
    source = str(Path(cleanse.__file__).resolve().parents[1])
    env = {
        **os.environ,
        "PYSPARK_PYTHON": sys.executable,
        "PYTHONPATH": os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")])),
        "SPARK_TESTING": "1",  # an ephemeral port for the local Connect server
    }
    done = subprocess.run(
        [sys.executable, "-c", CONNECT_RUN, json.dumps(uris), str(connect_out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert_same_output(classic_out, connect_out)
    run = json.loads((connect_out / "run.json").read_text())
    assert run["spark"]["connect"] is True
    assert run["spark"]["master"].startswith("local")
    refused = next(line for line in done.stdout.splitlines() if line.startswith("REFUSED:"))
    assert "over Spark Connect cleanse cannot commit an output folder on a Hadoop path" in refused
