"""Remove in-document boilerplate lines (chrome, menus, credits, repeats); keep the article.

Three signals, in the order a line is judged (DESIGN.md section 3.1):

1. **repeated**: a short line (at most `REPEAT_MAX_WORDS` words) whose normalised form
   occurs twice or more in the document (tag lists, "Share", newsletter blocks printed
   twice) loses every copy; a longer repeated line loses its later copies only, so a
   pull quote keeps its first occurrence;
2. **phrase** / **credit**: a short line naming itself as chrome in one of a dozen
   languages ("Sign up for our weekly newsletter", "Find X on your TV", "Related News",
   "Teilen") or a photo/agency credit ("Francois Lenoir / Reuters", "Al Jazeera and
   Reuters"); see ``boilerplate_phrases``;
3. **edge_short** / **low_content**: a line scorer (``boilerplate_model``, jusText's
   features of a line and its neighbours, gradient-boosted trees fitted on real labelled lines)
   gives each line a noise probability; lines at or above `threshold` go. Those before
   the first or after the last kept line are ``edge_short`` (head and tail chrome),
   those between kept lines ``low_content``.

Kept lines are joined with "\\n"; where the input had blank lines between two kept lines,
one blank line stays, so paragraphs survive and runs of blanks left by removals collapse.
A document with no line removed comes back unchanged.

The stage judges a whole batch at once: one compiled scan of every line
(``boilerplate_lines``), features and the scorer as arrays over all lines
(``boilerplate_model``), the rules per document in compiled loops
(``boilerplate_doc_kernels``). Each line's features and decision are those of the
scalar definition, whatever else is in the batch (``tests/stages/boilerplate_reference.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cleanse.schema import FROM_HTML, REMOVED_LINES_FIELD, TEXT
from cleanse.stages import boilerplate_doc_kernels as doc_kernels
from cleanse.stages import boilerplate_kernels as kernels
from cleanse.stages.base import (
    add_removed_lines,
    live_mask,
    mark_removed,
    set_column,
)
from cleanse.stages.boilerplate_lines import Lines, scan
from cleanse.stages.boilerplate_model import LINE_FEATURES, LineScorer, load_scorer, named_features
from cleanse.stages.stopwords import LANGUAGES

EMPTY = "strip_boilerplate.empty"

REPEATED = "repeated"
PHRASE = "phrase"
CREDIT = "credit"
EDGE_SHORT = "edge_short"
LOW_CONTENT = "low_content"
#: Every per-line removal reason, in the order they are tested.
LINE_REASONS = (REPEATED, PHRASE, CREDIT, EDGE_SHORT, LOW_CONTENT)
#: The reason of each code of ``boilerplate_doc_kernels.line_reasons`` (0: kept).
_REASON_OF_CODE = (None, REPEATED, PHRASE, CREDIT, EDGE_SHORT, LOW_CONTENT)

#: Repeated lines up to this long lose every copy: at that length a repeat is a label or a
#: link ("Logga in", "Russia, Syria, Turkey"), not a sentence worth one copy.
REPEAT_MAX_WORDS = 8

_PHRASE_COLUMN = LINE_FEATURES.index("phrase")
_END_COLUMN = LINE_FEATURES.index("end_sentence")
_REPEATED_COLUMN = LINE_FEATURES.index("repeated")
_WORDS_COLUMN = LINE_FEATURES.index("log_words")
#: A "content sentence" has at least 8 words (log1p(8) as the feature stores it).
_SENTENCE_LOG_WORDS = math.log1p(8)
_STOP_COLUMN = LINE_FEATURES.index("stop_density")
#: The scorer never removes prose: a sentence of 8+ words, at least this share of them
#: stop words (jusText's ``stopwords_high`` is 0.32; running text sits near 0.4-0.5).
PROSE_STOP_DENSITY = 0.35
#: ... save for a line the trees are sure of: a prose line of at most
#: `PROSE_SCORED_MAX_WORDS` words goes when its score is at least `PROSE_CUT` ("Se
#: connecter pour voir les réservations en cours.", "Wikipedias text är tillgänglig under
#: licensen Creative Commons ..."): on line-quality-oscar's out-of-fold scores (trees fitted
#: without prose lines) about 90 % of those are noise, and out-of-fold noise F1 over 9 fold
#: seeds rose 0.7624 -> 0.7646, on 9 of 9 (cut 0.99: +0.0002, 0.95: +0.0013, 0.9: +0.0022).
#: Longer prose lines are not scored (a cap of 40 words gave the same 9-seed mean, for
#: more lines to score).
PROSE_CUT = 0.9
PROSE_SCORED_MAX_WORDS = 25
_PROSE_SCORED_LOG_WORDS = math.log1p(PROSE_SCORED_MAX_WORDS)
#: A short line (at most `ISLAND_MAX_WORDS` words, not prose) kept alone between two
#: removed lines of its document goes when its score is within `ISLAND_MARGIN` of the
#: cut: its neighbours' removal is the evidence its own score lacked ("Home" / "Tags" /
#: a lone "Deutsch" in a menu the trees otherwise removed). On line-quality-oscar's
#: out-of-fold scores over 9 fold seeds: noise F1 0.7646 -> 0.7681, up on 9 of 9; every
#: setting tried gains (4-15 words, margin 0.1-0.5: +0.0016 to +0.0039), none without the
#: score condition (any kept island: -0.0056).
ISLAND_MAX_WORDS = 10
ISLAND_MARGIN = 0.2
_ISLAND_LOG_WORDS = math.log1p(ISLAND_MAX_WORDS)
#: A heading has 4 to 15 words: a title, not a label ("Comments", "Share this"), which
#: the trees judge by its neighbours (on line-quality-oscar, keeping every short line the
#: trees removed above a sentence cost 0.01 of out-of-fold noise F1; from 4 words, nothing).
_HEADING_MIN_LOG_WORDS = math.log1p(4)
_HEADING_LOG_WORDS = math.log1p(15)
_CREDIT_COLUMN = LINE_FEATURES.index("credit")
#: Characters of scripts written without spaces (Han, kana, Thai, Lao, Myanmar, Khmer)
#: from which a line counts as prose: about two sentences of Chinese.
UNSPACED_PROSE_CHARS = 30


@dataclass(frozen=True, slots=True)
class LineVerdict:
    """What `classify_lines` decided for one line: keep it, or why not, and its score."""

    keep: bool
    reason: str | None
    score: float


@dataclass(frozen=True, slots=True)
class StripResult:
    """The text left and the removed lines as ``(line_no, reason)``, 0-based in the input."""

    text: str
    removed: list[tuple[int, str]]
    chars_removed: int


def decide(lines: Lines, features: np.ndarray, scores: np.ndarray, cut: float) -> np.ndarray:
    """Return the reason code of every line of `lines` (0: keep; see `_REASON_OF_CODE`).

    The rules around the scorer, per document:

    * a phrase line that does not end a sentence goes ("Sign up for our newsletter" is
      chrome, "We use cookies to count visits." may be the privacy page itself: on
      line-quality-oscar the rule is right 94% of the time with this condition), and so
      does a credit line, whatever their score;
    * the scorer removes prose (a sentence of 8+ words with ordinary stop-word
      density, or a long run of a script written without spaces, which the word
      features do not describe) only at a score of `PROSE_CUT` or more, and a line of
      at most `PROSE_SCORED_MAX_WORDS` words (after the rules below, which count it
      kept);
    * a short line kept alone between two removed lines goes when its score is within
      `ISLAND_MARGIN` of the cut (after the rules below; see `ISLAND_MAX_WORDS`);
    * a block of two or more short lines (at most `REPEAT_MAX_WORDS` words) printed
      twice after the last content sentence goes, as a tag list or link block after the
      article ("Russia, Syria, Turkey" / "NATO, Syria's War"). Single repeated lines are
      left to the scorer (its ``repeated`` feature): on line-quality-oscar, removing
      every short repeated line is right only 62% of the time, and 73-80% after the last
      sentence;
    * a line of 4 to 15 words the scorer alone removed right above a kept content
      sentence is a heading and stays (jusText's heading rule: the title of an article;
      shorter labels such as "Comments" above a sentence are left to the trees);
    * removed lines before the first or after the last kept line are ``edge_short``.
    """
    return doc_kernels.line_reasons(
        lines.doc_starts, _forced(features), features[:, _END_COLUMN],
        features[:, _WORDS_COLUMN].copy(), features[:, _STOP_COLUMN].copy(),
        features[:, _REPEATED_COLUMN] > 0,
        lines.column(kernels.UNSPACED_CHARS), _pair_repeats(lines), scores, cut,
        _SENTENCE_LOG_WORDS, _HEADING_MIN_LOG_WORDS, _HEADING_LOG_WORDS, PROSE_STOP_DENSITY,
        UNSPACED_PROSE_CHARS, PROSE_CUT, _PROSE_SCORED_LOG_WORDS, ISLAND_MARGIN,
        _ISLAND_LOG_WORDS,
    )  # fmt: skip


def _pair_repeats(lines: Lines) -> np.ndarray:
    """True at line j when lines j and j + 1 of one document are both short with a repeat
    key, and that pair of keys occurs twice or more in the document."""
    keys = np.where(
        (lines.column(kernels.WORDS) <= REPEAT_MAX_WORDS) & (np.diff(lines.word_starts) > 0),
        lines.keys,
        -1,
    )
    doc = lines.doc_of_line
    out = np.zeros(len(lines), dtype=bool)
    pair = np.flatnonzero((keys[:-1] >= 0) & (keys[1:] >= 0) & (doc[:-1] == doc[1:]))
    if len(pair):
        # a key is the first line of the document with it: a pair of keys is one document's
        _, inverse, counts = np.unique(
            keys[pair] * len(lines) + keys[pair + 1], return_inverse=True, return_counts=True
        )
        out[pair] = counts[inverse] > 1
    return out


def _forced(features: np.ndarray) -> np.ndarray:
    """The code `decide` gives each line whatever its score: ``PHRASE`` for a phrase line
    that does not end a sentence, else ``CREDIT`` for a credit line, else ``KEEP``."""
    end = features[:, _END_COLUMN]
    return np.where(
        (features[:, _PHRASE_COLUMN] > 0) & (end == 0),
        doc_kernels.PHRASE,
        np.where(features[:, _CREDIT_COLUMN] > 0, doc_kernels.CREDIT, doc_kernels.KEEP),
    ).astype(np.int64)


def _forced_out(features: np.ndarray) -> np.ndarray:
    """True at each line `decide` removes as a phrase or credit whatever its score, and
    that is not a content sentence (8+ words ending one): no rule reads its score."""
    sentence = (features[:, _END_COLUMN] > 0) & (features[:, _WORDS_COLUMN] >= _SENTENCE_LOG_WORDS)
    return (_forced(features) != doc_kernels.KEEP) & ~sentence


def prose(lines: Lines, features: np.ndarray) -> np.ndarray:
    """True at each line the scorer may not remove: a sentence of 8+ words with a stop-word
    density of at least `PROSE_STOP_DENSITY`, or `UNSPACED_PROSE_CHARS` characters of a
    script written without spaces (the rule of `decide`)."""
    return (
        (features[:, _END_COLUMN] > 0)
        & (features[:, _WORDS_COLUMN] >= _SENTENCE_LOG_WORDS)
        & (features[:, _STOP_COLUMN] >= PROSE_STOP_DENSITY)
    ) | (lines.column(kernels.UNSPACED_CHARS) >= UNSPACED_PROSE_CHARS)


def judge(
    lines: Lines,
    *,
    threshold: float | None = None,
    scorer: LineScorer | None = None,
    score_prose: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the reason code and the score of every line of `lines`.

    With `score_prose` False, the lines whose score no rule of `decide` reads are not
    scored (score 0): `prose` lines of more than `PROSE_SCORED_MAX_WORDS` words, and
    lines a phrase or credit rule removes that are not content sentences (whose score
    would say whether they are the last one kept). The decisions are the same, for less
    work.
    """
    scorer = scorer or load_scorer()
    features = named_features(lines)
    long_prose = prose(lines, features) & (features[:, _WORDS_COLUMN] > _PROSE_SCORED_LOG_WORDS)
    rows = None if score_prose else ~(long_prose | _forced_out(features))
    scores = scorer.score(lines, features, rows)
    cut = scorer.threshold if threshold is None else threshold
    return decide(lines, features, scores, cut), scores


