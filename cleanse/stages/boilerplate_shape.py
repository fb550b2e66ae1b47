"""Compiled (numba) character-shape features of each line for ``strip_boilerplate``'s trees.

What the page chrome of any site looks like, whatever its language: separator characters
and separator tokens ("Home » News | Sport"), addresses, e-mails, copyright marks,
years, numeric tokens (prices, scores, page numbers), word lengths, capitals, brackets and
quotes, how the line starts and ends. One pass over the UTF-8 of every line of a batch
(``boilerplate_lines.Lines``: the stripped line's bytes), the character classes read
from the scanner's tables (``boilerplate_chars``, filled by `scan` for every character
of the batch). Columns: `SHAPE_FEATURES`.

Compiled on first use and cached next to this file (``cache=True``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cleanse.stages.boilerplate_chars import DECIMAL, LETTER, PUNCT, SPACE, UPPER, WORD
from cleanse.stages.boilerplate_kernels import BYTE_START, BYTE_STOP, _decode

SHAPE_FEATURES: tuple[str, ...] = (
    "punct_ratio", "space_ratio", "sep_chars", "sep_tokens", "url", "email", "year",
    "copyright", "num_token_ratio", "mean_word_len", "max_word_len", "short_word_ratio",
    "starts_digit", "starts_upper", "starts_lower", "ends_colon", "ends_digit",
    "ends_question", "ends_letter", "has_bracket", "has_quote", "caps_word_ratio",
)  # fmt: skip

#: Separator characters: pipe, double and single guillemets, middle dot, bullet, slash,
#: backslash, >, en and em dash, _ = ~ * # +
_SEPARATORS = np.array(
    [0x7C, 0xBB, 0xAB, 0xB7, 0x2022, 0x203A, 0x2039, 0x2F, 0x5C, 0x3E, 0x2013, 0x2014,
     0x5F, 0x3D, 0x7E, 0x2A, 0x23, 0x2B],
    dtype=np.int64,
)  # fmt: skip
#: A token of 1-3 of these alone is a separator token ("|", ">>", "-", "::"): as above
#: without _ = #, with - and :.
_SEPARATOR_TOKEN = np.array(
    [0x7C, 0xBB, 0xAB, 0xB7, 0x2022, 0x203A, 0x2039, 0x2F, 0x5C, 0x3E, 0x2013, 0x2014,
     0x2D, 0x3A, 0x2A, 0x2B, 0x7E],
    dtype=np.int64,
)  # fmt: skip
_BRACKETS = np.array([0x28, 0x29, 0x5B, 0x5D, 0x7B, 0x7D], dtype=np.int64)
#: Straight and curly double quotes, guillemets, the low double quote.
_QUOTES = np.array([0x22, 0x201C, 0x201D, 0xAB, 0xBB, 0x201E], dtype=np.int64)
#: Characters a numeric token may hold besides digits: . , : / -
_NUMERIC = np.array([0x2E, 0x2C, 0x3A, 0x2F, 0x2D], dtype=np.int64)
#: Bits of `_CLASS`, one lookup per character instead of scanning the sets above.
SEPARATOR, SEPARATOR_TOKEN, BRACKET, QUOTE, NUMERIC = 1, 2, 4, 8, 16


def _class_table() -> np.ndarray:
    sets = {
        SEPARATOR: _SEPARATORS, SEPARATOR_TOKEN: _SEPARATOR_TOKEN, BRACKET: _BRACKETS,
        QUOTE: _QUOTES, NUMERIC: _NUMERIC,
    }  # fmt: skip
    table = np.zeros(max(int(codes.max()) for codes in sets.values()) + 1, dtype=np.uint8)
    for bit, codes in sets.items():
        table[codes] |= bit
    return table


_CLASS = _class_table()
#: Lower-cased ASCII patterns of an address or a copyright line.
_URL_PATTERNS = ("://", "www.", ".com", ".org", ".net", ".htm", ".php", ".asp", ".info")
_COPYRIGHT_PATTERNS = ("(c)", "copyright", "\N{COPYRIGHT SIGN}")


def _pattern_table(patterns: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The patterns' code points, where each starts, and per first character (all below
    256) a bit mask of the patterns that start with it."""
    codes = np.array([ord(ch) for p in patterns for ch in p], dtype=np.int64)
    starts = np.cumsum([0, *(len(p) for p in patterns)]).astype(np.int64)
    first = np.zeros(256, dtype=np.int64)
    for index, pattern in enumerate(patterns):
        first[ord(pattern[0])] |= 1 << index
    return codes, starts, first


_URL_CODES, _URL_STARTS, _URL_FIRST = _pattern_table(_URL_PATTERNS)
_COPY_CODES, _COPY_STARTS, _COPY_FIRST = _pattern_table(_COPYRIGHT_PATTERNS)


@njit(cache=True, nogil=True, inline="always")
def _is(c, bit):
    """Whether code point `c` is in the set of `bit` (`_CLASS`)."""
    return c < len(_CLASS) and (_CLASS[c] & bit) != 0


@njit(cache=True, nogil=True)
def _contains(lo, m, codes, starts, first):
    """Whether one of the patterns (``codes[starts[p]:starts[p + 1]]``) occurs in ``lo[:m]``:
    one pass, trying at each position only the patterns starting with its character
    (`first`)."""
    for j in range(m):
        c = lo[j]
        if c >= 256 or not first[c]:
            continue
        for p in range(len(starts) - 1):
            a, b = starts[p], starts[p + 1]
            if not (first[c] >> p) & 1 or j + b - a > m:
                continue
            k = 1
            while k < b - a and lo[j + k] == codes[a + k]:
                k += 1
            if k == b - a:
                return True
    return False


