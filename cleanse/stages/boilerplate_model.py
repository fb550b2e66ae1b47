"""Line features and the two-pass line scorer behind ``strip_boilerplate``.

jusText's idea (Pomikálek 2011) applied to text lines, with its hand-set thresholds
replaced by two logistic regressions fitted on every labelled line of
``line-quality-oscar`` (``scripts/train_boilerplate.py``):

1. **line pass**: what the line and its neighbours look like (named features: length,
   how it ends, stop-word density in the document's language, letters/digits/case,
   bullets, pipes, glued menu words, links, dates, phrase and credit matches,
   repetition, position, whether it sits in the document's main prose block; the same
   for the previous and next line) plus **hashed lexical features**: lower-cased word
   unigrams and bigrams (line edges included, so "Reply" alone differs from "reply" in a
   sentence) and character 3-5-grams of short lines, hashed into `HASH_BUCKETS` buckets.
   Chrome vocabulary ("posted", "kommentar", "svara", "lire la suite", "©", "|") is
   predictive across languages;
2. **context pass**: the named features plus the line pass's scores of the neighbours
   (previous, next, windows of 3 and 10 lines, best content before and after): jusText's
   context smoothing, learnt (stacked on out-of-fold line-pass scores when fitting).

The named weights live in ``cleanse/data/boilerplate_weights.json`` (readable, diffable);
the hashed weights in ``boilerplate_hashed.npz`` (float16). Inference is numpy only.
"""

from __future__ import annotations

import json
import math
import re
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from cleanse.stages.boilerplate_phrases import is_credit, is_phrase
from cleanse.stages.stopwords import WORD_RE, detect_language, stopword_set

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
WEIGHTS_PATH = DATA_DIR / "boilerplate_weights.json"
HASHED_PATH = DATA_DIR / "boilerplate_hashed.npz"

#: Phrase and credit matches count only on lines this short: a body sentence may say
#: "newsletter" or "Reuters"; chrome rarely runs past a dozen words.
PHRASE_MAX_WORDS = 12
#: Stop-word density assumed where no language is recognised: jusText's
#: ``stopwords_low`` (0.30), so the other signals decide.
NEUTRAL_STOP_DENSITY = 0.30
#: Hashed lexical features: 2**18 buckets (as Vowpal Wabbit's default), character
#: n-grams only on lines up to `CHAR_NGRAM_MAX_CHARS` (menus, buttons, bylines).
HASH_BITS = 18
HASH_BUCKETS = 1 << HASH_BITS
CHAR_NGRAM_MAX_CHARS = 40
#: "Prose": at least 8 words and ends a sentence (jusText's ``length_low`` is ~10 words).
PROSE_MIN_WORDS = 8

LINE_FEATURES: tuple[str, ...] = (
    "log_chars", "log_words", "one_word", "max_3_words", "end_sentence", "end_other_punct",
    "end_ellipsis", "inner_sentences", "stop_density", "no_stop_word", "alpha_ratio",
    "digit_ratio", "upper_ratio", "title_ratio", "bullet", "pipe_or_tab", "glued_words",
    "link_ratio", "date_or_time", "phrase", "credit", "repeated", "repeated_later",
    "chars_upto_20", "chars_upto_50", "chars_upto_100", "all_caps", "rel_position",
    "doc_log_lines", "doc_short_share", "doc_stop_density", "log_run_no_sentence",
    "log_run_bullets", "doc_bullet_share", "rel_log_chars", "in_main_block",
    "prose_before", "prose_after", "log_prose_distance",
)  # fmt: skip
#: Features also given for the previous and the next line (``prev_*``, ``next_*``).
NEIGHBOUR_FEATURES: tuple[str, ...] = (
    "log_words", "end_sentence", "stop_density", "bullet", "pipe_or_tab", "phrase",
    "link_ratio", "max_3_words", "title_ratio", "alpha_ratio", "repeated",
)  # fmt: skip
DENSE_FEATURES: tuple[str, ...] = (
    LINE_FEATURES
    + tuple(f"prev_{name}" for name in NEIGHBOUR_FEATURES)
    + tuple(f"next_{name}" for name in NEIGHBOUR_FEATURES)
)
CONTEXT_FEATURES: tuple[str, ...] = (
    "line_score", "prev_score", "next_score", "window3_score", "window10_score",
    "content_before", "content_after", "doc_mean_score",
)  # fmt: skip

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
#: Hashing tokens: letter/digit runs (digits folded to 0) and single punctuation marks.
_TOKEN_RE = re.compile(r"[^\W_]+|[^\w\s]")
_DIGIT_RE = re.compile(r"\d")
_COLUMN = {name: i for i, name in enumerate(LINE_FEATURES)}
_NEIGHBOUR_COLUMNS = [_COLUMN[name] for name in NEIGHBOUR_FEATURES]
# Odd 64-bit constants (splitmix64's) mixing token hashes into buckets; uint64 wraps.
_MIX_A, _MIX_B = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9)
_EDGE, _BIGRAM_SALT, _CHAR_SALT = np.uint64(0x5BD1E995), np.uint64(7), np.uint64(13)