def line_reasons(
    texts: Sequence[str], features: np.ndarray, scores: np.ndarray, cut: float
) -> list[str | None]:
    """Return the removal reason (None: keep) of each non-blank line of one document.

    `texts` are its stripped lines, `features` their `named_features`, `scores` the
    scorer's noise probabilities (see `decide` for the rules).
    """
    codes = decide(scan(list(texts), split=False), features, scores, cut)
    return [_REASON_OF_CODE[c] for c in codes.tolist()]


def classify_lines(
    lines: Sequence[str],
    *,
    language: str | None = None,
    threshold: float | None = None,
    scorer: LineScorer | None = None,
) -> list[LineVerdict]:
    """Judge each line of one document (blank lines are kept, score 0).

    `language` (ISO 639-1) picks the stop-word list, None detects it; `threshold` is the
    noise probability at which a line goes (None: the shipped weights' tuned value);
    `scorer` replaces the shipped weights (used when fitting them).

    >>> tags = ["Russia, Syria, Turkey", "NATO, Syria's War"]
    >>> lines = ["Home", "", "NATO said on Thursday that it is ready to send troops to Turkey.",
    ...          "Sign up for our weekly newsletter", *tags, "", *tags]
    >>> [v.reason for v in classify_lines(lines)]
    ['phrase', None, None, 'phrase', 'repeated', 'repeated', None, 'repeated', 'repeated']
    """
    verdicts = [LineVerdict(keep=True, reason=None, score=0.0) for _ in lines]
    scanned = scan(list(lines), split=False, language=language)
    if not len(scanned):
        return verdicts
    codes, scores = judge(scanned, threshold=threshold, scorer=scorer)
    positions = scanned.column(kernels.SOURCE).tolist()
    for position, code, score in zip(positions, codes.tolist(), scores.tolist(), strict=True):
        reason = _REASON_OF_CODE[code]
        verdicts[position] = LineVerdict(keep=reason is None, reason=reason, score=score)
    return verdicts


