"""The scalar definition of ``strip_boilerplate``'s features and rules, one line at a time.

This is the implementation the batch code replaced (Python ``str`` methods and ``re``
per line, numpy per document), kept for the tests only: the compiled scanner re-does
these definitions character by character, and the tests check that both agree exactly
(features bit for bit, decisions identical) on real and generated text.
"""

from __future__ import annotations

import math
import re
import zlib
from collections import Counter
from collections.abc import Sequence
from itertools import pairwise

import numpy as np

from cleanse.stages.boilerplate_chars import BULLET_CHARS, CLOSER_CHARS, UNSPACED_RE
from cleanse.stages.boilerplate_lines import NEUTRAL_STOP_DENSITY, PHRASE_MAX_WORDS, scan
from cleanse.stages.boilerplate_model import (
    _NEIGHBOUR_COLUMNS,
    LINE_FEATURES,
    PROSE_MIN_WORDS,
    LineScorer,
    TreeModel,
    token_inputs,
)
from cleanse.stages.boilerplate_model import (
    dense_features as model_inputs,
)
from cleanse.stages.boilerplate_phrases import is_credit, is_phrase
from cleanse.stages.boilerplate_shape import SHAPE_FEATURES
from cleanse.stages.stopwords import WORD_RE, detect_language, stopword_set

INNER_SENTENCE_RE = re.compile(r"[.!?][\"')\u201d\u2019\u00bb]?\s+\S")
GLUED_RE = re.compile(r"[a-zà-ÿß][A-ZÀ-Þ][a-zà-ÿß]")
LINK_RE = re.compile(r"https?://|www\.|\.(?:com|org|net|html?|php|de|fr|se|fi|es)\b|@\w")
DATE_RE = re.compile(r"\b\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\b|\b\d{1,2}[:.]\d{2}\b")
NORMALISE_RE = re.compile(r"[\W\d_]+")
TOKEN_RE = re.compile(r"[^\W_]+|[^\w\s]")
DIGIT_RE = re.compile(r"\d")
COLUMN = {name: i for i, name in enumerate(LINE_FEATURES)}


def normalise(line: str) -> str:
    return NORMALISE_RE.sub(" ", line.lower()).strip()


def line_features(lines: Sequence[str], *, language: str | None = None) -> np.ndarray:
    lowered = [line.lower() for line in lines]
    tokens = [WORD_RE.findall(line) for line in lowered]
    if language is None:
        language = detect_language(t for line_tokens in tokens for t in line_tokens)
    stops = stopword_set(language) if language else frozenset()
    keys = [normalise(line) for line in lines]
    key_counts = Counter(keys)
    seen: set[str] = set()
    rows = np.zeros((len(lines), len(LINE_FEATURES)))
    for i, line in enumerate(lines):
        words = line.split()
        num_words, num_chars, line_tokens = len(words), len(line), tokens[i]
        letters = sum(len(t) for t in line_tokens)
        upper = sum(map(str.isupper, line))
        end = line.rstrip(CLOSER_CHARS)[-1:]
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
            end in ".!?" and not line.endswith("..."),
            end in ":;,",
            line.endswith(("...", "\N{HORIZONTAL ELLIPSIS}")),
            math.log1p(len(INNER_SENTENCE_RE.findall(line))),
            stop_density,
            stop_density == 0.0,
            letters / num_chars,
            sum(map(str.isdigit, line)) / num_chars,
            upper / letters if letters else 0.0,
            sum(w[:1].isupper() for w in words) / num_words,
            line[0] in BULLET_CHARS,
            "|" in line or "\t" in line,
            min(len(GLUED_RE.findall(line)), 3),
            min(len(LINK_RE.findall(lowered[i])) / num_words, 1.0),
            DATE_RE.search(line) is not None,
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
    count, column = len(rows), COLUMN
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
    positions = np.flatnonzero(prose).tolist()
    best, best_size, run_start, size = (0, 0), 0, 0, 0
    for k, position in enumerate(positions):
        if k and position - positions[k - 1] - 1 > 2:
            run_start, size = k, 0
        size += 1
        if size > best_size:
            best, best_size = (positions[run_start], position + 1), size
    rows[best[0] : best[1], column["in_main_block"]] = 1.0
    if positions:
        where = np.array(positions)
        rows[:, column["prose_before"]] = index > where[0]
        rows[:, column["prose_after"]] = index < where[-1]
        nearest = np.searchsorted(where, index).clip(0, len(where) - 1)
        distance = np.minimum(
            np.abs(where[nearest] - index), np.abs(where[(nearest - 1).clip(0)] - index)
        )
        rows[:, column["log_prose_distance"]] = np.log1p(distance)
    else:
        rows[:, column["log_prose_distance"]] = math.log1p(count)