def normalise(line: str) -> str:
    """Return the key under which lines count as repeats: case, digits, punctuation folded.

    >>> normalise("  Related News (12) ") == normalise("related news")
    True
    """
    return _NORMALISE_RE.sub(" ", line.lower()).strip()


def line_features(lines: Sequence[str], *, language: str | None = None) -> np.ndarray:
    """Return the named feature matrix (one row per line, `LINE_FEATURES` columns).

    `lines` are non-blank, stripped lines of one document; `language` (ISO 639-1) picks
    the stop-word list, None detects it from the document.

    >>> line_features(["Home", "A line that reads like a sentence."], language="en").shape
    (2, 39)
    """
    count = len(lines)
    lowered = [line.lower() for line in lines]
    tokens = [WORD_RE.findall(line) for line in lowered]
    if language is None:
        language = detect_language(t for line_tokens in tokens for t in line_tokens)
    stops = stopword_set(language) if language else frozenset()
    keys = [normalise(line) for line in lines]
    key_counts = Counter(keys)
    seen: set[str] = set()
    rows = np.zeros((count, len(LINE_FEATURES)), dtype=np.float64)
    for i, line in enumerate(lines):
        words = line.split()
        num_words, num_chars, line_tokens = len(words), len(line), tokens[i]
        letters = sum(len(t) for t in line_tokens)
        upper = sum(map(str.isupper, line))
        end = line.rstrip(_CLOSERS)[-1:]
        if line_tokens and stops:
            stop_density = sum(t in stops for t in line_tokens) / len(line_tokens)
        else:
            stop_density = 0.0 if stops else NEUTRAL_STOP_DENSITY
        short = num_words <= PHRASE_MAX_WORDS
        rows[i, :27] = (
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
            sum(map(str.isdigit, line)) / num_chars,
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
        )
        seen.add(keys[i])
    _document_features(rows)
    return rows


def _document_features(rows: np.ndarray) -> None:
    """Fill the columns from `rel_position` on, which depend on every line of the document."""
    count = len(rows)
    column = _COLUMN
    prose = (rows[:, column["end_sentence"]] > 0) & (
        rows[:, column["log_words"]] >= math.log1p(PROSE_MIN_WORDS)
    )
    index = np.arange(count)
    rows[:, column["rel_position"]] = index / (count - 1) if count > 1 else 0.0
    rows[:, column["doc_log_lines"]] = math.log1p(count)
    rows[:, column["doc_short_share"]] = rows[:, column["max_3_words"]].mean()
    rows[:, column["doc_stop_density"]] = rows[:, column["stop_density"]].mean()
    rows[:, column["log_run_no_sentence"]] = np.log1p(_run_lengths(rows[:, 4] == 0))
    rows[:, column["log_run_bullets"]] = np.log1p(_run_lengths(rows[:, column["bullet"]] > 0))
    rows[:, column["doc_bullet_share"]] = rows[:, column["bullet"]].mean()
    log_chars = rows[:, column["log_chars"]]
    rows[:, column["rel_log_chars"]] = log_chars - np.median(log_chars)
    start, stop = _main_block(prose)
    rows[start:stop, column["in_main_block"]] = 1.0
    positions = np.flatnonzero(prose)
    if len(positions):
        rows[:, column["prose_before"]] = index > positions[0]
        rows[:, column["prose_after"]] = index < positions[-1]
        nearest = np.searchsorted(positions, index).clip(0, len(positions) - 1)
        distance = np.minimum(
            np.abs(positions[nearest] - index), np.abs(positions[(nearest - 1).clip(0)] - index)
        )
        rows[:, column["log_prose_distance"]] = np.log1p(distance)
    else:
        rows[:, column["log_prose_distance"]] = math.log1p(count)


