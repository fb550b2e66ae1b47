"""MinHash signatures of whole batches, bit-identical to ``datasketch.MinHash``.

Per run of documents (about `TEXT_CHUNK` bytes of text): `kernels.scan_tokens` cuts
the raw bytes into tokens and hashes the ASCII ones; the distinct non-ASCII tokens
are normalised once by pyarrow (`normalize_texts`) and their words hashed
(`kernels.hash_words`); `kernels.shingle_sets` builds each document's sorted
distinct shingle hashes (word or character shingles, see `char_mode`); the MinHash
kernels apply datasketch's permutations to them. Given the same shingles,
``hashfunc=shingle_hash32``, seed, num_perm and scheme,
``datasketch.MinHash(...).hashvalues`` equals our row (tested), and the sets equal
those of `shingles` + `shingle_hash32` (tested).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cleanse.dedup import kernels
from cleanse.dedup.params import MinHashParams
from cleanse.dedup.shingles import (
    _SPLIT_TABLE,
    NO_SPACE_SCRIPTS,
    NO_SPACE_SHARE,
    ShortDocs,
    _buffer,
    normalize_texts,
)

#: Raw text handled at once, in bytes: bounds the per-token arrays (~40 bytes a byte).
TEXT_CHUNK = 4 << 20


def _byte_kinds() -> np.ndarray:
    """`kernels.scan_tokens` byte classes: what `_SPLIT_TABLE` maps to space cuts tokens;
    ASCII letters and digits are simple; ``<=>`` and non-ASCII bytes need pyarrow."""
    kinds = np.full(256, kernels.COMPLEX, dtype=np.uint8)
    kinds[_SPLIT_TABLE == 0x20] = kernels.SEPARATOR
    ascii_bytes = np.arange(128)
    alnum = np.array([chr(c).isascii() and chr(c).isalnum() for c in ascii_bytes])
    kinds[ascii_bytes[alnum]] = kernels.SIMPLE
    return kinds


_KINDS = _byte_kinds()


def _special_counts(distinct: pa.StringArray) -> np.ndarray:
    """Characters of `NO_SPACE_SCRIPTS` in each normalised string (only non-ASCII can have any)."""
    special = np.zeros(len(distinct), dtype=np.int64)
    non_ascii = np.flatnonzero(~np.asarray(pc.string_is_ascii(distinct), dtype=bool))
    if len(non_ascii):
        counts = pc.count_substring_regex(distinct.take(pa.array(non_ascii)), NO_SPACE_SCRIPTS)
        special[non_ascii] = np.asarray(pc.fill_null(counts, 0), dtype=np.int64)
    return special


def shingle_sets(
    texts: pa.StringArray, params: MinHashParams, short_docs: ShortDocs
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(values, set_sizes, counts)`` of raw `texts` (nulls are empty).

    Each document's sorted distinct shingle hashes, concatenated; the size of each
    set; the number of shingles of each document, repeats included.
    """
    data, offsets = _buffer(texts)
    doc_tokens, token_hash, token_ref, token_len, complex_data, complex_offsets = (
        kernels.scan_tokens(data, offsets, _SPLIT_TABLE, _KINDS)
    )
    complex_tokens = pa.StringArray.from_buffers(
        len(complex_offsets) - 1,
        pa.py_buffer(complex_offsets.astype(np.int32)),
        pa.py_buffer(complex_data),
    )
    # Every distinct complex token is normalised once; it may become several words or none.
    encoded = pc.dictionary_encode(complex_tokens)
    distinct = normalize_texts(encoded.dictionary)
    normalized, normalized_offsets = _buffer(distinct)
    distinct_words, word_hash, letters = kernels.hash_words(normalized, normalized_offsets)
    values, set_sizes, counts, _by_char = kernels.shingle_sets(
        data,
        offsets,
        _SPLIT_TABLE,
        _KINDS,
        doc_tokens,
        token_hash,
        token_ref,
        token_len,
        np.asarray(encoded.indices, dtype=np.int64),
        distinct_words,
        word_hash,
        letters,
        _special_counts(distinct),
        normalized,
        normalized_offsets,
        params.ngram,
        params.char_ngram,
        short_docs == "whole",
        NO_SPACE_SHARE,
    )
    return values, set_sizes, counts


