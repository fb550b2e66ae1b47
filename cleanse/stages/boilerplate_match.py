"""Compiled (numba) equivalents of the patterns and hashes ``strip_boilerplate`` applies
to one line: the scanner (``boilerplate_kernels``) calls them on code points.

* `link_size`: a match of the link pattern at one position, as ``re`` would take it;
* `date_ends`: whether a date or time pattern match ends with a run of digits;
* `grams`: the CRC-32 of each distinct character 3-5-gram of a short line;
* `crc_char`: ``zlib.crc32`` fed one code point as UTF-8.

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