@njit(cache=True, nogil=True)
def _token(cps, s, e, flags, out_row):
    """Add what one whitespace-delimited token ``cps[s:e]`` says to `out_row`:
    [separator tokens, numeric tokens, short tokens, caps tokens, e-mail, year, max len]."""
    n = e - s
    sep = n <= 3
    for k in range(s, e):
        if not _is(cps[k], SEPARATOR_TOKEN):
            sep = False
            break
    out_row[0] += sep
    # numeric: \W* \d [\d.,:/-]* \W*
    a, b = s, e
    while a < b and not flags[cps[a]] & WORD:
        a += 1
    while b > a and not flags[cps[b - 1]] & WORD:
        b -= 1
    numeric = a < b and (flags[cps[a]] & DECIMAL) != 0
    for k in range(a, b):
        if not (flags[cps[k]] & DECIMAL or _is(cps[k], NUMERIC)):
            numeric = False
            break
    out_row[1] += numeric
    out_row[2] += n <= 2
    upper = lower = 0  # capitals; other letters
    at = -1
    for k in range(s, e):
        f = flags[cps[k]]
        if f & UPPER:
            upper += 1
        elif f & LETTER:
            lower += 1
        if cps[k] == 0x40 and at < 0:
            at = k
    out_row[3] += n > 1 and upper > 0 and lower == 0
    if at > s and at < e - 1:  # x@y.z
        for k in range(at + 2, e - 1):
            if cps[k] == 0x2E and flags[cps[k + 1]] & WORD:
                out_row[4] = 1
                break
    # a year: four digits 19xx or 20xx not inside a longer digit run
    for k in range(s, e - 3):
        if (
            (cps[k] == 0x31 and cps[k + 1] == 0x39) or (cps[k] == 0x32 and cps[k + 1] == 0x30)
        ) and (0x30 <= cps[k + 2] <= 0x39 and 0x30 <= cps[k + 3] <= 0x39):
            left = k == s or not flags[cps[k - 1]] & DECIMAL
            right = k + 4 == e or not flags[cps[k + 4]] & DECIMAL
            if left and right:
                out_row[5] = 1
    out_row[6] = max(out_row[6], n)


@njit(cache=True, nogil=True)
def shape_features(data, stats, flags, picked):
    """The `SHAPE_FEATURES` of the lines `picked` (rows of `stats`, its stripped bytes in
    `data`), a row each; every character of the lines must be in `flags`
    (``boilerplate_chars.TABLES``)."""
    n = len(picked)
    out = np.zeros((n, len(SHAPE_FEATURES)))
    cps = np.zeros(64, dtype=np.int64)
    lo = np.zeros(64, dtype=np.int64)
    token = np.zeros(7)
    for i in range(n):
        a, b = stats[picked[i], BYTE_START], stats[picked[i], BYTE_STOP]
        if len(cps) < b - a + 1:
            cps = np.zeros(2 * (b - a) + 1, dtype=np.int64)
            lo = np.zeros(2 * (b - a) + 1, dtype=np.int64)
        m = 0
        j = a
        while j < b:
            c, j = _decode(data, j)
            cps[m] = c
            lo[m] = c + 32 if 0x41 <= c <= 0x5A else c  # ASCII lower case for patterns
            m += 1
        if m == 0:
            continue
        punct = spaces = separators = brackets = quotes = 0
        token[:] = 0.0
        tokens = token_chars = 0
        start = -1
        for k in range(m + 1):
            c = cps[k] if k < m else 0x20
            f = flags[c] if k < m else SPACE
            if f & SPACE:
                if start >= 0:
                    _token(cps, start, k, flags, token)
                    tokens += 1
                    token_chars += k - start
                    start = -1
                if k < m:
                    spaces += 1
                continue
            if start < 0:
                start = k
            punct += (f & PUNCT) != 0
            separators += _is(c, SEPARATOR)
            brackets += _is(c, BRACKET)
            quotes += _is(c, QUOTE)
        row = out[i]
        words = max(tokens, 1)
        row[0] = punct / m
        row[1] = spaces / m
        row[2] = np.log1p(separators)
        row[3] = np.log1p(token[0])
        row[4] = _contains(lo, m, _URL_CODES, _URL_STARTS, _URL_FIRST)
        row[5] = token[4]
        row[6] = token[5]
        row[7] = _contains(lo, m, _COPY_CODES, _COPY_STARTS, _COPY_FIRST)
        row[8] = token[1] / words
        row[9] = np.log1p(token_chars / words)
        row[10] = np.log1p(token[6])
        row[11] = token[2] / words
        first, last = flags[cps[0]], flags[cps[m - 1]]
        row[12] = (first & DECIMAL) != 0
        row[13] = (first & UPPER) != 0
        row[14] = (first & LETTER) != 0 and not first & UPPER
        row[15] = cps[m - 1] == 0x3A
        row[16] = (last & DECIMAL) != 0
        row[17] = cps[m - 1] == 0x3F
        row[18] = (last & LETTER) != 0
        row[19] = brackets > 0
        row[20] = quotes > 0
        row[21] = token[3] / words
    return out
