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
_SPLIT_BYTES = _SPLIT_TABLE.tobytes()


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
    """Hash one shingle to 32 bits: the function `hash_words`/`combine_words` compute in bulk.

    The shingle is split at ``b" "`` into words; each word gets a 64-bit hash
    (`_word_hash64`: a polynomial hash of its bytes modulo 2**64, mixed with its
    length and the MurmurHash3 64-bit finaliser); the word hashes are combined as a
    polynomial ``h = h * POLY + word`` modulo 2**64, finalised once more; the high 32
    bits. A character shingle has no space: it is one word. Hashing words, not
    bytes, lets the bulk path hash each distinct word of a batch once. Pass it to
    datasketch as ``MinHash(hashfunc=shingle_hash32)`` to get our signatures.

    >>> shingle_hash32(b"the cat sat on the")
    1716562743
    """
    h = 0
    for word in data.split(b" "):
        h = (h * _POLY + _word_hash64(word)) & _M64
    return _fmix64_int(h) >> 32


def _fmix64(h: np.ndarray) -> np.ndarray:
    s1, m1, s2, m2, s3 = (np.uint64(c) for c in _FMIX64)
    h ^= h >> s1
    h *= m1
    h ^= h >> s2
    h *= m2
    h ^= h >> s3
    return h


