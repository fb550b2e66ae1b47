"""Column names and the fixed schemas of every table cleanse writes.

A document is a row of an Arrow ``RecordBatch`` with at least the core columns
below. Readers add passthrough columns (Parquet columns as they are, JSONL's other
fields as one JSON object in ``meta``); stages add the audit columns they declare.
``removal_reason``/``removal_detail`` are internal: the pipeline turns them into the
``stage``/``reason``/``detail`` columns of ``rejects/`` and never writes them to
``clean/``.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

ID = "id"
TEXT = "text"
URL = "url"
DOMAIN = "domain"
META = "meta"
SOURCE = "source"
# "text/html" (extract_html turns it into text) or "text/plain"; set by every reader.
CONTENT_TYPE = "content_type"
# True on rows extract_html turned from HTML into text (null elsewhere); strip_boilerplate
# guards those pages against losing most of their text.
FROM_HTML = "from_html"
REASON = "removal_reason"
DETAIL = "removal_detail"

STAGE = "stage"
REJECT_REASON = "reason"
REJECT_DETAIL = "detail"

REMOVED_LINES = "removed_lines"
# One entry per line a stage removed from a kept document: which stage, why, the line,
# and its position among the non-blank lines of that stage's input. Stages only remove
# lines (and collapse blank runs), so the text before every stage can be rebuilt from
# the clean text by re-inserting lines in reverse stage order (the report does this).
REMOVED_LINE_TYPE = pa.struct(
    [
        pa.field("stage", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("index", pa.int32()),
        pa.field("line", pa.string()),
    ]
)
REMOVED_LINES_FIELD = pa.field(REMOVED_LINES, pa.list_(REMOVED_LINE_TYPE))

CORE_FIELDS: tuple[pa.Field, ...] = (
    pa.field(ID, pa.string(), nullable=False),
    pa.field(TEXT, pa.string()),
    pa.field(URL, pa.string()),
    pa.field(DOMAIN, pa.string()),
    pa.field(SOURCE, pa.string()),
    pa.field(CONTENT_TYPE, pa.string()),
)
INTERNAL_FIELDS: tuple[pa.Field, ...] = (
    pa.field(REASON, pa.string()),
    pa.field(DETAIL, pa.string()),
)

REJECT_SCHEMA = pa.schema(
    [
        pa.field(ID, pa.string(), nullable=False),
        pa.field(STAGE, pa.string(), nullable=False),
        pa.field(REJECT_REASON, pa.string(), nullable=False),
        pa.field(REJECT_DETAIL, pa.string()),
        pa.field(TEXT, pa.string()),
        pa.field(URL, pa.string()),
        pa.field(DOMAIN, pa.string()),
        pa.field(SOURCE, pa.string()),
    ]
)

DUPLICATE_SCHEMA = pa.schema(
    [
        pa.field("cluster_id", pa.string(), nullable=False),
        pa.field(ID, pa.string(), nullable=False),
        pa.field("kept_id", pa.string(), nullable=False),
        pa.field("similarity", pa.float32(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
    ]
)

BOILERPLATE_SCHEMA = pa.schema(
    [
        pa.field(DOMAIN, pa.string()),
        pa.field("line", pa.string(), nullable=False),
        pa.field("doc_count", pa.int64(), nullable=False),
        pa.field("removed_count", pa.int64(), nullable=False),
    ]
)


def document_schema(
    passthrough: Iterable[pa.Field] = (), audit: Iterable[pa.Field] = ()
) -> pa.Schema:
    """Return the schema of a pipeline batch: core, passthrough, audit, internal columns."""
    fields = list(CORE_FIELDS)
    names = {f.name for f in fields}
    for field in [*passthrough, *audit, *INTERNAL_FIELDS]:
        if field.name not in names:
            fields.append(field)
            names.add(field.name)
    return pa.schema(fields)


def conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """Cast `batch` to `schema`: reorder, add missing columns as nulls, drop extras."""
    columns = []
    for field in schema:
        index = batch.schema.get_field_index(field.name)
        if index < 0:
            columns.append(pa.nulls(batch.num_rows, field.type))
            continue
        column = batch.column(index)
        if not column.type.equals(field.type):
            column = column.cast(field.type)
        columns.append(column)
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def clean_schema(schema: pa.Schema) -> pa.Schema:
    """Return `schema` without the internal columns: what ``clean/`` holds."""
    internal = {f.name for f in INTERNAL_FIELDS}
    return pa.schema([f for f in schema if f.name not in internal])
