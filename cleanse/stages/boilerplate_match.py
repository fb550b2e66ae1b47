"""Compiled (numba) equivalents of the patterns and hashes ``strip_boilerplate`` applies
to one line: the scanner (``boilerplate_kernels``) calls them on code points.

* `link_size`: a match of the link pattern at one position, as ``re`` would take it;
* `date_ends`: whether a date or time pattern match ends with a run of digits;
* `grams`: the CRC-32 of each distinct character 3-5-gram of a short line;
* `crc_char`: ``zlib.crc32`` fed one code point as UTF-8;
* `literal_marks`: which of the phrase and credit prefilters' literals each line holds.

Compiled on first use and cached next to this file (``cache=True``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cleanse.stages.boilerplate_chars import WORD

_CRC_TABLE = np.zeros(256, dtype=np.uint32)
for _byte in range(256):
    _value = _byte
    for _ in range(8):
        _value = (_value >> 1) ^ 0xEDB88320 if _value & 1 else _value >> 1
    _CRC_TABLE[_byte] = _value
ZERO, SPACE_CHAR, DOT = 0x30, 0x20, 0x2E
INVERT = np.uint32(0xFFFFFFFF)
# "https://", "www.", and the domain endings of the link pattern, in its order.
_HTTP = np.array([ord(c) for c in "http"], dtype=np.int32)
_SLASHES = np.array([ord(c) for c in "://"], dtype=np.int32)
_WWW = np.array([ord(c) for c in "www."], dtype=np.int32)
_TLDS = ("com", "org", "net", "html", "htm", "php", "de", "fr", "se", "fi", "es")
_TLD_CHARS = np.array([ord(c) for t in _TLDS for c in t], dtype=np.int32)
_TLD_OFFSETS = np.cumsum([0] + [len(t) for t in _TLDS]).astype(np.int64)
#: The characters a domain ending of the link pattern starts with.
_TLD_FIRST = np.zeros(128, dtype=np.bool_)
_TLD_FIRST[[ord(t[0]) for t in _TLDS]] = True


@njit(cache=True, nogil=True, inline="always")
def may_link(lo, k):
    """False where `link_size` at `k` is surely 0, from ``lo[k]`` (h, w, . or @) and the
    character after it (there must be one): "ht", "ww", "." before a domain ending's first
    letter. Inlined: it rules out most calls, which cost far more."""
    c, follows = lo[k], lo[k + 1]
    if c == 0x68:
        return follows == 0x74
    if c == 0x77:
        return follows == 0x77
    if c == DOT:
        return follows < 128 and _TLD_FIRST[follows]
    return True


@njit(cache=True, nogil=True, inline="always")
def crc_char(crc, c):
    """Feed the UTF-8 bytes of code point `c` to a running (inverted) CRC-32."""
    if c < 0x80:
        return _CRC_TABLE[(crc ^ c) & 0xFF] ^ (crc >> 8)
    if c < 0x800:
        crc = _CRC_TABLE[(crc ^ (0xC0 | (c >> 6))) & 0xFF] ^ (crc >> 8)
    elif c < 0x10000:
        crc = _CRC_TABLE[(crc ^ (0xE0 | (c >> 12))) & 0xFF] ^ (crc >> 8)
        crc = _CRC_TABLE[(crc ^ (0x80 | ((c >> 6) & 0x3F))) & 0xFF] ^ (crc >> 8)
    else:
        crc = _CRC_TABLE[(crc ^ (0xF0 | (c >> 18))) & 0xFF] ^ (crc >> 8)
        crc = _CRC_TABLE[(crc ^ (0x80 | ((c >> 12) & 0x3F))) & 0xFF] ^ (crc >> 8)
        crc = _CRC_TABLE[(crc ^ (0x80 | ((c >> 6) & 0x3F))) & 0xFF] ^ (crc >> 8)
    return _CRC_TABLE[(crc ^ (0x80 | (c & 0x3F))) & 0xFF] ^ (crc >> 8)


@njit(cache=True, nogil=True, inline="always")
def same(a_values, a_start, a_stop, b_values, b_start, b_stop):
    """Whether ``a_values[a_start:a_stop]`` equals ``b_values[b_start:b_stop]``."""
    if a_stop - a_start != b_stop - b_start:
        return False
    # a loop (numba compiles no generators); unsigned indices: numba leaves out the
    # wraparound of negative ones
    for j in range(a_stop - a_start):
        if a_values[np.uint64(a_start + j)] != b_values[np.uint64(b_start + j)]:
            return False
    return True


@njit(cache=True, nogil=True, inline="always")
def _matches(seq, at, end, pattern, start, stop):
    """Return True when ``seq[at:end]`` begins with ``pattern[start:stop]``."""
    return at + stop - start <= end and same(pattern, start, stop, seq, at, at + stop - start)


@njit(cache=True, nogil=True)
def link_size(lo, k, m, flags):
    """Length of the match of ``https?://|www\\.|\\.(?:com|...)\\b|@\\w`` at `k` (0: none)."""
    c = lo[k]
    if c == 0x68 and _matches(lo, k, m, _HTTP, 0, 4):
        if _matches(lo, k + 4, m, _SLASHES, 0, 3):
            return 7
        if k + 4 < m and lo[k + 4] == 0x73 and _matches(lo, k + 5, m, _SLASHES, 0, 3):
            return 8
    elif c == 0x77 and _matches(lo, k, m, _WWW, 0, 4):
        return 4
    elif c == DOT:
        for t in range(len(_TLD_OFFSETS) - 1):
            a, b = _TLD_OFFSETS[t], _TLD_OFFSETS[t + 1]
            after = k + 1 + b - a
            if _matches(lo, k + 1, m, _TLD_CHARS, a, b) and (
                after == m or (flags[lo[after]] & WORD) == 0
            ):
                return 1 + b - a
    elif c == 0x40 and k + 1 < m and flags[lo[k + 1]] & WORD:
        return 2
    return 0