def hash_spans(data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Return `_word_hash64` of ``data[start:end]`` for every span, as uint64.

    With ``P[k] = sum(data[j] * POLY**j for j < k)``, the polynomial hash of a span
    is ``(P[end] - P[start]) * POLY**-start``: one cumulative sum for all spans.
    Arithmetic wraps modulo 2**64, as the scalar version masks. Used on the
    distinct words of a batch (a small buffer), and on character shingles.
    """
    size = len(data)
    powers = _power_table(_POLY, size + 1)
    inverse = _power_table(_POLY_INV, size + 1)
    prefix = np.zeros(size + 1, dtype=np.uint64)
    np.cumsum(data.astype(np.uint64) * powers[:size], out=prefix[1:])
    h = (prefix[ends] - prefix[starts]) * inverse[starts]
    h ^= (ends - starts).astype(np.uint64) * np.uint64(_LEN_MIX)
    return _fmix64(h)


def _power_table(base: int, size: int) -> np.ndarray:
    """Return ``base**k`` modulo 2**64 for ``k < size``, by doubling (log2(size) vector steps).

    ``np.cumprod`` is a scalar loop for uint64; doubling runs at vector speed.
    """
    out = np.empty(max(size, 1), dtype=np.uint64)
    out[0] = 1
    filled, step = 1, base
    while filled < size:
        count = min(filled, size - filled)
        np.multiply(out[:count], np.uint64(step), out=out[filled : filled + count])
        filled += count
        step = (step * step) & _M64
    return out[:size]


def finish_hashes(h: np.ndarray) -> np.ndarray:
    """Return the 32-bit shingle hashes of combined 64-bit word polynomials."""
    return (_fmix64(h) >> np.uint64(32)).astype(np.uint32)


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
        """Return the 32-bit hash of every shingle, each taken as one word (`shingle_hash32`)."""
        return finish_hashes(hash_spans(self.data, self.starts, self.ends))


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


@dataclass(frozen=True, slots=True)
class WordShingles:
    """Word-shingle hashes of a run of documents.

    ``hashes`` (uint32, `shingle_hash32` of each shingle) are grouped by ``doc``
    (ascending), in text order with repeats; ``counts`` is the number of shingles of
    each document and ``by_char`` flags documents that must be shingled by
    characters instead (they have no word shingles here).
    """

    hashes: np.ndarray
    doc: np.ndarray
    counts: np.ndarray
    by_char: np.ndarray


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Return the concatenation of ``arange(s, s + n)`` for every start and length."""
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    before = np.cumsum(lengths) - lengths
    return np.repeat(starts - before, lengths) + np.arange(total, dtype=np.int64)


def word_shingle_hashes(texts: pa.StringArray, *, n: int, short_docs: ShortDocs) -> WordShingles:
    """Return the word `n`-gram shingle hashes of raw `texts` (see `WordShingles`).

    Same shingles and hashes as `shingles` + `shingle_hash32`, computed so that
    every distinct token of the batch is normalised and hashed once:

    1. ASCII bytes go through the byte map of `normalize_texts` (letters lower-cased,
       digits to ``0``, other ASCII to space, see `_split_table`); texts are cut
       into tokens at ASCII whitespace, and the tokens dictionary-encoded.
    2. Each distinct token is normalised with `normalize_texts` (it may become
       several words or none) and its words hashed (`hash_spans`). Normalisation
       commutes with the cut: the cut happens only at characters it maps to a
       space and that compose with nothing after them.
    3. Token occurrences expand to word hashes; the hash of a shingle is the
       polynomial of its `n` word hashes (Horner over `n` shifted views), finalised.
    """
    num_docs = len(texts)
    data, offsets = _buffer(texts)
    cut = pa.StringArray.from_buffers(
        num_docs,
        pa.py_buffer(offsets.astype(np.int32)),
        pa.py_buffer(data.tobytes().translate(_SPLIT_BYTES)),
    )
    tokens = pc.ascii_split_whitespace(cut)
    token_offsets = np.asarray(tokens.offsets, dtype=np.int64)
    encoded = pc.dictionary_encode(tokens.values)
    token_index = np.asarray(encoded.indices)
    distinct = normalize_texts(encoded.dictionary)
    # Words of every distinct token, hashed once.
    wdata, woffsets = _buffer(distinct)
    nonempty = woffsets[1:] > woffsets[:-1]
    spaces = np.flatnonzero(wdata == 0x20)
    word_starts = np.sort(np.concatenate([woffsets[:-1][nonempty], spaces + 1]))
    word_ends = np.sort(np.concatenate([spaces, woffsets[1:][nonempty]]))
    word_hash = hash_spans(wdata, word_starts, word_ends)
    word_token = np.searchsorted(woffsets, word_starts, side="right") - 1
    words_of = np.bincount(word_token, minlength=len(distinct))
    first_word = np.cumsum(words_of) - words_of
    # Expand token occurrences to their words.
    occurrence_words = words_of[token_index]
    cumulative = np.zeros(len(token_index) + 1, dtype=np.int64)
    np.cumsum(occurrence_words, out=cumulative[1:])
    words_per_doc = cumulative[token_offsets[1:]] - cumulative[token_offsets[:-1]]
    by_char = _char_docs(distinct, words_of, token_index, token_offsets)
    if by_char.any():
        words_per_doc[by_char] = 0
        keep = np.repeat(~by_char, np.diff(token_offsets))
        token_index, occurrence_words = token_index[keep], occurrence_words[keep]
        cumulative = np.zeros(len(token_index) + 1, dtype=np.int64)
        np.cumsum(occurrence_words, out=cumulative[1:])
    total = int(cumulative[-1])
    if total == len(token_index) and (occurrence_words == 1).all():  # no expansion
        words = word_hash[first_word[token_index]]
    else:
        within = np.arange(total, dtype=np.int64)
        within -= np.repeat(cumulative[:-1] - first_word[token_index], occurrence_words)
        words = word_hash[within]
    word_doc_end = np.cumsum(words_per_doc)
    # Shingle i covers words i .. i+n-1 of one document.
    per_doc = np.maximum(words_per_doc - n + 1, 0)
    windows = total - n + 1
    if windows > 0:
        mixed = words[:windows].copy()
        poly = np.uint64(_POLY)
        for j in range(1, n):
            mixed *= poly
            mixed += words[j : j + windows]
        first_word_doc_end = np.repeat(word_doc_end, words_per_doc)[:windows]
        valid = np.arange(n, windows + n, dtype=np.int64) <= first_word_doc_end
        mixed = mixed[valid]
    else:
        mixed = np.zeros(0, dtype=np.uint64)
    doc = np.repeat(np.arange(num_docs, dtype=np.int64), per_doc)
    counts = per_doc
    if short_docs == "whole":
        short = np.flatnonzero((words_per_doc > 0) & (words_per_doc < n))
        if len(short):
            lengths = words_per_doc[short]
            starts = word_doc_end[short] - lengths
            positions = _ranges(starts, lengths)
            exponent = np.repeat(starts + lengths - 1, lengths) - positions
            terms = words[positions] * _powers(n)[exponent]
            short_mixed = np.add.reduceat(terms, np.cumsum(lengths) - lengths)
            mixed = np.concatenate([mixed, short_mixed])
            doc = np.concatenate([doc, short])
            order = np.argsort(doc, kind="stable")
            mixed, doc = mixed[order], doc[order]
            counts = counts.copy()
            counts[short] = 1
    return WordShingles(hashes=finish_hashes(mixed), doc=doc, counts=counts, by_char=by_char)


def _char_docs(
    distinct: pa.StringArray,
    words_of: np.ndarray,
    token_index: np.ndarray,
    token_offsets: np.ndarray,
) -> np.ndarray:
    """Return `char_mode` of every document, summed from its tokens' normalised forms."""
    num_docs = len(token_offsets) - 1
    by_char = np.zeros(num_docs, dtype=bool)
    # Only tokens with a non-ASCII character can hold a character of those scripts.
    non_ascii = np.flatnonzero(~np.asarray(pc.string_is_ascii(distinct), dtype=bool))
    if not len(non_ascii):
        return by_char
    special = np.zeros(len(distinct), dtype=np.int64)
    special[non_ascii] = np.asarray(
        pc.fill_null(
            pc.count_substring_regex(distinct.take(pa.array(non_ascii)), NO_SPACE_SCRIPTS), 0
        ),
        dtype=np.int64,
    )
    if not special.any():
        return by_char
    hits = np.flatnonzero(special[token_index] > 0)
    if not len(hits):
        return by_char
    docs = np.unique(np.searchsorted(token_offsets, hits, side="right") - 1)
    letters = np.asarray(pc.utf8_length(distinct), dtype=np.int64) - np.maximum(words_of - 1, 0)
    for doc in docs.tolist():
        tokens = token_index[token_offsets[doc] : token_offsets[doc + 1]]
        total_letters = int(letters[tokens].sum())
        by_char[doc] = special[tokens].sum() >= NO_SPACE_SHARE * max(total_letters, 1)
    return by_char


def _segment_sums(values: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    cumulative = np.concatenate([[0], np.cumsum(values)])
    return cumulative[offsets[1:]] - cumulative[offsets[:-1]]


def _powers(n: int) -> np.ndarray:
    powers = [1]
    for _ in range(1, max(n, 1)):
        powers.append((powers[-1] * _POLY) & _M64)
    return np.array(powers, dtype=np.uint64)
