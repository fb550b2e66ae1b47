"""Which text ``ftfy`` provably returns unchanged, for a given ``TextFixerConfig``.

``fix_text`` cuts the text into segments (lines, keeping their ``"\\n"``, and pieces of
at most ``max_decode_length`` characters) and calls ``fix_and_explain`` on each. That
function repeats one round of steps until a round changes nothing; so if every step of
the first round returns its input, the segment is returned as is. A step the config
turns off is the identity; each step it leaves on is the identity on a *stable* segment:

1. ``unescape_html`` substitutes ``HTML_ENTITY_RE`` matches: a stable segment has none.
2. ``fix_encoding`` returns ASCII text and text where ``badness.is_bad`` (a search for
   ``BADNESS_RE``) finds nothing unchanged: a stable segment is ASCII or has no match.
   Its sub-options (``restore_byte_a0``...) only act past that test.
3. ``fix_c1_controls``, ``fix_latin_ligatures``, ``fix_character_width``,
   ``uncurl_quotes``, ``fix_line_breaks``, ``fix_surrogates``, ``remove_control_chars``
   each map single characters (a surrogate pair or ``"\\r\\n"`` at most), so they
   change nothing in a text without the characters they map. Those characters are read
   from ftfy itself: a character is *touched* when it is absent from
   ``fixer(every_code_point)`` (for a per-character, idempotent fixer a changed
   character is never another one's image).
   With ``fix_c1_controls`` on, C1 controls (U+0080..U+009F) are added whole.
   ``remove_terminal_escapes`` only matches from an ESC, which is added when it is on.
   Surrogates always count (Arrow strings cannot hold them anyway).
4. Normalisation to ``form`` leaves text unchanged when every character has canonical
   combining class 0 and quick-check value Yes for ``form`` (UAX #15, section 9
   "Detecting Normalization Forms"). Unsafe are characters with a non-zero class, those
   the form changes on their own (quick-check No) and, for the composing forms NFC and
   NFKC, the possible second halves of a canonical composition (quick-check Maybe): the
   last character of every two-character canonical decomposition and the Hangul vowel
   and trailing jamo (U+1161..U+1175, U+11A8..U+11C2, Unicode chapter 3.12). All of it
   is computed with the ``unicodedata`` ftfy itself uses. No form: nothing is unsafe.

`screen` gathers, per config, what the steps it enables need: the touched characters,
the normalisation-unsafe ones, an RE2 pattern for Arrow (those characters, HTML entities
when ``unescape_html`` is on, and a *superset* of ``BADNESS_RE`` when ``fix_encoding``
is on, translated from its parse tree: anchors dropped, ``\\w`` widened to every
non-ASCII character, ``\\s`` spelt out as Python's whitespace) and the per-segment check
`Screen.is_stable` (``unicodedata.is_normalized`` instead of the table). A text the
pattern does not match has only stable segments: a match inside a segment is a match
inside the text (no anchors, no look-arounds).
"""

from __future__ import annotations

import functools
import logging
import re
import sys
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parser  # type: ignore[attr-defined]

import ftfy
import numpy as np
from ftfy import chardata
from ftfy.badness import BADNESS_RE

logger = logging.getLogger(__name__)

ENTITY = chardata.HTML_ENTITY_RE
# The per-character fixers of one round of ftfy.fix_and_explain, after fix_encoding, in
# its order; ftfy runs FIXERS[name] when the config's field `name` is true.
ROUND_FIXERS = (
    "fix_c1_controls",
    "fix_latin_ligatures",
    "fix_character_width",
    "uncurl_quotes",
    "fix_line_breaks",
    "fix_surrogates",
    "remove_terminal_escapes",
    "remove_control_chars",
)
# Hangul jamo that compose with a preceding syllable or leading consonant (NFC Maybe).
_HANGUL_VOWELS = range(0x1161, 0x1176)
_HANGUL_TRAILING = range(0x11A8, 0x11C3)
# Arrow strings cannot hold them; fix_surrogates replaces every one of them.
SURROGATES = range(0xD800, 0xE000)
_C1 = range(0x80, 0xA0)
_ESC = 0x1B