def _run_lengths(flags: np.ndarray) -> np.ndarray:
    lengths = np.zeros(len(flags))
    start = 0
    for i in range(1, len(flags) + 1):
        if i == len(flags) or flags[i] != flags[start]:
            if flags[start]:
                lengths[start:i] = i - start
            start = i
    return lengths


def dense_features(features: np.ndarray) -> np.ndarray:
    part = features[:, _NEIGHBOUR_COLUMNS]
    pad = np.zeros((1, part.shape[1]))
    return np.hstack([features, np.vstack([pad, part[:-1]]), np.vstack([part[1:], pad])])


def hashing_tokens(lines: Sequence[str]) -> list[list[int]]:
    """The CRC-32 of each hashing token (a letter/digit run or a punctuation mark, digits
    as 0, lower case) of each line: what the token inputs look up."""
    tokens = []
    for line in lines:
        lowered = DIGIT_RE.sub("0", line.lower())
        tokens.append([zlib.crc32(t.encode()) for t in TOKEN_RE.findall(lowered)])
    return tokens


def recurrence_features(lines: Sequence[str]) -> np.ndarray:
    """``boilerplate_model.RECURRENCE_INPUTS`` of one document's (stripped, non-blank)
    lines: how each line's hashing tokens recur in the document's lines."""
    tokens = hashing_tokens(lines)
    distinct = [list(dict.fromkeys(line)) for line in tokens]
    holding = Counter(t for line in distinct for t in line)
    firsts = Counter(line[0] for line in tokens if line)
    lasts = Counter(line[-1] for line in tokens if line)

    def log(count: int) -> float:
        return math.log1p(min(count, 4096) - 1)

    rows = []
    for line, unique in zip(tokens, distinct, strict=True):
        if not line:
            rows.append([0.0] * 4)
            continue
        total = 0.0
        for t in unique:
            total += log(holding[t])
        rows.append([
            sum(holding[t] > 1 for t in unique) / len(unique), total / len(unique),
            log(firsts[line[0]]), log(lasts[line[-1]]),
        ])  # fmt: skip
    return np.array(rows, dtype=np.float64).reshape(len(lines), 4)


SEPARATORS = "|\u00bb\u00ab\u00b7\u2022\u203a\u2039/\\>\u2013\u2014_=~*#+"
SEPARATOR_TOKEN = "|\u00bb\u00ab\u00b7\u2022\u203a\u2039/\\>\u2013\u2014-:*+~"
URL_PATTERNS = ("://", "www.", ".com", ".org", ".net", ".htm", ".php", ".asp", ".info")
COPYRIGHT_PATTERNS = ("(c)", "copyright", "\N{COPYRIGHT SIGN}")
YEAR_RE = re.compile(r"(?<!\d)(?:19|20)[0-9]{2}(?!\d)")
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
PUNCT_RE = re.compile(r"[^\w\s]")


def _letter(ch: str) -> bool:
    return re.fullmatch(r"[^\W\d_]", ch) is not None


def _numeric(token: str) -> bool:
    core = re.sub(r"^\W+|\W+$", "", token)
    return bool(core) and re.fullmatch(r"\d[\d.,:/-]*", core) is not None


def _email(token: str) -> bool:
    at = token.find("@")
    return 0 < at < len(token) - 1 and any(
        token[k] == "." and re.fullmatch(r"\w", token[k + 1]) for k in range(at + 2, len(token) - 1)
    )


def shape_features(lines: Sequence[str]) -> np.ndarray:
    """``boilerplate_shape.SHAPE_FEATURES`` of each (stripped, non-blank) line."""
    rows = []
    for line in lines:
        m = len(line)
        tokens = line.split()
        words = max(len(tokens), 1)
        lowered = line.translate(ASCII_LOWER)
        first, last = line[0], line[-1]
        rows.append([
            len(PUNCT_RE.findall(line)) / m,
            sum(ch.isspace() for ch in line) / m,
            math.log1p(sum(ch in SEPARATORS for ch in line)),
            math.log1p(sum(len(t) <= 3 and all(ch in SEPARATOR_TOKEN for ch in t) for t in tokens)),
            any(p in lowered for p in URL_PATTERNS),
            any(_email(t) for t in tokens),
            YEAR_RE.search(line) is not None,
            any(p in lowered for p in COPYRIGHT_PATTERNS),
            sum(_numeric(t) for t in tokens) / words,
            math.log1p(sum(len(t) for t in tokens) / words),
            math.log1p(max((len(t) for t in tokens), default=0)),
            sum(len(t) <= 2 for t in tokens) / words,
            re.fullmatch(r"\d", first) is not None,
            first.isupper(),
            _letter(first) and not first.isupper(),
            last == ":",
            re.fullmatch(r"\d", last) is not None,
            last == "?",
            _letter(last),
            any(ch in "()[]{}" for ch in line),
            any(ch in '"\u201c\u201d\u00ab\u00bb\u201e' for ch in line),
            sum(
                len(t) > 1
                and any(ch.isupper() for ch in t)
                and not any(_letter(ch) and not ch.isupper() for ch in t)
                for t in tokens
            ) / words,
        ])  # fmt: skip
    return np.array(rows, dtype=np.float64).reshape(len(lines), len(SHAPE_FEATURES))


