"""MinHash signatures of whole batches, bit-identical to ``datasketch.MinHash``.

The arithmetic is datasketch's, applied to all shingles of a run of documents at
once: permute every shingle hash with all `num_perm` permutations (a ``(shingles,
num_perm)`` array, built in chunks to bound memory), then take the minimum per
document with ``np.minimum.reduceat`` over the shingles, which are grouped by
document. Given the same shingles, ``hashfunc=shingle_hash32``, seed, num_perm and
scheme, ``datasketch.MinHash(...).hashvalues`` equals our row (tested).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cleanse.dedup.params import MAX_HASH32, MERSENNE_PRIME, MinHashParams
from cleanse.dedup.shingles import ShortDocs, Spans, char_mode, normalize_texts, unit_spans

#: Shingles permuted at once: 16384 x 128 permutations x 4 bytes = 8 MB.
SHINGLE_CHUNK = 16384
#: Normalised text handled at once, in bytes: bounds the prefix-sum arrays (x 24).
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
    for lo in range(0, len(hashes), SHINGLE_CHUNK):
        hv, owner = hashes[lo : lo + SHINGLE_CHUNK], doc[lo : lo + SHINGLE_CHUNK]
        # Permutations along rows, shingles along columns: reduceat then runs over
        # contiguous memory, 20x faster than reducing along axis 0.
        if params.scheme == "legacy":
            # uint64 wrap-around before the modulo, exactly as datasketch computes it.
            permuted = np.multiply.outer(a, hv.astype(np.uint64))
            permuted += b[:, None]
            permuted %= MERSENNE_PRIME
            permuted &= MAX_HASH32
        else:
            permuted = np.multiply.outer(a, _fmix32(hv.astype(np.uint32)))
            permuted += b[:, None]
        segment = np.flatnonzero(np.append(True, owner[1:] != owner[:-1]))
        mins = np.minimum.reduceat(permuted, segment, axis=1).T
        rows = owner[segment]
        signatures[rows] = np.minimum(signatures[rows], mins)
    return signatures


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


def _signatures_of(
    strings: pa.StringArray, *, by_char: bool, params: MinHashParams, short_docs: ShortDocs
) -> tuple[np.ndarray, np.ndarray]:
    n = params.char_ngram if by_char else params.ngram
    signatures = np.empty((len(strings), params.num_perm), dtype=np.uint32)
    counts = np.zeros(len(strings), dtype=np.int64)
    lengths = np.asarray(pc.fill_null(pc.binary_length(strings), 0), dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    for start, stop in _chunks(offsets):
        spans: Spans = unit_spans(strings[start:stop], by_char=by_char, n=n, short_docs=short_docs)
        signatures[start:stop] = minhash_hashes(spans.hashes(), spans.doc, stop - start, params)
        counts[start:stop] = np.bincount(spans.doc, minlength=stop - start)
    return signatures, counts


def compute_signatures(
    texts: pa.Array, params: MinHashParams, *, short_docs: ShortDocs = "whole"
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(signatures, shingle_counts)`` for raw `texts`.

    `signatures` is ``(len(texts), num_perm)`` uint32; a row whose shingle count is 0
    (empty text, or shorter than n under ``short_docs="skip"``) is all-max and must not
    be indexed.
    """
    normalized = normalize_texts(texts)
    if isinstance(normalized, pa.ChunkedArray):
        normalized = normalized.combine_chunks()
    by_char = char_mode(normalized)
    signatures = np.empty((len(normalized), params.num_perm), dtype=np.uint32)
    counts = np.zeros(len(normalized), dtype=np.int64)
    for mode in (False, True):
        rows = np.flatnonzero(by_char == mode)
        if not len(rows):
            continue
        strings = normalized.take(pa.array(rows)) if len(rows) < len(normalized) else normalized
        if mode:
            strings = pc.replace_substring(strings, " ", "")
        sig, cnt = _signatures_of(strings, by_char=mode, params=params, short_docs=short_docs)
        signatures[rows], counts[rows] = sig, cnt
    return signatures, counts
