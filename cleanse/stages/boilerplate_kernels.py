"""Compiled (numba) scan of text lines: every per-line count ``strip_boilerplate`` needs.

One pass over the UTF-8 bytes of a batch: documents are cut into lines as
``str.splitlines`` cuts them, each line stripped as ``str.strip`` strips it, lowered as
``str.lower`` lowers it (Final_Sigma and multi-character lower cases included), and
counted. Every character class comes from `cleanse.stages.boilerplate_chars`, whose
tables ask Python itself; the loops re-implement what the scalar definitions did with
``str`` methods and ``re`` (``findall`` counts are non-overlapping, left to right), and
the tests compare them with that scalar reference on real and generated text.

Per line the scan also emits the lower-cased letter runs (stop-word tokens, looked up
in the lexicon) and the CRC-32 of each hashing token (what ``zlib.crc32`` of its UTF-8
gives; ``boilerplate_match``).

The per-character loops index with unsigned integers (``np.uint64(k)``): numba then
leaves out the wraparound of negative indices, which costs a few instructions and a
register per access in loops already short of registers (-14% for the scan).

Compiled on first use and cached next to this file (``cache=True``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cleanse.dedup.kernels import _grow
from cleanse.stages.boilerplate_chars import (
    ALNUM,
    BULLET,
    CAPITAL_SIGMA,
    CASE_IGNORABLE,
    CASED,
    CLOSER,
    DECIMAL,
    DIGIT,
    GLUED_LOWER,
    GLUED_UPPER,
    KNOWN,
    LETTER,
    LINE_BREAK,
    LINK_START,
    OTHER_PUNCT,
    PIPE_TAB,
    PUNCT,
    QUOTE_CLOSER,
    RE_SPACE,
    SPACE,
    SPECIAL_LOWER,
    TERMINAL,
    UNSPACED,
    UPPER,
    WORD,
)
from cleanse.stages.boilerplate_match import (
    DOT,
    INVERT,
    SPACE_CHAR,
    ZERO,
    crc_char,
    date_ends,
    link_size,
    may_link,
)
from cleanse.stages.boilerplate_tokens import FNV_BASIS, FNV_PRIME

# Columns of the per-line statistics `scan_lines` returns.
SOURCE, NUMBER, START, STOP, CHARS, WORDS, UPPERS, DIGITS, TITLES, UNSPACED_CHARS = range(10)
LETTERS, CORE, END, DOTS, ELLIPSIS, BULLETED, PIPE_OR_TAB, GLUED, INNER, LINKS = range(10, 20)
DATE, LOWERED, HASH_TOKENS, WORD_TOKENS = range(20, 24)
# Column 24 is unused (it held the n-gram count of the earlier linear scorer). It stays, so
# the layout stays: kernels in other files bake these numbers in when numba compiles and
# caches them, and a cache is only refreshed when its own source file changes.
#: Where the line is in the input: its first character and the one after it, without
#: stripping (RAW_...), and the same in bytes of the UTF-8 buffer, stripped or not.
RAW_START, RAW_STOP, BYTE_START, BYTE_STOP, RAW_BYTE_START, RAW_BYTE_STOP = range(25, 31)
NUM_STATS = 31
#: `END`: how the line ends once closers are stripped (nothing left, . ! ?, : ; ,, else).
END_NONE, END_TERMINAL, END_OTHER_PUNCT, END_TEXT = 0, 1, 2, 3
_CR, _LF, _FINAL, _NON_FINAL, _ELLIPSIS = 0x0D, 0x0A, 0x3C2, 0x3C3, 0x2026


@njit(cache=True, nogil=True)
def unknown_code_points(data, starts, flags):
    """Return the distinct code points starting at the bytes `starts` of UTF-8 `data`
    whose table entry is empty."""
    seen = np.zeros(0x110000, dtype=np.bool_)
    out = []
    for i in starts:
        c = _decode(data, i)[0]
        if not flags[np.uint64(c)] & KNOWN and not seen[np.uint64(c)]:
            seen[c] = True
            out.append(c)
    return np.array(out, dtype=np.int64)


@njit(cache=True, nogil=True, inline="always")
def _decode(data, i):
    """Return the code point starting at byte `i` of UTF-8 `data` and the next offset."""
    b = np.int64(data[i])
    if b < 0x80:
        return b, i + 1
    if b < 0xE0:
        return ((b & 0x1F) << 6) | (np.int64(data[i + 1]) & 0x3F), i + 2
    if b < 0xF0:
        return (
            ((b & 0x0F) << 12) | ((np.int64(data[i + 1]) & 0x3F) << 6) | (data[i + 2] & 0x3F)
        ), i + 3
    return (
        ((b & 0x07) << 18)
        | ((np.int64(data[i + 1]) & 0x3F) << 12)
        | ((np.int64(data[i + 2]) & 0x3F) << 6)
        | (data[i + 3] & 0x3F)
    ), i + 4


@njit(cache=True, nogil=True, inline="always")
def _bit(flag, mask):
    """1 where `flag` has the bit `mask`, else 0."""
    return np.int64((flag & mask) != 0)


#: The characters `_first_pass` looks at one by one after its counting loops: digits
#: (dates and times), capitals (glued words), sentence ends (inner sentences).
_MARKED = DECIMAL | GLUED_UPPER | TERMINAL


@njit(cache=True, nogil=True)
def _first_pass(cps, s, e, flags, lower, lo, row, fl, marks):
    """Fill the columns read from the original characters of ``cps[s:e]``; lower-case it.

    Counts as ``str.split``, ``str.isupper``... and the non-overlapping ``findall`` of
    the glued-words and inner-sentence patterns would; `lo` gets ``line.lower()`` where
    every character lowers to one (the return value says whether one did not).

    Three loops: one reads each character's table entry into `fl` (and its lower case
    into `lo`) and notes where the few characters the patterns start from are (`marks`:
    digits, capitals, sentence ends); one counts words, capitals, letters... over `fl`
    with no branch (a vector loop); the patterns then look only at the marked places.
    """
    m = e - s
    seen = np.uint32(0)
    n_marks = 0
    for k in range(m):
        c = cps[np.uint64(s + k)]
        f = flags[np.uint32(c)]
        lo[np.uint64(k)] = lower[np.uint32(c)]
        fl[np.uint64(k)] = f
        seen |= f
        marks[np.uint64(n_marks)] = k
        n_marks += (f & _MARKED) != 0
    f = fl[0]
    words = 1 - _bit(f, SPACE)
    titles = words & _bit(f, UPPER)
    letters = runs = _bit(f, LETTER)
    uppers, digits, unspaced = _bit(f, UPPER), _bit(f, DIGIT), _bit(f, UNSPACED)
    for k in range(1, m):
        f, previous = fl[np.uint64(k)], fl[np.uint64(k - 1)]
        start = _bit(previous, SPACE) & (1 - _bit(f, SPACE))
        words += start
        titles += start & _bit(f, UPPER)
        uppers += _bit(f, UPPER)
        digits += _bit(f, DIGIT)
        unspaced += _bit(f, UNSPACED)
        letter = _bit(f, LETTER)
        letters += letter
        runs += letter & (1 - _bit(previous, LETTER))
    glued = inner = 0
    glued_from = 0  # a glued word's lower-case letters are its own: no overlap
    inner_from = 0  # where an inner sentence may start: after the last one's first letter
    date = False
    # the digit runs before the current one: start, end, whether \b precedes them
    runs_at = np.full(6, -1, dtype=np.int64)
    run_start, run_open = -1, False
    for x in range(n_marks):
        k = marks[x]
        f = fl[k]
        if f & DECIMAL:
            if run_start < 0:
                run_start, run_open = k, k == 0 or (fl[k - 1] & WORD) == 0
            if k + 1 == m or not fl[k + 1] & DECIMAL:  # a run of digits ends: a date?
                right = k + 1 == m or (fl[k + 1] & WORD) == 0
                date |= date_ends(cps, s + run_start, s + k + 1, run_open, right, runs_at)
                run_start = -1
        if (
            f & GLUED_UPPER
            and k - 1 >= glued_from
            and k + 1 < m
            and fl[k - 1] & GLUED_LOWER
            and fl[k + 1] & GLUED_LOWER
        ):
            glued += 1
            glued_from = k + 2
        if f & TERMINAL and k >= inner_from:
            # [.!?], a closing quote or not, white space, then anything else
            j = k + 1
            if j < m and fl[j] & QUOTE_CLOSER:
                j += 1
            if j < m and fl[j] & RE_SPACE:
                while j < m and fl[j] & RE_SPACE:
                    j += 1
                if j < m:
                    inner += 1
                    inner_from = j + 1
    row[WORDS], row[TITLES], row[UPPERS], row[DIGITS] = words, titles, uppers, digits
    row[UNSPACED_CHARS], row[GLUED], row[INNER] = unspaced, glued, inner
    row[PIPE_OR_TAB], row[DATE] = (seen & PIPE_TAB) != 0, date
    row[CORE] = letters + runs - 1 if runs else 0
    k = m - 1
    while k >= 0 and fl[k] & CLOSER:
        k -= 1
    if k < 0:
        row[END] = END_NONE
    elif fl[k] & TERMINAL:
        row[END] = END_TERMINAL
    elif fl[k] & OTHER_PUNCT:
        row[END] = END_OTHER_PUNCT
    else:
        row[END] = END_TEXT
    row[DOTS] = e - s >= 3 and cps[e - 1] == DOT and cps[e - 2] == DOT and cps[e - 3] == DOT
    row[ELLIPSIS] = cps[e - 1] == _ELLIPSIS
    row[BULLETED] = (fl[0] & BULLET) != 0
    return (seen & SPECIAL_LOWER) != 0


@njit(cache=True, nogil=True)
def _lower_special(cps, s, e, flags, lower, exp_offsets, exp_data, lo):
    """Write ``line.lower()`` of ``cps[s:e]`` to `lo` where a character needs more than
    the table (Final_Sigma, several characters); return `lo` (grown) and the length."""
    m = 0
    for k in range(s, e):
        c = cps[k]
        lo = _grow(lo, m + 4 + (e - k))
        if c == CAPITAL_SIGMA:
            j = k - 1
            while j >= s and flags[cps[j]] & CASE_IGNORABLE:
                j -= 1
            final = j >= s and (flags[cps[j]] & CASED) != 0
            if final and k + 1 < e:
                j = k + 1
                while j < e and flags[cps[j]] & CASE_IGNORABLE:
                    j += 1
                final = j == e or (flags[cps[j]] & CASED) == 0
            lo[m] = _FINAL if final else _NON_FINAL
            m += 1
        elif lower[c] >= 0:
            lo[m] = lower[c]
            m += 1
        else:
            x = -1 - lower[c]
            for j in range(exp_offsets[x], exp_offsets[x + 1]):
                lo = _grow(lo, m + 1 + (e - k))
                lo[m] = exp_data[j]
                m += 1
    return lo, m


@njit(cache=True, nogil=True, inline="always")
def _second_pass(
    lo, m, flags, words, word_at, word_offsets, word_hashes, word_count, hashes, hash_at, row
):
    """Tokens and links of the lower-cased line ``lo[:m]``; the arrays have room, and
    ``lo[m]`` too (a space is put there to end the last token).

    Letter runs (``[^\\W\\d_]+``) go to `words`, the FNV-1a state of each (what
    ``boilerplate_tokens.lookup`` finishes) to `word_hashes`; the CRC-32 of each
    hashing token (``[^\\W_]+|[^\\w\\s]`` over the text with ``\\d`` folded to "0") to
    `hashes`.
    Written without branches where it can (a store that only counts when wanted).
    Returns the new ``(word_at, word_count, hash_at)``.
    """
    letters = tokens = count = links = 0
    previous_letter = previous_alnum = 0
    link_from = 0
    crc = INVERT
    word_hash = FNV_BASIS
    lo[m] = SPACE_CHAR
    for j in range(m + 1):
        c = lo[np.uint64(j)]
        f = flags[np.uint32(c)]
        letter = _bit(f, LETTER)
        word_offsets[np.uint64(word_count + tokens)] = word_at
        tokens += letter & (1 - previous_letter)
        words[np.uint64(word_at)] = c
        # a letter updates its run's slot; any other character writes the next slot,
        # which the next run's first letter overwrites
        word_hash = ((word_hash if previous_letter else FNV_BASIS) ^ np.uint64(c)) * FNV_PRIME
        word_hashes[np.uint64(word_count + tokens - letter)] = word_hash
        word_at += letter
        letters += letter
        previous_letter = letter
        alnum = _bit(f, ALNUM)
        hashes[np.uint64(hash_at + count)] = crc ^ INVERT
        count += previous_alnum & (1 - alnum)
        # every character goes through the CRC, without a branch on its class: a
        # punctuation mark is a token of its own (stored, counted), a letter or digit
        # extends the open token, anything else leaves a value the next token replaces
        crc = crc_char(
            crc if previous_alnum & alnum else INVERT,
            np.uint32(ZERO if f & DECIMAL else c),
        )
        hashes[np.uint64(hash_at + count)] = crc ^ INVERT
        count += _bit(f, PUNCT)
        previous_alnum = alnum
        if f & LINK_START and j >= link_from and j < m and may_link(lo, j):
            size = link_size(lo, j, m, flags)
            if size:
                links += 1
                link_from = j + size
    word_count += tokens
    word_offsets[word_count] = word_at
    row[LETTERS], row[WORD_TOKENS], row[HASH_TOKENS], row[LINKS] = letters, tokens, count, links
    return word_at, word_count, hash_at + count


@njit(cache=True, nogil=True)
def scan_lines(data, offsets, rows, split, flags, lower, exp_offsets, exp_data):
    """Cut the `rows` strings into non-blank stripped lines and measure each.

    `split`: cut each string at line breaks (a document); else each string is one line.
    Returns ``(stats, word_data, word_offsets, word_hashes, hash_crcs, known)``: one
    row of `NUM_STATS` columns per non-blank line; the lower-cased letter runs of all
    lines (code points, their offsets, their FNV-1a states for
    ``boilerplate_tokens.lookup``); the CRC-32 of each hashing token of all lines in
    order (the per-line counts are in `stats`); whether every character had its entries
    in the tables (when not, the rest is meaningless: fill them, scan again).
    """
    # Sized from the input up front, and not zeroed (np.empty: pages never written cost
    # nothing); growing by doubling would copy and fault in fresh pages several times.
    size = 64
    longest = 64
    for r in rows:
        size += offsets[r + 1] - offsets[r]
        longest = max(longest, offsets[r + 1] - offsets[r])
    stats = np.empty((size // 32 + 64) * NUM_STATS, dtype=np.int64)  # rows, flat
    words = np.empty(size, dtype=np.int32)
    word_offsets = np.empty(size // 2, dtype=np.int64)
    word_offsets[0] = 0
    word_hashes = np.empty(size // 2, dtype=np.uint64)
    hashes = np.empty(size, dtype=np.uint32)
    cps = np.empty(longest, dtype=np.int32)
    at_byte = np.empty(longest + 1, dtype=np.int64)  # where each code point starts
    lo = np.empty(longest + 8, dtype=np.int32)
    fl = np.empty(longest, dtype=np.uint32)  # `_first_pass`'s work space
    marks = np.empty(longest, dtype=np.int64)
    n_lines = word_at = word_count = hash_at = 0
    known = np.uint32(KNOWN)  # every character decoded has its table entries
    for r in rows:
        cps = _grow(cps, offsets[r + 1] - offsets[r])
        fl = _grow(fl, offsets[r + 1] - offsets[r])
        marks = _grow(marks, offsets[r + 1] - offsets[r])
        n = 0
        i = offsets[r]
        while i < offsets[r + 1]:
            at_byte[np.uint64(n)] = i
            c, i = _decode(data, i)
            cps[np.uint64(n)] = c
            known &= flags[np.uint32(c)]
            n += 1
        at_byte[n] = i
        number = 0
        start = 0
        while start < n or (not split and number == 0):
            stop = after = n
            if split:
                k = start
                while k < n and not flags[np.uint32(cps[np.uint64(k)])] & LINE_BREAK:
                    k += 1
                stop = k
                after = k + 2 if k + 1 < n and cps[k] == _CR and cps[k + 1] == _LF else k + 1
            s, e = start, stop
            while s < e and flags[cps[s]] & SPACE:
                s += 1
            while e > s and flags[cps[e - 1]] & SPACE:
                e -= 1
            if e > s:
                stats = _grow(stats, (n_lines + 1) * NUM_STATS)
                row = stats[n_lines * NUM_STATS : (n_lines + 1) * NUM_STATS]
                row[:] = 0
                row[SOURCE], row[NUMBER], row[START], row[STOP], row[CHARS] = r, number, s, e, e - s
                row[RAW_START], row[RAW_STOP] = start, stop
                row[BYTE_START], row[BYTE_STOP] = at_byte[s], at_byte[e]
                row[RAW_BYTE_START], row[RAW_BYTE_STOP] = at_byte[start], at_byte[stop]
                lo = _grow(lo, e - s)
                m = e - s
                if _first_pass(cps, s, e, flags, lower, lo, row, fl, marks):
                    lo, m = _lower_special(cps, s, e, flags, lower, exp_offsets, exp_data, lo)
                row[LOWERED] = m
                lo = _grow(lo, m + 1)
                words = _grow(words, word_at + m + 1)
                word_offsets = _grow(word_offsets, word_count + m + 2)
                word_hashes = _grow(word_hashes, word_count + m + 2)
                hashes = _grow(hashes, hash_at + m + 2)
                word_at, word_count, hash_at = _second_pass(
                    lo,
                    m,
                    flags,
                    words,
                    word_at,
                    word_offsets,
                    word_hashes,
                    word_count,
                    hashes,
                    hash_at,
                    row,
                )
                n_lines += 1
            number += 1
            start = after
            if not split:
                break
    return (
        stats[: n_lines * NUM_STATS].reshape(n_lines, NUM_STATS),
        words[:word_at],
        word_offsets[: word_count + 1],
        word_hashes[:word_count],
        hashes[:hash_at],
        known != 0,
    )


@njit(cache=True, nogil=True)
def column_major(stats):
    """A copy of `stats` stored column by column (Fortran order), transposed in blocks
    of rows: about 4x faster than ``np.asfortranarray`` on the scanner's rows."""
    n, m = stats.shape
    out = np.empty((m, n), dtype=stats.dtype)
    for a in range(0, n, 64):
        b = min(n, a + 64)
        for j in range(m):
            for i in range(a, b):
                out[j, i] = stats[i, j]
    return out.T