@dataclass(frozen=True, slots=True)
class Sketches:
    """What `compute_sketches` returns for a run of documents.

    ``signatures`` is ``(docs, num_perm)`` uint32; ``counts`` the number of shingles
    of each document (repeats included; 0: no signature, the row is all-max and must
    not be indexed); ``set_offsets``/``set_values`` the sorted distinct shingle
    hashes of each document (row ``i`` is ``set_values[set_offsets[i]:set_offsets[i+1]]``),
    which verification compares exactly.
    """

    signatures: np.ndarray
    counts: np.ndarray
    set_offsets: np.ndarray
    set_values: np.ndarray


def _chunks(offsets: np.ndarray) -> list[tuple[int, int]]:
    """Split rows into runs of about `TEXT_CHUNK` bytes of text (at least one row each)."""
    bounds, start = [], 0
    total = len(offsets) - 1
    while start < total:
        limit = offsets[start] + TEXT_CHUNK
        stop = int(np.searchsorted(offsets, limit, side="right")) - 1
        stop = min(max(stop, start + 1), total)
        bounds.append((start, stop))
        start = stop
    return bounds


def compute_sketches(
    texts: pa.Array, params: MinHashParams, *, short_docs: ShortDocs = "whole"
) -> Sketches:
    """Return signatures, shingle counts and distinct shingle sets of raw `texts`.

    Word shingles, or character shingles for scripts without spaces (`char_mode`);
    the MinHash arithmetic runs on each document's distinct shingle hashes, which
    repeats cannot change.
    """
    texts = pc.fill_null(pc.cast(texts, pa.string()), "")
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    lengths = np.asarray(pc.binary_length(texts), dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    signatures = np.empty((len(texts), params.num_perm), dtype=np.uint32)
    counts = np.zeros(len(texts), dtype=np.int64)
    set_sizes = np.zeros(len(texts), dtype=np.int64)
    a, b = params.permutations()
    legacy = params.scheme == "legacy"
    values = []
    for start, stop in _chunks(offsets):
        chunk_values, chunk_sizes, chunk_counts = shingle_sets(
            texts.slice(start, stop - start), params, short_docs
        )
        set_offsets = np.zeros(stop - start + 1, dtype=np.int64)
        np.cumsum(chunk_sizes, out=set_offsets[1:])
        kernels.minhash(chunk_values, set_offsets, a, b, legacy, signatures[start:stop])
        counts[start:stop] = chunk_counts
        set_sizes[start:stop] = chunk_sizes
        values.append(chunk_values)
    return Sketches(
        signatures=signatures,
        counts=counts,
        set_offsets=np.concatenate([[0], np.cumsum(set_sizes)]),
        set_values=np.concatenate(values) if values else np.zeros(0, np.uint32),
    )


def compute_signatures(
    texts: pa.Array, params: MinHashParams, *, short_docs: ShortDocs = "whole"
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(signatures, shingle_counts)`` for raw `texts`.

    `signatures` is ``(len(texts), num_perm)`` uint32; a row whose shingle count is 0
    (empty text, or shorter than n under ``short_docs="skip"``) is all-max and must not
    be indexed.
    """
    sketches = compute_sketches(texts, params, short_docs=short_docs)
    return sketches.signatures, sketches.counts


def _load_kernels() -> None:
    """Load the compiled kernels (compile them, the first time on a machine) now.

    Done when this module is imported, in the process that builds the stage: the
    local engine forks its workers after that, and they inherit the loaded code
    instead of each loading it again (0.2-0.5 s a process).
    """
    compute_sketches(
        pa.array(["load the compiled kernels", "東京都の天気"]), MinHashParams(num_perm=2)
    )
    empty, offsets, pairs = np.zeros(0, np.uint32), np.zeros(1, np.int64), np.zeros(0, np.int64)
    kernels.common_counts(empty, offsets, pairs, pairs)


_load_kernels()
