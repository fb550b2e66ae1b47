"""Read a shard into batches of the document schema, quarantining what cannot be read.

Every input row comes out as exactly one output row. A row the reader cannot use keeps
an id and carries ``removal_reason``/``removal_detail``; the pipeline routes it to
``rejects/`` with stage ``read``, so input rows = clean + rejects holds from the start.

======================  ===================================================================
reason                  when
======================  ===================================================================
``read.malformed_json``  a JSONL line is not JSON, or not an object (text: the raw line)
``read.invalid_utf8``    a JSONL line has bytes that are not UTF-8 (text: decoded with U+FFFD)
``read.missing_text``    a record has no text field, or a non-string one (text: the raw line);
                         a Parquet row whose text is null
``read.empty``           the text is empty or whitespace only; a 0-byte .txt file
``read.binary``          a .txt file that is not text (NUL bytes without a UTF-16/32 mark,
                         or no encoding fits)
``read.truncated``       a .gz/.zst stream ends early or is corrupt: one row after the last
                         intact line, id ``<label>:<next line>``, empty text
``read.corrupt_file``    a Parquet file cannot be opened (id ``<label>``) or read on
                         (id ``<label>:<next row>``)
======================  ===================================================================

Rows that are kept have their NUL characters removed; a .txt file that is not UTF-8 is
decoded with the guessed encoding. Each kind of problem is logged once per shard, as a
WARNING with its first example.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import closing
from itertools import accumulate
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cleanse.io.decoding import decode_document
from cleanse.io.html import html_rows, normalize_content_type
from cleanse.io.records import BadLine, Record, json_type, parse_record
from cleanse.io.rows import (
    BAD_RECORD,
    BINARY,
    CORRUPT_FILE,
    EMPTY,
    INVALID_UTF8,
    MALFORMED_JSON,
    MISSING_TEXT,
    REASONS,
    STAGE,
    TOO_LARGE,
    TRUNCATED,
)
from cleanse.io.rows import Row as _Row
from cleanse.io.shards import OWN_COLUMNS, ColumnMapping, InputPlan, Shard, plan_inputs
from cleanse.io.streams import StreamDamaged, iter_lines
from cleanse.schema import (
    CONTENT_TYPE,
    DETAIL,
    DOMAIN,
    ID,
    META,
    REASON,
    SOURCE,
    TEXT,
    URL,
    conform,
)

__all__ = [
    "BAD_RECORD",
    "BINARY",
    "CORRUPT_FILE",
    "EMPTY",
    "INVALID_UTF8",
    "MALFORMED_JSON",
    "MISSING_TEXT",
    "REASONS",
    "STAGE",
    "TOO_LARGE",
    "TRUNCATED",
    "ColumnMapping",
    "InputPlan",
    "Shard",
    "domain_of",
    "plan_inputs",
    "read_shard",
]

logger = logging.getLogger(__name__)

_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
_MISSING = object()


def read_shard(
    shard: Shard, mapping: ColumnMapping, schema: pa.Schema, *, batch_size: int = 1000
) -> Iterator[pa.RecordBatch]:
    """Yield the rows of `shard` as batches conforming to `schema`.

    Args:
        shard: What to read, from `plan_inputs`.
        mapping: The same column mapping the plan was made with.
        schema: The batch schema, usually ``plan.schema()`` (plus audit columns).
        batch_size: Rows per batch. 1000 (default) keeps a batch of web pages at a few
            MB; ids never depend on it.
    """
    if batch_size < 1:
        msg = f"batch_size must be >= 1 (got {batch_size})"
        raise ValueError(msg)
    problems = _Problems()
    if shard.format == "parquet":
        yield from _parquet_batches(shard, mapping, schema, batch_size, problems)
        return
    if shard.format == "jsonl":
        rows = _jsonl_rows(shard.paths[0], shard.labels[0], mapping, problems)
    elif shard.format == "txt":
        rows = _txt_rows(shard.paths, shard.labels, problems)
    elif shard.format == "html":
        rows = html_rows(shard.paths, shard.labels, problems.note)
    elif shard.format == "warc":
        # warcio (and the fsspec it imports) load only when a WARC file is read: ~45 ms
        # off every process start, the CLI's and the workers'.
        from cleanse.io.warc import warc_rows

        rows = warc_rows(shard.paths[0], shard.labels[0], problems.note)
    else:
        msg = (
            f'shard {shard.index} has format "{shard.format}"; '
            "expected txt, html, warc, jsonl or parquet"
        )
        raise ValueError(msg)
    yield from _batched(rows, schema, batch_size, problems)


def domain_of(url: str | None) -> str | None:
    """Return the lowercase host of `url` without a leading ``www.``; None if there is none.

    >>> domain_of("https://WWW.Example.com:8080/a?b=1")
    'example.com'
    >>> domain_of("16thfleet.wikidot.com/chatter:anewhome")
    '16thfleet.wikidot.com'
    >>> domain_of("not a url") is None
    True
    """
    if not url:
        return None
    try:
        host = urlsplit(url if "//" in url else f"//{url}").hostname
    except ValueError:
        return None
    if not host or any(char.isspace() for char in host):
        return None
    host = host.rstrip(".")
    return host.removeprefix("www.") or None


class _Problems:
    """Log each kind of problem once per shard, as a WARNING with its first example."""

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def note(self, cause: str, example: str) -> None:
        if cause in self._seen:
            return
        self._seen.add(cause)
        logger.warning("%s: %s (later ones in this shard are not logged)", cause, example)


def _txt_rows(paths: Iterable[str], labels: Iterable[str], problems: _Problems) -> Iterator[_Row]:
    for path, label in zip(paths, labels, strict=True):
        with open(path, "rb") as handle:
            data = handle.read()
        if not data:
            yield _Row(label, "", label, label, reason=EMPTY, detail=f"{label}: file is empty")
            continue
        decoded = decode_document(data)
        if decoded.text is None:
            detail = f"{label}: not text: {decoded.problem}"
            yield _Row(label, None, label, label, reason=BINARY, detail=detail)
            continue
        if decoded.problem is not None:
            problems.note("encoding", f"{label}: {decoded.problem}; decoded as {decoded.encoding}")
        yield _Row(label, decoded.text, label, label)


def _jsonl_rows(
    path: str, label: str, mapping: ColumnMapping, problems: _Problems
) -> Iterator[_Row]:
    number = 0
    try:
        with closing(iter_lines(path)) as lines:
            for number, raw in enumerate(lines, start=1):
                if not raw.strip():
                    continue
                value = parse_record(raw)
                where = f"{label} line {number}"
                if isinstance(value, BadLine):
                    reason = INVALID_UTF8 if value.kind == "invalid_utf8" else MALFORMED_JSON
                    detail = f"{where}: {value.why}"
                    yield _Row(
                        f"{label}:{number}", value.text, label, where, None, None, reason, detail
                    )
                    continue
                yield _record_row(value, raw, f"{label}:{number}", label, where, mapping, problems)
    except StreamDamaged as err:
        detail = f"{label}: compressed stream is {err.kind} after line {number} ({err.cause})"
        yield _Row(f"{label}:{number + 1}", "", label, label, reason=TRUNCATED, detail=detail)


def _record_row(
    record: Record,
    raw: bytes,
    assigned: str,
    label: str,
    where: str,
    mapping: ColumnMapping,
    problems: _Problems,
) -> _Row:
    # Escapes such as "\ud800" parse into lone surrogates, which UTF-8 cannot hold.
    surrogates = b"\\ud" in raw or b"\\uD" in raw
    id_key = mapping.id_column or ID
    id_value = record.pop(id_key, None)
    if id_value is None:
        doc_id = assigned
        if mapping.id_column is not None:
            problems.note("missing_id", f'{where}: no "{id_key}" value; assigned id {assigned}')
    else:
        doc_id = id_value if isinstance(id_value, str) else json.dumps(id_value)
    url_key = mapping.url_column or URL
    url = record.get(url_key)
    if isinstance(url, str) or url is None:
        record.pop(url_key, None)
    else:
        url = None  # not a URL: it stays in meta
    content_type = record.get(CONTENT_TYPE)
    if isinstance(content_type, str) or content_type is None:
        record.pop(CONTENT_TYPE, None)
        content_type = normalize_content_type(content_type)
    else:
        content_type = normalize_content_type(None)  # not a media type: it stays in meta
    text = record.pop(mapping.text_column, _MISSING)
    meta = json.dumps(record, ensure_ascii=surrogates, separators=(",", ":"))
    if not isinstance(text, str):
        column = mapping.text_column
        why = f'no "{column}" field' if text is _MISSING else f'"{column}" is {json_type(text)}'
        line = raw.decode("utf-8").removeprefix("\N{BYTE ORDER MARK}")
        return _Row(
            doc_id, line, label, where, url, meta, MISSING_TEXT, f"{where}: {why}", content_type
        )
    if surrogates:
        replaced = [
            _LONE_SURROGATE.subn("\N{REPLACEMENT CHARACTER}", s or "") for s in (text, doc_id, url)
        ]
        if any(count for _, count in replaced):
            problems.note("surrogates", f"{where}: lone surrogate escapes replaced by U+FFFD")
            text, doc_id = replaced[0][0], replaced[1][0]
            url = replaced[2][0] if url is not None else None
    return _Row(doc_id, text, label, where, url, meta, content_type=content_type)


def _checked(row: _Row, problems: _Problems) -> _Row:
    """Remove NUL characters from a kept row and mark it when no text is left."""
    if row.reason is not None:
        problems.note(row.reason, str(row.detail))
        return row
    text = str(row.text)
    if "\N{NULL}" in text:
        text = text.replace("\N{NULL}", "")
        problems.note("nul", f"{row.where}: NUL characters removed")
    if text.strip():
        return row._replace(text=text)
    found = "text is empty" if not text else "text is whitespace only"
    problems.note(EMPTY, f"{row.where}: {found}")
    return row._replace(text=text, reason=EMPTY, detail=f"{row.where}: {found}")


def _batched(
    rows: Iterable[_Row], schema: pa.Schema, batch_size: int, problems: _Problems
) -> Iterator[pa.RecordBatch]:
    buffer: list[_Row] = []
    for row in rows:
        buffer.append(_checked(row, problems))
        if len(buffer) >= batch_size:
            yield _rows_to_batch(buffer, schema)
            buffer = []
    if buffer:
        yield _rows_to_batch(buffer, schema)


def _rows_to_batch(rows: list[_Row], schema: pa.Schema) -> pa.RecordBatch:
    urls = [row.url for row in rows]
    columns = {
        ID: [row.id for row in rows],
        TEXT: [row.text for row in rows],
        URL: urls,
        DOMAIN: [domain_of(url) for url in urls],
        SOURCE: [row.source for row in rows],
        META: [row.meta for row in rows],
        CONTENT_TYPE: [row.content_type for row in rows],
        REASON: [row.reason for row in rows],
        DETAIL: [row.detail for row in rows],
    }
    arrays = [pa.array(values, pa.string()) for values in columns.values()]
    return conform(pa.RecordBatch.from_arrays(arrays, names=list(columns)), schema)


def _parquet_batches(
    shard: Shard,
    mapping: ColumnMapping,
    schema: pa.Schema,
    batch_size: int,
    problems: _Problems,
) -> Iterator[pa.RecordBatch]:
    path, label = shard.paths[0], shard.labels[0]
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as err:
        whole = label if shard.row_groups is None else f"{label}@{shard.row_groups[0]}"
        detail = f"{label}: cannot open as Parquet ({err})"
        row = _Row(whole, None, label, label, reason=CORRUPT_FILE, detail=detail)
        yield from _batched([row], schema, 1, problems)
        return
    with parquet:
        metadata = parquet.metadata
        starts = [
            0,
            *accumulate(metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)),
        ]
        mapped = {
            mapping.text_column,
            mapping.id_column or ID,
            mapping.url_column or URL,
            CONTENT_TYPE,
        }
        wanted = [
            name
            for name in parquet.schema_arrow.names
            if name in mapped or (name in schema.names and name not in OWN_COLUMNS)
        ]
        groups = (
            shard.row_groups if shard.row_groups is not None else range(metadata.num_row_groups)
        )
        for group in groups:
            first_row = starts[group]
            batches = parquet.iter_batches(
                batch_size=batch_size, row_groups=[group], columns=wanted
            )
            while True:
                try:
                    batch = next(batches, None)
                except (pa.ArrowException, OSError) as err:
                    detail = f"{label} row {first_row}: cannot read row group {group} ({err})"
                    row = _Row(
                        f"{label}:{first_row}", None, label, label, None, None, CORRUPT_FILE, detail
                    )
                    yield from _batched([row], schema, 1, problems)
                    return
                if batch is None:
                    break
                yield _parquet_batch(batch, first_row, label, mapping, schema, problems)
                first_row += batch.num_rows


def _parquet_batch(
    batch: pa.RecordBatch,
    first_row: int,
    label: str,
    mapping: ColumnMapping,
    schema: pa.Schema,
    problems: _Problems,
) -> pa.RecordBatch:
    size = batch.num_rows
    names = batch.schema.names

    def column(name: str) -> pa.Array:
        if name in names:
            return batch.column(name).cast(pa.string())
        return pa.nulls(size, pa.string())

    def assigned() -> pa.Array:
        return pa.array([f"{label}:{first_row + i}" for i in range(size)], pa.string())

    text = column(mapping.text_column)
    ids = column(mapping.id_column or ID)
    ids = (
        assigned()
        if ids.null_count == size
        else pc.coalesce(ids, assigned())
        if ids.null_count
        else ids
    )
    urls = column(mapping.url_column or URL)
    domains = pa.array([domain_of(url) for url in urls.to_pylist()], pa.string())
    if pc.any(pc.match_substring(text, "\N{NULL}")).as_py():
        text = pc.replace_substring(text, "\N{NULL}", "")
        problems.note("nul", f"{label}: NUL characters removed")
    reasons: list[str | None] = [None] * size
    details: list[str | None] = [None] * size
    empty = pc.equal(pc.utf8_trim_whitespace(text), "")
    if text.null_count or pc.any(empty).as_py():
        for i, (value, is_empty) in enumerate(
            zip(text.to_pylist(), empty.to_pylist(), strict=True)
        ):
            where = f"{label} row {first_row + i}"
            if value is None:
                found = (
                    f'"{mapping.text_column}" is null'
                    if mapping.text_column in names
                    else f'no "{mapping.text_column}" column'
                )
                reasons[i], details[i] = MISSING_TEXT, f"{where}: {found}"
            elif is_empty:
                found = "text is empty" if not value else "text is whitespace only"
                reasons[i], details[i] = EMPTY, f"{where}: {found}"
            else:
                continue
            problems.note(str(reasons[i]), str(details[i]))
    core = {
        ID: ids,
        TEXT: text,
        URL: urls,
        DOMAIN: domains,
        SOURCE: pa.array([label] * size, pa.string()),
        CONTENT_TYPE: pa.array(
            [normalize_content_type(v) for v in column(CONTENT_TYPE).to_pylist()], pa.string()
        ),
        REASON: pa.array(reasons, pa.string()),
        DETAIL: pa.array(details, pa.string()),
    }
    extra = [
        name
        for name in names
        if name in schema.names and name not in core and name not in OWN_COLUMNS
    ]
    arrays = [*core.values(), *(batch.column(name) for name in extra)]
    return conform(pa.RecordBatch.from_arrays(arrays, names=[*core, *extra]), schema)