@njit(cache=True, nogil=True)
def date_ends(cps, start, end, open_left, open_right, runs_at):
    """Record the digit run ``cps[start:end]``; return True when a match of
    ``\\b\\d{1,4}[./-]\\d{1,2}[./-]\\d{1,4}\\b|\\b\\d{1,2}[:.]\\d{2}\\b`` ends with it.

    Every group of that pattern is a whole run of ``\\d`` (a ``\\b`` or a separator
    bounds it), so a match is a few runs, each one separator apart: this run (`open_right`:
    no word character follows) and the two before it, kept in `runs_at` as
    ``(start, end, open_left)`` each.
    """
    size = end - start
    p_start, p_end, p_open = runs_at[0], runs_at[1], runs_at[2]
    q_start, q_end, q_open = runs_at[3], runs_at[4], runs_at[5]
    found = False
    if open_right and p_end >= 0 and p_end == start - 1 and p_end - p_start <= 2:
        separator = cps[p_end]
        if size == 2 and p_open and (separator == 0x3A or separator == DOT):
            found = True
        if (
            size <= 4
            and (separator == DOT or separator == 0x2F or separator == 0x2D)
            and q_end >= 0
            and q_end == p_start - 1
            and q_end - q_start <= 4
            and q_open
            and (cps[q_end] == DOT or cps[q_end] == 0x2F or cps[q_end] == 0x2D)
        ):
            found = True
    runs_at[3], runs_at[4], runs_at[5] = p_start, p_end, p_open
    runs_at[0], runs_at[1], runs_at[2] = start, end, open_left
    return found


@njit(cache=True, nogil=True, inline="always")
def _folded(b):
    """Byte `b` with ASCII capitals lowered."""
    return b | 0x20 if 0x41 <= b <= 0x5A else b


@njit(cache=True, nogil=True, inline="always")
def _word_byte(b):
    """Whether byte `b` is an ASCII word character (``[0-9A-Za-z_]``)."""
    return (0x30 <= b <= 0x39) or (0x41 <= b <= 0x5A) or (0x61 <= b <= 0x7A) or b == 0x5F


#: ``literal_marks`` keys a literal by a 16-bit hash of three or four of its bytes:
#: the top half of the low 32 bits of their value (big-endian) times this.
GRAM_MULTIPLIER = 0x9E3779B1
#: Key tags: which gram a key is of (``| 16-bit hash``, or the two bytes for a pair).
QUAD_KEY, TRIGRAM_KEY, PAIR_KEY = 0, 1 << 16, 2 << 16


@njit(cache=True, nogil=True, inline="always")
def _has(bits, value):
    return bits[np.uint64(value >> 6)] & (np.uint64(1) << np.uint64(value & 63))


