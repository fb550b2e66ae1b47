"""Text normalised for matching, shingles as byte spans, and the shingle hash.

Everything here works on whole Arrow arrays at once: normalisation is a chain of
pyarrow kernels, shingles are ``(start, end)`` byte offsets into the normalised
UTF-8 buffer, and ``hash_spans`` hashes every span with numpy prefix sums. No Python
loop runs per word or per shingle. The scalar functions (`normalize_text`,
`shingles`, `shingle_hash32`) define the same thing one document at a time: they are
the reference the tests compare with, and what a caller gives ``datasketch.MinHash``
to reproduce our signatures (``MinHash(hashfunc=shingle_hash32)`` fed ``shingles(t)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

ShortDocs = Literal["whole", "skip"]

#: Scripts written without spaces between words: shingled by characters, not words.
NO_SPACE_SCRIPTS = r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]"
#: A document is shingled by characters when at least this share of its non-space
#: characters belong to `NO_SPACE_SCRIPTS`. 0.3 keeps Chinese or Thai pages with
#: embedded Latin names and numbers in character mode.
NO_SPACE_SHARE = 0.3

_M64 = (1 << 64) - 1
# Odd multiplier of the polynomial byte hash (the 64-bit golden ratio); its inverse
# modulo 2**64 lets prefix sums give the hash of any span.
_POLY = 0x9E3779B97F4A7C15
_POLY_INV = pow(_POLY, -1, 1 << 64)
_LEN_MIX = 0xC2B2AE3D27D4EB4F
_FMIX64 = (33, 0xFF51AFD7ED558CCD, 33, 0xC4CEB9FE1A85EC53, 33)


def _ascii_table() -> np.ndarray:
    """Byte map for the ASCII part of `normalize_texts`: A-Z to a-z, 0-9 to 0, rest to space."""
    table = np.arange(256, dtype=np.uint8)
    ascii_bytes = table[:128]
    letters = ((ascii_bytes >= ord("a")) & (ascii_bytes <= ord("z"))) | (
        (ascii_bytes >= ord("A")) & (ascii_bytes <= ord("Z"))
    )
    digits = (ascii_bytes >= ord("0")) & (ascii_bytes <= ord("9"))
    table[:128] = np.where(letters, ascii_bytes | 0x20, np.where(digits, ord("0"), ord(" ")))
    return table


_ASCII_TABLE = _ascii_table()


def _fold_unicode(texts: pa.StringArray) -> pa.StringArray:
    """The Unicode-aware steps, for texts that are not pure ASCII."""
    texts = pc.utf8_normalize(texts, form="NFKC")
    texts = pc.utf8_lower(texts)
    texts = pc.replace_substring(texts, "\N{LATIN SMALL LETTER SHARP S}", "ss")
    texts = pc.replace_substring(
        texts, "\N{GREEK SMALL LETTER FINAL SIGMA}", "\N{GREEK SMALL LETTER SIGMA}"
    )
    # Dates, prices and counters differ between copies of the same page.
    texts = pc.replace_substring_regex(texts, r"\p{Nd}", "0")
    # ASCII punctuation is left to the byte table; non-ASCII punctuation and symbols
    # become spaces here.
    return pc.replace_substring_regex(texts, r"[^\x00-\x7F\p{L}\p{N}\p{M}]+", " ")


def normalize_texts(texts: pa.Array) -> pa.StringArray:
    """Normalise every text for matching: NFKC, lower case, digits to 0, punctuation folded.

    Punctuation and symbols become spaces, runs of space become one space, and the
    result is trimmed, so words are separated by exactly one ``" "``. Combining marks
    are kept (Thai and Devanagari vowels are marks). Case folding is Unicode lower
    case plus ``ß -> ss`` and final sigma, which is what ``str.casefold`` adds for
    the scripts we see in web text. Null becomes empty. Pure-ASCII texts (most web
    text) skip the Unicode kernels: NFKC and lower case are a byte map for them.
    """
    texts = pc.fill_null(pc.cast(texts, pa.string()), "")
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    is_ascii = np.asarray(pc.string_is_ascii(texts), dtype=bool)
    if not is_ascii.all():
        ascii_rows, non_ascii = np.flatnonzero(is_ascii), np.flatnonzero(~is_ascii)
        folded = _fold_unicode(texts.take(pa.array(non_ascii)))
        merged = pa.concat_arrays([texts.take(pa.array(ascii_rows)), folded])
        order = np.empty(len(texts), dtype=np.int64)
        order[np.concatenate([ascii_rows, non_ascii])] = np.arange(len(texts))
        texts = merged.take(pa.array(order))
    data, offsets = _buffer(texts)
    data = _ASCII_TABLE[data]
    # Runs of spaces, split at text boundaries; keep the first space of a run unless
    # the run starts or ends its text: runs collapse and both ends are trimmed.
    space = np.append(data == 0x20, False)
    boundary = np.zeros(len(data) + 1, dtype=bool)
    boundary[offsets] = True
    positions = np.flatnonzero(space)
    run_start = positions[boundary[positions] | ~space[positions - 1]]
    run_end = positions[boundary[positions + 1] | ~space[positions + 1]]
    keep = ~space[:-1]
    inner = ~boundary[run_start] & ~boundary[run_end + 1]
    keep[run_start[inner]] = True
    dropped = np.flatnonzero(~keep)
    new_offsets = (offsets - np.searchsorted(dropped, offsets)).astype(np.int32)
    return pa.StringArray.from_buffers(
        len(texts), pa.py_buffer(new_offsets), pa.py_buffer(np.ascontiguousarray(data[keep]))
    )


def normalize_text(text: str) -> str:
    """Normalise one text for matching (see `normalize_texts`).

    >>> normalize_text("Breaking:  NATO's   ﬁnal word, 12 March 2024!")
    'breaking nato s final word 00 march 0000'
    """
    return normalize_texts(pa.array([text], pa.string()))[0].as_py()


def char_mode(normalized: pa.StringArray) -> np.ndarray:
    """Return True for documents to shingle by characters (scripts without spaces)."""
    special = pc.count_substring_regex(normalized, NO_SPACE_SCRIPTS)
    letters = pc.subtract(pc.utf8_length(normalized), pc.count_substring(normalized, " "))
    special_np = np.asarray(pc.fill_null(special, 0), dtype=np.float64)
    letters_np = np.asarray(pc.fill_null(letters, 0), dtype=np.float64)
    return special_np >= NO_SPACE_SHARE * np.maximum(letters_np, 1.0)


def shingles(
    text: str, *, ngram: int = 5, char_ngram: int = 5, short_docs: ShortDocs = "whole"
) -> list[bytes]:
    """Return the shingles of one document as UTF-8 bytes, in order (repeats kept).

    Word `ngram`-grams of the normalised text; for scripts without spaces, character
    `char_ngram`-grams of it with spaces removed. A document with fewer units than n
    is one shingle (the whole normalised text) under ``short_docs="whole"``, and has
    none under ``"skip"``; an empty one has none.

    >>> shingles("The cat sat on the mat today", ngram=5)
    [b'the cat sat on the', b'cat sat on the mat', b'sat on the mat today']
    >>> shingles("Too short", ngram=5)
    [b'too short']
    >>> [gram.decode() for gram in shingles("東京都の天気", char_ngram=5)]
    ['東京都の天', '京都の天気']
    """
    normalized = normalize_texts(pa.array([text], pa.string()))
    value = normalized[0].as_py() or ""
    if char_mode(normalized)[0]:
        units = list(value.replace(" ", ""))
        n, sep = char_ngram, ""
    else:
        units = value.split(" ") if value else []
        n, sep = ngram, " "
    if not units:
        return []
    if len(units) < n:
        return [sep.join(units).encode()] if short_docs == "whole" else []
    return [sep.join(units[i : i + n]).encode() for i in range(len(units) - n + 1)]


def shingle_hash32(data: bytes) -> int:
    """Hash one shingle to 32 bits: the function `hash_spans` computes in bulk.

    A polynomial hash of the bytes modulo 2**64, mixed with the length and finished
    with the MurmurHash3 64-bit finaliser; the high 32 bits. Pass it to datasketch as
    ``MinHash(hashfunc=shingle_hash32)`` to get our signatures.

    >>> shingle_hash32(b"the cat sat on the")
    2787178079
    """
    h, power = 0, 1
    for byte in data:
        h = (h + byte * power) & _M64
        power = (power * _POLY) & _M64
    h ^= (len(data) * _LEN_MIX) & _M64
    s1, m1, s2, m2, s3 = _FMIX64
    h ^= h >> s1
    h = (h * m1) & _M64
    h ^= h >> s2
    h = (h * m2) & _M64
    h ^= h >> s3
    return h >> 32


def hash_spans(data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Return `shingle_hash32` of ``data[start:end]`` for every span, as uint32.

    With ``P[k] = sum(data[j] * POLY**j for j < k)``, the polynomial hash of a span
    is ``(P[end] - P[start]) * POLY**-start``: one cumulative sum for all spans.
    Arithmetic wraps modulo 2**64, as the scalar version masks.
    """
    size = len(data)
    powers = np.empty(size + 1, dtype=np.uint64)
    powers[0] = 1
    inverse = np.empty(size + 1, dtype=np.uint64)
    inverse[0] = 1
    if size:
        np.cumprod(np.full(size, _POLY, dtype=np.uint64), out=powers[1:])
        np.cumprod(np.full(size, _POLY_INV, dtype=np.uint64), out=inverse[1:])
    prefix = np.zeros(size + 1, dtype=np.uint64)
    np.cumsum(data.astype(np.uint64) * powers[:size], out=prefix[1:])
    h = (prefix[ends] - prefix[starts]) * inverse[starts]
    h ^= (ends - starts).astype(np.uint64) * np.uint64(_LEN_MIX)
    s1, m1, s2, m2, s3 = (np.uint64(c) for c in _FMIX64)
    h ^= h >> s1
    h *= m1
    h ^= h >> s2
    h *= m2
    h ^= h >> s3
    return (h >> np.uint64(32)).astype(np.uint32)


