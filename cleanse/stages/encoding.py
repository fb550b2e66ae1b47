"""Fix mojibake and other Unicode damage with ftfy, skipping text ftfy would not change.

The output is exactly ``ftfy.fix_text(text, config)`` for the stage's ftfy configuration
(a preset of `PRESETS`, with per-option overrides); the stage only avoids calling ftfy
where a check proves the call would return its input. Why the checks are proofs, for
every configuration, is in `cleanse.stages.encoding_screen`.

The configurations keep ``explain=True`` (``TextFixerConfig``'s own default, as
``fix_text(text, config=TextFixerConfig(...))`` gets it): ``fix_and_explain`` then hands
the config's ``fix_encoding`` sub-options on; with ``explain=False`` ftfy would run its
encoding fixer with its defaults whatever they say.

How the stage avoids ftfy, in four tiers, each exact or conservative:

1. Documents: pyarrow's RE2 searches every text for the screen's pattern (characters
   an enabled fixer or the normalisation may change, HTML entities when unescaped, a
   superset of ``BADNESS_RE`` when ``fix_encoding`` is on). No hit: every segment is
   stable. Most web text stops here.
2. Only with ``uncurl_quotes`` on, lines of the other documents (with their break): a
   line whose only unsafe characters are curly quotes, and whose uncurled form passes
   the screen, is uncurled in Arrow: ftfy's first round would only run
   ``uncurl_quotes``, and its second nothing.
3. Documents with any other unstable line go to Python, segment by segment. Without an
   HTML entity (where unescaped) or a ``BADNESS_RE`` match (where ``fix_encoding`` is
   on), ftfy's round is its enabled character fixers and normalisation: they are run
   here, with ftfy's functions in ftfy's order, and kept when the result is stable
   (checked exactly: ``unicodedata.is_normalized`` instead of the table).
4. The rest (mojibake, entities) goes to ``ftfy.fix_and_explain``, with the segments and
   the ``unescape_html="auto"`` rule of ``fix_text``.

``encoding_fixes`` counts the explanation steps of the segments that changed, as
``fix_and_explain`` reports them (tiers 2 and 3 count the steps ftfy would list).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import ClassVar, Literal

import ftfy
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from ftfy import chardata, fixes
from ftfy.badness import BADNESS_RE

from cleanse.schema import TEXT
from cleanse.stages.base import live_mask, set_column
from cleanse.stages.encoding_screen import ENTITY, Screen, python_to_re2, screen, segments

ENCODING_FIXES = "encoding_fixes"

#: ftfy configurations by name. "encoding" (the stage's default) repairs damage only, as
#: datatrove's FTFYFormatter does: no ligature, width, quote or line-break rewriting and
#: no normalisation. "ftfy" is ftfy's own default configuration.
PRESETS: dict[str, ftfy.TextFixerConfig] = {
    "encoding": ftfy.TextFixerConfig(
        fix_latin_ligatures=False,
        fix_character_width=False,
        uncurl_quotes=False,
        fix_line_breaks=False,
        normalization=None,
    ),
    "ftfy": ftfy.TextFixerConfig(),
}
DEFAULT_CONFIG = PRESETS["encoding"]
NORMALIZATIONS = ("NFC", "NFD", "NFKC", "NFKD")
#: The TextFixerConfig fields the stage lets a config override.
OPTIONS = tuple(
    name for name in ftfy.TextFixerConfig._fields if name not in ("max_decode_length", "explain")
)
# What a line needs: nothing, only ftfy's uncurl_quotes, or a closer look.
_STABLE, _QUOTES, _CHECK = 0, 1, 2


def ftfy_config(preset: str = "encoding", **overrides: object) -> ftfy.TextFixerConfig:
    """Return `preset`'s ftfy configuration with the `overrides` that are not None.

    ``normalization="none"`` turns normalisation off (None keeps the preset's).

    >>> ftfy_config("ftfy", uncurl_quotes=False).uncurl_quotes
    False
    >>> ftfy_config(normalization="NFKC") == DEFAULT_CONFIG._replace(normalization="NFKC")
    True
    """
    if preset not in PRESETS:
        msg = f"preset must be one of {', '.join(map(repr, PRESETS))} (got {preset!r})"
        raise ValueError(msg)
    values = {key: value for key, value in overrides.items() if value is not None}
    if values.get("normalization", "none") not in (*NORMALIZATIONS, "none"):
        msg = f"normalization must be one of {', '.join(NORMALIZATIONS)} or 'none'"
        raise ValueError(f"{msg} (got {values['normalization']!r})")
    if values.get("normalization") == "none":
        values["normalization"] = None
    if values.get("unescape_html", True) not in (True, False, "auto"):
        msg = f"unescape_html must be true, false or 'auto' (got {values['unescape_html']!r})"
        raise ValueError(msg)
    return PRESETS[preset]._replace(**values)


def _checked(config: ftfy.TextFixerConfig) -> Screen:
    """Return the screen of `config`, which must keep explanations on."""
    if not config.explain:
        msg = "the config must keep explain=True (ftfy ignores fix_encoding's options without)"
        raise ValueError(msg)
    return screen(config)


def is_stable_segment(segment: str, config: ftfy.TextFixerConfig = DEFAULT_CONFIG) -> bool:
    """Return True when ftfy under `config` provably returns this segment unchanged.

    >>> is_stable_segment("A plain line.\\n")
    True
    >>> is_stable_segment("it\\N{RIGHT SINGLE QUOTATION MARK}s")
    True
    >>> is_stable_segment("it\\N{RIGHT SINGLE QUOTATION MARK}s", PRESETS["ftfy"])
    False
    >>> is_stable_segment("sÃ³")
    False
    """
    return _checked(config).is_stable(segment)


def needs_fixing(text: str, config: ftfy.TextFixerConfig = DEFAULT_CONFIG) -> bool:
    """Return False when ``ftfy.fix_text(text, config) == text`` is proven without ftfy.

    True means ftfy has to look; it may still return the text unchanged.

    >>> needs_fixing("Plain ASCII text.\\nSecond line.")
    False
    >>> needs_fixing("Caf\\N{LATIN SMALL LETTER E WITH ACUTE} au lait")
    False
    >>> needs_fixing("CafÃ© au lait")
    True
    """
    checks = _checked(config)
    pieces = segments(text, max_decode_length=config.max_decode_length)
    return not all(checks.is_stable(segment) for segment in pieces)


def _fix_without_ftfy(segment: str, checks: Screen, *, unescape: bool) -> tuple[str, int] | None:
    """Return ftfy's fix of `segment` and its step count where no mojibake is in play.

    With no HTML entity to unescape and no ``BADNESS_RE`` match for ``fix_encoding``,
    ftfy's first round leaves HTML and encoding alone and only runs the enabled character
    fixers and the normalisation, done here in ftfy's order with ftfy's functions; when
    the result is stable, the second round changes nothing and ftfy stops. None when
    ftfy itself is needed.
    """
    config = checks.config
    if unescape and ENTITY.search(segment):
        return None
    if config.fix_encoding and not segment.isascii() and BADNESS_RE.search(segment):
        return None
    text, steps = segment, 0
    if checks.has_touched(segment):
        for fixer in checks.fixers:
            fixed = fixer(text)
            steps += fixed != text
            text = fixed
    fixed = unicodedata.normalize(config.normalization, text) if config.normalization else text
    steps += fixed != text
    if fixed != segment and not checks.is_stable(fixed):
        return None
    return fixed, steps


def _fix_segment(segment: str, checks: Screen, *, unescape: bool) -> tuple[str, int]:
    """Return what ``ftfy.fix_and_explain`` makes of `segment`, and its step count."""
    quick = _fix_without_ftfy(segment, checks, unescape=unescape)
    if quick is not None:
        return quick
    config = checks.config if unescape else checks.config._replace(unescape_html=False)
    fixed, steps = ftfy.fix_and_explain(segment, config)
    return fixed, len(steps or ()) if fixed != segment else 0


def _fix_document(
    text: str,
    checks: Screen,
    states: list[int] | None = None,
    memo: dict[tuple[str, bool], tuple[str, int]] | None = None,
) -> tuple[str, int]:
    """Fix `text` segment by segment as ``fix_text`` does; return it and the step count.

    `states` has one state per line (``str.split("\\n")``): `_STABLE`, `_QUOTES` (only
    curly quotes to uncurl, one step) or `_CHECK`. Without it, or when a line longer than
    ``max_decode_length`` makes segments and lines differ, every segment is checked.
    `memo` keeps fixed segments across the documents of a batch (lines repeat on a site).
    """
    html = checks.config.unescape_html
    pieces = list(segments(text, max_decode_length=checks.config.max_decode_length))
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
            # With "auto", fix_text stops unescaping from the first segment with a "<" on.
            unescape = bool(html) and (html != "auto" or not 0 <= first_lt < end)
            key = (segment, unescape)
            if key not in memo:
                memo[key] = _fix_segment(segment, checks, unescape=unescape)
            pieces[index], steps = memo[key]
            count += steps
    return "".join(pieces), count


def fix_and_count(text: str, config: ftfy.TextFixerConfig = DEFAULT_CONFIG) -> tuple[str, int]:
    """Return ``ftfy.fix_text(text, config)`` and the number of explanation steps taken.

    Stable segments are kept as they are; the others get what ``ftfy.fix_and_explain``
    makes of them, as ``fix_text`` sends them (with ``unescape_html="auto"``, HTML
    entities stay once a ``<`` has been seen). A segment that comes back unchanged
    counts 0.

    >>> fix_and_count("sÃ³\\nfine")
    ('só\\nfine', 2)
    >>> fix_and_count("fine")
    ('fine', 0)
    """
    return _fix_document(text, _checked(config))


def _matches(lines: pa.Array, pattern: str) -> np.ndarray:
    """Return whether each line, with a line break appended, matches RE2 `pattern`."""
    with_break = pc.binary_join_element_wise(lines, "\n", "")
    return pc.match_substring_regex(with_break, pattern).to_numpy(zero_copy_only=False)


def _uncurl(lines: pa.Array) -> pa.Array:
    """Apply ftfy's ``uncurl_quotes`` to every line, in Arrow."""
    lines = pc.replace_substring_regex(lines, python_to_re2(chardata.DOUBLE_QUOTE_RE), '"')
    return pc.replace_substring_regex(lines, python_to_re2(chardata.SINGLE_QUOTE_RE), "'")


def _fix_screened(texts: pa.Array, checks: Screen) -> tuple[pa.Array, np.ndarray]:
    """Fix texts the document screen caught; return them and their step counts.

    Lines are screened again one by one. With ``uncurl_quotes`` on, a line whose only
    unsafe characters are curly quotes and whose uncurled form passes the screen is
    uncurled in Arrow (one step). Documents with any other unstable line (or a line too
    long for one segment) go to Python, where only those lines reach ftfy.
    """
    lines = pc.split_pattern(texts, "\n")
    flat = pc.list_flatten(lines)
    hard = _matches(flat, checks.quote_blind_pattern)
    hard |= pc.utf8_length(flat).to_numpy() >= checks.config.max_decode_length
    quoted = np.zeros(len(flat), dtype=bool)
    if checks.quotes:
        # Caught by the full screen, not by the quote-blind one: the line holds quotes.
        quoted = _matches(flat, checks.pattern) & ~hard
        uncurled = _uncurl(flat.filter(quoted))
        still_unstable = _matches(uncurled, checks.pattern)
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
            _fix_document(text, checks, states[offsets[row] : offsets[row + 1]].tolist(), memo)
            for row, text in zip(rows, texts.take(rows).to_pylist(), strict=True)
        ]
        mask = np.zeros(len(texts), dtype=bool)
        mask[rows] = True
        fixed = pc.replace_with_mask(fixed, mask, pa.array([text for text, _ in results]))
        counts[rows] = [count for _, count in results]
    return fixed.cast(texts.type), counts


