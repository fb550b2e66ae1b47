"""Compiled (numba) loops of the shingle and MinHash path, one pass per document.

They compute exactly what the scalar reference in `cleanse.dedup.shingles` defines
(`_word_hash64`, `shingle_hash32`, `char_mode`) and what datasketch's permutations
compute; `cleanse.dedup.signatures` calls them and the tests compare the results
with the reference and with ``datasketch.MinHash``. Everything Unicode-aware (NFKC,
case, script classes) stays in pyarrow, applied once per distinct non-ASCII token
of a batch; these loops only see bytes and 64-bit hashes.

Compiled on first use and cached next to this file (``cache=True``; numba falls
back to a per-user cache folder where that is not writable), so only the first
process on a machine pays the compile.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: The 64-bit golden ratio: odd multiplier of the polynomial hashes, seed of the band keys.
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_LEN_MIX = np.uint64(0xC2B2AE3D27D4EB4F)
_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)
_S32 = np.uint64(32)
_F1 = np.uint32(0x85EBCA6B)
_F2 = np.uint32(0xC2B2AE35)
_MAX32 = np.uint32(0xFFFFFFFF)
_MERSENNE = np.uint64((1 << 61) - 1)
_MASK32 = np.uint64(0xFFFFFFFF)

#: Byte classes of `scan_tokens`: cuts tokens, ASCII letter or digit, needs pyarrow.
SEPARATOR, SIMPLE, COMPLEX = 0, 1, 2


@njit(cache=True, nogil=True, inline="always")
def _fmix64(h):
    h ^= h >> _S33
    h *= _M1
    h ^= h >> _S33
    h *= _M2
    h ^= h >> _S33
    return h


@njit(cache=True, nogil=True, inline="always")
def _grow(array, size):
    """Return `array`, or a copy at least twice as long when it holds fewer than `size`."""
    if size <= len(array):
        return array
    bigger = np.empty(max(size, 2 * len(array)), dtype=array.dtype)
    bigger[: len(array)] = array
    return bigger


@njit(cache=True, nogil=True)
def scan_tokens(data, offsets, table, kind):
    """Cut every document of ``data[offsets[i]:offsets[i+1]]`` into tokens and hash them.

    A token is a run of bytes whose `kind` is not SEPARATOR, mapped through `table`
    (the split table of `cleanse.dedup.shingles`). A token of SIMPLE bytes only is
    one normalised word: its `_word_hash64` is computed here. A token with a COMPLEX
    byte (non-ASCII, or ``<=>``) is copied out for pyarrow to normalise.

    Returns ``(doc_tokens, token_hash, token_ref, token_len, complex_data,
    complex_offsets)``: token offsets per document; the word hash of each simple
    token; -1 for a simple token, else the index of the complex token; the byte
    length of each token; the mapped bytes of the complex tokens and their offsets.
    """
    num_docs = len(offsets) - 1
    # At most one token every two bytes of a document (a byte and a separator).
    capacity = (len(data) + num_docs) // 2 + 1
    doc_tokens = np.empty(num_docs + 1, dtype=np.int64)
    token_hash = np.empty(capacity, dtype=np.uint64)
    token_ref = np.empty(capacity, dtype=np.int64)
    token_len = np.empty(capacity, dtype=np.int64)
    complex_data = np.empty(len(data), dtype=np.uint8)
    complex_offsets = np.empty(capacity + 1, dtype=np.int64)
    complex_offsets[0] = 0
    t = 0
    c = 0
    for d in range(num_docs):
        doc_tokens[d] = t
        i = offsets[d]
        end = offsets[d + 1]
        while i < end:
            while i < end and kind[data[i]] == SEPARATOR:
                i += 1
            if i == end:
                break
            start = i
            h = np.uint64(0)
            power = np.uint64(1)
            is_complex = False
            while i < end:
                k = kind[data[i]]
                if k == SEPARATOR:
                    break
                is_complex |= k == COMPLEX
                h += np.uint64(table[data[i]]) * power
                power *= GOLDEN
                i += 1
            length = i - start
            token_len[t] = length
            if is_complex:
                begin = complex_offsets[c]
                for j in range(length):
                    complex_data[begin + j] = table[data[start + j]]
                complex_offsets[c + 1] = begin + length
                token_ref[t] = c
                token_hash[t] = 0
                c += 1
            else:
                token_ref[t] = -1
                token_hash[t] = _fmix64(h ^ (np.uint64(length) * _LEN_MIX))
            t += 1
    doc_tokens[num_docs] = t
    return (
        doc_tokens,
        token_hash[:t],
        token_ref[:t],
        token_len[:t],
        complex_data[: complex_offsets[c]],
        complex_offsets[: c + 1],
    )


@njit(cache=True, nogil=True)
def hash_words(data, offsets):
    """Hash the words of normalised strings (words separated by one ``" "``).

    Returns ``(word_offsets, word_hash, letters)``: the words of string i are
    ``word_hash[word_offsets[i]:word_offsets[i+1]]`` (`_word_hash64` each), and
    `letters` counts its characters other than spaces.
    """
    num = len(offsets) - 1
    words = 0
    for i in range(num):
        if offsets[i + 1] > offsets[i]:
            words += 1
            for j in range(offsets[i], offsets[i + 1]):
                if data[j] == 0x20:
                    words += 1
    word_offsets = np.empty(num + 1, dtype=np.int64)
    word_hash = np.empty(words, dtype=np.uint64)
    letters = np.zeros(num, dtype=np.int64)
    w = 0
    for i in range(num):
        word_offsets[i] = w
        start = offsets[i]
        h = np.uint64(0)
        power = np.uint64(1)
        for j in range(offsets[i], offsets[i + 1] + 1):
            if j == offsets[i + 1] or data[j] == 0x20:
                if j > offsets[i]:
                    word_hash[w] = _fmix64(h ^ (np.uint64(j - start) * _LEN_MIX))
                    w += 1
                start = j + 1
                h = np.uint64(0)
                power = np.uint64(1)
            else:
                h += np.uint64(data[j]) * power
                power *= GOLDEN
                if data[j] & 0xC0 != 0x80:
                    letters[i] += 1
    word_offsets[num] = w
    return word_offsets, word_hash, letters


@njit(cache=True, nogil=True)
def _sorted_distinct(values, count, scratch, out, at):
    """Sort ``values[:count]`` in place and append its distinct values to `out` from `at`.

    LSD radix sort, four 8-bit passes (5x numba's quicksort on a document's few
    hundred random hashes); `scratch` is at least `count` long.
    """
    part = values[:count]
    if count < 64:
        part.sort()
    else:
        histogram = np.empty(256, dtype=np.int64)
        source, target = part, scratch[:count]
        for shift in range(0, 32, 8):
            histogram[:] = 0
            for i in range(count):
                histogram[(source[i] >> np.uint32(shift)) & np.uint32(255)] += 1
            total = 0
            for k in range(256):
                size = histogram[k]
                histogram[k] = total
                total += size
            for i in range(count):
                k = (source[i] >> np.uint32(shift)) & np.uint32(255)
                target[histogram[k]] = source[i]
                histogram[k] += 1
            source, target = target, source
        # An even number of passes: the sorted values are back in `part`.
    out = _grow(out, at + count)
    for i in range(count):
        if i == 0 or part[i] != part[i - 1]:
            out[at] = part[i]
            at += 1
    return out, at


@njit(cache=True, nogil=True)
def shingle_sets(
    data,
    offsets,
    table,
    kind,
    doc_tokens,
    token_hash,
    token_ref,
    token_len,
    complex_distinct,
    distinct_words,
    word_hash,
    distinct_letters,
    distinct_special,
    normalized,
    normalized_offsets,
    ngram,
    char_ngram,
    whole,
    share,
):
    """Return ``(values, set_sizes, counts, by_char)``: each document's shingle set.

    Word mode: the words of a document are its simple tokens' hashes and the words
    of its complex tokens' normalised forms (`complex_distinct` maps a complex token
    to its distinct form, whose words are ``distinct_words[k]:distinct_words[k+1]``
    of `word_hash`); a shingle hash is the polynomial of `ngram` word hashes,
    finalised (`shingle_hash32`). Character mode (`char_mode`: special characters
    are at least `share` of the non-space characters) hashes `char_ngram`-grams of
    the normalised text without spaces, rebuilt from the tokens (the document's raw
    bytes are scanned again). A document with fewer units than n has the whole text
    as one shingle if `whole`. Sets are sorted, distinct, concatenated in `values`
    (uint32); `counts` are shingles with repeats.
    """
    num_docs = len(offsets) - 1
    values = np.empty(len(token_hash) + num_docs, dtype=np.uint32)
    set_sizes = np.zeros(num_docs, dtype=np.int64)
    counts = np.zeros(num_docs, dtype=np.int64)
    by_char = np.zeros(num_docs, dtype=np.bool_)
    words = np.empty(1024, dtype=np.uint64)
    hashes = np.empty(1024, dtype=np.uint32)
    scratch = np.empty(1024, dtype=np.uint32)
    chars = np.empty(4096, dtype=np.uint8)
    starts = np.empty(1024, dtype=np.int64)
    at = 0
    for d in range(num_docs):
        special = 0
        letters = 0
        num_words = 0
        for t in range(doc_tokens[d], doc_tokens[d + 1]):
            ref = token_ref[t]
            if ref < 0:
                letters += token_len[t]
                num_words += 1
            else:
                k = complex_distinct[ref]
                special += distinct_special[k]
                letters += distinct_letters[k]
                num_words += distinct_words[k + 1] - distinct_words[k]
        before = at
        if special > 0 and special >= share * max(float(letters), 1.0):
            by_char[d] = True
            # The normalised text without spaces: mapped simple tokens, normalised
            # complex ones, in order.
            size = 0
            inside = False
            start = 0
            t = doc_tokens[d]
            for i in range(offsets[d], offsets[d + 1] + 1):
                k = kind[data[i]] if i < offsets[d + 1] else SEPARATOR
                if k != SEPARATOR:
                    if not inside:
                        inside, start = True, i
                    continue
                if not inside:
                    continue
                inside = False
                ref = token_ref[t]
                t += 1
                if ref < 0:
                    chars = _grow(chars, size + i - start)
                    for j in range(start, i):
                        chars[size] = table[data[j]]
                        size += 1
                else:
                    form = complex_distinct[ref]
                    lo, hi = normalized_offsets[form], normalized_offsets[form + 1]
                    chars = _grow(chars, size + hi - lo)
                    for j in range(lo, hi):
                        if normalized[j] != 0x20:
                            chars[size] = normalized[j]
                            size += 1
            units = 0
            for j in range(size):
                if chars[j] & 0xC0 != 0x80:
                    starts = _grow(starts, units + 2)
                    starts[units] = j
                    units += 1
            starts[units] = size
            if units >= char_ngram:
                count = units - char_ngram + 1
                hashes = _grow(hashes, count)
                for s in range(count):
                    lo, hi = starts[s], starts[s + char_ngram]
                    hashes[s] = _span_hash32(chars, lo, hi)
            elif units > 0 and whole:
                count = 1
                hashes[0] = _span_hash32(chars, 0, size)
            else:
                count = 0
        else:
            words = _grow(words, num_words)
            w = 0
            for t in range(doc_tokens[d], doc_tokens[d + 1]):
                ref = token_ref[t]
                if ref < 0:
                    words[w] = token_hash[t]
                    w += 1
                else:
                    k = complex_distinct[ref]
                    for j in range(distinct_words[k], distinct_words[k + 1]):
                        words[w] = word_hash[j]
                        w += 1
            if num_words >= ngram:
                count = num_words - ngram + 1
                hashes = _grow(hashes, count)
                for s in range(count):
                    h = words[s]
                    for j in range(s + 1, s + ngram):
                        h = h * GOLDEN + words[j]
                    hashes[s] = np.uint32(_fmix64(h) >> _S32)
            elif num_words > 0 and whole:
                count = 1
                h = words[0]
                for j in range(1, num_words):
                    h = h * GOLDEN + words[j]
                hashes[0] = np.uint32(_fmix64(h) >> _S32)
            else:
                count = 0
        counts[d] = count
        scratch = _grow(scratch, count)
        values, at = _sorted_distinct(hashes, count, scratch, values, at)
        set_sizes[d] = at - before
    return values[:at], set_sizes, counts, by_char


@njit(cache=True, nogil=True, inline="always")
def _span_hash32(data, lo, hi):
    """`shingle_hash32` of a span without spaces: one word."""
    h = np.uint64(0)
    power = np.uint64(1)
    for j in range(lo, hi):
        h += np.uint64(data[j]) * power
        power *= GOLDEN
    word = _fmix64(h ^ (np.uint64(hi - lo) * _LEN_MIX))
    return np.uint32(_fmix64(word) >> _S32)


@njit(cache=True, nogil=True)
def minhash(values, set_offsets, a, b, legacy, out):
    """Fill `out` (``(docs, num_perm)`` uint32) with the MinHash of each run of `values`.

    datasketch's ``affine32`` scheme: ``min(a * fmix32(h) + b mod 2**32)``; with
    `legacy`, ``min((a * h + b wrapping in uint64) mod 2**61 - 1, low 32 bits)``. A
    document without values gets all-max. LLVM vectorises the loop over permutations.
    """
    num_perm = len(a)
    for d in range(len(set_offsets) - 1):
        row = out[d]
        for j in range(num_perm):
            row[j] = _MAX32
        for i in range(set_offsets[d], set_offsets[d + 1]):
            if legacy:
                wide = np.uint64(values[i])
                for j in range(num_perm):
                    x = np.uint32(((a[j] * wide + b[j]) % _MERSENNE) & _MASK32)
                    if x < row[j]:
                        row[j] = x
                continue
            h = np.uint32(values[i])
            h ^= h >> np.uint32(16)
            h = np.uint32(h * _F1)
            h ^= h >> np.uint32(13)
            h = np.uint32(h * _F2)
            h ^= h >> np.uint32(16)
            for j in range(num_perm):
                x = np.uint32(a[j] * h + b[j])
                if x < row[j]:
                    row[j] = x


@njit(cache=True, nogil=True)
def common_counts(values, offsets, left, right):
    """Return, for each pair p, how many values the sorted distinct runs of rows
    ``left[p]`` and ``right[p]`` share (a merge); row r's run is
    ``values[offsets[r]:offsets[r + 1]]``, so a row in many pairs is stored once."""
    out = np.zeros(len(left), dtype=np.int64)
    for p in range(len(left)):
        i, i_end = offsets[left[p]], offsets[left[p] + 1]
        j, j_end = offsets[right[p]], offsets[right[p] + 1]
        common = 0
        while i < i_end and j < j_end:
            x, y = values[i], values[j]
            common += x == y
            i += x <= y
            j += y <= x
        out[p] = common
    return out


@njit(cache=True, nogil=True)
def band_keys(signatures, rows_per_band, num_bands, golden):
    """Return ``(docs, num_bands)`` uint64 band keys: `cleanse.dedup.index.band_keys`'s mix."""
    out = np.empty((signatures.shape[0], num_bands), dtype=np.uint64)
    for d in range(signatures.shape[0]):
        for band in range(num_bands):
            h = np.uint64(band + 1) * golden
            for column in range(band * rows_per_band, (band + 1) * rows_per_band):
                h = _fmix64(h ^ np.uint64(signatures[d, column]))
            out[d, band] = h
    return out


