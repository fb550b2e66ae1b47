"""The row every reader yields before batching, and the ``read.*`` reasons it can carry."""

from __future__ import annotations

from typing import NamedTuple

STAGE = "read"
MALFORMED_JSON = "read.malformed_json"
INVALID_UTF8 = "read.invalid_utf8"
MISSING_TEXT = "read.missing_text"
EMPTY = "read.empty"
BINARY = "read.binary"
TRUNCATED = "read.truncated"
CORRUPT_FILE = "read.corrupt_file"
TOO_LARGE = "read.too_large"
BAD_RECORD = "read.bad_record"
REASONS = (
    MALFORMED_JSON,
    INVALID_UTF8,
    MISSING_TEXT,
    EMPTY,
    BINARY,
    TRUNCATED,
    CORRUPT_FILE,
    TOO_LARGE,
    BAD_RECORD,
)

PLAIN = "text/plain"
HTML = "text/html"


class Row(NamedTuple):
    """One input document as a reader found it; `reason` set when it cannot be used."""

    id: str
    text: str | None
    source: str
    where: str  # "<label> line 5", "<label>": the start of a detail message
    url: str | None = None
    meta: str | None = None
    reason: str | None = None
    detail: str | None = None
    content_type: str = PLAIN
