"""Write Parquet parts atomically: a temporary name, then a rename on close.

A reader listing ``part-*.parquet`` never sees a half-written file: parts are written
as ``.part-*.parquet.tmp`` and renamed only once their footer is on disk. A writer
rolls over to a new part when the current one passes ``max_bytes`` (uncompressed
estimate), so outputs are sharded by size. Work files that only cleanse reads back
(a corpus stage's keys) can be Arrow IPC files instead (``file_format="arrow"``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Protocol

import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from cleanse.schema import conform

DEFAULT_MAX_BYTES = 256 << 20
#: The footer key of cleanse's metadata (effective config and versions, JSON).
FOOTER_KEY = "cleanse"
#: Where Spark keeps its schema, with each column's metadata, in a Parquet footer.
SPARK_SCHEMA_KEY = b"org.apache.spark.sql.parquet.row.metadata"


class PartWriter:
    """Write batches of one schema to ``<folder>/<prefix>-NNNN.parquet`` parts.

    Args:
        folder: Where parts go (created when the first row arrives).
        prefix: Part name prefix, e.g. ``part-00003``; parts are ``<prefix>-0000.parquet``...
        schema: Declared schema; every batch is cast to it.
        max_bytes: Roll over to a new part past this many (in-memory) bytes. 256 MiB by
            default: large enough for efficient scans, small enough to parallelise.
        metadata: Key-value metadata stored in every part's footer (JSON-encoded).
        compression_level: zstd level; 3 (default) is zstd's own default.
        use_dictionary: Dictionary-encode columns (default). Off for columns of hashes,
            where a dictionary only costs time.
        file_format: ``"parquet"`` (default), or ``"arrow"`` for uncompressed Arrow IPC
            files (``.arrow``): for work files of hashes and signatures, which no codec
            shrinks, and which a reader then copies instead of decoding (`read_arrow_file`).
    """

    def __init__(
        self,
        folder: Path,
        prefix: str,
        schema: pa.Schema,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        metadata: Mapping[str, Any] | None = None,
        compression_level: int = 3,
        use_dictionary: bool = True,
        file_format: Literal["parquet", "arrow"] = "parquet",
    ) -> None:
        encoded = {k: json.dumps(v, sort_keys=True) for k, v in (metadata or {}).items()}
        self.schema = schema.with_metadata(encoded) if encoded else schema
        self.folder = folder
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.compression_level = compression_level
        self.use_dictionary = use_dictionary
        self.file_format = file_format
        self.paths: list[Path] = []
        self.rows = 0
        self._writer: pq.ParquetWriter | ipc.RecordBatchFileWriter | None = None
        self._sink: pa.NativeFile | None = None
        self._tmp: Path | None = None
        self._bytes = 0

    def write(self, batch: pa.RecordBatch) -> None:
        """Cast `batch` to the schema and append it; empty batches are skipped."""
        if batch.num_rows == 0:
            return
        if self._writer is None:
            self._open()
        assert self._writer is not None
        batch = conform(batch, self.schema)
        self._writer.write_batch(batch)
        self.rows += batch.num_rows
        self._bytes += batch.nbytes
        if self._bytes >= self.max_bytes:
            self._finish()

    def _open(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{self.prefix}-{len(self.paths):04d}.{self.file_format}"
        self._tmp = self.folder / f".{name}.tmp"
        if self.file_format == "arrow":
            self._sink = pa.OSFile(str(self._tmp), "wb")
            self._writer = ipc.new_file(self._sink, self.schema)
        else:
            self._writer = pq.ParquetWriter(
                self._tmp,
                self.schema,
                compression="zstd",
                compression_level=self.compression_level,
                use_dictionary=self.use_dictionary,
            )
        self._bytes = 0
        self.paths.append(self.folder / name)

    def _finish(self) -> None:
        if self._writer is None or self._tmp is None:
            return
        self._close_files()
        os.replace(self._tmp, self.paths[-1])
        self._tmp = None

    def _close_files(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._sink is not None:
            self._sink.close()
        self._writer = self._sink = None

    def close(self) -> list[Path]:
        """Finish the current part and return every part written."""
        self._finish()
        return self.paths

    def abort(self) -> None:
        """Drop the part being written (after an error)."""
        self._close_files()
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)
            self.paths.pop()
        self._tmp = None

    def __enter__(self) -> PartWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def read_arrow_file(path: Path) -> Iterator[pa.RecordBatch]:
    """Yield the batches of an Arrow IPC file written by `PartWriter`.

    Each batch is read into its own buffers, nothing decoded: a plain read of its
    bytes (faster than faulting in a memory map, and freed with the batch, so the
    file's pages do not pile up in the reader's memory).
    """
    with pa.OSFile(str(path)) as source:
        reader = ipc.open_file(source)
        for index in range(reader.num_record_batches):
            yield reader.get_batch(index)


class BatchSource(Protocol):
    """A table, or anything that streams batches of one schema like a table does."""

    schema: pa.Schema

    def to_batches(self, max_chunksize: int | None = None) -> Iterable[pa.RecordBatch]: ...


def write_table(
    table: BatchSource,
    folder: Path,
    *,
    prefix: str = "part",
    metadata: Mapping[str, Any] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> list[Path]:
    """Write a table (or a lazy batch source) as size-sharded parts, at least one."""
    with PartWriter(folder, prefix, table.schema, metadata=metadata, max_bytes=max_bytes) as w:
        for batch in table.to_batches(max_chunksize=65536):
            w.write(batch)
    if not w.paths:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{prefix}-0000.parquet"
        tmp = folder / f".{path.name}.tmp"
        schema = w.schema
        pq.write_table(schema.empty_table(), tmp, compression="zstd")
        os.replace(tmp, path)
        return [path]
    return w.paths


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    """Write `data` as indented JSON through a temporary file and a rename."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
    os.replace(tmp, path)


def cleanse_metadata(path: str | Path) -> dict[str, Any] | None:
    """Return the cleanse metadata of an output Parquet file, None if it has none.

    The local engine writes it as the footer key ``cleanse``; the Spark engine, whose
    Parquet writer takes no extra footer keys, as the ``cleanse`` metadata of the
    first column, which Spark stores in the footer with its schema (and which
    ``spark.read.parquet(...).schema[0].metadata["cleanse"]`` returns). Both hold the
    same JSON: ``{"config": ..., "versions": ...}``.
    """
    metadata = pq.read_schema(path).metadata or {}
    value = metadata.get(FOOTER_KEY.encode())
    if value is None and SPARK_SCHEMA_KEY in metadata:
        spark_schema = json.loads(metadata[SPARK_SCHEMA_KEY])
        for field in spark_schema.get("fields", ()):
            value = field.get("metadata", {}).get(FOOTER_KEY)
            if value is not None:
                break
    return json.loads(value) if value is not None else None