@njit(cache=True, nogil=True)
def _find_literals(data, s, e, end, key, keys, lit_data, lit_offsets, lit_flags, lit_at, found):
    """Append to `found` the index of each literal of `key` found in the span
    ``data[s:e]`` where its keyed gram ends at byte `end` (``lit_at``: where that gram
    starts in the literal, counted from its end); return the OR of their flags."""
    mark = 0
    lo, hi = 0, len(keys)
    while lo < hi:
        mid = (lo + hi) >> 1
        if keys[mid] < key:
            lo = mid + 1
        else:
            hi = mid
    while lo < len(keys) and keys[lo] == key:
        a, z = lit_offsets[lo], lit_offsets[lo + 1]
        at = end - lit_at[lo]
        flags = lit_flags[lo]
        t = lo
        lo += 1
        if at < s or at + z - a > e:
            continue
        equal = True
        for j in range(z - a):
            if _folded(np.int64(data[at + j])) != lit_data[a + j]:
                equal = False
                break
        if not equal:
            continue
        if flags & 8 and at > s and _word_byte(data[at - 1]):
            continue
        if flags & 16 and at + z - a < e and _word_byte(data[at + z - a]):
            continue
        mark |= flags & 7
        found.append(np.int64(t))
    return mark


@njit(cache=True, nogil=True)
def literal_marks(
    data, starts, stops, pair_bits, bounded_pair_bits, trigram_bits, quad_bits, keys, lit_data,
    lit_offsets, lit_flags, lit_at,
):  # fmt: skip
    """Per span ``data[starts[i]:stops[i]]`` of UTF-8, the literals of
    ``boilerplate_phrases.literal_table`` it contains (ASCII letters in any case; ``\\b``
    checked against ASCII word bytes where a literal asks for it).

    Returns the OR of the flags (low 3 bits) of each span's literals, with 4 where the
    span holds a character of ``boilerplate_phrases.IGNORECASE_ASCII`` (Python's
    IGNORECASE matches them to ASCII letters); and every ``(span, literal)`` found, as
    two arrays.

    Each literal is looked for where one of its grams ends, found by a hash of the last
    four or three bytes (`quad_bits`, `trigram_bits`) or by the last two (two-byte
    literals; those asking for ``\\b`` before them in `bounded_pair_bits`, tried after a
    non-word byte only).
    """
    out = np.zeros(len(starts), dtype=np.uint8)
    hit_spans = [np.int64(0) for _ in range(0)]
    found = [np.int64(0) for _ in range(0)]
    for i in range(len(starts)):
        s, e = starts[i], stops[i]
        mark = 0
        v = 0
        for k in range(s, e):
            b = np.int64(data[np.uint64(k)])
            if b >= 0xC4 and k + 1 < e:
                n = data[np.uint64(k + 1)]
                # U+0130, U+0131, U+017F, U+212A
                if (
                    (b == 0xC4 and (n == 0xB0 or n == 0xB1))
                    or (b == 0xC5 and n == 0xBF)
                    or (b == 0xE2 and n == 0x84 and k + 2 < e and data[np.uint64(k + 2)] == 0xAA)
                ):
                    mark |= 4
            v = ((v << 8) | _folded(b)) & 0xFFFFFFFF
            quad = ((v * GRAM_MULTIPLIER) & 0xFFFFFFFF) >> 16
            trigram = (((v & 0xFFFFFF) * GRAM_MULTIPLIER) & 0xFFFFFFFF) >> 16
            pair = v & 0xFFFF
            if k - s >= 3 and _has(quad_bits, quad):
                mark |= _find_literals(
                    data, s, e, k, QUAD_KEY | quad, keys, lit_data, lit_offsets, lit_flags,
                    lit_at, found,
                )  # fmt: skip
            if k - s >= 2 and _has(trigram_bits, trigram):
                mark |= _find_literals(
                    data, s, e, k, TRIGRAM_KEY | trigram, keys, lit_data, lit_offsets, lit_flags,
                    lit_at, found,
                )  # fmt: skip
            if k > s and (
                _has(pair_bits, pair)
                or (
                    _has(bounded_pair_bits, pair)
                    and (k - 1 == s or not _word_byte(np.int64((v >> 16) & 0xFF)))
                )
            ):
                mark |= _find_literals(
                    data, s, e, k, PAIR_KEY | pair, keys, lit_data, lit_offsets, lit_flags,
                    lit_at, found,
                )  # fmt: skip
        out[i] = mark
        while len(hit_spans) < len(found):
            hit_spans.append(i)
    return out, np.array(hit_spans, dtype=np.int64), np.array(found, dtype=np.int64)
