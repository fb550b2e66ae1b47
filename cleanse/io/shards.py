"""Check input files cheaply against the column mapping and cut them into shards.

Files come from `cleanse.io.discovery`, sorted by label; shards are sorted by label too,
so the plan never depends on the order of a directory listing.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.parquet as pq
import xxhash

from cleanse.errors import InputError
from cleanse.io.discovery import SUFFIXES, Input, find_inputs
from cleanse.io.records import peek_record, present_fields, text_hint
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
    document_schema,
)

logger = logging.getLogger(__name__)

# One .txt or .html shard holds at most this many files, so a folder of tiny files still
# spreads over workers.
MAX_TXT_FILES_PER_SHARD = 1000
# Formats read one document per file, grouped into shards of many files.
FILE_PER_DOCUMENT = ("txt", "html")
FINGERPRINT_BYTES = 1 << 20
# Columns cleanse writes itself: an input column of the same name cannot pass through.
OWN_COLUMNS = frozenset({ID, TEXT, URL, DOMAIN, SOURCE, CONTENT_TYPE, REASON, DETAIL})
STRING_TYPES = (pa.string(), pa.large_string())

Fingerprint = dict[str, str | int]


@dataclass(frozen=True, slots=True, kw_only=True)
class ColumnMapping:
    """Which input fields hold the text, id and url (the config's ``[input]`` table).

    Args:
        text_column: Field or column with the document text. "text" (default) is what
            dolma, RedPajama and most Hugging Face datasets use.
        id_column: Field with a document id, cast to string. None (default) uses "id"
            when a record has it, else assigns ``<label>:<line>`` (JSONL),
            ``<label>:<row>`` (Parquet) or ``<label>`` (.txt, .html); WARC records keep
            their ``WARC-Record-ID``.
        url_column: Field with the page URL, from which ``domain`` is derived. None
            (default) uses "url" when present.
        format: "auto" (default) picks by extension; another value reads files named
            directly or by a glob as that format whatever their extension.

    A JSONL field or Parquet column ``content_type`` (a media type such as "text/html")
    marks rows whose text is HTML for ``extract_html``; without it rows are text/plain.
    """

    text_column: str = "text"
    id_column: str | None = None
    url_column: str | None = None
    format: Literal["auto", "txt", "html", "warc", "jsonl", "parquet"] = "auto"

    def __post_init__(self) -> None:
        if not self.text_column:
            msg = "text_column must not be empty"
            raise ValueError(msg)
        if self.format not in ("auto", *SUFFIXES):
            choices = ", ".join(f'"{name}"' for name in ("auto", *SUFFIXES))
            msg = f'format must be one of {choices} (got "{self.format}")'
            raise ValueError(msg)


@dataclass(frozen=True, slots=True)
class Shard:
    """One unit of work: a JSONL or WARC file, a Parquet file (or some of its row groups), or
    several .txt or .html files.

    Attributes:
        index: Position in the plan (shards are sorted by label).
        format: "txt", "html", "warc", "jsonl" or "parquet".
        paths: Absolute paths; several .txt (or .html) files may form one shard.
        labels: Display names of `paths`, used in ids and messages.
        row_groups: The Parquet row groups to read (consecutive); None reads them all.
        size: Bytes on disk (compressed, for Parquet row groups): how much work it is,
            roughly. The local engine starts the largest shards first.
    """

    index: int
    format: str
    paths: tuple[str, ...]
    labels: tuple[str, ...]
    row_groups: tuple[int, ...] | None = None
    size: int = 0


#: A shard before it is numbered: format, paths, labels, row groups, size.
_Piece = tuple[str, tuple[str, ...], tuple[str, ...], tuple[int, ...] | None, int]


@dataclass(frozen=True)
class InputPlan:
    """The shards to read, the passthrough columns they carry and what the inputs were."""

    shards: tuple[Shard, ...]
    passthrough: tuple[pa.Field, ...]
    fingerprints: tuple[Fingerprint, ...]

    def schema(self) -> pa.Schema:
        """Return the batch schema every shard conforms to."""
        return document_schema(self.passthrough)


def plan_inputs(
    paths: Sequence[str | Path], mapping: ColumnMapping, *, target_shard_bytes: int = 64 << 20
) -> InputPlan:
    """Find the input files under `paths`, check them against `mapping` and shard them.

    Args:
        paths: Files, folders (read recursively) or glob patterns.
        mapping: Which fields hold text, id and url, and the input format.
        target_shard_bytes: .txt files are grouped, and large Parquet files split by row
            groups, into shards of about this size. 64 MiB (default) keeps a shard's
            batches in memory a few times over on a small machine.

    Raises:
        InputError: a path is missing or matches nothing, a file's format is unknown,
            or the first record (JSONL) or the schema (Parquet) lacks the mapped fields.
    """
    if target_shard_bytes < 1:
        msg = f"target_shard_bytes must be >= 1 (got {target_shard_bytes})"
        raise ValueError(msg)
    inputs = find_inputs(paths, mapping.format)
    fingerprints = tuple(fingerprint(item) for item in inputs)
    passthrough = Passthrough()
    pieces: list[_Piece] = []
    groups: dict[str, list[Input]] = {name: [] for name in FILE_PER_DOCUMENT}
    group_bytes = dict.fromkeys(FILE_PER_DOCUMENT, 0)
    for item, print_ in zip(inputs, fingerprints, strict=True):
        size = int(print_["size"])
        if item.format in groups:
            group = groups[item.format]
            if group and (
                group_bytes[item.format] + size > target_shard_bytes
                or len(group) >= MAX_TXT_FILES_PER_SHARD
            ):
                pieces.append(_file_piece(item.format, group, group_bytes[item.format]))
                groups[item.format], group_bytes[item.format] = [], 0
            groups[item.format].append(item)
            group_bytes[item.format] += size
        elif item.format == "warc":
            pieces.append(("warc", (item.path,), (item.label,), None, size))
        elif item.format == "jsonl":
            check_jsonl(item, mapping)
            passthrough.add((pa.field(META, pa.string()),), item.label)
            pieces.append(("jsonl", (item.path,), (item.label,), None, size))
        else:
            row_groups = check_parquet(item, mapping, passthrough)
            for subset, subset_bytes in _split_row_groups(row_groups, size, target_shard_bytes):
                pieces.append(("parquet", (item.path,), (item.label,), subset, subset_bytes))
    for format_, group in groups.items():
        if group:
            pieces.append(_file_piece(format_, group, group_bytes[format_]))
    pieces.sort(key=lambda piece: (piece[2][0], piece[3] or ()))
    shards = tuple(Shard(index, *piece) for index, piece in enumerate(pieces))
    counts = {name: sum(item.format == name for item in inputs) for name in SUFFIXES}
    logger.debug(
        "planned %d shards from %d files (%s)",
        len(shards),
        len(inputs),
        ", ".join(f"{count} {name}" for name, count in counts.items()),
    )
    return InputPlan(shards, passthrough.fields(), fingerprints)


def fingerprint(item: Input) -> Fingerprint:
    """Return label, size, mtime_ns and the xxh64 of the first and last MiB of a file."""
    digest = xxhash.xxh64()
    try:
        stat = os.stat(item.path)
        with open(item.path, "rb") as handle:
            digest.update(handle.read(FINGERPRINT_BYTES))
            if stat.st_size > 2 * FINGERPRINT_BYTES:
                handle.seek(-FINGERPRINT_BYTES, os.SEEK_END)
            digest.update(handle.read(FINGERPRINT_BYTES))
    except OSError as err:
        msg = f"input error: {item.label}: cannot read {item.path} ({err.strerror})"
        raise InputError(msg) from err
    return {
        "label": item.label,
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "xxh64": digest.hexdigest(),
    }


def _file_piece(format_: str, group: list[Input], size: int) -> _Piece:
    paths, labels = tuple(item.path for item in group), tuple(item.label for item in group)
    return (format_, paths, labels, None, size)


def check_jsonl(item: Input, mapping: ColumnMapping) -> None:
    """Raise InputError when the first record of a JSONL file lacks the mapped fields."""
    peeked = peek_record(item.path)
    if peeked is None:
        return
    line, record = peeked
    where = f"{item.label} line {line}"
    present = present_fields(record)
    text = record.get(mapping.text_column)
    if mapping.text_column not in record or not isinstance(text, str | None):
        found = (
            f'no "{mapping.text_column}" field'
            if mapping.text_column not in record
            else f'"{mapping.text_column}" is not a string'
        )
        msg = f"input error: {where}: {found}; present: {present}"
        raise InputError(f"{msg}\n  hint: {text_hint(record, mapping.text_column)}")
    for key, column in (("id_column", mapping.id_column), ("url_column", mapping.url_column)):
        if column is not None and column not in record:
            msg = f'input error: {where}: no "{column}" field (input.{key}); present: {present}'
            hint = f"set input.{key} to one of the present fields, or leave it unset"
            raise InputError(f"{msg}\n  hint: {hint}")


def check_parquet(
    item: Input, mapping: ColumnMapping, passthrough: Passthrough
) -> list[tuple[int, int]] | None:
    """Check a Parquet file's schema against `mapping` and add its passthrough columns.

    Returns (rows, compressed bytes) per row group, None when the file cannot be opened
    (the reader quarantines it). Raises InputError when the mapped columns are missing
    or of the wrong type.
    """
    try:
        with pq.ParquetFile(item.path) as parquet:
            schema = parquet.schema_arrow
            metadata = parquet.metadata
    except (pa.ArrowException, OSError) as err:
        logger.warning(
            "%s: cannot open as Parquet (%s); it will be quarantined as read.corrupt_file",
            item.label,
            err,
        )
        return None
    names = ", ".join(f'"{name}"' for name in schema.names)
    column = mapping.text_column
    if column not in schema.names:
        msg = f'input error: {item.label}: no "{column}" column; present: {names}'
        strings = {f.name: "" for f in schema if f.type in STRING_TYPES}
        hint = text_hint(strings, column)
        raise InputError(f"{msg}\n  hint: {hint}")
    if schema.field(column).type not in STRING_TYPES:
        found = schema.field(column).type
        msg = f'input error: {item.label}: column "{column}" is {found}, not a string'
        hint = "set input.text_column to a string column"
        raise InputError(f"{msg}\n  hint: {hint}")
    for key, name in (("id_column", mapping.id_column), ("url_column", mapping.url_column)):
        if name is not None and name not in schema.names:
            msg = f'input error: {item.label}: no "{name}" column (input.{key}); present: {names}'
            hint = f"set input.{key} to one of the present columns, or leave it unset"
            raise InputError(f"{msg}\n  hint: {hint}")
    _check_castable(item, schema, mapping.id_column or ID, "id_column")
    _check_castable(item, schema, mapping.url_column or URL, "url_column")
    mapped = {column, mapping.id_column or ID, mapping.url_column or URL, CONTENT_TYPE}
    own = [field.name for field in schema if field.name in OWN_COLUMNS - mapped]
    if own:
        logger.warning(
            "%s: columns %s are not passed through: cleanse writes columns of those names",
            item.label,
            ", ".join(own),
        )
    fields = [field for field in schema if field.name not in mapped | OWN_COLUMNS]
    passthrough.add(fields, item.label)
    return [
        (
            metadata.row_group(index).num_rows,
            sum(
                metadata.row_group(index).column(j).total_compressed_size
                for j in range(metadata.num_columns)
            ),
        )
        for index in range(metadata.num_row_groups)
    ]


def _check_castable(item: Input, schema: pa.Schema, name: str, key: str) -> None:
    if name not in schema.names:
        return
    found = schema.field(name).type
    try:
        pa.array([], found).cast(pa.string())
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid) as err:
        msg = f'input error: {item.label}: column "{name}" is {found}, which has no string form'
        hint = f"set input.{key} to a string or integer column"
        raise InputError(f"{msg}\n  hint: {hint}") from err


def _split_row_groups(
    row_groups: list[tuple[int, int]] | None, size: int, target_bytes: int
) -> Iterator[tuple[tuple[int, ...] | None, int]]:
    """Yield (row groups, their compressed bytes) of each shard of a Parquet file."""
    if row_groups is None or size <= target_bytes or len(row_groups) < 2:
        yield None, size
        return
    subset: list[int] = []
    subset_bytes = 0
    for index, (_, compressed) in enumerate(row_groups):
        if subset and subset_bytes + compressed > target_bytes:
            yield tuple(subset), subset_bytes
            subset, subset_bytes = [], 0
        subset.append(index)
        subset_bytes += compressed
    yield tuple(subset), subset_bytes


class Passthrough:
    """Unify the passthrough columns of every file, naming both files on a conflict."""

    def __init__(self) -> None:
        self._fields: dict[str, tuple[pa.Field, str]] = {}

    def add(self, fields: Sequence[pa.Field], label: str) -> None:
        for field in fields:
            known = self._fields.get(field.name)
            if known is None:
                self._fields[field.name] = (field.with_nullable(True), label)
                continue
            old, old_label = known
            if old.type.equals(field.type):
                continue
            try:
                merged = pa.unify_schemas(
                    [pa.schema([old]), pa.schema([field])], promote_options="permissive"
                )
            except (pa.ArrowTypeError, pa.ArrowInvalid) as err:
                msg = (
                    f'input error: {label}: column "{field.name}" is {field.type}, '
                    f"but {old.type} in {old_label}"
                )
                hint = "give the column one type in every file, or read them in separate runs"
                raise InputError(f"{msg}\n  hint: {hint}") from err
            self._fields[field.name] = (merged.field(0).with_nullable(True), old_label)

    def fields(self) -> tuple[pa.Field, ...]:
        return tuple(field for field, _ in self._fields.values())
