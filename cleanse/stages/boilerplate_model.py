"""Line features and the two-pass line scorer behind ``strip_boilerplate``.

The scorer is jusText's idea (Pomikálek 2011) applied to text lines, with its hand-set
thresholds replaced by two small logistic regressions fitted on the train split of
``line-quality-oscar`` (de/en/es/fi; ``scripts/eval_boilerplate.py --fit``):

1. **line pass**: what the line itself looks like: length in words and characters, how it
   ends, stop-word density in the document's language, letters/digits/upper case, title
   case, bullets, pipes, glued menu words ("StartSökKontakt"), link-like tokens, dates,
   phrase and credit matches, repetition inside the document, position;
2. **context pass**: the same features plus the line pass's scores of its neighbours
   (previous, next, windows of 3 and 10 lines) and whether real content lies before and
   after it: jusText's context smoothing, learnt instead of hand-written.

The weights (25 + 33 numbers with their feature names) live in
``cleanse/data/boilerplate_weights.json``, readable and diffable; each pass is ``sigmoid(w .
standardised(x))``.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from cleanse.stages.boilerplate_phrases import is_credit, is_phrase
from cleanse.stages.stopwords import WORD_RE, detect_language, stopword_set

WEIGHTS_PATH = Path(__file__).resolve().parent.parent / "data" / "boilerplate_weights.json"

#: Phrase and credit matches count only on lines this short: a body sentence may say
#: "newsletter" or "Reuters"; chrome rarely runs past a dozen words.
PHRASE_MAX_WORDS = 12

#: Stop-word density assumed where no language is recognised: jusText's
#: ``stopwords_low`` (0.30), so the other signals decide.
NEUTRAL_STOP_DENSITY = 0.30

LINE_FEATURES: tuple[str, ...] = (
    "log_chars",
    "log_words",
    "one_word",
    "max_3_words",
    "end_sentence",
    "end_other_punct",
    "end_ellipsis",
    "inner_sentences",
    "stop_density",
    "no_stop_word",
    "alpha_ratio",
    "digit_ratio",
    "upper_ratio",
    "title_ratio",
    "bullet",
    "pipe_or_tab",
    "glued_words",
    "link_ratio",
    "date_or_time",
    "phrase",
    "credit",
    "repeated",
    "repeated_later",
    "chars_upto_20",
    "chars_upto_50",
    "chars_upto_100",
    "all_caps",
    "rel_position",
    "doc_log_lines",
    "doc_short_share",
    "doc_stop_density",
    "log_run_no_sentence",
    "log_run_bullets",
)
CONTEXT_FEATURES: tuple[str, ...] = (
    "prev_log_words",
    "next_log_words",
    "prev_end_sentence",
    "next_end_sentence",
    "line_score",
    "prev_score",
    "next_score",
    "window3_score",
    "window10_score",
    "content_before",
    "content_after",
    "doc_mean_score",
)

_TERMINAL = ".!?"
_OTHER_PUNCT = ":;,"
_CLOSERS = (
    "\"')]*\N{RIGHT DOUBLE QUOTATION MARK}\N{RIGHT SINGLE QUOTATION MARK}"
    "\N{RIGHT-POINTING DOUBLE ANGLE QUOTATION MARK}"
)
_BULLETS = (
    "-*|>+#\N{BULLET}\N{MIDDLE DOT}\N{EN DASH}\N{EM DASH}"
    "\N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK}\N{RIGHT-POINTING DOUBLE ANGLE QUOTATION MARK}"
)
_INNER_SENTENCE_RE = re.compile(r"[.!?][\"')\u201d\u2019\u00bb]?\s+\S")
_GLUED_RE = re.compile(r"[a-zà-ÿß][A-ZÀ-Þ][a-zà-ÿß]")
_LINK_RE = re.compile(r"https?://|www\.|\.(?:com|org|net|html?|php|de|fr|se|fi|es)\b|@\w")
_DATE_RE = re.compile(r"\b\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\b|\b\d{1,2}[:.]\d{2}\b")
_NORMALISE_RE = re.compile(r"[\W\d_]+")


def normalise(line: str) -> str:
    """Return the key under which lines count as repeats: case, digits, punctuation folded.

    >>> normalise("  Related News (12) ") == normalise("related news")
    True
    """
    return _NORMALISE_RE.sub(" ", line.lower()).strip()


def line_features(lines: Sequence[str], *, language: str | None = None) -> np.ndarray:
    """Return the line-pass feature matrix (one row per line, `LINE_FEATURES` columns).

    `lines` are non-blank, stripped lines of one document; `language` (ISO 639-1) picks
    the stop-word list, None detects it from the document.

    >>> line_features(["Home", "A line that reads like a sentence."], language="en").shape
    (2, 33)
    """
    count = len(lines)
    lowered = [line.lower() for line in lines]
    tokens = [WORD_RE.findall(line) for line in lowered]
    if language is None:
        language = detect_language(t for line_tokens in tokens for t in line_tokens)
    stops = stopword_set(language) if language else frozenset()
    keys = [normalise(line) for line in lines]
    key_counts = Counter(keys)
    doc_log_lines = math.log1p(count)
    seen: set[str] = set()
    rows = np.zeros((count, len(LINE_FEATURES)), dtype=np.float64)
    for i, line in enumerate(lines):
        words = line.split()
        num_words = len(words)
        num_chars = len(line)
        line_tokens = tokens[i]
        letters = sum(len(t) for t in line_tokens)
        digits = sum(map(str.isdigit, line))
        upper = sum(map(str.isupper, line))
        end = line.rstrip(_CLOSERS)[-1:] if line.rstrip(_CLOSERS) else ""
        if line_tokens and stops:
            stop_density = sum(t in stops for t in line_tokens) / len(line_tokens)
        elif stops:
            stop_density = 0.0
        else:
            stop_density = NEUTRAL_STOP_DENSITY
        short = num_words <= PHRASE_MAX_WORDS
        rows[i] = (
            math.log1p(num_chars),
            math.log1p(num_words),
            num_words == 1,
            num_words <= 3,
            end in _TERMINAL and not line.endswith("..."),
            end in _OTHER_PUNCT,
            line.endswith(("...", "\N{HORIZONTAL ELLIPSIS}")),
            math.log1p(len(_INNER_SENTENCE_RE.findall(line))),
            stop_density,
            stop_density == 0.0,
            letters / num_chars,
            digits / num_chars,
            upper / letters if letters else 0.0,
            sum(w[:1].isupper() for w in words) / num_words,
            line[0] in _BULLETS,
            "|" in line or "\t" in line,
            min(len(_GLUED_RE.findall(line)), 3),
            min(len(_LINK_RE.findall(lowered[i])) / num_words, 1.0),
            _DATE_RE.search(line) is not None,
            short and is_phrase(line),
            short and is_credit(line),
            key_counts[keys[i]] > 1 and bool(keys[i]),
            keys[i] in seen,
            num_chars <= 20,
            20 < num_chars <= 50,
            50 < num_chars <= 100,
            letters > 3 and upper == letters,
            i / (count - 1) if count > 1 else 0.0,
            doc_log_lines,
            0.0,  # the last four are filled in below, from every line
            0.0,
            0.0,
            0.0,
        )
        seen.add(keys[i])
    rows[:, -4] = rows[:, 3].mean()
    rows[:, -3] = rows[:, 8].mean()
    rows[:, -2] = np.log1p(_run_lengths(rows[:, 4] == 0))
    rows[:, -1] = np.log1p(_run_lengths(rows[:, 14] > 0))
    return rows


def _run_lengths(flags: np.ndarray) -> np.ndarray:
    """Return, per line, the length of the run of true `flags` it is in (0 where false).

    Menus, tag lists and link lists come in runs; a lone short line is often a heading.

    >>> _run_lengths(np.array([True, True, False, True])).tolist()
    [2.0, 2.0, 0.0, 1.0]
    """
    lengths = np.zeros(len(flags))
    start = 0
    for i in range(1, len(flags) + 1):
        if i == len(flags) or flags[i] != flags[start]:
            if flags[start]:
                lengths[start:i] = i - start
            start = i
    return lengths


def context_features(features: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Return the context-pass features: neighbours' shapes and line-pass probabilities.

    Beyond the document's edges lies noise (probability 1), as jusText treats the
    page's edges as bad; so a short line between the edge and chrome stays chrome.

    >>> context_features(np.zeros((3, len(LINE_FEATURES))), np.array([0.9, 0.1, 0.2])).shape
    (3, 12)
    """
    count = len(scores)
    padded = np.concatenate([np.ones(10), scores, np.ones(10)])
    cumsum = np.concatenate([[0.0], np.cumsum(padded)])
    index = np.arange(count) + 10

    def window(radius: int) -> np.ndarray:
        total = cumsum[index + radius + 1] - cumsum[index - radius]
        return (total - scores) / (2 * radius)

    content = 1.0 - scores
    best_before = np.concatenate([[0.0], np.maximum.accumulate(content)[:-1]])
    best_after = np.concatenate([np.maximum.accumulate(content[::-1])[::-1][1:], [0.0]])
    words = features[:, LINE_FEATURES.index("log_words")]
    ends = features[:, LINE_FEATURES.index("end_sentence")]
    return np.column_stack(
        [
            np.concatenate([[0.0], words[:-1]]),
            np.concatenate([words[1:], [0.0]]),
            np.concatenate([[0.0], ends[:-1]]),
            np.concatenate([ends[1:], [0.0]]),
            scores,
            padded[index - 1],
            padded[index + 1],
            window(3),
            window(10),
            best_before,
            best_after,
            np.full(count, scores.mean()),
        ]
    )