@njit(cache=True, nogil=True)
def sort_by_key_then_rank(keys, ranks):
    """Sort `keys` (uint64) and `ranks` (uint32) in place by (key, rank), as ``np.lexsort``.

    LSD radix sort of the keys, 16 bits a pass, stable (a pass whose digit is the same
    for every record is skipped); then each run of equal keys, short on web corpora,
    has its ranks put in order in place.
    """
    n = len(keys)
    other_keys = np.empty_like(keys)
    other_ranks = np.empty_like(ranks)
    counts = np.empty(65537, dtype=np.int64)
    flipped = False
    for step in range(4):
        shift = np.uint64(16 * step)
        src_k, src_r = (other_keys, other_ranks) if flipped else (keys, ranks)
        dst_k, dst_r = (keys, ranks) if flipped else (other_keys, other_ranks)
        counts[:] = 0
        for i in range(n):
            counts[np.int64((src_k[i] >> shift) & np.uint64(0xFFFF)) + 1] += 1
        if counts.max() == n:
            continue
        for digit in range(65536):
            counts[digit + 1] += counts[digit]
        for i in range(n):
            digit = np.int64((src_k[i] >> shift) & np.uint64(0xFFFF))
            at = counts[digit]
            dst_k[at] = src_k[i]
            dst_r[at] = src_r[i]
            counts[digit] = at + 1
        flipped = not flipped
    if flipped:
        keys[:] = other_keys
        ranks[:] = other_ranks
    start = 0
    while start < n:
        stop = start + 1
        while stop < n and keys[stop] == keys[start]:
            stop += 1
        if stop - start > 16:
            ranks[start:stop] = np.sort(ranks[start:stop])
        else:
            for i in range(start + 1, stop):  # insertion sort
                rank = ranks[i]
                j = i - 1
                while j >= start and ranks[j] > rank:
                    ranks[j + 1] = ranks[j]
                    j -= 1
                ranks[j + 1] = rank
        start = stop
