"""Fix mojibake and other Unicode damage with ftfy, skipping text ftfy would not change.

The output is exactly ``ftfy.fix_text(text)`` with ftfy's default ``TextFixerConfig``;
the stage only avoids calling ftfy where a check proves the call would return its input.

Why the check is a proof. ``fix_text`` cuts the text into segments (lines, keeping their
``"\\n"``, and pieces of at most ``max_decode_length`` characters) and calls
``fix_and_explain`` on each. That function repeats one round of steps until a round
changes nothing; so if every step of the first round returns its input, the segment is
returned as is. The steps, and why each one is the identity on a *stable* segment:

1. ``unescape_html`` substitutes ``HTML_ENTITY_RE`` matches: a stable segment has none.
2. ``fix_encoding`` returns ASCII text and text where ``badness.is_bad`` (a search for
   ``BADNESS_RE``) finds nothing unchanged: a stable segment is ASCII or has no match.
3. ``fix_c1_controls``, ``fix_latin_ligatures``, ``fix_character_width``,
   ``uncurl_quotes``, ``fix_line_breaks``, ``fix_surrogates``, ``remove_control_chars``
   each map single characters (a pair of surrogates at most), so they change nothing in
   a text without the characters they map. Those characters are read from ftfy itself:
   a character is *touched* when it is absent from ``fixer(every_code_point)`` (for a
   per-character, idempotent fixer a changed character is never another one's image).
   C1 controls (U+0080..U+009F) are added whole. ``remove_terminal_escapes`` needs ESC,
   a control character that ``remove_control_chars`` already touches.
4. NFC normalisation leaves text unchanged when every character has canonical combining
   class 0 and NFC quick-check value Yes (UAX #15, section 9 "Detecting Normalization
   Forms"). Unsafe are characters with a non-zero class, those NFC changes on their own
   (quick-check No), and the possible second halves of a composition (quick-check
   Maybe): the last character of every two-character canonical decomposition and the
   Hangul vowel and trailing jamo (U+1161..U+1175, U+11A8..U+11C2, UAX #15 / Unicode
   chapter 3.12). All of it is computed with the ``unicodedata`` ftfy itself uses.

How the stage avoids ftfy, in four tiers, each exact or conservative:

1. Documents: pyarrow's RE2 searches every text for an unsafe character, an HTML entity
   or a *superset* of ``BADNESS_RE`` translated from its parse tree (anchors dropped,
   ``\\w`` widened to every non-ASCII character, ``\\s`` spelt out as Python's
   whitespace). No hit: every segment is stable, since a match inside a segment is a
   match inside the document (no anchors, no look-arounds). Most web text stops here.
2. Lines of the other documents (with their break): a line whose only unsafe characters
   are curly quotes, and whose uncurled form passes the screen, is uncurled in Arrow:
   ftfy's first round would only run ``uncurl_quotes``, and its second nothing.
3. Documents with any other unstable line go to Python, segment by segment. Without an
   HTML entity or a ``BADNESS_RE`` match, ftfy's round is its character fixers and NFC:
   they are run here, with ftfy's functions in ftfy's order, and kept when the result is
   stable (checked exactly: ``unicodedata.is_normalized`` instead of the table).
4. The rest (mojibake, entities) goes to ``ftfy.fix_and_explain``, with the segments and
   the ``unescape_html="auto"`` rule of ``fix_text``.

``encoding_fixes`` counts the explanation steps of the segments that changed, as
``fix_and_explain`` reports them (tiers 2 and 3 count the steps ftfy would list).
"""

from __future__ import annotations

import functools
import logging
import re
import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parser  # type: ignore[attr-defined]
from typing import ClassVar

import ftfy
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from ftfy import chardata, fixes
from ftfy.badness import BADNESS_RE

from cleanse.schema import TEXT
from cleanse.stages.base import live_mask, set_column

logger = logging.getLogger(__name__)

ENCODING_FIXES = "encoding_fixes"

# ftfy's defaults, with explanations on (fix_text turns them off; the output is the same,
# because without explanations ftfy's fix_encoding runs with the default config anyway).
_CONFIG = ftfy.TextFixerConfig()
_CONFIG_NO_HTML = _CONFIG._replace(unescape_html=False)
_ENTITY = chardata.HTML_ENTITY_RE
# What a line needs: nothing, only ftfy's uncurl_quotes, or a closer look.
_STABLE, _QUOTES, _CHECK = 0, 1, 2

