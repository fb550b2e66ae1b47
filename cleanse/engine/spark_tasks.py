"""What Spark tasks run: one pass of the pipeline over Arrow batches, in ``mapInArrow``.

A pass emits one **envelope** DataFrame, written once to ``_work/pass-N`` so no stage
runs twice: every row is a live document (``row``), a rejected one (``reject``), a
corpus stage's key row (``key``) or one task's stats (``stats``, JSON). The driver then
reads the four apart. The functions that do the work are the local engine's:
`route_read`, `apply_stages` and the corpus stage's ``collect``; nothing here decides
anything about a document.

Spark has no unsigned integers, fixed-size binaries or fixed-size lists, so batches
cross into Spark through `to_spark` (``uint64`` reinterpreted as ``int64``, other
unsigned types widened, fixed sizes dropped) and come back through `from_spark`, which
undoes exactly that.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from cleanse.engine.spark_inputs import ListedFile, jsonl_problem, listed_fingerprint, local_copy
from cleanse.io.readers import ColumnMapping, Shard, read_shard
from cleanse.pipeline import apply_stages, route_read, text_chars
from cleanse.schema import REJECT_SCHEMA, conform
from cleanse.stages.base import Stage
from cleanse.stats import RunStats, StageStats

KIND = "kind"
ROW = "row"
REJECT = "reject"
KEY = "key"
STATS = "stats"
SHARD = "shard"

_WIDER = {
    pa.uint8(): pa.int16(),
    pa.uint16(): pa.int32(),
    pa.uint32(): pa.int64(),
}


def spark_type(arrow_type: pa.DataType) -> pa.DataType:
    """Return the Arrow type Spark can hold for `arrow_type`.

    >>> spark_type(pa.list_(pa.uint32(), 4))
    ListType(list<item: int64>)
    """
    if arrow_type in _WIDER:
        return _WIDER[arrow_type]
    if pa.types.is_uint64(arrow_type):
        return pa.int64()
    if pa.types.is_large_string(arrow_type):
        return pa.string()
    if pa.types.is_fixed_size_binary(arrow_type) or pa.types.is_large_binary(arrow_type):
        return pa.binary()
    if pa.types.is_dictionary(arrow_type):
        return spark_type(arrow_type.value_type)
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return pa.list_(spark_field(arrow_type.value_field))
    if pa.types.is_fixed_size_list(arrow_type):
        return pa.list_(spark_field(arrow_type.value_field))
    if pa.types.is_struct(arrow_type):
        return pa.struct([spark_field(arrow_type.field(i)) for i in range(arrow_type.num_fields)])
    return arrow_type


def spark_field(field: pa.Field) -> pa.Field:
    return pa.field(field.name, spark_type(field.type), nullable=True)


def spark_schema(schema: pa.Schema) -> pa.Schema:
    """Return `schema` with every type replaced by one Spark can hold."""
    return pa.schema([spark_field(f) for f in schema])


def to_spark(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Cast `batch` to `spark_schema` (top-level ``uint64`` is reinterpreted, not cast)."""
    columns = []
    for field, column in zip(batch.schema, batch.columns, strict=True):
        if pa.types.is_uint64(field.type):
            columns.append(column.view(pa.int64()))
        else:
            columns.append(column.cast(spark_type(field.type)))
    return pa.RecordBatch.from_arrays(columns, schema=spark_schema(batch.schema))


