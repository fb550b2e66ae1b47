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
3. **edge_short** / **low_content**: a two-pass line scorer (``boilerplate_model``,
   jusText's features and context smoothing with weights fitted on real labelled lines)
   gives each line a noise probability; lines at or above `threshold` go. Those before
   the first or after the last kept line are ``edge_short`` (head and tail chrome),
   those between kept lines ``low_content``.

Kept lines are joined with "\\n"; where the input had blank lines between two kept lines,
one blank line stays, so paragraphs survive and runs of blanks left by removals collapse.
A document with no line removed comes back unchanged.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import ClassVar

import numpy as np
import pyarrow as pa

from cleanse.schema import REMOVED_LINES_FIELD, TEXT
from cleanse.stages.base import (
    add_removed_lines,
    live_mask,
    mark_removed,
    nonblank_index,
    set_column,
)
from cleanse.stages.boilerplate_model import (
    LINE_FEATURES,
    LineScorer,
    line_features,
    load_scorer,
    normalise,
)
from cleanse.stages.stopwords import LANGUAGES

EMPTY = "strip_boilerplate.empty"

REPEATED = "repeated"
PHRASE = "phrase"
CREDIT = "credit"
EDGE_SHORT = "edge_short"
LOW_CONTENT = "low_content"
#: Every per-line removal reason, in the order they are tested.
LINE_REASONS = (REPEATED, PHRASE, CREDIT, EDGE_SHORT, LOW_CONTENT)

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
#: A heading has at most 15 words.
_HEADING_LOG_WORDS = math.log1p(15)
_CREDIT_COLUMN = LINE_FEATURES.index("credit")


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


def forced_reasons(texts: Sequence[str], features: np.ndarray) -> list[str | None]:
    """Return PHRASE or CREDIT for lines the phrase rules remove whatever their score.

    A phrase counts only on a line that does not end a sentence: "Sign up for our
    newsletter" is chrome, "We use cookies to count visits." may be the privacy page
    itself (on line-quality-oscar the rule is right 94% of the time with this condition).
    """
    reasons: list[str | None] = []
    for j in range(len(texts)):
        if features[j, _PHRASE_COLUMN] and not features[j, _END_COLUMN]:
            reasons.append(PHRASE)
        elif features[j, _CREDIT_COLUMN]:
            reasons.append(CREDIT)
        else:
            reasons.append(None)
    return reasons


def tail_repeats(texts: Sequence[str], features: np.ndarray, content: np.ndarray) -> list[bool]:
    """Return True for repeated blocks of short lines after the last content sentence.

    A block (two or more consecutive short lines) printed twice, as a tag list or link
    block after the article ("Russia, Syria, Turkey" / "NATO, Syria's War"), is chrome.
    Single repeated lines are left to the scorer (its ``repeated`` feature): on
    line-quality-oscar, removing every short repeated line is right only 62% of the
    time, and 73-80% after the last sentence. `content` marks lines the scorer keeps.
    """
    sentences = np.flatnonzero(
        content
        & (features[:, _END_COLUMN] > 0)
        & (features[:, _WORDS_COLUMN] >= _SENTENCE_LOG_WORDS)
    )
    if not len(sentences):
        return [False] * len(texts)
    last = int(sentences[-1])
    keys = [normalise(text) if len(text.split()) <= REPEAT_MAX_WORDS else "" for text in texts]
    pairs = Counter(pairwise(keys))
    marked = [False] * len(texts)
    for j in range(last + 1, len(texts) - 1):
        pair = (keys[j], keys[j + 1])
        if all(pair) and pairs[pair] > 1:
            marked[j] = marked[j + 1] = True
    return marked


def headings(features: np.ndarray, reasons: Sequence[str | None]) -> list[int]:
    """Return scorer-removed short lines directly above a kept content sentence.

    jusText's heading rule: a short line close to good text is a heading, not chrome
    (the title of an article, a section name). Only lines the scorer alone removed
    qualify; phrase, credit and repeat removals stand.
    """
    found = []
    for j in range(len(reasons) - 1):
        if (
            reasons[j] in (LOW_CONTENT, REPEATED)
            and not features[j, _END_COLUMN]
            and features[j, _WORDS_COLUMN] <= _HEADING_LOG_WORDS
            and not features[j, _REPEATED_COLUMN]
            and reasons[j + 1] is None
            and features[j + 1, _END_COLUMN]
            and features[j + 1, _WORDS_COLUMN] >= _SENTENCE_LOG_WORDS
        ):
            found.append(j)
    return found


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
    scorer = scorer or load_scorer()
    positions = [i for i, line in enumerate(lines) if line.strip()]
    texts = [lines[i].strip() for i in positions]
    verdicts = [LineVerdict(keep=True, reason=None, score=0.0) for _ in lines]
    if not texts:
        return verdicts
    features = line_features(texts, language=language)
    scores = scorer.score(texts, features)
    cut = scorer.threshold if threshold is None else threshold
    for position, reason, score in zip(
        positions, line_reasons(texts, features, scores, cut), scores, strict=True
    ):
        verdicts[position] = LineVerdict(keep=reason is None, reason=reason, score=float(score))
    return verdicts


#: Characters of scripts written without spaces (Han, kana, Thai, Lao, Myanmar, Khmer)
#: from which a line counts as prose: about two sentences of Chinese.
UNSPACED_PROSE_CHARS = 30
_UNSPACED = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
)


