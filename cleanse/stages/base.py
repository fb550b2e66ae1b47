"""The stage contract and the helpers every stage uses.

A **row stage** is a frozen dataclass called on one ``RecordBatch``: it returns the same
rows in the same order with the input columns kept, may rewrite ``text``, add the audit
columns it declares in ``columns`` and set ``removal_reason`` on rows to drop. It never
drops rows itself: stages mark, the pipeline routes.

A **corpus stage** needs the whole corpus first. It is three plain steps the engine
calls around a barrier it owns:

1. ``collect(batch) -> RecordBatch`` emits small keys per live row (no text);
2. ``aggregate(keys, workdir=...) -> Aggregate`` sees every key of the corpus;
3. ``aggregate.stage()`` is a row stage that applies the decision, batch by batch.

``Aggregate.outputs()`` returns side tables the engine writes (``duplicates``,
``boilerplate``), and ``Aggregate.summary()`` facts for ``run.json`` and the stats.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cleanse.schema import (
    DETAIL,
    REASON,
    REMOVED_LINE_TYPE,
    REMOVED_LINES,
    REMOVED_LINES_FIELD,
    TEXT,
)


@runtime_checkable
class Stage(Protocol):
    """A row stage: ``RecordBatch -> RecordBatch``, same rows, same order."""

    name: ClassVar[str]
    reasons: ClassVar[tuple[str, ...]]
    columns: ClassVar[tuple[pa.Field, ...]]
    counters: ClassVar[tuple[str, ...]]

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch: ...


class Aggregate(Protocol):
    """What a corpus stage learnt at its barrier."""

    def stage(self) -> Stage: ...

    def outputs(self) -> Mapping[str, pa.Table]: ...

    def summary(self) -> Mapping[str, Any]: ...


@runtime_checkable
class CorpusStage(Protocol):
    """A stage that needs the whole corpus: collect keys, aggregate them, apply."""

    name: ClassVar[str]
    reasons: ClassVar[tuple[str, ...]]
    columns: ClassVar[tuple[pa.Field, ...]]
    counters: ClassVar[tuple[str, ...]]

    def collect(self, batch: pa.RecordBatch) -> pa.RecordBatch: ...

    def aggregate(self, keys: Iterable[pa.RecordBatch], *, workdir: Path) -> Aggregate: ...


def is_corpus_stage(stage: object) -> bool:
    """Return True for a corpus stage (it has ``collect`` and ``aggregate``)."""
    return callable(getattr(stage, "collect", None)) and callable(getattr(stage, "aggregate", None))


def live_mask(batch: pa.RecordBatch) -> pa.BooleanArray:
    """Return True for rows no stage has marked for removal."""
    return pc.is_null(batch.column(REASON))


def set_column(batch: pa.RecordBatch, name: str, values: pa.Array) -> pa.RecordBatch:
    """Return `batch` with column `name` replaced (or appended) by `values`."""
    index = batch.schema.get_field_index(name)
    if index < 0:
        return batch.append_column(name, values)
    return batch.set_column(index, name, values)


def map_text(
    batch: pa.RecordBatch, fn: Callable[[str], str], *, live_only: bool = True
) -> pa.RecordBatch:
    """Apply a pure ``str -> str`` function to the text of every (live) row."""
    texts = batch.column(TEXT).to_pylist()
    if live_only:
        live = live_mask(batch).to_pylist()
        new = [fn(t) if ok and t is not None else t for t, ok in zip(texts, live, strict=True)]
    else:
        new = [fn(t) if t is not None else t for t in texts]
    return set_column(batch, TEXT, pa.array(new, type=pa.string()))


def nonblank_index(lines: Sequence[str]) -> list[int]:
    """Return, for each line, its position among the non-blank lines (-1 for blanks).

    >>> nonblank_index(["a", "", "b", "  ", "c"])
    [0, -1, 1, -1, 2]
    """
    out, seen = [], 0
    for line in lines:
        if line.strip():
            out.append(seen)
            seen += 1
        else:
            out.append(-1)
    return out


def add_removed_lines(
    batch: pa.RecordBatch,
    stage: str,
    rows: np.ndarray,
    index: np.ndarray,
    reasons: pa.Array,
    lines: pa.Array,
) -> pa.RecordBatch:
    """Append removed lines to their rows' spans: line k, ``lines[k]``, was row ``rows[k]``'s
    non-blank line ``index[k]`` and went for ``reasons[k]`` (``phrase``, ``template``...).

    `rows` ascending, a row's lines in the order to append. The stage name is stored
    beside each. Rows with nothing removed keep their spans as they were (null stays
    null). Built from the arrays with Arrow, no Python object per line.
    """
    n = batch.num_rows
    new = pa.StructArray.from_arrays(
        [
            pc.take(pa.array([stage], pa.string()), np.zeros(len(rows), np.int64)),
            reasons.cast(pa.string()),
            pa.array(np.asarray(index, np.int64), pa.int32()),
            lines.cast(pa.string()),
        ],
        fields=list(REMOVED_LINE_TYPE),
    )
    new_counts = np.bincount(np.asarray(rows, np.int64), minlength=n)
    at = batch.schema.get_field_index(REMOVED_LINES)
    if at < 0 or batch.column(at).null_count == n:  # no spans yet
        entries, counts, was_null = new, new_counts, np.ones(n, dtype=bool)
    else:
        current = batch.column(at)
        old = current.flatten()
        owners = np.concatenate([np.asarray(pc.list_parent_indices(current)), rows])
        # stable: a row's earlier spans first, then its new lines, each in their order
        entries = pa.concat_arrays([old, new]).take(np.argsort(owners, kind="stable"))
        counts = np.asarray(pc.list_value_length(current).fill_null(0)) + new_counts
        was_null = np.asarray(current.is_null())
    offsets = np.zeros(n + 1, np.int32)
    np.cumsum(counts, out=offsets[1:])
    merged = pa.ListArray.from_arrays(
        pa.array(offsets), entries, type=REMOVED_LINES_FIELD.type,
        mask=pa.array(was_null & (new_counts == 0)),
    )  # fmt: skip
    return set_column(batch, REMOVED_LINES, merged)


def mark_removed(
    batch: pa.RecordBatch,
    mask: pa.Array,
    reason: str,
    detail: pa.Array | None = None,
) -> pa.RecordBatch:
    """Set `reason` on rows where `mask` is true; never overwrite an earlier reason."""
    current = batch.column(REASON)
    mask = pc.fill_null(mask, False)
    new_mask = pc.and_(mask, pc.is_null(current))
    reasons = pc.if_else(new_mask, pa.scalar(reason, pa.string()), current)
    batch = set_column(batch, REASON, reasons)
    if detail is not None:
        details = pc.if_else(new_mask, detail.cast(pa.string()), batch.column(DETAIL))
        batch = set_column(batch, DETAIL, details)
    return batch
