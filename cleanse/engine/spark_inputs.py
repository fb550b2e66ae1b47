"""Inputs on Hadoop-compatible paths (``s3a://``, ``gs://``, ``abfss://``, ``hdfs://``,
``file://``...), listed and read by Spark, parsed by cleanse's own readers.

Python cannot open a Hadoop path, so Spark does the I/O: its ``binaryFile`` source
lists the files (with the cluster's credentials and file-system settings) and hands
each file's bytes to a task, which copies them to a local temporary file of the same
name and reads it with `read_shard`, the local engine's reader. Formats, quarantine and
ids are therefore the local engine's: labels come from `find_listed_inputs`, by the
rules of `find_inputs`, so ``s3a://b/crawl/``, ``file:///data/crawl/`` and
``/data/crawl`` give a file the same label and ids.

What differs from local paths:

- A file is one row of Spark's ``binaryFile`` source, so it is read whole into an
  executor's memory and can be at most 2 GiB (`MAX_FILE_BYTES`); a larger file stops
  the run before any work with an error that says so. A file is one task (Parquet
  files are not split by row groups), so many small-to-medium files parallelise best.
- Parquet files are read twice: once for their schemas (the document schema needs
  their passthrough columns before the first pass), once for their rows.
- A JSONL file whose first record lacks the text field is found in the first pass, not
  before it; the run then stops with the local engine's message.
- ``run.json``'s ``inputs`` give Hadoop's modification time, to the millisecond (0 for
  an empty file: Spark's file scans skip those, so their time is not listed).
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import pyarrow as pa

from cleanse.errors import InputError
from cleanse.io.discovery import Input, find_listed_inputs, uri_path, uri_scheme
from cleanse.io.shards import (
    ColumnMapping,
    Fingerprint,
    Passthrough,
    check_jsonl,
    check_parquet,
    fingerprint,
)
from cleanse.schema import META

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

#: Spark's ``binaryFile`` source refuses files larger than this (one row, one byte array).
MAX_FILE_BYTES = (1 << 31) - 1
#: Arrow batches of file contents handed to a task stay under this many bytes (a larger
#: file travels alone), so a batch of many files never overflows Arrow's 2 GiB offsets.
CONTENT_BATCH_BYTES = 256 << 20
_GLOB_CHARS = "\\{}[]*?"


@dataclass(frozen=True, slots=True)
class ListedFile:
    """An input file on a Hadoop path: its URI as listed, label, format, size and mtime."""

    uri: str
    label: str
    format: str
    size: int
    mtime_ms: int


@dataclass(frozen=True)
class ListedPlan:
    """The files to read (sorted by label) and the passthrough columns they carry."""

    files: tuple[ListedFile, ...]
    passthrough: tuple[pa.Field, ...]


def wants_hadoop(paths: Sequence[str]) -> bool:
    """Return True when an input is a URI: then every input is read through Hadoop.

    >>> wants_hadoop(["s3a://b/crawl/"]), wants_hadoop(["crawl/", "file:///data/x"])
    (True, True)
    >>> wants_hadoop(["crawl/"])
    False
    """
    return any(uri_scheme(os.fspath(path)) for path in paths)


def as_uri(path: str) -> str:
    """Return `path` as a URI for Hadoop: URIs unchanged, local paths as ``file://``.

    >>> as_uri("s3a://b/x"), as_uri("/data/a b")
    ('s3a://b/x', 'file:///data/a b')
    """
    return path if uri_scheme(path) else "file://" + os.path.abspath(path)


def plan_listed(spark: SparkSession, paths: Sequence[str], mapping: ColumnMapping) -> ListedPlan:
    """List the inputs through Hadoop, label them and check them against `mapping`.

    Raises:
        InputError: as `plan_inputs` does (a missing path, no input files, a Parquet
            file without the text column...), and for a file over `MAX_FILE_BYTES`.
    """
    listings: list[tuple[str, list[str]]] = []
    facts: dict[str, tuple[int, int]] = {}
    for path in paths:
        uri = as_uri(os.fspath(path))
        listed = _list(spark, uri)
        listings.append((uri, [found for found, _, _ in listed]))
        facts.update({found: (size, mtime) for found, size, mtime in listed})
    inputs = find_listed_inputs(listings, mapping.format)
    files = tuple(ListedFile(i.path, i.label, i.format, *facts[i.path]) for i in inputs)
    for item in files:
        if item.size > MAX_FILE_BYTES:
            msg = (
                f"input error: {item.uri}: {item.size / (1 << 30):.1f} GiB; Spark reads a file"
                " on a Hadoop path whole, and at most 2 GiB"
            )
            hint = (
                "split it into smaller files (JSONL: split -C; WARC: one file per crawl"
                " segment), or pass it as a local path that every executor can read"
            )
            raise InputError(f"{msg}\n  hint: {hint}")
    checked = _check_parquet_files(spark, [f for f in files if f.format == "parquet"], mapping)
    passthrough = Passthrough()
    for item in files:
        if item.format == "jsonl":
            passthrough.add((pa.field(META, pa.string()),), item.label)
        elif item.format == "parquet":
            fields, error = checked[item.uri]
            if error is not None:
                raise InputError(error)
            passthrough.add(fields, item.label)
    return ListedPlan(files, passthrough.fields())


def content_frame(spark: SparkSession, files: Sequence[ListedFile]) -> DataFrame:
    """Return a DataFrame of (``path``, ``content``), one row per file of `files`.

    Spark's file scans skip empty files, so those are rows of empty content here, read
    as the local engine reads an empty file.
    """
    empty = [(item.uri, b"") for item in files if item.size == 0]
    escaped = [_escape_glob(item.uri) for item in files if item.size > 0]
    frame = spark.createDataFrame(empty, "path string, content binary")
    if escaped:
        scanned = spark.read.format("binaryFile").load(escaped).select("path", "content")
        frame = scanned.unionByName(frame) if empty else scanned
    return frame


@contextlib.contextmanager
def bounded_batches(spark: SparkSession) -> Iterator[None]:
    """Within: Arrow batches handed to tasks hold at most `CONTENT_BATCH_BYTES` (and one
    file more), so file contents never overflow a batch; the setting is restored after."""
    key = "spark.sql.execution.arrow.maxBytesPerBatch"
    before = spark.conf.get(key, None)
    if before is not None and int(before) <= CONTENT_BATCH_BYTES:
        yield
        return
    spark.conf.set(key, str(CONTENT_BATCH_BYTES))
    try:
        yield
    finally:
        if before is None:
            spark.conf.unset(key)
        else:
            spark.conf.set(key, before)


@contextlib.contextmanager
def local_copy(content: pa.Scalar, uri: str) -> Iterator[str]:
    """Write a file's bytes to a fresh temporary folder under its own name; yield the path.

    The name keeps its suffixes, which decide the compression (``.gz``, ``.zst``). The
    folder is under the executor's Spark local directory when there is one.
    """
    local_dirs = os.environ.get("SPARK_LOCAL_DIRS", "").split(",")[0] or None
    folder = tempfile.mkdtemp(prefix="cleanse-input-", dir=local_dirs)
    try:
        path = os.path.join(folder, posixpath.basename(uri_path(uri)) or "input")
        with open(path, "wb") as handle:
            if content.is_valid:
                handle.write(memoryview(content.as_buffer()))
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def listed_fingerprint(item: ListedFile, local: str) -> Fingerprint:
    """The local engine's fingerprint of a file, with Hadoop's size and mtime."""
    found = fingerprint(Input(local, item.label, item.format))
    return {**found, "size": item.size, "mtime_ns": item.mtime_ms * 1_000_000}


def jsonl_problem(item: ListedFile, local: str, mapping: ColumnMapping) -> str | None:
    """Return `check_jsonl`'s error for a JSONL file's local copy, None when it is fine."""
    try:
        check_jsonl(Input(local, item.label, "jsonl"), mapping)
    except InputError as err:
        return str(err)
    return None


def _list(spark: SparkSession, uri: str) -> list[tuple[str, int, int]]:
    """Return (URI, size, mtime in ms) of every file under `uri`, recursively."""
    from pyspark.sql import functions as F

    try:
        frame = spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(uri)
        rows = frame.select("path", "length", F.unix_millis("modificationTime")).collect()
        every = frame.inputFiles()
    except Exception as err:
        text = str(err)
        if "PATH_NOT_FOUND" in text or "Path does not exist" in text:
            if any(char in uri_path(uri) for char in "*?[{"):
                return []  # find_listed_inputs says the glob matched nothing
            msg = f"input error: {uri}: no such file or folder"
            raise InputError(f"{msg}\n  hint: Hadoop could not find it") from err
        if "No FileSystem for scheme" in text or "UnsupportedFileSystemException" in text:
            scheme = uri_scheme(uri)
            msg = f'input error: {uri}: this Spark has no Hadoop file system for "{scheme}://"'
            hint = (
                "add its connector to the session, e.g. --packages"
                " org.apache.hadoop:hadoop-aws:<Spark's Hadoop version> for s3a://"
            )
            raise InputError(f"{msg}\n  hint: {hint}") from err
        raise
    found = [(str(path), int(size), int(mtime)) for path, size, mtime in rows]
    # A scan skips empty files; the file index has them, as encoded URIs (file:///a%20b)
    scanned = {uri_path(path) for path, _, _ in found}
    for name in every:
        decoded = unquote(name)
        if uri_path(decoded) not in scanned:
            found.append((decoded, 0, 0))  # mtime unknown: 0
    return found


def _check_parquet_files(
    spark: SparkSession, files: Sequence[ListedFile], mapping: ColumnMapping
) -> dict[str, tuple[tuple[pa.Field, ...], str | None]]:
    """Run `check_parquet` on every Parquet file, in Spark; return fields and error by URI."""
    if not files:
        return {}
    task = _ParquetCheck({f.uri: f for f in files}, mapping)
    frame = content_frame(spark, files)
    found: dict[str, tuple[tuple[pa.Field, ...], str | None]] = {}
    with bounded_batches(spark):
        checked = frame.mapInArrow(task, _ParquetCheck.SCHEMA).collect()
    for path, schema, error in checked:
        fields = tuple(pa.ipc.read_schema(pa.py_buffer(schema))) if schema else ()
        found[task.files[path].uri] = (fields, error)
    return found


@dataclass(frozen=True)
class _ParquetCheck:
    files: Mapping[str, ListedFile]
    mapping: ColumnMapping

    SCHEMA = "path string, schema binary, error string"

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            out: dict[str, list[Any]] = {"path": [], "schema": [], "error": []}
            for index in range(batch.num_rows):
                path = batch.column("path")[index].as_py()
                item = self.files[path]
                fields = Passthrough()
                error = None
                with local_copy(batch.column("content")[index], item.uri) as local:
                    try:
                        check_parquet(Input(local, item.label, "parquet"), self.mapping, fields)
                    except InputError as err:
                        error = str(err)
                out["path"].append(path)
                out["schema"].append(pa.schema(fields.fields()).serialize().to_pybytes())
                out["error"].append(error)
            yield pa.RecordBatch.from_pydict(
                out,
                schema=pa.schema(
                    [("path", pa.string()), ("schema", pa.binary()), ("error", pa.string())]
                ),
            )


def _escape_glob(uri: str) -> str:
    r"""Escape Hadoop glob characters, so a listed file's URI names only that file.

    >>> _escape_glob("s3a://b/in/a[1].jsonl")
    's3a://b/in/a\\[1\\].jsonl'
    """
    return "".join(f"\\{char}" if char in _GLOB_CHARS else char for char in uri)


__all__ = [
    "CONTENT_BATCH_BYTES",
    "MAX_FILE_BYTES",
    "ListedFile",
    "ListedPlan",
    "as_uri",
    "bounded_batches",
    "content_frame",
    "jsonl_problem",
    "listed_fingerprint",
    "local_copy",
    "plan_listed",
    "wants_hadoop",
]