@dataclass(frozen=True, slots=True)
class LogisticModel:
    """``sigmoid(weights . (x - mean) / scale + bias)``: one pass of the scorer."""

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    def predict(self, features: np.ndarray) -> np.ndarray:
        """Return the noise probability of each row of `features`."""
        logits = ((features - self.mean) / self.scale) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -30.0, 30.0)))

    def to_json(self) -> dict[str, object]:
        """Return the model as a JSON-ready mapping, one entry per named feature."""
        return {
            "bias": round(self.bias, 6),
            "features": {
                name: {"weight": round(w, 6), "mean": round(m, 6), "scale": round(s, 6)}
                for name, w, m, s in zip(
                    self.names, self.weights, self.mean, self.scale, strict=True
                )
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, object], names: tuple[str, ...]) -> LogisticModel:
        """Build a model from `to_json` output; refuse one with other feature names."""
        features = data["features"]
        if not isinstance(features, dict) or tuple(features) != names:
            msg = f"boilerplate weights: feature names differ from the code's {names}"
            raise ValueError(msg)
        column = {
            key: np.array([features[n][key] for n in names]) for key in ("weight", "mean", "scale")
        }
        return cls(names, column["mean"], column["scale"], column["weight"], float(data["bias"]))  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class LineScorer:
    """The two passes and the default decision threshold they were tuned with."""

    line: LogisticModel
    context: LogisticModel
    threshold: float

    def score(self, features: np.ndarray) -> np.ndarray:
        """Return the noise probability of each line from its `line_features` row."""
        if not len(features):
            return np.zeros(0)
        first = self.line.predict(features)
        return self.context.predict(np.hstack([features, context_features(features, first)]))


@cache
def load_scorer(path: Path = WEIGHTS_PATH) -> LineScorer:
    """Load the shipped weights (once per process and path)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return LineScorer(
        line=LogisticModel.from_json(data["line_pass"], LINE_FEATURES),
        context=LogisticModel.from_json(data["context_pass"], LINE_FEATURES + CONTEXT_FEATURES),
        threshold=float(data["threshold"]),
    )
