"""MinHash signatures of whole batches, bit-identical to ``datasketch.MinHash``.

The arithmetic is datasketch's, applied to all shingles of a run of documents at
once: permute every shingle hash with all `num_perm` permutations (a ``(shingles,
num_perm)`` array, built in chunks to bound memory), then take the minimum per
document with ``np.minimum.reduceat`` over the shingles, which are grouped by
document. Given the same shingles, ``hashfunc=shingle_hash32``, seed, num_perm and
scheme, ``datasketch.MinHash(...).hashvalues`` equals our row (tested).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cleanse.dedup.params import MAX_HASH32, MERSENNE_PRIME, MinHashParams
from cleanse.dedup.shingles import (
    ShortDocs,
    Spans,
    normalize_texts,
    unit_spans,
    word_shingle_hashes,
)

#: Shingles permuted at once: 4096 x 128 permutations x 4 bytes = 2 MB, about L2.
SHINGLE_CHUNK = 4096
#: Raw text handled at once, in bytes: bounds the per-token arrays (~40 bytes a byte).
TEXT_CHUNK = 4 << 20

_FMIX32 = (16, 0x85EBCA6B, 13, 0xC2B2AE35, 16)


def _fmix32(h: np.ndarray) -> np.ndarray:
    """The MurmurHash3 32-bit finaliser datasketch applies before affine permutations."""
    s1, m1, s2, m2, s3 = (np.uint32(c) for c in _FMIX32)
    h = h ^ (h >> s1)
    h = h * m1
    h = h ^ (h >> s2)
    h = h * m2
    return h ^ (h >> s3)


def minhash_hashes(
    hashes: np.ndarray, doc: np.ndarray, num_docs: int, params: MinHashParams
) -> np.ndarray:
    """Return the ``(num_docs, num_perm)`` uint32 signatures of grouped shingle hashes.

    `hashes` are 32-bit shingle hashes and `doc` their document (ascending). A
    document without shingles keeps the all-max row datasketch starts from; callers
    decide what that means (see `has_signature` in `compute_signatures`).
    """
    a, b = params.permutations()
    signatures = np.full((num_docs, params.num_perm), np.uint32(MAX_HASH32), dtype=np.uint32)
    if not len(hashes):
        return signatures
    legacy = params.scheme == "legacy"
    buffer = np.empty(
        (params.num_perm, min(SHINGLE_CHUNK, len(hashes))),
        dtype=np.uint64 if legacy else np.uint32,
    )
    mixed = hashes.astype(np.uint64) if legacy else _fmix32(hashes.astype(np.uint32))
    a_col, b_col = a[:, None], b[:, None]
    for lo in range(0, len(hashes), SHINGLE_CHUNK):
        hv, owner = mixed[lo : lo + SHINGLE_CHUNK], doc[lo : lo + SHINGLE_CHUNK]
        # Permutations along rows, shingles along columns: reduceat then runs over
        # contiguous memory, 20x faster than reducing along axis 0. The buffer is
        # reused and sized to stay in cache.
        permuted = buffer[:, : len(hv)]
        np.multiply(a_col, hv[None, :], out=permuted)
        permuted += b_col
        if legacy:
            # uint64 wrap-around before the modulo, exactly as datasketch computes it.
            permuted %= MERSENNE_PRIME
            permuted &= MAX_HASH32
        segment = np.flatnonzero(np.append(True, owner[1:] != owner[:-1]))
        mins = np.minimum.reduceat(permuted, segment, axis=1).T
        rows = owner[segment]
        if legacy:
            mins = mins.astype(np.uint32)
        # Only the first and last document of a chunk can continue across chunks.
        signatures[rows[0]] = np.minimum(signatures[rows[0]], mins[0])
        signatures[rows[1:]] = mins[1:]
    return signatures


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


def _distinct(hashes: np.ndarray, doc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the sorted distinct ``(doc, hash)`` pairs of grouped shingle hashes."""
    packed = (doc.astype(np.uint64) << np.uint64(32)) | hashes.astype(np.uint64)
    packed.sort()
    keep = np.empty(len(packed), dtype=bool)
    if len(packed):
        keep[0] = True
        np.not_equal(packed[1:], packed[:-1], out=keep[1:])
    packed = packed[keep]
    return (packed & np.uint64(MAX_HASH32)).astype(np.uint32), (packed >> np.uint64(32)).astype(
        np.int64
    )


def _char_hashes(
    texts: pa.Array, rows: np.ndarray, params: MinHashParams, short_docs: ShortDocs
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Character shingles of `rows` (scripts without spaces): ``(hashes, doc, counts)``."""
    strings = normalize_texts(texts.take(pa.array(rows)))
    strings = pc.replace_substring(strings, " ", "")
    spans: Spans = unit_spans(strings, by_char=True, n=params.char_ngram, short_docs=short_docs)
    counts = np.bincount(spans.doc, minlength=len(rows))
    return spans.hashes(), rows[spans.doc], counts


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

    Word shingles come from `word_shingle_hashes`, character shingles (scripts
    without spaces) from the normalised text; each document's shingle hashes are
    made distinct (sorted) before the MinHash arithmetic, which repeats cannot change.
    """
    texts = pc.fill_null(pc.cast(texts, pa.string()), "")
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    lengths = np.asarray(pc.binary_length(texts), dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    signatures = np.empty((len(texts), params.num_perm), dtype=np.uint32)
    counts = np.zeros(len(texts), dtype=np.int64)
    set_sizes = np.zeros(len(texts), dtype=np.int64)
    values = []
    for start, stop in _chunks(offsets):
        chunk = texts.slice(start, stop - start)
        words = word_shingle_hashes(chunk, n=params.ngram, short_docs=short_docs)
        hashes, doc, chunk_counts = words.hashes, words.doc, words.counts
        if words.by_char.any():
            rows = np.flatnonzero(words.by_char)
            char_h, char_doc, char_counts = _char_hashes(chunk, rows, params, short_docs)
            chunk_counts = chunk_counts.copy()
            chunk_counts[rows] = char_counts
            hashes, doc = np.concatenate([hashes, char_h]), np.concatenate([doc, char_doc])
        hashes, doc = _distinct(hashes, doc)
        signatures[start:stop] = minhash_hashes(hashes, doc, stop - start, params)
        counts[start:stop] = chunk_counts
        set_sizes[start:stop] = np.bincount(doc, minlength=stop - start)
        values.append(hashes)
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