# Hangul jamo that compose with a preceding syllable or leading consonant (NFC Maybe).
_HANGUL_VOWELS = range(0x1161, 0x1176)
_HANGUL_TRAILING = range(0x11A8, 0x11C3)
# Arrow strings cannot hold them; fix_surrogates replaces every one of them.
_SURROGATES = range(0xD800, 0xE000)
# The fixers of one round of ftfy.fix_and_explain, after fix_encoding, in its order.
_ROUND_FIXERS = (
    fixes.fix_c1_controls,
    fixes.fix_latin_ligatures,
    fixes.fix_character_width,
    fixes.uncurl_quotes,
    fixes.fix_line_breaks,
    fixes.fix_surrogates,
    fixes.remove_terminal_escapes,
    fixes.remove_control_chars,
)


class _Untranslatable(ValueError):
    """A regex construct with no safe RE2 superset."""


@functools.cache
def _touched_codes() -> dict[str, frozenset[int]]:
    """Return, per per-character fixer, every code point it may change."""
    every = "".join(map(chr, (*range(0xD800), *range(0xE000, sys.maxunicode + 1))))
    touched = {}
    for fixer in _ROUND_FIXERS:
        fixed = np.frombuffer(fixer(every).encode("utf-32-le"), dtype=np.uint32)
        present = np.zeros(sys.maxunicode + 1, dtype=bool)
        present[fixed] = True
        present[_SURROGATES.start : _SURROGATES.stop] = True
        touched[fixer.__name__] = frozenset(np.flatnonzero(~present).tolist())
    return touched


def _nfc_unsafe_codes() -> set[int]:
    """Return code points that may make NFC change a text (UAX #15 quick check)."""
    unsafe = {*_HANGUL_VOWELS, *_HANGUL_TRAILING}
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if unicodedata.combining(char):
            unsafe.add(code)
        decomposition = unicodedata.decomposition(char)
        if not decomposition or decomposition.startswith("<"):
            continue
        if unicodedata.normalize("NFC", char) != char:
            unsafe.add(code)
        parts = decomposition.split()
        if len(parts) == 2:
            unsafe.add(int(parts[1], 16))
    return unsafe


@functools.cache
def unsafe_codes() -> frozenset[int]:
    """Return the code points that may take part in an ftfy change other than mojibake.

    Computed once per process (a fraction of a second) from ftfy's tables and
    ``unicodedata``.

    >>> {ord("\\N{RIGHT SINGLE QUOTATION MARK}"), ord("\\r"), 0x301} <= unsafe_codes()
    True
    >>> ord("\\N{LATIN SMALL LETTER E WITH ACUTE}") in unsafe_codes()
    False
    """
    fixed_by_ftfy = set().union(*_touched_codes().values())
    return frozenset(fixed_by_ftfy | _nfc_unsafe_codes() | {*range(0x80, 0xA0), *_SURROGATES})


@functools.cache
def _quote_codes() -> frozenset[int]:
    """Return the curly quotes: changed by ``uncurl_quotes`` only, as `_uncurl` does."""
    others = [codes for name, codes in _touched_codes().items() if name != "uncurl_quotes"]
    quotes = _touched_codes()["uncurl_quotes"] - set().union(*others) - _nfc_unsafe_codes()
    return frozenset(
        code
        for code in quotes - set(range(0x80, 0xA0))
        if fixes.uncurl_quotes(chr(code))
        == ("'" if chardata.SINGLE_QUOTE_RE.match(chr(code)) else '"')
    )


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


def _char_class(
    codes: set[int], *, negate: bool = False, fill: bool = False, python: bool = False
) -> str:
    """Return a regex class of `codes` (RE2 syntax, or Python's with `python`).

    With `fill`, everything from U+0080 to the top is added as one range.
    """
    if fill:
        codes = {code for code in codes if code < 0x80}
    spans = list(_ranges(sorted(codes))) if codes else []
    if fill:
        spans.append((0x80, sys.maxunicode))
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
            out.append(_char_class(codes - set(_SURROGATES), negate=negate, fill=non_ascii))
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