class _Untranslatable(ValueError):
    """A regex construct with no safe RE2 superset."""


@functools.cache
def _touched_codes() -> dict[str, frozenset[int]]:
    """Return, per round fixer, every code point it may change (whatever the config)."""
    every = "".join(map(chr, (*range(0xD800), *range(0xE000, sys.maxunicode + 1))))
    touched = {}
    for name in ROUND_FIXERS:
        fixed = np.frombuffer(ftfy.FIXERS[name](every).encode("utf-32-le"), dtype=np.uint32)
        present = np.zeros(sys.maxunicode + 1, dtype=bool)
        present[fixed] = True
        present[SURROGATES.start : SURROGATES.stop] = True
        touched[name] = frozenset(np.flatnonzero(~present).tolist())
    touched["fix_c1_controls"] |= frozenset(_C1)
    touched["remove_terminal_escapes"] |= {_ESC}  # ANSI_RE starts with ESC
    return touched


@functools.cache
def normalization_unsafe_codes(form: str) -> frozenset[int]:
    """Return code points that may make normalisation to `form` change a text.

    >>> 0x301 in normalization_unsafe_codes("NFC")  # COMBINING ACUTE ACCENT
    True
    >>> ord("\\N{LATIN SMALL LIGATURE FI}") in normalization_unsafe_codes("NFC")
    False
    >>> ord("\\N{LATIN SMALL LIGATURE FI}") in normalization_unsafe_codes("NFKC")
    True
    """
    composes = form in ("NFC", "NFKC")
    unsafe = {*_HANGUL_VOWELS, *_HANGUL_TRAILING} if composes else set()
    for code in (*range(0xD800), *range(0xE000, sys.maxunicode + 1)):
        char = chr(code)
        if unicodedata.combining(char) or unicodedata.normalize(form, char) != char:
            unsafe.add(code)
        if composes:
            parts = unicodedata.decomposition(char).split()
            if len(parts) == 2 and not parts[0].startswith("<"):
                unsafe.add(int(parts[1], 16))
    return frozenset(unsafe)


@functools.cache
def _whitespace_codes() -> frozenset[int]:
    """Return the code points Python's ``\\s`` matches in a str pattern."""
    every = "".join(map(chr, range(sys.maxunicode + 1)))
    return frozenset(ord(char) for char in re.findall(r"\s", every))


def _ranges(codes: list[int]) -> Iterator[tuple[int, int]]:
    """Yield (first, last) runs of consecutive integers from a sorted list."""
    start = previous = codes[0]
    for code in codes[1:]:
        if code != previous + 1:
            yield start, previous
            start = code
        previous = code
    yield start, previous


def _escape(code: int, *, python: bool = False) -> str:
    """Return a code point as a regex escape, RE2 syntax or Python's."""
    return f"\\U{code:08X}" if python else f"\\x{{{code:X}}}"


def char_class(
    codes: set[int] | frozenset[int],
    *,
    negate: bool = False,
    fill: bool = False,
    python: bool = False,
) -> str:
    """Return a regex class of `codes` (RE2 syntax, or Python's with `python`).

    With `fill`, everything from U+0080 to the top is added as one range.
    """
    if fill:
        codes = {code for code in codes if code < 0x80}
    spans = list(_ranges(sorted(codes))) if codes else []
    if fill:
        spans.append((0x80, sys.maxunicode))
    if not spans:  # "[]" is not a regex; the complement of everything matches nothing
        spans, negate = [(0, sys.maxunicode)], not negate
    parts = [
        _escape(first, python=python)
        if first == last
        else f"{_escape(first, python=python)}-{_escape(last, python=python)}"
        for first, last in spans
    ]
    return f"[{'^' if negate else ''}{''.join(parts)}]"


# Python's \w (str.isalnum or "_") widened to every non-ASCII character: a superset.
_ASCII_WORD = {*range(0x30, 0x3A), *range(0x41, 0x5B), 0x5F, *range(0x61, 0x7B)}