@njit(cache=True, nogil=True)
def rebuild(data, offsets, stats, doc_rows, doc_starts, codes):
    """The UTF-8 texts of all strings of `offsets` once the lines with a non-zero code
    are removed; returns ``(data, offsets)`` (int32 offsets, as Arrow strings have).

    A document with no line removed (or not among `doc_rows`) is copied unchanged; in
    one with removals, kept lines (as they were, unstripped) are joined with "\\n", and
    with one blank line between two kept lines where the input had blank lines between
    them (removed lines do not count as blank).
    """
    out = np.empty(offsets[-1] - offsets[0], dtype=np.uint8)
    out_offsets = np.empty(len(offsets), dtype=np.int32)
    out_offsets[0] = 0
    at = 0
    d = 0
    for r in range(len(offsets) - 1):
        while d < len(doc_rows) and doc_rows[d] < r:
            d += 1
        changed = False
        if d < len(doc_rows) and doc_rows[d] == r:
            for i in range(doc_starts[d], doc_starts[d + 1]):
                changed |= codes[i] != 0
        if not changed:
            size = offsets[r + 1] - offsets[r]
            out[at : at + size] = data[offsets[r] : offsets[r + 1]]
            at += size
        else:
            kept = gap = False
            for i in range(doc_starts[d], doc_starts[d + 1]):
                if i > doc_starts[d] and stats[i, NUMBER] > stats[i - 1, NUMBER] + 1:
                    gap = True  # blank lines between the two
                if codes[i]:
                    continue
                if kept:
                    out[at] = _LF
                    at += 1
                    if gap:
                        out[at] = _LF
                        at += 1
                a, b = stats[i, RAW_BYTE_START], stats[i, RAW_BYTE_STOP]
                out[at : at + b - a] = data[a:b]
                at += b - a
                kept, gap = True, False
        out_offsets[r + 1] = at
    return out[:at], out_offsets