def _python_to_re2(pattern: re.Pattern[str]) -> str:
    """Return an RE2 pattern matching a superset of `pattern`'s matches."""
    if pattern.flags & (re.IGNORECASE | re.ASCII):
        raise _Untranslatable("flags")
    return _to_re2(list(sre_parser.parse(pattern.pattern, pattern.flags)))


@functools.cache
def _touched_res() -> tuple[re.Pattern[str], re.Pattern[str] | None]:
    """Python regexes: a fixer-touched BMP character or an HTML entity; an astral one.

    Two patterns, because Python's ``re`` checks a class holding astral ranges range by
    range, 30 times slower than its BMP bitmap.
    """
    codes = set().union(*_touched_codes().values(), range(0x80, 0xA0), _SURROGATES)
    bmp = re.compile(
        f"{_char_class({c for c in codes if c < 0x10000}, python=True)}|{_ENTITY.pattern}"
    )
    astral = {code for code in codes if code >= 0x10000}
    return bmp, re.compile(_char_class(astral, python=True)) if astral else None


def _has_touched(segment: str) -> bool:
    """Return True if `segment` has an HTML entity or a character a fixer maps."""
    bmp, astral = _touched_res()
    if bmp.search(segment):
        return True
    return (
        astral is not None and max(segment, default="") > "\uffff" and bool(astral.search(segment))
    )


@functools.cache
def document_screen_pattern(*, quotes: bool = True) -> str:
    """Return the RE2 pattern a text must not match to skip ftfy.

    Without `quotes`, curly quotes do not count (the line screen that uncurls in Arrow).

    >>> import pyarrow as pa, pyarrow.compute as pc
    >>> texts = pa.array(["plain text\\n", "caf\\N{LATIN SMALL LETTER E WITH ACUTE}", "sÃ³"])
    >>> pc.match_substring_regex(texts, document_screen_pattern()).to_pylist()
    [False, False, True]
    """
    codes = set(unsafe_codes()) - set(_SURROGATES)
    codes -= set() if quotes else _quote_codes()
    try:
        badness = _python_to_re2(BADNESS_RE)
    except _Untranslatable as err:
        # ftfy never calls ASCII text mojibake, so any non-ASCII character is a safe bound.
        logger.warning("cannot translate ftfy's BADNESS_RE (%s); screening non-ASCII", err)
        badness = "[^\\x00-\\x7F]"
    return f"{_char_class(codes)}|{_python_to_re2(_ENTITY)}|{badness}"


def segments(text: str, *, max_decode_length: int = _CONFIG.max_decode_length) -> Iterator[str]:
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


def is_stable_segment(segment: str) -> bool:
    """Return True when ftfy provably returns this segment unchanged.

    Each step of ftfy's first round is checked to be the identity: no HTML entity, no
    character a fixer maps, ASCII or no ``BADNESS_RE`` match, already NFC.

    >>> is_stable_segment("A plain line.\\n")
    True
    >>> is_stable_segment("it\\N{RIGHT SINGLE QUOTATION MARK}s")
    False
    >>> is_stable_segment("sÃ³")
    False
    """
    if _has_touched(segment):
        return False
    if not segment.isascii() and BADNESS_RE.search(segment):
        return False
    return unicodedata.is_normalized("NFC", segment)


def needs_fixing(text: str) -> bool:
    """Return False when ``ftfy.fix_text(text) == text`` is proven without running ftfy.

    True means ftfy has to look; it may still return the text unchanged.

    >>> needs_fixing("Plain ASCII text.\\nSecond line.")
    False
    >>> needs_fixing("Caf\\N{LATIN SMALL LETTER E WITH ACUTE} au lait")
    False
    >>> needs_fixing("CafÃ© au lait")
    True
    """
    return not all(is_stable_segment(segment) for segment in segments(text))


