"""Apply row stages to a batch, route marked rows aside and count everything.

Stages mark, the pipeline routes: after each stage the rows it marked leave the live
batch and become reject rows (``stage``, ``reason``, ``detail``, the text as it was),
so later stages see only live rows and every removed row says who removed it and why.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from cleanse.schema import (
    DETAIL,
    DOMAIN,
    ID,
    REASON,
    REJECT_SCHEMA,
    SOURCE,
    TEXT,
    URL,
    conform,
)
from cleanse.stages.base import Stage, mark_removed
from cleanse.stats import RunStats, StageStats

logger = logging.getLogger(__name__)

READ_STAGE = "read"


def text_chars(batch: pa.RecordBatch) -> int:
    """Return the number of characters of text in `batch` (nulls count 0)."""
    if batch.num_rows == 0:
        return 0
    total = pc.sum(pc.utf8_length(batch.column(TEXT))).as_py()
    return int(total or 0)


def to_rejects(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Turn marked rows of a pipeline batch into rows of ``REJECT_SCHEMA``."""
    reasons = batch.column(REASON)
    # a reason is "<stage>.<what>": the stage is everything before the first dot
    stages = pc.replace_substring_regex(reasons, pattern=r"\..*$", replacement="")
    columns = {
        ID: batch.column(ID),
        "stage": stages,
        "reason": reasons,
        "detail": batch.column(DETAIL),
        TEXT: batch.column(TEXT),
        URL: batch.column(URL),
        DOMAIN: batch.column(DOMAIN),
        SOURCE: batch.column(SOURCE),
    }
    arrays = [columns[f.name].cast(f.type) for f in REJECT_SCHEMA]
    return pa.RecordBatch.from_arrays(arrays, schema=REJECT_SCHEMA)


def split_marked(
    batch: pa.RecordBatch, before: pa.RecordBatch | None = None
) -> tuple[pa.RecordBatch, pa.RecordBatch | None]:
    """Split `batch` into (live rows, reject rows or None when nothing was marked).

    Reject rows keep the text as it was in `before` (the stage's input), so a document
    a stage emptied and then rejected is kept whole in ``rejects/``.
    """
    marked = pc.is_valid(batch.column(REASON))
    if not pc.any(marked).as_py():
        return batch, None
    live = batch.filter(pc.invert(marked))
    rejected = batch.filter(marked)
    if before is not None:
        text = before.column(TEXT).filter(marked)
        rejected = rejected.set_column(rejected.schema.get_field_index(TEXT), TEXT, text)
    return live, to_rejects(rejected)


def route_read(
    batch: pa.RecordBatch, stats: RunStats
) -> tuple[pa.RecordBatch, list[pa.RecordBatch]]:
    """Count a freshly read batch and route rows the reader quarantined."""
    live, rejected = split_marked(batch)
    read = StageStats(rows_in=batch.num_rows, rows_out=live.num_rows)
    read.chars_in = text_chars(batch)
    read.chars_out = text_chars(live)
    if rejected is not None:
        read.removed = Counter(rejected.column("reason").to_pylist())
    stats.add(READ_STAGE, read)
    return live, [] if rejected is None else [rejected]


def error_reason(stage: Stage) -> str:
    """Return the reason given to rows a stage failed on: ``<stage>.error``."""
    return f"{stage.name}.error"


def run_isolated(stage: Stage, batch: pa.RecordBatch) -> pa.RecordBatch:
    """Run `stage` on `batch`; if it raises, rerun row by row and quarantine failing rows.

    One pathological document must not stop a crawl-sized run: the rows the stage
    raises on are marked ``<stage>.error`` with the exception in their detail (and
    logged once per stage with the traceback), every other row gets the normal result.
    """
    try:
        return stage(batch)
    except Exception:
        logger.warning("%s raised on a batch; retrying row by row", stage.name, exc_info=True)
    rows = []
    for i in range(batch.num_rows):
        row = batch.slice(i, 1)
        try:
            rows.append(conform(stage(row), row_schema(stage, batch.schema)))
        except Exception as err:
            detail = pa.array([f"{type(err).__name__}: {err}"[:500]], pa.string())
            failed = mark_removed(row, pa.array([True]), error_reason(stage), detail)
            rows.append(conform(failed, row_schema(stage, batch.schema)))
    return pa.Table.from_batches(rows).combine_chunks().to_batches()[0]


def row_schema(stage: Stage, schema: pa.Schema) -> pa.Schema:
    """Return the schema of `stage`'s output: the input plus the columns it declares."""
    names = set(schema.names)
    return pa.schema([*schema, *(f for f in stage.columns if f.name not in names)])


def apply_stage(
    stage: Stage, batch: pa.RecordBatch, stats: RunStats
) -> tuple[pa.RecordBatch, pa.RecordBatch | None]:
    """Run one row stage on live rows; return (live rows, rejects) and add its stats."""
    started = time.perf_counter()
    marked = run_isolated(stage, batch)
    live, rejected = split_marked(marked, before=batch)
    stage_stats = StageStats(
        rows_in=batch.num_rows,
        rows_out=live.num_rows,
        chars_in=text_chars(batch),
        chars_out=text_chars(live),
    )
    if rejected is not None:
        stage_stats.removed = Counter(rejected.column("reason").to_pylist())
    for counter in stage.counters:
        if marked.num_rows:
            value = pc.sum(marked.column(counter)).as_py()
            stage_stats.counters[counter] = int(value or 0)
    stage_stats.seconds = time.perf_counter() - started
    stats.add(stage.name, stage_stats)
    return live, rejected


def apply_stages(
    stages: Sequence[Stage], batch: pa.RecordBatch, stats: RunStats
) -> tuple[pa.RecordBatch, list[pa.RecordBatch]]:
    """Run `stages` in order on `batch`; return live rows and every reject batch."""
    rejects: list[pa.RecordBatch] = []
    for stage in stages:
        if batch.num_rows == 0:
            # still register the stage so stats list every stage of the pipeline
            stats.add(stage.name, StageStats())
            continue
        batch, rejected = apply_stage(stage, batch, stats)
        if rejected is not None:
            rejects.append(rejected)
    return batch, rejects