def scores(scorer: LineScorer, texts: Sequence[str], features: np.ndarray) -> np.ndarray:
    """The tree ensemble on one document: each line walks each tree in Python."""
    model = scorer.model
    tokens = token_inputs(scan(list(texts), split=False), scorer.tokens)
    inputs = np.hstack(
        [model_inputs(features), shape_features(texts), recurrence_features(texts), tokens]
    )
    return 1.0 / (1.0 + np.exp(-tree_raw(model, inputs)))


def tree_raw(model: TreeModel, inputs: np.ndarray) -> np.ndarray:
    """The raw score of each row of `inputs`: each row walks each stored tree in Python."""
    feature, threshold = model.feature.tolist(), model.threshold.tolist()
    left, right, leaf = model.left.tolist(), model.right.tolist(), model.leaf.tolist()
    missing_left, value = model.missing_left.tolist(), model.value.tolist()
    raw = []
    for row in inputs.tolist():
        total = model.baseline
        for t in range(len(feature)):
            node = 0
            while not leaf[t][node]:
                x = row[feature[t][node]]
                go_left = missing_left[t][node] if math.isnan(x) else x <= threshold[t][node]
                node = left[t][node] if go_left else right[t][node]
            total += value[t][node]
        raw.append(total)
    return np.array(raw)


def line_reasons(
    texts: Sequence[str], features: np.ndarray, scores: np.ndarray, cut: float
) -> list[str | None]:
    """The rules around the scorer (see ``boilerplate.decide``), one document."""
    end, words = features[:, COLUMN["end_sentence"]], features[:, COLUMN["log_words"]]
    repeated = features[:, COLUMN["repeated"]]
    reasons: list[str | None] = [
        "phrase" if f[COLUMN["phrase"]] and not f[COLUMN["end_sentence"]] else
        "credit" if f[COLUMN["credit"]] else None
        for f in features
    ]  # fmt: skip
    prose = (end > 0) & (words >= math.log1p(8)) & (features[:, COLUMN["stop_density"]] >= 0.35)
    prose |= np.array([len(UNSPACED_RE.findall(t)) >= 30 for t in texts], bool)
    sentences = np.flatnonzero(((scores < cut) | prose) & (end > 0) & (words >= math.log1p(8)))
    tail = [False] * len(texts)
    if len(sentences):
        keys = [normalise(t) if len(t.split()) <= 8 else "" for t in texts]
        pairs = Counter(pairwise(keys))
        for j in range(int(sentences[-1]) + 1, len(texts) - 1):
            if all(pair := (keys[j], keys[j + 1])) and pairs[pair] > 1:
                tail[j] = tail[j + 1] = True
    for j, reason in enumerate(reasons):
        if reason is None and (tail[j] or (scores[j] >= cut and not prose[j])):
            reasons[j] = "repeated" if repeated[j] else "low_content"
    found = [
        j
        for j in range(len(reasons) - 1)
        if reasons[j] in ("low_content", "repeated")
        and not end[j]
        and math.log1p(4) <= words[j] <= math.log1p(15)
        and not repeated[j]
        and reasons[j + 1] is None
        and end[j + 1]
        and words[j + 1] >= math.log1p(8)
    ]
    for j in found:
        reasons[j] = None
    kept = [j for j, reason in enumerate(reasons) if reason is None]
    first, last = (kept[0], kept[-1]) if kept else (len(texts), -1)
    reasons = [
        "edge_short" if r == "low_content" and (j < first or j > last) else r
        for j, r in enumerate(reasons)
    ]
    # a short prose line the trees are sure of goes after all (counted kept above), and
    # what it leaves outside the kept lines is at the document's edge
    sure = False
    for j, reason in enumerate(reasons):
        if reason is None and prose[j] and scores[j] >= 0.9 and words[j] <= math.log1p(25):
            reasons[j] = "repeated" if repeated[j] else "low_content"
            sure = True
    # a short line kept alone between two removed lines, its score near the cut
    islands = [
        j
        for j in range(1, len(reasons) - 1)
        if reasons[j] is None
        and reasons[j - 1] is not None
        and reasons[j + 1] is not None
        and not prose[j]
        and words[j] <= math.log1p(10)
        and scores[j] >= cut - 0.2
    ]
    for j in islands:
        reasons[j] = "repeated" if repeated[j] else "low_content"
        sure = True
    if sure:
        kept = [j for j, reason in enumerate(reasons) if reason is None]
        first, last = (kept[0], kept[-1]) if kept else (len(texts), -1)
        reasons = [
            "edge_short" if r == "low_content" and (j < first or j > last) else r
            for j, r in enumerate(reasons)
        ]
    return reasons
