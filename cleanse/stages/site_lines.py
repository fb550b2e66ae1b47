"""The lines site_boilerplate compares, for a whole batch at once.

A document's lines are its text split on ``"\\n"``; a line *counts* when, stripped of
whitespace, it is not empty and at most ``max_line_chars`` characters long. It is
compared by the hash of its normalised form (`normalize_lines`: lower case, every run
of digits as ``0``, every run of whitespace as one space, none at either end).
Whitespace is what ``str.isspace`` calls whitespace (`SPACE_CHARS`), so a line strips
as ``str.strip()`` strips it.

Splitting, stripping and normalising run in pyarrow's string kernels over the whole
batch; the hashes (`span_hashes`, 64-bit, never 0) in one compiled loop over the bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numba import njit

from cleanse.dedup.shingles import _buffer

#: Every character ``str.isspace`` is true for (what ``str.strip``/``str.split`` cut).
SPACE_CHARS = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
)
_SPACE_RUN = r"[\t-\r\x{1c}-\x{20}\x{85}\p{Z}]+"

_C1 = np.uint64(0x87C37B91114253D5)
_C2 = np.uint64(0x4CF5AD432745937F)
_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)


@njit(cache=True, nogil=True, inline="always")
def _rotl(x, r):
    return (x << np.uint64(r)) | (x >> np.uint64(64 - r))


@njit(cache=True, nogil=True)
def span_hashes(data, offsets):
    """Return a 64-bit hash of each ``data[offsets[i]:offsets[i+1]]`` (never 0).

    MurmurHash3's 64-bit lane mixing, eight bytes at a time, then its finaliser with
    the length folded in: equal bytes, equal hash; nothing else is promised.
    """
    n = len(offsets) - 1
    out = np.empty(n, dtype=np.uint64)
    for i in range(n):
        lo, hi = offsets[i], offsets[i + 1]
        h = np.uint64(hi - lo) * _C2
        j = lo
        while j < hi:
            word = np.uint64(0)
            stop = min(j + 8, hi)
            for k in range(j, stop):
                word |= np.uint64(data[k]) << np.uint64(8 * (k - j))
            word = _rotl(word * _C1, 31) * _C2
            h = _rotl(h ^ word, 27) * np.uint64(5) + np.uint64(0x52DCE729)
            j = stop
        h ^= h >> np.uint64(33)
        h *= _M1
        h ^= h >> np.uint64(33)
        h *= _M2
        h ^= h >> np.uint64(33)
        out[i] = h if h != 0 else np.uint64(1)
    return out


@njit(cache=True, nogil=True)
def normalize_ascii(data, offsets, rows):
    """Return ``(bytes, offsets)`` of `normalize_lines` applied to the ASCII strings `rows`.

    Byte for byte what pyarrow's kernels give for ASCII text: A-Z lowered, each run of
    digits one ``0``, each run of whitespace (tab to carriage return, 0x1c to space)
    one space, none at either end.
    """
    out = np.empty(offsets[-1] - offsets[0], dtype=np.uint8)
    out_offsets = np.empty(len(rows) + 1, dtype=np.int64)
    out_offsets[0] = 0
    at = 0
    for r in range(len(rows)):
        row = rows[r]
        pending = False  # a space is owed before the next character
        last_digit = False
        for j in range(offsets[row], offsets[row + 1]):
            c = data[j]
            if (9 <= c <= 13) or (28 <= c <= 32):
                pending = at > out_offsets[r]
                last_digit = False
                continue
            if pending:
                out[at] = 32
                at += 1
                pending = False
            if 48 <= c <= 57:
                if not last_digit:
                    out[at] = 48
                    at += 1
                last_digit = True
                continue
            last_digit = False
            out[at] = c + 32 if 65 <= c <= 90 else c
            at += 1
        out_offsets[r + 1] = at
    return out[:at], out_offsets


def strings_hash(strings: pa.Array) -> np.ndarray:
    """Return `span_hashes` of each string's UTF-8 bytes (a null hashes as "")."""
    data, offsets = _buffer(strings)
    return span_hashes(data, offsets)


def normalize_lines(lines: pa.Array) -> pa.Array:
    """Return each line as site mining compares it (see the module docstring).

    >>> normalize_lines(pa.array(["  © 2015  Al Jazeera America, LLC "])).to_pylist()
    ['© 0 al jazeera america, llc']
    """
    lowered = pc.utf8_lower(lines)
    folded = pc.replace_substring_regex(lowered, r"\p{Nd}+", "0")
    spaced = pc.replace_substring_regex(folded, _SPACE_RUN, " ")
    return pc.utf8_trim(spaced, " ")


def line_hashes(lines: pa.Array) -> np.ndarray:
    """Return the hash of each line's normalised form (`strings_hash(normalize_lines(lines))`).

    ASCII lines, most of them, are normalised by `normalize_ascii`; the others by pyarrow.
    """
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    ascii_rows = np.asarray(pc.fill_null(pc.string_is_ascii(lines), True), dtype=bool)
    data, offsets = _buffer(lines)
    hashes = np.empty(len(lines), dtype=np.uint64)
    simple = np.flatnonzero(ascii_rows)
    hashes[simple] = span_hashes(*normalize_ascii(data, offsets, simple))
    other = np.flatnonzero(~ascii_rows)
    if len(other):
        hashes[other] = strings_hash(normalize_lines(lines.take(pa.array(other))))
    return hashes


@dataclass(frozen=True, slots=True)
class BatchLines:
    """The lines that count of a batch of texts, in document then line order."""

    #: Row of the batch each line is in.
    doc: np.ndarray
    #: Index of the line among its document's ``"\\n"``-separated lines (blanks included).
    position: np.ndarray
    #: The line stripped of whitespace.
    stripped: pa.Array
    #: Hash of the normalised line (`line_hashes`).
    hashes: np.ndarray


def batch_lines(texts: pa.Array, *, max_line_chars: int) -> BatchLines:
    """Split `texts` into lines and keep those that count (see the module docstring)."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    split = pc.split_pattern(pc.fill_null(texts, ""), "\n")
    parents = np.asarray(pc.list_parent_indices(split), dtype=np.int64)
    starts = np.asarray(split.offsets, dtype=np.int64)
    flat = split.flatten()
    stripped = pc.utf8_trim(flat, SPACE_CHARS)
    length = np.asarray(pc.utf8_length(stripped), dtype=np.int64)
    counts = np.flatnonzero((length > 0) & (length <= max_line_chars))
    doc = parents[counts]
    kept = stripped.take(pa.array(counts))
    return BatchLines(
        doc=doc,
        position=counts - (starts[doc] - starts[0]),
        stripped=kept,
        hashes=line_hashes(kept),
    )


def first_of_each(doc: np.ndarray, hashes: np.ndarray) -> np.ndarray:
    """Return the indices of the first line of each distinct (doc, hash), in order."""
    if not len(doc):
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((np.arange(len(doc)), hashes, doc))
    d, h = doc[order], hashes[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (d[1:] != d[:-1]) | (h[1:] != h[:-1])
    return np.sort(order[first])


def _load_kernels() -> None:
    """Load the compiled kernel now, before an engine forks its workers."""
    line_hashes(pa.array(["Load  the kernels 42", "État 3"]))


_load_kernels()
