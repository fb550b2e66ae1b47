"""Compiled (numba) loops over the tokens of a batch: lexicon look-ups, repeat keys,
stop-word counts.

* `lookup` finds every letter run in a fixed lexicon (`index`, `filter_bits`; equal
  hashes are compared value by value), from the hashes the scanner keeps as it writes
  them (``boilerplate_kernels``), and hashes each line's runs; `first_equal` finds, per
  document, the first line with the same runs (exact: lines are compared where the
  hashes agree). No table of the batch's distinct words is built;
* `stop_hits` counts each line's stop words, given a language bit mask per word.

Compiled on first use and cached next to this file (``cache=True``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cleanse.stages.boilerplate_match import same


@njit(cache=True, nogil=True, inline="always")
def _fmix64(h):
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> np.uint64(33))


#: FNV-1a over the values of a sequence; `_finish` mixes in its length.
FNV_BASIS = np.uint64(0xCBF29CE484222325)
FNV_PRIME = np.uint64(0x100000001B3)


@njit(cache=True, nogil=True, inline="always")
def _fnv(values, start, stop):
    h = FNV_BASIS
    for j in range(start, stop):
        h = (h ^ np.uint64(values[j])) * FNV_PRIME
    return h


@njit(cache=True, nogil=True, inline="always")
def _finish(state, size):
    """The hash of a sequence of `size` values from its FNV-1a `state`."""
    return _fmix64(state ^ np.uint64(size))


_TAG = np.uint64(0xFFFFFFFF00000000)
_ID = np.uint64(0xFFFFFFFF)


@njit(cache=True, nogil=True, inline="always")
def _entry(h, d):
    """A `_probe` table entry: the high half of hash `h` and 1 + the id `d`."""
    return (h & _TAG) | np.uint64(d + 1)


@njit(cache=True, nogil=True, inline="always")
def _probe(table, h, kept, kept_offsets, values, start, stop):
    """Return ``(entry, id)`` of ``values[start:stop]`` (hash `h`) in `table`: the entry
    holding it and its id, or the empty entry where it would go and -1.

    `table` is open-addressing from the low bits of the hash, one word per entry
    (`_entry`; 0: empty), so a table of most batches' words stays in cache; where the
    high halves of the hashes agree, the values are compared with
    ``kept[kept_offsets[id]:...]``.
    """
    mask = np.uint64(len(table) - 1)
    entry = h & mask  # unsigned: numba leaves out the wraparound of negative indices
    tag = h & _TAG
    while table[entry]:
        d = (table[entry] & _ID) - np.uint64(1)
        if table[entry] & _TAG == tag and same(
            kept, kept_offsets[d], kept_offsets[d + np.uint64(1)], values, start, stop
        ):
            return np.int64(entry), np.int64(d)
        entry = (entry + np.uint64(1)) & mask
    return np.int64(entry), -1


@njit(cache=True, nogil=True)
def _table(hashes, count, size):
    """A `_probe` table of `size` entries holding ids ``0..count-1`` of `hashes`."""
    table = np.zeros(size, dtype=np.uint64)
    for d in range(count):
        entry = np.int64(hashes[d] & np.uint64(size - 1))
        while table[entry]:
            entry = (entry + 1) & (size - 1)
        table[entry] = _entry(hashes[d], d)
    return table


#: `filter_bits`: one bit per value of the top `_FILTER_BITS` bits of a hash (128 KB).
_FILTER_BITS = 20
_FILTER_SHIFT = np.uint64(64 - _FILTER_BITS)


@njit(cache=True, nogil=True)
def filter_bits(values, offsets):
    """A bit set of the hashes of the sequences of `values` (`lookup`'s `lexicon_filter`):
    a sequence whose bit is clear is surely not among them. Small enough to stay in
    cache where the table of a large lexicon would not."""
    bits = np.zeros(1 << (_FILTER_BITS - 6), dtype=np.uint64)
    for t in range(len(offsets) - 1):
        h = _finish(_fnv(values, offsets[t], offsets[t + 1]), offsets[t + 1] - offsets[t])
        at = h >> _FILTER_SHIFT
        bits[at >> np.uint64(6)] |= np.uint64(1) << (at & np.uint64(63))
    return bits


@njit(cache=True, nogil=True)
def lookup(
    values, offsets, states, line_starts, lexicon_values, lexicon_offsets, lexicon_table,
    lexicon_filter,
):  # fmt: skip
    """Find each sequence ``values[offsets[t]:offsets[t + 1]]`` (FNV-1a states `states`)
    in a fixed lexicon (`index`'s table, `filter_bits`' filter), and hash each line's
    sequence of them.

    Returns ``(known, line_keys)``: the index of the equal lexicon entry of every
    sequence (``len(lexicon_offsets) - 1`` where none is: one past the last entry), and
    for each line (its sequences ``line_starts[i]:line_starts[i + 1]``) a 64-bit hash of
    its sequences in order, for `first_equal`. One probe per sequence of a table that
    stays the same, instead of numbering the distinct ones of the batch first.
    """
    missing = len(lexicon_offsets) - 1
    known = np.empty(len(offsets) - 1, dtype=np.int64)
    lines = len(line_starts) - 1
    line_keys = np.empty(lines, dtype=np.uint64)
    for i in range(lines):
        key = FNV_BASIS
        for t in range(line_starts[i], line_starts[i + 1]):
            start, stop = offsets[t], offsets[t + 1]
            h = _finish(states[t], stop - start)
            at = h >> _FILTER_SHIFT
            known[t] = missing
            if lexicon_filter[at >> np.uint64(6)] & (np.uint64(1) << (at & np.uint64(63))):
                d = _probe(lexicon_table, h, lexicon_values, lexicon_offsets, values, start, stop)
                if d[1] >= 0:
                    known[t] = d[1]
            key = _fmix64(key ^ h) * FNV_PRIME
        line_keys[i] = _finish(key, line_starts[i + 1] - line_starts[i])
    return known, line_keys


@njit(cache=True, nogil=True, inline="always")
def _same_line(values, offsets, line_starts, i, j):
    """Whether lines `i` and `j` have the same sequences (`first_equal`)."""
    a, b = line_starts[i], line_starts[j]
    size = line_starts[i + 1] - a
    if line_starts[j + 1] - b != size:
        return False
    for t in range(size):
        ta, tb = a + t, b + t
        if not same(values, offsets[ta], offsets[ta + 1], values, offsets[tb], offsets[tb + 1]):
            return False
    return True


@njit(cache=True, nogil=True)
def first_equal(doc_starts, line_keys, values, offsets, line_starts):
    """Per line, the first line of its document with the same sequences (itself if none
    before it has them), compared value by value where `lookup`'s `line_keys` agree: so
    two lines have the same result exactly when they are equal and in one document."""
    n = len(line_keys)
    out = np.empty(n, dtype=np.int64)
    longest = 1
    for d in range(len(doc_starts) - 1):
        longest = max(longest, doc_starts[d + 1] - doc_starts[d])
    size = 16
    while size < 2 * longest:
        size *= 2
    mask = np.uint64(size - 1)
    slot_line = np.zeros(size, dtype=np.int64)
    stamp = np.full(size, -1, dtype=np.int64)  # the document that filled the slot
    for d in range(len(doc_starts) - 1):
        for i in range(doc_starts[d], doc_starts[d + 1]):
            at = line_keys[i] & mask
            out[i] = i
            while stamp[at] == d:
                j = slot_line[at]
                if line_keys[j] == line_keys[i] and _same_line(values, offsets, line_starts, i, j):
                    out[i] = j
                    break
                at = (at + np.uint64(1)) & mask
            if out[i] == i:
                stamp[at] = d
                slot_line[at] = i
    return out


@njit(cache=True, nogil=True)
def index(values, offsets):
    """A `_probe` table of the (distinct) sequences of `values`, for `lookup`."""
    n = len(offsets) - 1
    size = 1024
    while size < 2 * n:
        size *= 2
    hashes = np.empty(n, dtype=np.uint64)
    for t in range(n):
        hashes[t] = _finish(_fnv(values, offsets[t], offsets[t + 1]), offsets[t + 1] - offsets[t])
    return _table(hashes, n, size)


@njit(cache=True, nogil=True)
def stop_hits(word_ids, word_starts, line_language, stop_masks):
    """Per line, how many of its words are stop words of its language (0 for -1):
    bit ``line_language[line]`` of ``stop_masks[word]``."""
    n = len(word_starts) - 1
    hits = np.zeros(n, dtype=np.int64)
    for i in range(n):
        language = line_language[i]
        if language < 0:
            continue
        bit = np.uint64(1) << np.uint64(language)
        count = 0
        for t in range(word_starts[i], word_starts[i + 1]):
            if stop_masks[word_ids[t]] & bit:
                count += 1
        hits[i] = count
    return hits
