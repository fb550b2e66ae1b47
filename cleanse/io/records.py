"""Parse one JSONL line into a record, and describe records in error messages."""

from __future__ import annotations

import codecs
import json
from contextlib import closing
from dataclasses import dataclass
from typing import Literal

from cleanse.io.streams import StreamDamaged, iter_lines

Record = dict[str, object]

# Field names that usually hold the document text, tried first when a hint suggests one.
TEXT_FIELD_NAMES = ("text", "content", "body", "raw_content", "document", "article", "contents")
# A plan peeks at most this many lines for a first parseable record.
PEEK_LINES = 1000
MAX_LISTED_FIELDS = 20


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line that is not a JSON object: what kind of problem, the line as text, and why."""

    kind: Literal["invalid_utf8", "malformed_json"]
    text: str
    why: str


def parse_record(raw: bytes) -> Record | BadLine:
    """Return the JSON object on a line, or a `BadLine` saying what is wrong with it.

    >>> parse_record(b'{"text": "hi"}')
    {'text': 'hi'}
    >>> parse_record(b'{"text" "hi"}').why
    "Expecting ':' delimiter: line 1 column 9"
    >>> parse_record(b'{"text": "\\xff"}').why
    'invalid UTF-8 (byte 0xff at offset 10 of the line)'
    """
    raw = raw.removeprefix(codecs.BOM_UTF8)
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        why = f"invalid UTF-8 (byte 0x{raw[err.start]:02x} at offset {err.start} of the line)"
        return BadLine("invalid_utf8", raw.decode("utf-8", errors="replace"), why)
    try:
        value = json.loads(line)
    except json.JSONDecodeError as err:
        return BadLine("malformed_json", line, f"{err.msg}: line {err.lineno} column {err.colno}")
    except RecursionError:
        return BadLine("malformed_json", line, "nested too deeply to parse")
    if not isinstance(value, dict):
        return BadLine("malformed_json", line, f"expected a JSON object, found {json_type(value)}")
    return value


def peek_record(path: str) -> tuple[int, Record] | None:
    """Return the first parseable record of a JSONL file and its 1-based line number.

    None when the first `PEEK_LINES` lines hold none, or the stream breaks first: the
    reader then accounts for those lines row by row.
    """
    try:
        with closing(iter_lines(path)) as lines:
            for number, raw in enumerate(lines, start=1):
                if number > PEEK_LINES:
                    return None
                if not raw.strip():
                    continue
                value = parse_record(raw)
                if not isinstance(value, BadLine):
                    return number, value
    except StreamDamaged:
        return None
    return None


def json_type(value: object) -> str:
    """Name the JSON type of a parsed value, with its article.

    >>> json_type(None), json_type(3), json_type([1])
    ('null', 'a number', 'an array')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def present_fields(names: list[str] | Record) -> str:
    """List field names for a message, quoted, in input order.

    >>> present_fields({"body": "x", "url": "y"})
    '"body", "url"'
    """
    keys = list(names)
    listed = ", ".join(f'"{key}"' for key in keys[:MAX_LISTED_FIELDS])
    if len(keys) > MAX_LISTED_FIELDS:
        listed += f", ... ({len(keys)} in all)"
    return listed


def text_hint(candidates: Record, column: str) -> str:
    """Suggest a text field: a usual text name if present, else the longest string value.

    >>> text_hint({"url": "http://a.b/", "body": "Some text"}, "text")
    'set input.text_column = "body" in the config, or --set input.text_column=body'
    """
    strings = {key: value for key, value in candidates.items() if isinstance(value, str)}
    strings.pop(column, None)
    usual = [name for name in TEXT_FIELD_NAMES if name in strings]
    longest = sorted(strings, key=lambda key: -len(str(strings[key])))
    if not usual and not longest:
        return "set input.text_column to the field that holds the document text"
    name = (usual or longest)[0]
    return f'set input.text_column = "{name}" in the config, or --set input.text_column={name}'
