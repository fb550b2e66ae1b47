"""Per-character tables for the compiled line scanner of ``strip_boilerplate``.

The line features are defined by Python: ``str.split``, ``str.isupper``, ``str.lower``,
``str.splitlines`` and the regular expressions of ``boilerplate_model`` and
``stopwords``. The scanner (``boilerplate_kernels``) loops over code points instead, so
every class it tests is read from a table filled by asking Python about each code point
(``ch.isspace()``, ``re.fullmatch(r"\\w", ch)``, ``ch.lower()``...): the two agree by
construction, whatever the Unicode version. ASCII is filled from the start; any other
code point is looked up the first time a batch contains it, so a table only ever holds
the characters seen.

``str.lower`` is per character except in two places the tables also describe: a few
characters lower-case to several (``"İ".lower() == "i̇"``: `EXPANSIONS`), and a capital
sigma becomes final or not from its neighbours (Unicode's Final_Sigma: the `CASED` and
`CASE_IGNORABLE` bits, probed through ``str.lower`` itself).
"""

from __future__ import annotations

import re

import numpy as np

#: The table entry has been filled.
KNOWN = 1 << 0
#: ``ch.isspace()``: ``str.split`` and ``str.strip`` cut here.
SPACE = 1 << 1
UPPER = 1 << 2  # ch.isupper()
DIGIT = 1 << 3  # ch.isdigit()
DECIMAL = 1 << 4  # \d of re
#: ``[^\W\d_]``: the letters of stop-word tokens and repeat keys.
LETTER = 1 << 5
UNSPACED = 1 << 6  # a script written without spaces
GLUED_LOWER = 1 << 7
GLUED_UPPER = 1 << 8
QUOTE_CLOSER = 1 << 9  # may follow a sentence end inside a line
TERMINAL = 1 << 10  # .!?
OTHER_PUNCT = 1 << 11  # :;,
CLOSER = 1 << 12  # stripped before reading how a line ends
BULLET = 1 << 13
CASE_IGNORABLE = 1 << 14
CASED = 1 << 15
LINE_BREAK = 1 << 16  # str.splitlines cuts here
DATE_SEPARATOR = 1 << 17  # . / - :
RE_SPACE = 1 << 18  # \s of re
PIPE_TAB = 1 << 19  # | or a tab
#: ``str.lower`` does not map this character to one: a capital sigma, or "İ".
SPECIAL_LOWER = 1 << 20
WORD = 1 << 21  # \w of re
ALNUM = 1 << 22  # [^\W_]: hashing tokens are runs of these
PUNCT = 1 << 23  # [^\w\s]: a hashing token each
#: May start a link (``boilerplate_match.link_size``): h, w, . or @.
LINK_START = 1 << 24

TERMINAL_CHARS = ".!?"
OTHER_PUNCT_CHARS = ":;,"
CLOSER_CHARS = (
    "\"')]*\N{RIGHT DOUBLE QUOTATION MARK}\N{RIGHT SINGLE QUOTATION MARK}"
    "\N{RIGHT-POINTING DOUBLE ANGLE QUOTATION MARK}"
)
BULLET_CHARS = (
    "-*|>+#\N{BULLET}\N{MIDDLE DOT}\N{EN DASH}\N{EM DASH}"
    "\N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK}\N{RIGHT-POINTING DOUBLE ANGLE QUOTATION MARK}"
)
#: Scripts written without spaces (Han, kana, Thai, Lao, Myanmar, Khmer).
UNSPACED_RE = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
)
#: A lower-case letter, an upper-case one, a lower-case one: "menuHome" glued together.
GLUED_LOWER_RE = re.compile("[a-zà-ÿß]")
GLUED_UPPER_RE = re.compile("[A-ZÀ-Þ]")
QUOTE_CLOSER_RE = re.compile("[\"')\u201d\u2019\u00bb]")

