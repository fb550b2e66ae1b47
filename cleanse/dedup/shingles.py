"""Text normalised for matching, the shingles of a document, and the shingle hash.

`normalize_texts` works on whole Arrow arrays (a chain of pyarrow kernels, with a
byte map for ASCII). The scalar functions (`normalize_text`, `shingles`,
`shingle_hash32`) define shingles and their hashes one document at a time: they are
the reference the tests compare the bulk path (`cleanse.dedup.signatures`, with the
compiled loops of `cleanse.dedup.kernels`) with, and what a caller gives
``datasketch.MinHash`` to reproduce our signatures (``MinHash(hashfunc=shingle_hash32)``
fed ``shingles(t)``).
"""

from __future__ import annotations

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
# Odd multiplier of the polynomial byte hash (the 64-bit golden ratio).
_POLY = 0x9E3779B97F4A7C15
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


def _split_table() -> np.ndarray:
    """Byte map applied before tokens are cut: `_ASCII_TABLE` on ASCII, other bytes kept.

    ``<``, ``=`` and ``>`` stay: NFKC composes them with a following U+0338 into one
    symbol, so cutting there would not commute with normalisation. Every other ASCII
    byte that is not a letter or digit becomes a space whatever follows it.
    """
    table = _ASCII_TABLE.copy()
    table[128:] = np.arange(128, 256, dtype=np.uint8)
    for byte in b"<=>":
        table[byte] = byte
    return table


_SPLIT_TABLE = _split_table()


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


def _word_hash64(data: bytes) -> int:
    """The 64-bit hash of one word: polynomial over the bytes, length, MurmurHash3 finaliser."""
    h, power = 0, 1
    for byte in data:
        h = (h + byte * power) & _M64
        power = (power * _POLY) & _M64
    h ^= (len(data) * _LEN_MIX) & _M64
    return _fmix64_int(h)


def _fmix64_int(h: int) -> int:
    s1, m1, s2, m2, s3 = _FMIX64
    h ^= h >> s1
    h = (h * m1) & _M64
    h ^= h >> s2
    h = (h * m2) & _M64
    return h ^ (h >> s3)


def shingle_hash32(data: bytes) -> int:
    """Hash one shingle to 32 bits: what `cleanse.dedup.kernels` computes in bulk.

    The shingle is split at ``b" "`` into words; each word gets a 64-bit hash
    (`_word_hash64`: a polynomial hash of its bytes modulo 2**64, mixed with its
    length and the MurmurHash3 64-bit finaliser); the word hashes are combined as a
    polynomial ``h = h * POLY + word`` modulo 2**64, finalised once more; the high 32
    bits. A character shingle has no space: it is one word. Hashing words, not
    bytes, lets the bulk path hash each distinct non-ASCII token of a batch once. Pass it to
    datasketch as ``MinHash(hashfunc=shingle_hash32)`` to get our signatures.

    >>> shingle_hash32(b"the cat sat on the")
    1716562743
    """
    h = 0
    for word in data.split(b" "):
        h = (h * _POLY + _word_hash64(word)) & _M64
    return _fmix64_int(h) >> 32


def _buffer(strings: pa.StringArray) -> tuple[np.ndarray, np.ndarray]:
    """Return the UTF-8 bytes and the int64 per-row offsets (relative to the bytes) of `strings`.

    The bytes are a read-only view, never a copy (also when empty: one array type for
    the compiled kernels, which would otherwise compile a writable variant too).
    """
    strings = pc.fill_null(strings, "")
    if isinstance(strings, pa.ChunkedArray):
        strings = strings.combine_chunks()
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int32)
    offsets = offsets[strings.offset : strings.offset + len(strings) + 1].astype(np.int64)
    base = offsets[0]
    data_buffer = strings.buffers()[2]
    data = np.frombuffer(b"" if data_buffer is None else data_buffer, dtype=np.uint8)
    return data[base : offsets[-1]], offsets - base