def unspaced_chars(text: str) -> int:
    """Return how many characters of `text` belong to scripts written without spaces.

    >>> unspaced_chars("咳嗽吃什麼好呢, cough")
    7
    """
    return len(_UNSPACED.findall(text))


def line_reasons(
    texts: Sequence[str], features: np.ndarray, scores: np.ndarray, cut: float
) -> list[str | None]:
    """Return the removal reason (None: keep) of each non-blank line from its scores.

    The rules around the scorer: phrase and credit lines go whatever their score; the
    scorer never removes prose; a repeated block after the last sentence goes; a short
    line the scorer removed right above a kept sentence is a heading and stays.
    """
    reasons = forced_reasons(texts, features)
    tail = tail_repeats(texts, features, scores < cut)
    prose = (features[:, _END_COLUMN] > 0) & (features[:, _WORDS_COLUMN] >= _SENTENCE_LOG_WORDS)
    prose &= features[:, _STOP_COLUMN] >= PROSE_STOP_DENSITY
    # the scorer's word and stop-word features do not describe scripts written without
    # spaces: a long run of such text is prose whatever its score
    prose |= np.array([unspaced_chars(text) >= UNSPACED_PROSE_CHARS for text in texts], bool)
    for j, reason in enumerate(reasons):
        if reason is None and (tail[j] or (scores[j] >= cut and not prose[j])):
            reasons[j] = REPEATED if features[j, _REPEATED_COLUMN] else LOW_CONTENT
    for j in headings(features, reasons):
        reasons[j] = None
    kept = [j for j, reason in enumerate(reasons) if reason is None]
    first, last = (kept[0], kept[-1]) if kept else (len(texts), -1)
    for j, reason in enumerate(reasons):
        if reason == LOW_CONTENT and (j < first or j > last):
            reasons[j] = EDGE_SHORT
    return reasons


def strip(text: str, *, language: str | None = None, threshold: float | None = None) -> StripResult:
    """Remove boilerplate lines from `text`; say which lines went and why.

    >>> result = strip("Menu\\n\\nTitle of the story\\n\\nIt was a long day, and then it rained.")
    >>> result.text
    'Title of the story\\n\\nIt was a long day, and then it rained.'
    >>> result.removed
    [(0, 'phrase')]
    """
    lines = text.splitlines()
    verdicts = classify_lines(lines, language=language, threshold=threshold)
    removed = [(i, v.reason) for i, v in enumerate(verdicts) if v.reason is not None]
    if not removed:
        return StripResult(text=text, removed=[], chars_removed=0)
    kept: list[str] = []
    gap = False
    for line, verdict in zip(lines, verdicts, strict=True):
        if not line.strip():
            gap = True
        elif verdict.keep:
            if gap and kept:
                kept.append("")
            kept.append(line)
            gap = False
    chars = sum(len(lines[i]) for i, _ in removed)
    return StripResult(text="\n".join(kept), removed=removed, chars_removed=chars)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True, kw_only=True)
class StripBoilerplate:
    """Remove boilerplate lines from every live document; mark documents left empty.

    Adds ``lines_removed`` (int32) and ``chars_removed`` (int64, characters of the removed
    lines; 0 for rows not processed). Rows marked by an earlier stage pass untouched.

    Args:
        threshold: Noise probability at which the scorer removes a line. None (default)
            uses the value stored with the shipped weights, 0.75: on line-quality-oscar's
            pooled 5-fold out-of-fold scores it keeps 95.7% of content lines (see
            ``benchmarks/boilerplate.md``).
            Higher keeps more; in (0, 1].
        language: ISO 639-1 code of every document's language, for stop-word density.
            None (default) detects it per document from jusText's stop-word lists.
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

    def __post_init__(self) -> None:
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
        texts = batch.column(TEXT).to_pylist()
        live = live_mask(batch).to_pylist()
        new_texts, lines_removed, chars_removed, empty = [], [], [], []
        spans: list[list[tuple[int, str, str]]] = []
        for text, is_live in zip(texts, live, strict=True):
            if not is_live or text is None:
                new_texts.append(text)
                lines_removed.append(0)
                chars_removed.append(0)
                empty.append(False)
                spans.append([])
                continue
            result = strip(text, language=self.language, threshold=self.threshold)
            if result.removed:
                lines = text.splitlines()
                at = nonblank_index(lines)
                spans.append([(at[i], reason, lines[i]) for i, reason in result.removed])
            else:
                spans.append([])
            new_texts.append(result.text)
            lines_removed.append(len(result.removed))
            chars_removed.append(result.chars_removed)
            empty.append(bool(result.removed) and not result.text.strip())
        batch = set_column(batch, TEXT, pa.array(new_texts, type=pa.string()))
        batch = set_column(batch, "lines_removed", pa.array(lines_removed, type=pa.int32()))
        batch = set_column(batch, "chars_removed", pa.array(chars_removed, type=pa.int64()))
        batch = add_removed_lines(batch, self.name, spans)
        return mark_removed(batch, pa.array(empty, type=pa.bool_()), EMPTY)