def strip(text: str, *, language: str | None = None, threshold: float | None = None) -> StripResult:
    """Remove boilerplate lines from `text`; say which lines went and why.

    >>> result = strip("Menu\\n\\nTitle of the story\\n\\nIt was a long day, and then it rained.")
    >>> result.text
    'Title of the story\\n\\nIt was a long day, and then it rained.'
    >>> result.removed
    [(0, 'phrase')]
    """
    return strip_texts([text], language=language, threshold=threshold)[0][0]


@dataclass(frozen=True, slots=True)
class Stripped:
    """What `strip_batch` did to each row of an array of texts (rows not scanned, and
    rows where nothing went, keep their text)."""

    texts: pa.Array
    lines_removed: np.ndarray
    chars_removed: np.ndarray
    #: no line left (only where some went)
    empty: np.ndarray
    #: every removed line, in row order: its row, its index among the row's non-blank
    #: lines, its line number (in ``str.splitlines``), its reason code (`_REASON_OF_CODE`)
    #: and its text as it was
    gone_rows: np.ndarray
    gone_index: np.ndarray
    gone_numbers: np.ndarray
    gone_codes: np.ndarray
    gone_lines: pa.Array

    @property
    def removed(self) -> list[list[tuple[int, str, str]]]:
        """Per row, its removed lines as ``(nonblank index, reason, line)``."""
        removed: list[list[tuple[int, str, str]]] = [[] for _ in range(len(self.texts))]
        for row, index, code, line in zip(
            self.gone_rows.tolist(), self.gone_index.tolist(), self.gone_codes.tolist(),
            self.gone_lines.to_pylist(), strict=True,
        ):  # fmt: skip
            removed[row].append((index, _REASON_OF_CODE[code], line))
        return removed

    @property
    def numbers(self) -> list[list[int]]:
        """Per row, the line numbers (in ``str.splitlines``) of its removed lines."""
        numbers: list[list[int]] = [[] for _ in range(len(self.texts))]
        for row, number in zip(self.gone_rows.tolist(), self.gone_numbers.tolist(), strict=True):
            numbers[row].append(number)
        return numbers

    @property
    def gone_reasons(self) -> pa.Array:
        """The reason of each removed line (``gone_codes`` by name)."""
        return pc.take(pa.array(_REASON_OF_CODE[1:], pa.string()), self.gone_codes - 1)


