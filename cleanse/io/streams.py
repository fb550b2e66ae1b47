"""Read a JSONL file line by line, through gzip or zstandard, and say where a stream breaks.

Lines are read in 1 MiB chunks and split here, so memory stays bounded by the longest
line, never by the file: a 10 MB line is fine, a 10 GB file is fine.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from typing import BinaryIO, Literal

import zstandard

CHUNK_BYTES = 1 << 20


class StreamDamaged(Exception):
    """A compressed stream ended early (``truncated``) or cannot be decompressed (``corrupt``)."""

    def __init__(self, kind: Literal["truncated", "corrupt"], cause: str) -> None:
        super().__init__(f"{kind}: {cause}")
        self.kind = kind
        self.cause = cause


def compression_of(name: str) -> Literal["gzip", "zstd"] | None:
    """Return the compression implied by a file name's last suffix.

    >>> compression_of("crawl/part-3.jsonl.zst"), compression_of("a.jsonl")
    ('zstd', None)
    """
    lowered = name.lower()
    if lowered.endswith(".gz"):
        return "gzip"
    if lowered.endswith(".zst"):
        return "zstd"
    return None


def iter_lines(path: str) -> Iterator[bytes]:
    """Yield the lines of `path` without their ``\\n``, decompressing by suffix.

    Raises:
        StreamDamaged: the compressed stream ends early or is corrupt; every line
            yielded before it is intact, the partial line at the break is dropped.
    """
    compression = compression_of(path)
    with open(path, "rb") as handle:
        if compression == "gzip":
            chunks = _gzip_chunks(handle)
        elif compression == "zstd":
            chunks = _zstd_chunks(handle)
        else:
            chunks = _plain_chunks(handle)
        yield from split_lines(chunks)


def split_lines(chunks: Iterator[bytes]) -> Iterator[bytes]:
    r"""Yield ``\n``-separated lines from a stream of byte chunks (a last unterminated one too).

    >>> list(split_lines(iter([b"a\nb", b"c", b"\nd\n", b"e"])))
    [b'a', b'bc', b'd', b'e']
    """
    pending: list[bytes] = []
    for chunk in chunks:
        parts = chunk.split(b"\n")
        if len(parts) == 1:
            pending.append(chunk)
            continue
        if pending:
            pending.append(parts[0])
            parts[0] = b"".join(pending)
            pending = []
        tail = parts.pop()
        if tail:
            pending.append(tail)
        yield from parts
    if pending:
        yield b"".join(pending)


def _plain_chunks(handle: BinaryIO) -> Iterator[bytes]:
    while chunk := handle.read(CHUNK_BYTES):
        yield chunk


def _gzip_chunks(handle: BinaryIO) -> Iterator[bytes]:
    # GzipFile checks each member's CRC and reads concatenated members (bgzip, cat a.gz b.gz).
    # read1, not read: read(n) discards what it decompressed when the stream breaks.
    with gzip.GzipFile(fileobj=handle, mode="rb") as stream:
        while True:
            try:
                chunk = stream.read1(CHUNK_BYTES)
            except EOFError as err:
                raise StreamDamaged("truncated", str(err)) from err
            except (gzip.BadGzipFile, zlib.error) as err:
                raise StreamDamaged("corrupt", str(err)) from err
            if not chunk:
                return
            yield chunk


def _zstd_chunks(handle: BinaryIO) -> Iterator[bytes]:
    # zstandard's stream_reader ends silently at a cut, so frames are followed by hand:
    # input that stops inside a frame is a truncated stream.
    context = zstandard.ZstdDecompressor()
    frame = context.decompressobj()
    inside_frame = False
    while raw := handle.read(CHUNK_BYTES):
        while raw:
            try:
                out = frame.decompress(raw)
            except zstandard.ZstdError as err:
                raise StreamDamaged("corrupt", str(err)) from err
            inside_frame = True
            if out:
                yield out
            if not frame.eof:
                break
            raw = frame.unused_data
            frame = context.decompressobj()
            inside_frame = False
    if inside_frame:
        raise StreamDamaged("truncated", "the stream ends inside a zstd frame")