def _class_codes(items: list[tuple[object, object]]) -> tuple[set[int], bool, bool]:
    """Return a parsed class as (code points, all non-ASCII too, negated)."""
    codes: set[int] = set()
    non_ascii = negate = False
    for op, arg in items:
        if op is sre_constants.NEGATE:
            negate = True
        elif op is sre_constants.LITERAL:
            codes.add(int(arg))  # type: ignore[call-overload]
        elif op is sre_constants.RANGE:
            first, last = arg  # type: ignore[misc]
            codes.update(range(first, last + 1))
        elif op is sre_constants.CATEGORY and arg is sre_constants.CATEGORY_SPACE:
            codes |= _whitespace_codes()
        elif op is sre_constants.CATEGORY and arg is sre_constants.CATEGORY_WORD:
            codes |= _ASCII_WORD
            non_ascii = True
        else:
            raise _Untranslatable(f"{op} {arg}")
    if negate and non_ascii:
        raise _Untranslatable("a widened category inside a negated class")
    return codes, non_ascii, negate


def _to_re2(items: list[tuple[object, object]]) -> str:
    """Translate a parsed Python regex into RE2 that matches at least as much."""
    out = []
    for op, arg in items:
        if op is sre_constants.LITERAL:
            out.append(f"\\x{{{int(arg):X}}}")  # type: ignore[call-overload]
        elif op is sre_constants.NOT_LITERAL:
            out.append(f"[^\\x{{{int(arg):X}}}]")  # type: ignore[call-overload]
        elif op is sre_constants.ANY:
            out.append("(?s:.)")
        elif op is sre_constants.AT:
            continue  # dropping an anchor only widens the match
        elif op is sre_constants.IN:
            codes, non_ascii, negate = _class_codes(arg)  # type: ignore[arg-type]
            out.append(char_class(codes - set(SURROGATES), negate=negate, fill=non_ascii))
        elif op is sre_constants.BRANCH:
            out.append("(?:" + "|".join(_to_re2(list(b)) for b in arg[1]) + ")")  # type: ignore[index]
        elif op is sre_constants.SUBPATTERN:
            out.append("(?:" + _to_re2(list(arg[-1])) + ")")  # type: ignore[index]
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
            low, high, sub = arg  # type: ignore[misc]
            high_text = "" if high is sre_constants.MAXREPEAT else str(high)
            out.append(f"(?:{_to_re2(list(sub))}){{{low},{high_text}}}")
        else:
            raise _Untranslatable(str(op))
    return "".join(out)


def python_to_re2(pattern: re.Pattern[str]) -> str:
    """Return an RE2 pattern matching a superset of `pattern`'s matches."""
    if pattern.flags & (re.IGNORECASE | re.ASCII):
        raise _Untranslatable("flags")
    return _to_re2(list(sre_parser.parse(pattern.pattern, pattern.flags)))


@functools.cache
def _badness_re2() -> str:
    """Return an RE2 superset of ftfy's ``BADNESS_RE``."""
    try:
        return python_to_re2(BADNESS_RE)
    except _Untranslatable as err:
        # ftfy never calls ASCII text mojibake, so any non-ASCII character is a safe bound.
        logger.warning("cannot translate ftfy's BADNESS_RE (%s); screening non-ASCII", err)
        return "[^\\x00-\\x7F]"