def _fix_without_ftfy(segment: str) -> tuple[str, int] | None:
    """Return ftfy's fix of `segment` and its step count where no mojibake is in play.

    With no HTML entity and no ``BADNESS_RE`` match, ftfy's first round leaves HTML and
    encoding alone and only runs its character fixers and NFC, done here in ftfy's
    order with ftfy's functions; when the result is stable, the second round changes
    nothing and ftfy stops. None when ftfy itself is needed.
    """
    if _ENTITY.search(segment) or (not segment.isascii() and BADNESS_RE.search(segment)):
        return None
    text, steps = segment, 0
    if _has_touched(segment):
        for fixer in _ROUND_FIXERS:
            fixed = fixer(text)
            steps += fixed != text
            text = fixed
    fixed = unicodedata.normalize("NFC", text)
    steps += fixed != text
    if fixed != segment and not is_stable_segment(fixed):
        return None
    return fixed, steps


def _fix_segment(segment: str, *, unescape_html: bool) -> tuple[str, int]:
    """Return what ``ftfy.fix_and_explain`` makes of `segment`, and its step count."""
    quick = _fix_without_ftfy(segment)
    if quick is not None:
        return quick
    fixed, steps = ftfy.fix_and_explain(segment, _CONFIG if unescape_html else _CONFIG_NO_HTML)
    return fixed, len(steps or ()) if fixed != segment else 0


def _fix_document(
    text: str,
    states: list[int] | None = None,
    memo: dict[tuple[str, bool], tuple[str, int]] | None = None,
) -> tuple[str, int]:
    """Fix `text` segment by segment as ``fix_text`` does; return it and the step count.

    `states` has one state per line (``str.split("\\n")``): `_STABLE`, `_QUOTES` (only
    curly quotes to uncurl, one step) or `_CHECK`. Without it, or when a line longer than
    ``max_decode_length`` makes segments and lines differ, every segment is checked.
    `memo` keeps fixed segments across the documents of a batch (lines repeat on a site).
    """
    pieces = list(segments(text))
    # One state per line, plus one for the empty line after a final break (or for "").
    if states is None or len(states) != len(pieces) + (not text or text.endswith("\n")):
        states = [_CHECK] * len(pieces)
    memo = {} if memo is None else memo
    first_lt = text.find("<")
    count = end = 0
    for index, segment in enumerate(pieces):
        end += len(segment)
        if states[index] == _QUOTES:
            pieces[index] = fixes.uncurl_quotes(segment)
            count += 1
        elif states[index] == _CHECK:
            # fix_text stops unescaping HTML from the first segment holding a "<" on.
            key = (segment, not 0 <= first_lt < end)
            if key not in memo:
                memo[key] = _fix_segment(segment, unescape_html=key[1])
            pieces[index], steps = memo[key]
            count += steps
    return "".join(pieces), count


def fix_and_count(text: str) -> tuple[str, int]:
    """Return ``ftfy.fix_text(text)`` and the number of ftfy explanation steps taken.

    Stable segments are kept as they are; the others get what ``ftfy.fix_and_explain``
    makes of them, as ``fix_text`` sends them (HTML entities stay once a ``<`` has been
    seen). A segment that comes back unchanged counts 0.

    >>> fix_and_count("sÃ³\\nfine")
    ('só\\nfine', 2)
    >>> fix_and_count("fine")
    ('fine', 0)
    """
    return _fix_document(text)


def _matches(lines: pa.Array, pattern: str) -> np.ndarray:
    """Return whether each line, with a line break appended, matches RE2 `pattern`."""
    with_break = pc.binary_join_element_wise(lines, "\n", "")
    return pc.match_substring_regex(with_break, pattern).to_numpy(zero_copy_only=False)


def _uncurl(lines: pa.Array) -> pa.Array:
    """Apply ftfy's ``uncurl_quotes`` to every line, in Arrow."""
    double = _python_to_re2(chardata.DOUBLE_QUOTE_RE)
    single = _python_to_re2(chardata.SINGLE_QUOTE_RE)
    lines = pc.replace_substring_regex(lines, double, '"')
    return pc.replace_substring_regex(lines, single, "'")