def _main_block(prose: np.ndarray, *, max_gap: int = 2) -> tuple[int, int]:
    """Return ``(start, stop)`` of the run of prose lines (gaps up to `max_gap`) with most prose.

    >>> _main_block(np.array([False, True, False, True, False, False, False, True]))
    (1, 4)
    """
    positions = np.flatnonzero(prose).tolist()
    best, best_size = (0, 0), 0
    run_start, size = 0, 0
    for k, position in enumerate(positions):
        if k and position - positions[k - 1] - 1 > max_gap:
            run_start, size = k, 0
        size += 1
        if size > best_size:
            best, best_size = (positions[run_start], position + 1), size
    return best


def _run_lengths(flags: np.ndarray) -> np.ndarray:
    """Return, per line, the length of the run of true `flags` it is in (0 where false).

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


def dense_features(features: np.ndarray) -> np.ndarray:
    """Return `line_features`, then the previous and next line's `NEIGHBOUR_FEATURES`."""
    part = features[:, _NEIGHBOUR_COLUMNS]
    pad = np.zeros((1, part.shape[1]))
    return np.hstack([features, np.vstack([pad, part[:-1]]), np.vstack([part[1:], pad])])


def _mix(values: np.ndarray, salt: np.uint64) -> np.ndarray:
    mixed = (values ^ salt) * _MIX_A
    mixed ^= mixed >> np.uint64(31)
    return ((mixed * _MIX_B) >> np.uint64(64 - HASH_BITS)).astype(np.int64)