@dataclass(frozen=True, eq=False)
class Screen:
    """What one round of ftfy under `config` may change, as code points and patterns.

    Attributes:
        config: The ftfy configuration.
        fixers: The round fixers `config` enables, in ftfy's order.
        touched: Code points an enabled fixer may change (surrogates included).
        unsafe: `touched` and the code points that may make the normalisation change.
        quotes: Curly quotes that only ``uncurl_quotes`` changes, each to ``'`` or ``"``
            (empty when it is off): a line whose only unsafe characters they are needs
            nothing but ``uncurl_quotes``.
        pattern: RE2; a text it does not match is stable.
        quote_blind_pattern: The same without `quotes`.
    """

    config: ftfy.TextFixerConfig
    fixers: tuple[Callable[[str], str], ...]
    touched: frozenset[int]
    unsafe: frozenset[int]
    quotes: frozenset[int]
    pattern: str
    quote_blind_pattern: str
    _bmp: re.Pattern[str]
    _astral: re.Pattern[str] | None

    def has_touched(self, segment: str) -> bool:
        """Return True if `segment` has a touched character or (if unescaped) an entity."""
        if self._bmp.search(segment):
            return True
        return (
            self._astral is not None
            and max(segment, default="") > "\uffff"
            and bool(self._astral.search(segment))
        )

    def is_stable(self, segment: str) -> bool:
        """Return True when ftfy under `config` provably returns `segment` unchanged.

        Each enabled step of ftfy's first round is checked to be the identity: no HTML
        entity, no touched character, ASCII or no ``BADNESS_RE`` match, normalised.
        """
        if self.has_touched(segment):
            return False
        if self.config.fix_encoding and not segment.isascii() and BADNESS_RE.search(segment):
            return False
        form = self.config.normalization
        return form is None or unicodedata.is_normalized(form, segment)


@functools.cache
def screen(config: ftfy.TextFixerConfig) -> Screen:
    """Return the `Screen` of `config`, built once per process and config.

    >>> import pyarrow as pa, pyarrow.compute as pc
    >>> texts = pa.array(["plain\\n", "caf\\N{LATIN SMALL LETTER E WITH ACUTE}", "sÃ³", "“q”"])
    >>> pc.match_substring_regex(texts, screen(ftfy.TextFixerConfig()).pattern).to_pylist()
    [False, False, True, True]
    >>> quiet = ftfy.TextFixerConfig(uncurl_quotes=False)
    >>> pc.match_substring_regex(texts, screen(quiet).pattern).to_pylist()
    [False, False, True, False]
    """
    enabled = [name for name in ROUND_FIXERS if getattr(config, name)]
    touched_by = {name: _touched_codes()[name] for name in enabled}
    touched = frozenset().union(*touched_by.values(), SURROGATES)
    form = config.normalization
    normalization = normalization_unsafe_codes(form) if form else frozenset()
    unsafe = touched | normalization
    quotes: frozenset[int] = frozenset()
    if config.uncurl_quotes:
        others = [codes for name, codes in touched_by.items() if name != "uncurl_quotes"]
        candidates = touched_by["uncurl_quotes"] - normalization - set().union(*others)
        quotes = frozenset(
            code
            for code in candidates
            if ftfy.fixes.uncurl_quotes(chr(code))
            == ("'" if chardata.SINGLE_QUOTE_RE.match(chr(code)) else '"')
        )
    alternatives = [f"|{python_to_re2(ENTITY)}"] if config.unescape_html else []
    alternatives += [f"|{_badness_re2()}"] if config.fix_encoding else []
    without_surrogates = unsafe - set(SURROGATES)
    entity = f"|{ENTITY.pattern}" if config.unescape_html else ""
    astral = {code for code in touched if code >= 0x10000}
    return Screen(
        config=config,
        fixers=tuple(ftfy.FIXERS[name] for name in enabled),
        touched=touched,
        unsafe=unsafe,
        quotes=quotes,
        pattern=char_class(without_surrogates) + "".join(alternatives),
        quote_blind_pattern=char_class(without_surrogates - quotes) + "".join(alternatives),
        # Two Python patterns, because re checks a class holding astral ranges range by
        # range, 30 times slower than its BMP bitmap.
        _bmp=re.compile(char_class({c for c in touched if c < 0x10000}, python=True) + entity),
        _astral=re.compile(char_class(astral, python=True)) if astral else None,
    )


def segments(
    text: str, *, max_decode_length: int = ftfy.TextFixerConfig().max_decode_length
) -> Iterator[str]:
    """Yield the segments ``ftfy.fix_text`` fixes one at a time: lines with their break.

    >>> list(segments("one\\ntwo"))
    ['one\\n', 'two']
    >>> list(segments("abcde", max_decode_length=2))
    ['ab', 'cd', 'e']
    """
    pos = 0
    while pos < len(text):
        end = text.find("\n", pos) + 1 or len(text)
        end = min(end, pos + max_decode_length)
        yield text[pos:end]
        pos = end