def _fix_screened(texts: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Fix texts the document screen caught; return them and their step counts.

    Lines are screened again one by one: a line whose only unsafe characters are curly
    quotes and whose uncurled form passes the screen is uncurled in Arrow (one step);
    documents with any other unstable line (or a line too long for one segment) go to
    Python, where only those lines reach ftfy.
    """
    lines = pc.split_pattern(texts, "\n")
    flat = pc.list_flatten(lines)
    hard = _matches(flat, document_screen_pattern(quotes=False))
    hard |= pc.utf8_length(flat).to_numpy() >= _CONFIG.max_decode_length
    # Caught by the full screen, not by the quote-blind one: the line holds curly quotes.
    quoted = _matches(flat, document_screen_pattern()) & ~hard
    uncurled = _uncurl(flat.filter(quoted))
    still_unstable = _matches(uncurled, document_screen_pattern())
    hard[quoted] = still_unstable
    quoted[quoted] = ~still_unstable
    flat = pc.replace_with_mask(flat, quoted, uncurled.filter(~still_unstable))
    parents = pc.list_parent_indices(lines).to_numpy()
    counts = np.bincount(parents, weights=quoted, minlength=len(texts)).astype(np.int32)
    fixed = pc.binary_join(pa.ListArray.from_arrays(lines.offsets, flat), "\n")
    rows = np.flatnonzero(np.bincount(parents, weights=hard, minlength=len(texts)))
    if len(rows):
        states = np.where(hard, _CHECK, np.where(quoted, _QUOTES, _STABLE))
        offsets = lines.offsets.to_numpy()
        memo: dict[tuple[str, bool], tuple[str, int]] = {}
        results = [
            _fix_document(text, states[offsets[row] : offsets[row + 1]].tolist(), memo)
            for row, text in zip(rows, texts.take(rows).to_pylist(), strict=True)
        ]
        mask = np.zeros(len(texts), dtype=bool)
        mask[rows] = True
        fixed = pc.replace_with_mask(fixed, mask, pa.array([text for text, _ in results]))
        counts[rows] = [count for _, count in results]
    return fixed.cast(texts.type), counts


def fix_text_fast(text: str) -> str:
    """Return ``ftfy.fix_text(text)``, skipping ftfy for segments it would not change.

    >>> fix_text_fast("sch\\N{LATIN CAPITAL LETTER A WITH TILDE}\\N{PILCROW SIGN}n")
    'schön'
    >>> fix_text_fast("\\N{LEFT DOUBLE QUOTATION MARK}Quoted\\N{RIGHT DOUBLE QUOTATION MARK}")
    '"Quoted"'
    >>> fix_text_fast("Already clean.")
    'Already clean.'
    """
    return fix_and_count(text)[0]


@dataclass(frozen=True, slots=True, kw_only=True)
class FixEncoding:
    """Fix mojibake, HTML entities, curly quotes and other damage exactly as ftfy does.

    Writes ``ftfy.fix_text(text)`` (ftfy's default configuration) to ``text`` for live
    rows and adds ``encoding_fixes`` (int32): the ftfy explanation steps of the segments
    that changed, 0 for unchanged, null-text and non-live rows; the pipeline sums it into
    the stage stats. No options: "identical to ``ftfy.fix_text``" is the contract, and
    every ftfy option (uncurled quotes kept, NFKC, ...) would break it and the proofs of
    the fast path, which are derived for the defaults. Most documents never reach
    Python; the module docstring says how, and why the output cannot differ.
    """

    name: ClassVar[str] = "fix_encoding"
    reasons: ClassVar[tuple[str, ...]] = ()
    columns: ClassVar[tuple[pa.Field, ...]] = (pa.field(ENCODING_FIXES, pa.int32()),)
    counters: ClassVar[tuple[str, ...]] = (ENCODING_FIXES,)

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        texts = batch.column(TEXT)
        screened = pc.match_substring_regex(texts, document_screen_pattern())
        todo = pc.fill_null(pc.and_(screened, live_mask(batch)), False)
        counts = np.zeros(batch.num_rows, dtype=np.int32)
        if pc.any(todo).as_py():
            fixed, fixed_counts = _fix_screened(texts.filter(todo))
            batch = set_column(batch, TEXT, pc.replace_with_mask(texts, todo, fixed))
            counts[np.flatnonzero(todo.to_numpy(zero_copy_only=False))] = fixed_counts
        return set_column(batch, ENCODING_FIXES, pa.array(counts, type=pa.int32()))