def from_spark(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """Undo `to_spark`: cast `batch` back to `schema` (and conform to it)."""
    for field in schema:
        index = batch.schema.get_field_index(field.name)
        # Spark has no unsigned types: the bits of a uint64 travelled as an int64
        if index >= 0 and pa.types.is_uint64(field.type):
            column = batch.column(index)
            if pa.types.is_int64(column.type):
                batch = batch.set_column(index, field.name, column.view(pa.uint64()))
    return conform(batch, schema)


def envelope_schema(rows: pa.Schema, keys: pa.Schema | None) -> pa.Schema:
    """Return the Arrow schema of a pass's output (Spark-safe types)."""
    fields = [
        pa.field(KIND, pa.string()),
        pa.field(ROW, pa.struct(list(spark_schema(rows)))),
        pa.field(REJECT, pa.struct(list(spark_schema(REJECT_SCHEMA)))),
    ]
    if keys is not None:
        fields.append(pa.field(KEY, pa.struct(list(spark_schema(keys)))))
    fields.append(pa.field(STATS, pa.string()))
    return pa.schema(fields)


def key_schema(collector: Any, rows: pa.Schema) -> pa.Schema:
    """Return the schema `collector.collect` emits for batches of `rows`.

    Asked of the stage itself, on an empty batch, so no key schema is restated here.
    """
    empty = pa.RecordBatch.from_pylist([], schema=rows)
    return collector.collect(empty).schema


@dataclass(frozen=True, slots=True)
class PassTask:
    """What every task of one pass needs; pickled into the ``mapInArrow`` closure.

    Attributes:
        index: Pass number; pass 0 reads shards, later passes the previous pass's rows.
        stages: Row stages of this pass (the previous barrier's apply stage first).
        collector: The corpus stage whose keys this pass collects, or None (last pass).
        schema: The document schema (original Arrow types).
        keys: `collector`'s key schema, or None.
        shards: The input plan's shards (pass 0 only).
        mapping: Column mapping for the readers.
        batch_size: Rows per batch read from a shard.
        files: Inputs on Hadoop paths by URI (pass 0 of such a run): then pass 0 reads
            rows of (``path``, ``content``) and its stats carry each file's fingerprint
            (``inputs``) and the JSONL files that failed `check_jsonl` (``errors``).
    """

    index: int
    stages: tuple[Stage, ...]
    collector: Any | None
    schema: pa.Schema
    keys: pa.Schema | None
    shards: tuple[Shard, ...]
    mapping: ColumnMapping
    batch_size: int
    files: Mapping[str, ListedFile] | None = None

    @property
    def output(self) -> pa.Schema:
        return envelope_schema(self.schema, self.keys)

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """Run this pass over one Spark partition; yield envelope batches."""
        stats = RunStats()
        counts = {"rows_live": 0, "chars_live": 0, "rows_rejected": 0}
        found: dict[str, list[Any]] = {"inputs": [], "errors": []}
        for batch in self._sources(batches, found):
            rejects: list[pa.RecordBatch] = []
            if self.index == 0:
                batch, rejects = route_read(batch, stats)
            batch, more = apply_stages(self.stages, batch, stats)
            rejects.extend(more)
            for rejected in rejects:
                counts["rows_rejected"] += rejected.num_rows
                yield self._wrap(REJECT, rejected, REJECT_SCHEMA)
            if self.collector is not None and self.keys is not None and batch.num_rows:
                started = time.perf_counter()
                keys = self.collector.collect(batch)
                stats.add(self.collector.name, StageStats(seconds=time.perf_counter() - started))
                yield self._wrap(KEY, keys, self.keys)
            if batch.num_rows:
                counts["rows_live"] += batch.num_rows
                counts["chars_live"] += text_chars(batch)
                yield self._wrap(ROW, batch, self.schema)
        summary = json.dumps({"stats": stats.to_dict(), **counts, **found})
        yield self._stats_row(summary)

    def _sources(
        self, batches: Iterator[pa.RecordBatch], found: dict[str, list[Any]]
    ) -> Iterator[pa.RecordBatch]:
        if self.index == 0 and self.files is not None:
            for batch in batches:
                for index in range(batch.num_rows):
                    item = self.files[batch.column("path")[index].as_py()]
                    yield from self._read_file(item, batch.column("content")[index], found)
            return
        if self.index == 0:
            for batch in batches:
                for shard_index in batch.column(SHARD).to_pylist():
                    shard = self.shards[shard_index]
                    for read in read_shard(
                        shard, self.mapping, self.schema, batch_size=self.batch_size
                    ):
                        yield conform(read, self.schema)
            return
        for batch in batches:
            if batch.num_rows:
                yield from_spark(batch, self.schema)

    def _read_file(
        self, item: ListedFile, content: pa.Scalar, found: dict[str, list[Any]]
    ) -> Iterator[pa.RecordBatch]:
        """Read one file on a Hadoop path from its bytes, as the local engine reads it."""
        with local_copy(content, item.uri) as local:
            found["inputs"].append(listed_fingerprint(item, local))
            if item.format == "jsonl":
                problem = jsonl_problem(item, local, self.mapping)
                if problem is not None:
                    found["errors"].append([item.label, problem])
                    return
            shard = Shard(0, item.format, (local,), (item.label,))
            for read in read_shard(shard, self.mapping, self.schema, batch_size=self.batch_size):
                yield conform(read, self.schema)

    def _wrap(self, kind: str, batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
        out = self.output
        safe = to_spark(conform(batch, schema))
        payload = pa.StructArray.from_arrays(safe.columns, fields=list(safe.schema))
        arrays = []
        for field in out:
            if field.name == KIND:
                arrays.append(pa.array([kind] * batch.num_rows, pa.string()))
            elif field.name == kind:
                arrays.append(payload)
            else:
                arrays.append(pa.nulls(batch.num_rows, field.type))
        return pa.RecordBatch.from_arrays(arrays, schema=out)

    def _stats_row(self, summary: str) -> pa.RecordBatch:
        arrays = [
            pa.array([STATS if f.name == KIND else summary], pa.string())
            if f.name in (KIND, STATS)
            else pa.nulls(1, f.type)
            for f in self.output
        ]
        return pa.RecordBatch.from_arrays(arrays, schema=self.output)