def guard_pages(lines: Lines, codes: np.ndarray, guarded: np.ndarray, share: float) -> np.ndarray:
    """Return `codes` with every line kept in the rows where `guarded` is true and the
    removed lines hold at least `share` of the row's characters, but not all of them
    (see `StripBoilerplate`)."""
    row_of_line = lines.rows[lines.doc_of_line]
    raw = (lines.column(kernels.RAW_STOP) - lines.column(kernels.RAW_START)).astype(np.float64)
    count = len(guarded)
    total = np.bincount(row_of_line, weights=raw, minlength=count)
    gone = np.bincount(row_of_line, weights=raw * (codes > 0), minlength=count)
    # A page every line of which reads as boilerplate (a cookie wall, a "page not
    # found", a list of links) is not guarded: it goes to rejects as strip_boilerplate.empty.
    keep_all = guarded & (total > 0) & (gone >= share * total) & (gone < total)
    return np.where(keep_all[row_of_line], 0, codes)


def keep_interior(lines: Lines, codes: np.ndarray, trimmed: np.ndarray) -> np.ndarray:
    """Return `codes` with the scorer's and the repeat rule's removals undone between a
    row's first and last kept line, in the rows where `trimmed` is true (see
    `StripBoilerplate`). Phrase and credit lines, and every removal before the first or
    after the last kept line, stay removed."""
    doc = lines.doc_of_line
    index = np.arange(len(codes))
    docs = len(lines.doc_starts) - 1
    first = np.full(docs, len(codes))
    last = np.full(docs, -1)
    kept = codes == doc_kernels.KEEP
    np.minimum.at(first, doc[kept], index[kept])
    np.maximum.at(last, doc[kept], index[kept])
    inside = (index > first[doc]) & (index < last[doc]) & trimmed[lines.rows[doc]]
    undo = inside & ((codes == doc_kernels.LOW_CONTENT) | (codes == doc_kernels.REPEATED))
    return np.where(undo, doc_kernels.KEEP, codes)