@dataclass(frozen=True, slots=True)
class Spans:
    """Shingles of a run of documents as byte spans into one buffer.

    ``doc`` is the row (0-based, in the input array) each shingle belongs to, in
    ascending order; rows with no shingle have none.
    """

    data: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    doc: np.ndarray

    def hashes(self) -> np.ndarray:
        """Return the 32-bit hash of every shingle (`hash_spans`)."""
        return hash_spans(self.data, self.starts, self.ends)


def _buffer(strings: pa.StringArray) -> tuple[np.ndarray, np.ndarray]:
    """Return the UTF-8 bytes and the per-row offsets (relative to the bytes) of `strings`."""
    strings = pc.fill_null(strings, "")
    if isinstance(strings, pa.ChunkedArray):
        strings = strings.combine_chunks()
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int32)
    offsets = offsets[strings.offset : strings.offset + len(strings) + 1].astype(np.int64)
    base = offsets[0]
    data_buffer = strings.buffers()[2]
    if data_buffer is None:
        data = np.zeros(0, dtype=np.uint8)
    else:
        data = np.frombuffer(data_buffer, dtype=np.uint8)[base : offsets[-1]]
    return data, offsets - base


def unit_spans(strings: pa.StringArray, *, by_char: bool, n: int, short_docs: ShortDocs) -> Spans:
    """Return the n-gram shingles of normalised `strings` (words, or characters if `by_char`).

    Words are separated by exactly one space (see `normalize_texts`); in character
    mode the strings must already be free of spaces.
    """
    data, offsets = _buffer(strings)
    doc_starts, doc_ends = offsets[:-1], offsets[1:]
    nonempty = doc_ends > doc_starts
    if by_char:
        # A UTF-8 character starts at every byte that is not a continuation byte.
        unit_starts = np.flatnonzero((data & 0xC0) != 0x80)
        unit_ends = np.append(unit_starts[1:], len(data))
        unit_doc = np.searchsorted(offsets, unit_starts, side="right") - 1
        # The last character of each document ends at the document's end.
        last = np.append(unit_doc[1:] != unit_doc[:-1], True)
        unit_ends[last] = doc_ends[unit_doc[last]]
    else:
        spaces = np.flatnonzero(data == 0x20)
        unit_starts = np.sort(np.concatenate([doc_starts[nonempty], spaces + 1]))
        unit_ends = np.sort(np.concatenate([spaces, doc_ends[nonempty]]))
        unit_doc = np.searchsorted(offsets, unit_starts, side="right") - 1
    counts = np.bincount(unit_doc, minlength=len(doc_starts))
    if len(unit_starts) >= n:
        first = np.arange(len(unit_starts) - n + 1)
        same_doc = unit_doc[first] == unit_doc[first + n - 1]
        first = first[same_doc]
        starts, ends, doc = unit_starts[first], unit_ends[first + n - 1], unit_doc[first]
    else:
        starts = ends = doc = np.zeros(0, dtype=np.int64)
    if short_docs == "whole":
        short = np.flatnonzero((counts > 0) & (counts < n))
        if len(short):
            starts = np.concatenate([starts, doc_starts[short]])
            ends = np.concatenate([ends, doc_ends[short]])
            doc = np.concatenate([doc, short])
            order = np.argsort(starts, kind="stable")
            starts, ends, doc = starts[order], ends[order], doc[order]
    return Spans(data=data, starts=starts, ends=ends, doc=doc.astype(np.int64))