def fix_text_fast(text: str, config: ftfy.TextFixerConfig = DEFAULT_CONFIG) -> str:
    """Return ``ftfy.fix_text(text, config)``, skipping ftfy where it would change nothing.

    >>> fix_text_fast("sch\\N{LATIN CAPITAL LETTER A WITH TILDE}\\N{PILCROW SIGN}n")
    'schön'
    >>> fix_text_fast("\\N{LEFT DOUBLE QUOTATION MARK}Quoted\\N{RIGHT DOUBLE QUOTATION MARK}")
    '“Quoted”'
    >>> fix_text_fast("\\N{RIGHT SINGLE QUOTATION MARK}", PRESETS["ftfy"])
    "'"
    """
    return fix_and_count(text, config)[0]


Toggle = bool | None


@dataclass(frozen=True, slots=True, kw_only=True)
class FixEncoding:
    """Fix mojibake, HTML entities and other encoding damage exactly as ftfy does.

    Writes ``ftfy.fix_text(text, config)`` to ``text`` for live rows, `config` being
    `preset`'s ftfy configuration with the options below that are set, and adds
    ``encoding_fixes`` (int32): the ftfy explanation steps of the segments that changed,
    0 for unchanged, null-text and non-live rows; the pipeline sums it into the stage
    stats. Most documents never reach Python; the module docstring says how, and why the
    output cannot differ.

    Args:
        preset: "encoding" (default): repair damage only (mojibake, HTML entities,
            C1 and other control characters, terminal escapes, surrogates), as
            datatrove's FTFYFormatter does; curly quotes, ligatures, full-width
            characters, line breaks and normalisation are left alone. "ftfy": ftfy's
            defaults, which also straighten quotes, split ligatures, narrow full-width
            characters (CJK punctuation too), turn ``\\r`` and U+2028 into ``\\n`` and
            apply NFC.
        unescape_html: true, false or "auto"; None (every option below too) keeps the
            preset's value. The rest are ``ftfy.TextFixerConfig``'s fields of the same
            name: true or false.
        normalization: "NFC", "NFD", "NFKC", "NFKD" or "none".
    """

    name: ClassVar[str] = "fix_encoding"
    reasons: ClassVar[tuple[str, ...]] = ()
    columns: ClassVar[tuple[pa.Field, ...]] = (pa.field(ENCODING_FIXES, pa.int32()),)
    counters: ClassVar[tuple[str, ...]] = (ENCODING_FIXES,)

    preset: Literal["encoding", "ftfy"] = "encoding"
    unescape_html: bool | Literal["auto"] | None = None
    remove_terminal_escapes: Toggle = None
    fix_encoding: Toggle = None
    restore_byte_a0: Toggle = None
    replace_lossy_sequences: Toggle = None
    decode_inconsistent_utf8: Toggle = None
    fix_c1_controls: Toggle = None
    fix_latin_ligatures: Toggle = None
    fix_character_width: Toggle = None
    uncurl_quotes: Toggle = None
    fix_line_breaks: Toggle = None
    fix_surrogates: Toggle = None
    remove_control_chars: Toggle = None
    normalization: Literal["NFC", "NFD", "NFKC", "NFKD", "none"] | None = None
    #: The ftfy configuration the options make (``ftfy.fix_text(text, config)``).
    config: ftfy.TextFixerConfig = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        options = {name: getattr(self, name) for name in OPTIONS}
        object.__setattr__(self, "config", ftfy_config(self.preset, **options))

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        checks = _checked(self.config)
        texts = batch.column(TEXT)
        screened = pc.match_substring_regex(texts, checks.pattern)
        todo = pc.fill_null(pc.and_(screened, live_mask(batch)), False)
        counts = np.zeros(batch.num_rows, dtype=np.int32)
        if pc.any(todo).as_py():
            fixed, fixed_counts = _fix_screened(texts.filter(todo), checks)
            batch = set_column(batch, TEXT, pc.replace_with_mask(texts, todo, fixed))
            counts[np.flatnonzero(todo.to_numpy(zero_copy_only=False))] = fixed_counts
        return set_column(batch, ENCODING_FIXES, pa.array(counts, type=pa.int32()))