def hashed_features(lines: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(rows, buckets, values)``: the hashed lexical features of `lines`, sparse.

    Word unigrams and bigrams (with line-edge markers) and character 3-5-grams of lines up
    to `CHAR_NGRAM_MAX_CHARS`; each token is hashed once per document (CRC-32, stable
    across processes), n-grams by mixing token hashes. Per line, the word values and the
    character values each have unit norm.

    >>> rows, buckets, values = hashed_features(["Reply", "Posted by Anna on 12 May"])
    >>> sorted(set(rows.tolist())), int(buckets.max()) < HASH_BUCKETS
    ([0, 1], True)
    """
    vocabulary: dict[str, int] = {}
    token_ids: list[int] = []
    lengths: list[int] = []
    chars: list[int] = []
    char_rows: list[int] = []
    for row, line in enumerate(lines):
        lowered = _DIGIT_RE.sub("0", line.lower())
        tokens = _TOKEN_RE.findall(lowered)
        token_ids.extend(vocabulary.setdefault(t, len(vocabulary)) for t in tokens)
        lengths.append(len(tokens))
        if len(lowered) <= CHAR_NGRAM_MAX_CHARS:
            padded = f" {' '.join(lowered.split())} "
            grams = {padded[i : i + n] for n in (3, 4, 5) for i in range(len(padded) - n + 1)}
            chars.extend(zlib.crc32(gram.encode()) for gram in grams)
            char_rows.extend([row] * len(grams))
    token_hash = np.array([zlib.crc32(t.encode()) for t in vocabulary], dtype=np.uint64)
    count = np.array(lengths, dtype=np.int64)
    token_rows = np.repeat(np.arange(len(lines)), count)
    unigram = token_hash[np.array(token_ids, dtype=np.int64)]
    # Bigrams over each line framed by edge markers: len + 1 per line.
    framed_rows = np.repeat(np.arange(len(lines)), count + 2)
    framed = np.full(len(framed_rows), _EDGE, dtype=np.uint64)
    framed[np.arange(len(unigram)) + 2 * token_rows + 1] = unigram
    same = framed_rows[1:] == framed_rows[:-1]
    bigram = (framed[:-1] * _MIX_B) ^ framed[1:]
    word_rows = np.concatenate([token_rows, framed_rows[1:][same]])
    char_row_array = np.array(char_rows, dtype=np.int64)
    rows = np.concatenate([word_rows, char_row_array])
    buckets = np.concatenate(
        [
            _mix(unigram, np.uint64(0)),
            _mix(bigram[same], _BIGRAM_SALT),
            _mix(np.array(chars, dtype=np.uint64), _CHAR_SALT),
        ]
    )
    # Words and character n-grams each have unit norm per line.
    values = np.concatenate(
        [_unit_norm(word_rows, len(lines)), _unit_norm(char_row_array, len(lines))]
    )
    return rows, buckets, values


def _unit_norm(rows: np.ndarray, count: int) -> np.ndarray:
    per_row = np.bincount(rows, minlength=count).astype(np.float64)
    return 1.0 / np.sqrt(per_row[rows]) if len(rows) else np.zeros(0)


def context_features(scores: np.ndarray) -> np.ndarray:
    """Return the context-pass features from the line pass's noise probabilities.

    Beyond the document's edges lies noise (probability 1), as jusText treats the page's
    edges as bad, so a short line between the edge and chrome stays chrome.

    >>> context_features(np.array([0.9, 0.1, 0.2])).shape
    (3, 8)
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
    neighbours = [padded[index - 1], padded[index + 1], window(3), window(10)]
    doc_mean = np.full(count, scores.mean())
    return np.column_stack([scores, *neighbours, best_before, best_after, doc_mean])


def sigmoid(logits: np.ndarray) -> np.ndarray:
    """Return the logistic function of `logits`, clipped against overflow."""
    return 1.0 / (1.0 + np.exp(-np.clip(logits, -30.0, 30.0)))


@dataclass(frozen=True, slots=True)
class LinearModel:
    """``weights . (x - mean) / scale + bias`` over named columns, plus hashed buckets."""

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    hashed: np.ndarray | None = None

    def logits(self, dense: np.ndarray, sparse: tuple[np.ndarray, ...] | None = None) -> np.ndarray:
        """Return the logit of each row of `dense` (and of the `hashed_features` triple)."""
        out = ((dense - self.mean) / self.scale) @ self.weights + self.bias
        if self.hashed is not None and sparse is not None:
            rows, buckets, values = sparse
            out += np.bincount(rows, self.hashed[buckets] * values, minlength=len(dense))
        return out

    def to_json(self) -> dict[str, object]:
        """Return the named part as a JSON-ready mapping, one entry per feature."""
        columns = zip(self.names, self.weights, self.mean, self.scale, strict=True)
        return {
            "bias": round(self.bias, 6),
            "features": {
                name: {"weight": round(w, 6), "mean": round(m, 6), "scale": round(s, 6)}
                for name, w, m, s in columns
            },
        }

    @classmethod
    def from_json(
        cls, data: dict[str, dict[str, dict[str, float]]], names: tuple[str, ...], **kw: np.ndarray
    ) -> LinearModel:
        """Build a model from `to_json` output; refuse one with other feature names."""
        features = data["features"]
        if tuple(features) != names:
            msg = f"boilerplate weights: feature names differ from the code's {names}"
            raise ValueError(msg)
        mean, scale, weights = (
            np.array([features[n][key] for n in names]) for key in ("mean", "scale", "weight")
        )
        return cls(names, mean, scale, weights, float(data["bias"]), **kw)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class LineScorer:
    """The two passes and the default decision threshold they were tuned with."""

    line: LinearModel
    context: LinearModel
    threshold: float

    def score(self, texts: Sequence[str], features: np.ndarray) -> np.ndarray:
        """Return the noise probability of each line from its text and `line_features` row."""
        if not len(features):
            return np.zeros(0)
        first = sigmoid(self.line.logits(dense_features(features), hashed_features(texts)))
        return sigmoid(self.context.logits(np.hstack([features, context_features(first)])))


@cache
def load_scorer(path: Path = WEIGHTS_PATH, hashed_path: Path = HASHED_PATH) -> LineScorer:
    """Load the shipped weights (once per process and path)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    with np.load(hashed_path) as archive:
        hashed = archive["weights"].astype(np.float64)
    return LineScorer(
        line=LinearModel.from_json(data["line_pass"], DENSE_FEATURES, hashed=hashed),
        context=LinearModel.from_json(data["context_pass"], LINE_FEATURES + CONTEXT_FEATURES),
        threshold=float(data["threshold"]),
    )