def strip_batch(
    texts: pa.Array,
    *,
    rows: np.ndarray | None = None,
    language: str | None = None,
    threshold: float | None = None,
    guarded: np.ndarray | None = None,
    guard_share: float = 1.0,
    trimmed: np.ndarray | None = None,
) -> Stripped:
    """`strip` the texts ``texts[rows]`` (all by default) at once; see `Stripped`.

    Rows where `guarded` (a bool per text) is true keep all their lines when the removed
    ones would hold at least `guard_share` of their characters (`guard_pages`); rows
    where `trimmed` is true lose only lines outside their kept ones (`keep_interior`).
    The new texts are assembled from the UTF-8 buffer by a compiled loop
    (``boilerplate_kernels.rebuild``); only removed lines become Python strings.
    """
    lines = scan(texts, rows=rows, language=language)
    codes = (
        judge(lines, threshold=threshold, score_prose=False)[0]
        if len(lines)
        else np.zeros(0, np.int64)
    )
    if trimmed is not None and len(lines):
        codes = keep_interior(lines, codes, trimmed)
    if guarded is not None and len(lines):
        codes = guard_pages(lines, codes, guarded, guard_share)
    data, offsets = kernels.rebuild(
        lines.data, lines.offsets, lines.stats, lines.rows, lines.doc_starts, codes
    )
    count = len(lines.offsets) - 1
    valid = np.packbits(texts.is_valid().to_numpy(zero_copy_only=False), bitorder="little")
    new = pa.Array.from_buffers(
        pa.string(), count, [pa.py_buffer(valid), pa.py_buffer(offsets), pa.py_buffer(data)]
    )
    gone = np.flatnonzero(codes)
    row_of = lines.rows[lines.doc_of_line[gone]]
    raw = lines.column(kernels.RAW_STOP)[gone] - lines.column(kernels.RAW_START)[gone]
    lines_removed = np.bincount(row_of, minlength=count).astype(np.int32)
    kept = np.bincount(lines.rows[lines.doc_of_line], minlength=count) - lines_removed
    return Stripped(
        texts=new,
        lines_removed=lines_removed,
        chars_removed=np.bincount(row_of, weights=raw, minlength=count).astype(np.int64),
        empty=(lines_removed > 0) & (kept == 0),
        gone_rows=row_of,
        gone_index=gone - lines.doc_starts[lines.doc_of_line[gone]],
        gone_numbers=lines.column(kernels.NUMBER)[gone],
        gone_codes=codes[gone],
        gone_lines=lines.spans.texts(gone, raw=True),
    )


