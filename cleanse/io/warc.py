"""Read WARC and WET files (warcio) into rows: HTML responses and WET text conversions.

========================  =================================================================
record                    becomes
========================  =================================================================
``response``, HTTP 2xx,   a text/html row: the payload (chunked and Content-Encoding
HTML Content-Type         undone by warcio) decoded with the header's charset, else the
                          page's own (`cleanse.io.html.decode_html`)
``conversion`` (WET)      a text/plain row: the extracted text, UTF-8
anything else             skipped: requests, metadata, warcinfo, revisits, images, PDFs,
                          redirects and errors are not documents (counted at DEBUG)
========================  =================================================================

The id is the ``WARC-Record-ID`` without its angle brackets, else ``<label>:<record
index>`` (records counted from 0 in file order); the url is ``WARC-Target-URI``.

Damage is quarantined, never raised: a record whose payload cannot be read (a broken
chunked or gzip body) is one ``read.bad_record`` row, a payload over
`cleanse.io.html.MAX_PAGE_BYTES` one ``read.too_large`` row, and a file that ends inside
a record or whose next record header is unreadable ends with one ``read.truncated`` row
(id ``<label>:<record index>``) after every intact record; a file with no readable WARC
record at all is one ``read.corrupt_file`` row (id ``<label>``).
"""

from __future__ import annotations

import logging
import os
import zlib
from collections import Counter
from collections.abc import Callable, Iterator

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord

from cleanse.io.html import MAX_PAGE_BYTES, decode_html, is_html_type, media_type
from cleanse.io.rows import BAD_RECORD, CORRUPT_FILE, HTML, PLAIN, TOO_LARGE, TRUNCATED, Row

logger = logging.getLogger(__name__)

# What warcio raises when a stream ends early or a header or body cannot be parsed.
_DAMAGE = (ArchiveLoadFailed, EOFError, OSError, ValueError, zlib.error)
# warcio quotes the bytes it could not parse; a detail keeps the start of that.
WHY_CHARS = 160


def warc_rows(path: str, label: str, note: Callable[[str, str], None]) -> Iterator[Row]:
    """Yield one row per HTML response or WET conversion record of a WARC file."""
    skipped: Counter[str] = Counter()
    index = -1
    with open(path, "rb") as handle:
        records = iter(ArchiveIterator(handle, arc2warc=True))
        while True:
            try:
                record = next(records, None)
            except _DAMAGE as err:
                if index < 0:
                    detail = f"{label}: not a WARC file ({_why(err)})"
                    yield Row(label, None, label, label, reason=CORRUPT_FILE, detail=detail)
                    return
                detail = f"{label}: WARC file is damaged after record {index} ({_why(err)})"
                yield Row(f"{label}:{index + 1}", "", label, label, reason=TRUNCATED, detail=detail)
                break
            if record is None:
                break
            index += 1
            kind = _document_kind(record)
            row: Row | None = None
            if kind is not None:
                try:
                    row = _record_row(record, index, label, kind)
                except _DAMAGE as err:
                    row = _bad_record(record, index, label, kind, err)
            missing = _bytes_missing(record)
            if missing:
                detail = f"{label}: WARC file ends inside record {index} ({missing})"
                yield Row(f"{label}:{index}", "", label, label, reason=TRUNCATED, detail=detail)
                break
            if row is None:
                skipped[_skip_cause(record)] += 1
                continue
            if row.reason is None and row.detail is not None:
                note("encoding", row.detail)
                row = row._replace(detail=None)
            yield row
    if index < 0 and os.path.getsize(path) > 0:
        detail = f"{label}: no WARC record found"
        yield Row(label, None, label, label, reason=CORRUPT_FILE, detail=detail)
    if skipped:
        logger.debug(
            "%s: skipped %d records (%s)",
            label,
            sum(skipped.values()),
            ", ".join(f"{cause} {count}" for cause, count in skipped.most_common()),
        )


def _bytes_missing(record: ArcWarcRecord) -> str | None:
    """Drain the record; say how it falls short of its Content-Length, or None if whole."""
    if record.rec_headers.get_header("Content-Length") is None:
        return "its header block is cut off"
    raw = record.raw_stream
    try:
        while raw.read(1 << 16):
            pass
    except _DAMAGE as err:
        return f"the compressed stream breaks: {_why(err)}"
    remaining = getattr(raw, "limit", 0)
    return f"{remaining} of {record.length} bytes missing" if remaining > 0 else None


def _bad_record(
    record: ArcWarcRecord, index: int, label: str, kind: str, err: BaseException
) -> Row:
    where = f"{label} record {index}"
    return Row(
        _record_id(record, label, index),
        "",
        label,
        where,
        url=record.rec_headers.get_header("WARC-Target-URI"),
        reason=BAD_RECORD,
        detail=f"{where}: payload cannot be read ({_why(err)})",
        content_type=HTML if kind == "response" else PLAIN,
    )


def _document_kind(record: ArcWarcRecord) -> str | None:
    if record.rec_type == "conversion":
        return "conversion"
    if record.rec_type != "response" or record.http_headers is None:
        return None
    status = record.http_headers.get_statuscode() or ""
    if not status.startswith("2"):
        return None
    return "response" if is_html_type(record.http_headers.get_header("Content-Type")) else None


def _skip_cause(record: ArcWarcRecord) -> str:
    if record.rec_type != "response" or record.http_headers is None:
        return str(record.rec_type)
    status = record.http_headers.get_statuscode() or "?"
    if not status.startswith("2"):
        return f"status {status}"
    return media_type(record.http_headers.get_header("Content-Type")) or "no content type"


def _record_id(record: ArcWarcRecord, label: str, index: int) -> str:
    record_id = record.rec_headers.get_header("WARC-Record-ID")
    return record_id.strip().strip("<>") if record_id else f"{label}:{index}"


def _record_row(record: ArcWarcRecord, index: int, label: str, kind: str) -> Row:
    doc_id = _record_id(record, label, index)
    url = record.rec_headers.get_header("WARC-Target-URI")
    where = f"{label} record {index}"
    content_type = HTML if kind == "response" else PLAIN
    data = record.content_stream().read(MAX_PAGE_BYTES + 1)
    if len(data) > MAX_PAGE_BYTES:
        detail = f"{where}: payload is larger than {MAX_PAGE_BYTES} bytes"
        return Row(
            doc_id,
            None,
            label,
            where,
            url,
            reason=TOO_LARGE,
            detail=detail,
            content_type=content_type,
        )
    if kind == "conversion":
        return Row(
            doc_id, data.decode("utf-8", errors="replace"), label, where, url, content_type=PLAIN
        )
    header = record.http_headers.get_header("Content-Type") if record.http_headers else None
    decoded = decode_html(data, header=header)
    # a guessed charset is not a reason to drop the page: the detail is only logged
    problem = None if decoded.problem is None else f"{where}: {decoded.problem}"
    return Row(doc_id, decoded.text, label, where, url, detail=problem, content_type=HTML)


def _why(err: BaseException) -> str:
    text = " ".join(str(err).split())
    if len(text) > WHY_CHARS:
        text = text[:WHY_CHARS] + "..."
    return f"{type(err).__name__}: {text}" if text else type(err).__name__