_CLASSES = (
    (RE_SPACE, re.compile(r"\s")),
    (DECIMAL, re.compile(r"\d")),
    (LETTER, re.compile(r"[^\W\d_]")),
    (WORD, re.compile(r"\w")),
    (ALNUM, re.compile(r"[^\W_]")),
    (PUNCT, re.compile(r"[^\w\s]")),
    (UNSPACED, UNSPACED_RE),
    (GLUED_LOWER, GLUED_LOWER_RE),
    (GLUED_UPPER, GLUED_UPPER_RE),
    (QUOTE_CLOSER, QUOTE_CLOSER_RE),
)
_SETS = (
    (CLOSER, CLOSER_CHARS),
    (TERMINAL, TERMINAL_CHARS),
    (OTHER_PUNCT, OTHER_PUNCT_CHARS),
    (BULLET, BULLET_CHARS),
    (DATE_SEPARATOR, "./-:"),
    (PIPE_TAB, "|\t"),
    (LINK_START, "hw.@"),
)
CAPITAL_SIGMA = 0x3A3
_SIGMA = "\N{GREEK CAPITAL LETTER SIGMA}"
_FINAL_SIGMA = "\N{GREEK SMALL LETTER FINAL SIGMA}"
_SURROGATES = range(0xD800, 0xE000)


class CharTables:
    """`flags` and `lower` for every code point, filled on demand.

    ``lower[c]`` is the code point ``chr(c).lower()`` when that is one character, else
    ``-1 - k``: the lower case is ``expansion_data[expansion_offsets[k]:expansion_offsets[k+1]]``.
    """

    def __init__(self) -> None:
        self.flags = np.zeros(0x110000, dtype=np.uint32)
        self.lower = np.zeros(0x110000, dtype=np.int32)
        self._expansions: list[str] = []
        self.expansion_offsets = np.zeros(1, dtype=np.int64)
        self.expansion_data = np.zeros(0, dtype=np.int32)
        self.add(np.arange(128))

    def add(self, code_points: np.ndarray) -> None:
        """Fill the entries of `code_points` (and of their lower case) not filled yet."""
        pending = [int(c) for c in code_points if not self.flags[c] & KNOWN]
        grew = False
        while pending:
            code = pending.pop()
            if self.flags[code] & KNOWN:
                continue
            self.flags[code] = _flags(code)
            lowered = chr(code).lower() if code not in _SURROGATES else chr(code)
            if len(lowered) == 1:
                self.lower[code] = ord(lowered)
            else:
                self.lower[code] = -1 - len(self._expansions)
                self._expansions.append(lowered)
                grew = True
            pending.extend(ord(ch) for ch in lowered if not self.flags[ord(ch)] & KNOWN)
            if code == CAPITAL_SIGMA:  # its lower case is final or not in context
                pending.append(ord(_FINAL_SIGMA))
        if grew:
            sizes = [len(e) for e in self._expansions]
            self.expansion_offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
            self.expansion_data = np.array(
                [ord(ch) for e in self._expansions for ch in e], dtype=np.int32
            )


def _flags(code: int) -> int:
    """Return the table bits of one code point, each asked of Python itself."""
    ch = chr(code)
    bits = KNOWN
    if code in _SURROGATES:  # never in valid UTF-8; kept inert
        return bits
    if code == CAPITAL_SIGMA or len(ch.lower()) != 1:
        bits |= SPECIAL_LOWER
    for bit, test in (
        (SPACE, ch.isspace()),
        (UPPER, ch.isupper()),
        (DIGIT, ch.isdigit()),
        (LINE_BREAK, len(f"a{ch}b".splitlines()) == 2),
    ):
        if test:
            bits |= bit
    for bit, pattern in _CLASSES:
        if pattern.fullmatch(ch):
            bits |= bit
    for bit, chars in _SETS:
        if ch in chars:
            bits |= bit
    # Final_Sigma as str.lower applies it: a case-ignorable character is skipped when
    # looking for a cased neighbour; a cased one makes the sigma final.
    if (f"A{ch}{_SIGMA}".lower()[-1] == _FINAL_SIGMA) and (
        f"{ch}{_SIGMA}".lower()[-1] != _FINAL_SIGMA
    ):
        bits |= CASE_IGNORABLE
    elif f"{ch}{_SIGMA}".lower()[-1] == _FINAL_SIGMA:
        bits |= CASED
    return bits


TABLES = CharTables()