def strip_texts(
    texts: Sequence[str] | pa.Array,
    *,
    language: str | None = None,
    threshold: float | None = None,
) -> list[tuple[StripResult, list[tuple[int, str, str]]]]:
    """`strip` every text, features computed at once; with each text's removed lines as
    ``(nonblank index, reason, line)``."""
    if not isinstance(texts, pa.Array):
        texts = pa.array(list(texts), type=pa.string())
    done = strip_batch(texts, language=language, threshold=threshold)
    results = []
    for text, numbers, removed, chars in zip(
        done.texts.to_pylist(), done.numbers, done.removed, done.chars_removed.tolist(),
        strict=True,
    ):  # fmt: skip
        reasons = [(n, reason) for n, (_, reason, _) in zip(numbers, removed, strict=True)]
        results.append((StripResult(text=text, removed=reasons, chars_removed=chars), removed))
    return results


@dataclass(frozen=True, slots=True, kw_only=True)
class StripBoilerplate:
    """Remove boilerplate lines from every live document; mark documents left empty.

    Adds ``lines_removed`` (int32) and ``chars_removed`` (int64, characters of the removed
    lines; 0 for rows not processed). Rows marked by an earlier stage pass untouched.

    Args:
        threshold: Noise probability at which the scorer removes a line. None (default)
            uses the value stored with the shipped model: the highest-F1 cut that keeps
            95% of content lines on line-quality-oscar's pooled 5-fold out-of-fold scores
            (see ``benchmarks/boilerplate.md``).
            Higher keeps more; in (0, 1].
        language: ISO 639-1 code of every document's language, for stop-word density.
            None (default) detects it per document from jusText's stop-word lists.
        html_guard: On rows ``extract_html`` extracted from HTML (its ``from_html``
            column): when the lines to remove hold at least this share of the page's
            characters, the page keeps all its lines. 0.5 (default): the extractor has
            already chosen the page's main content from its DOM; a line scorer that
            would throw away most of that choice meets a page whose content is not
            line-by-line prose (a changelog, a list of records, a table, a page
            hard-wrapped into fragments), where its text-only features mislead it, and
            the extractor wins. Measured end to end (``benchmarks/html.md``): cleaneval
            +0.010, readability +0.003, the other sets within 0.001. A page the scorer
            would empty is not guarded (it is rejected as ``strip_boilerplate.empty``, with
            its lines in the report): guarding those too gained cleaneval 0.003 more,
            but would pass cookie walls and link lists into the clean output. 0 turns
            the guard off. Text rows are never guarded.
        html_trim: On rows ``extract_html`` extracted, the scorer and the repeat rule
            only trim the page: a line they would remove between the first and last
            kept line stays (phrase and credit lines still go). True (default): the
            extractor chose the page's content block from its DOM, so what sits between
            two kept lines is part of it (a recipe's repeated "Portion Fix Containers: 1
            Purple", a results table's rows, a list), while the head and tail are where
            the chrome it let through is. Measured end to end (``benchmarks/html.md``):
            aeb +0.004, cleaneval +0.002, trafilatura-eval +0.002, readability +0.001,
            l3s-gn1 -0.002 (its pages keep inline navigation the scorer rightly removes),
            dragnet and cleanportaleval within 0.001. Text rows are judged whole, as before.
    """

    name: ClassVar[str] = "strip_boilerplate"
    reasons: ClassVar[tuple[str, ...]] = (EMPTY,)
    columns: ClassVar[tuple[pa.Field, ...]] = (
        pa.field("lines_removed", pa.int32()),
        pa.field("chars_removed", pa.int64()),
        REMOVED_LINES_FIELD,
    )
    counters: ClassVar[tuple[str, ...]] = ("lines_removed", "chars_removed")

    threshold: float | None = None
    language: str | None = None
    html_guard: float = 0.5
    html_trim: bool = True

    def __post_init__(self) -> None:
        if not 0.0 <= self.html_guard <= 1.0:
            msg = f"html_guard must be in [0, 1], 0 for off (got {self.html_guard})"
            raise ValueError(msg)
        if self.threshold is not None and not 0.0 < self.threshold <= 1.0:
            msg = f"threshold must be in (0, 1] (got {self.threshold})"
            raise ValueError(msg)
        if self.language is not None and self.language not in LANGUAGES:
            msg = (
                "language must be an ISO 639-1 code with a stop-word list, "
                f"e.g. 'en' (got {self.language!r})"
            )
            raise ValueError(msg)

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        column = batch.column(TEXT)
        live = pc.and_(live_mask(batch), pc.is_valid(column)).to_numpy(zero_copy_only=False)
        guarded = trimmed = None
        index = batch.schema.get_field_index(FROM_HTML)
        if index >= 0:
            html = pc.fill_null(batch.column(index), False).to_numpy(zero_copy_only=False)
            guarded = html if self.html_guard > 0 else None
            trimmed = html if self.html_trim else None
        done = strip_batch(
            column,
            rows=np.flatnonzero(live),
            language=self.language,
            threshold=self.threshold,
            guarded=guarded,
            guard_share=self.html_guard,
            trimmed=trimmed,
        )
        batch = set_column(batch, TEXT, done.texts)
        batch = set_column(batch, "lines_removed", pa.array(done.lines_removed, pa.int32()))
        batch = set_column(batch, "chars_removed", pa.array(done.chars_removed, pa.int64()))
        batch = add_removed_lines(
            batch, self.name, done.gone_rows, done.gone_index, done.gone_reasons, done.gone_lines
        )
        return mark_removed(batch, pa.array(done.empty, type=pa.bool_()), EMPTY)
