"""Line features and the line scorer behind ``strip_boilerplate``.

jusText's idea (Pomikálek 2011) applied to text lines, with its hand-set thresholds
replaced by gradient-boosted trees fitted on every labelled line of
``line-quality-oscar`` (``scripts/train_boilerplate.py``, scikit-learn's
``HistGradientBoostingClassifier``) over named features of the line and its neighbours:
length, how it ends, stop-word density in the document's language, letters/digits/case,
bullets, pipes, glued menu words, links, dates, phrase and credit matches, repetition,
position, whether it sits in the document's main prose block; the same for the lines one
and two before and after; and document context: where the line sits relative to the
first and last prose line, jusText's classes (before and after its context smoothing),
means over windows of ±1, ±2, ±5 lines, run lengths, document means (`DENSE_FEATURES`);
the line's character shape: separators, addresses, numbers, word lengths, capitals, how
it starts and ends (``boilerplate_shape.SHAPE_FEATURES``).

Features are computed for every line of a batch of documents at once from
``boilerplate_lines.Lines`` (one compiled scan); `line_features` is the same code on
one document. The trees are stored as flat arrays in ``cleanse/data/boilerplate_trees.npz``
and scored by a compiled loop (`TreeModel`, equal to scikit-learn's ``predict_proba``);
the threshold and provenance are in ``boilerplate_weights.json``. Inference is numpy and
numba, no model library.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from cleanse.stages import boilerplate_doc_kernels as doc_kernels
from cleanse.stages import boilerplate_kernels as k
from cleanse.stages.boilerplate_chars import TABLES
from cleanse.stages.boilerplate_lines import Lines, scan
from cleanse.stages.boilerplate_shape import SHAPE_FEATURES, shape_features

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
WEIGHTS_PATH = DATA_DIR / "boilerplate_weights.json"
TREES_PATH = DATA_DIR / "boilerplate_trees.npz"

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
    + doc_kernels.CONTEXT_INPUTS
    + tuple(f"prev2_{name}" for name in NEIGHBOUR_FEATURES)
    + tuple(f"next2_{name}" for name in NEIGHBOUR_FEATURES)
)
#: Token noise log-odds inputs (`token_inputs`): over the line's distinct known tokens
#: the mean, max and min; the first token's; the share of tokens known; the document's
#: mean of the line means; the mean over the lines two before to two after.
TOKEN_INPUTS: tuple[str, ...] = (
    "token_mean", "token_max", "token_min", "token_first", "token_known_share",
    "token_doc_mean", "token_window2",
)  # fmt: skip
#: How the line's tokens recur in the other lines of its document
#: (``boilerplate_doc_kernels.recurrence_inputs``).
RECURRENCE_INPUTS: tuple[str, ...] = doc_kernels.RECURRENCE_INPUTS
#: The trees' inputs, in column order: `DENSE_FEATURES`, the line's character shape
#: (``boilerplate_shape.SHAPE_FEATURES``), `RECURRENCE_INPUTS`, `TOKEN_INPUTS`.
MODEL_INPUTS: tuple[str, ...] = DENSE_FEATURES + SHAPE_FEATURES + RECURRENCE_INPUTS + TOKEN_INPUTS

_COLUMN = {name: i for i, name in enumerate(LINE_FEATURES)}
_NEIGHBOUR_COLUMNS = np.array([_COLUMN[name] for name in NEIGHBOUR_FEATURES], dtype=np.int64)
#: ``math.log1p`` of small counts (numpy's log1p differs from it in the last bit on some).
_LOG1P = np.array([math.log1p(i) for i in range(4096)])


def _math_log1p(counts: np.ndarray) -> np.ndarray:
    """``math.log1p`` of each non-negative integer of `counts`."""
    counts = np.asarray(counts, dtype=np.int64)
    out = _LOG1P[np.minimum(counts, len(_LOG1P) - 1)]
    large = np.flatnonzero(counts >= len(_LOG1P))
    out[large] = [math.log1p(c) for c in counts[large].tolist()]
    return out


def line_features(lines: Sequence[str], *, language: str | None = None) -> np.ndarray:
    """Return the named feature matrix of one document (a row per line, `LINE_FEATURES`).

    `lines` are non-blank, stripped lines of one document; `language` (ISO 639-1) picks
    the stop-word list, None detects it from the document.

    >>> line_features(["Home", "A line that reads like a sentence."], language="en").shape
    (2, 39)
    """
    return named_features(scan(list(lines), split=False, language=language))


def named_features(lines: Lines) -> np.ndarray:
    """Return the named feature matrix of every line of `lines` (`LINE_FEATURES` columns,
    stored column by column: the rules and the document loops read whole columns)."""
    s = lines.stats
    chars, words, letters = s[:, k.CHARS], s[:, k.WORDS], s[:, k.LETTERS]
    upper, end, dots = s[:, k.UPPERS], s[:, k.END], s[:, k.DOTS] > 0
    stop = lines.stop_density
    repeated, later = _repeats(lines)
    rows = np.zeros((len(s), len(LINE_FEATURES)), order="F")
    columns = (
        _math_log1p(chars),
        _math_log1p(words),
        words == 1,
        words <= 3,
        ((end == k.END_TERMINAL) | (end == k.END_NONE)) & ~dots,
        (end == k.END_OTHER_PUNCT) | (end == k.END_NONE),
        dots | (s[:, k.ELLIPSIS] > 0),
        _math_log1p(s[:, k.INNER]),
        stop,
        stop == 0.0,
        letters / chars,
        s[:, k.DIGITS] / chars,
        np.divide(upper, letters, out=np.zeros(len(s)), where=letters > 0),
        s[:, k.TITLES] / words,
        s[:, k.BULLETED],
        s[:, k.PIPE_OR_TAB],
        np.minimum(s[:, k.GLUED], 3),
        np.minimum(s[:, k.LINKS] / words, 1.0),
        lines.date,
        lines.phrase,
        lines.credit,
        repeated,
        later,
        chars <= 20,
        (chars > 20) & (chars <= 50),
        (chars > 50) & (chars <= 100),
        (letters > 3) & (upper == letters),
    )
    for column, values in enumerate(columns):
        rows[:, column] = values
    _document_features(rows, lines.doc_starts)
    return rows


def _repeats(lines: Lines) -> tuple[np.ndarray, np.ndarray]:
    """Per line: its repeat key occurs twice or more in the document (and is not empty);
    an earlier line of the document has the same key (``Lines.keys``: the first line
    with the key)."""
    keys = lines.keys
    has_key = np.diff(lines.word_starts) > 0
    return (np.bincount(keys, minlength=len(keys))[keys] > 1) & has_key, keys != np.arange(
        len(keys)
    )


def _document_features(rows: np.ndarray, doc_starts: np.ndarray) -> None:
    """Fill the columns from `rel_position` on, which depend on every line of a document."""
    column = _COLUMN
    end = rows[:, column["end_sentence"]] > 0
    prose = end & (rows[:, column["log_words"]] >= math.log1p(PROSE_MIN_WORDS))
    log_chars = rows[:, column["log_chars"]].copy()
    (rel_position, short_share, stop_mean, bullet_share, median, run_no_sentence,
     run_bullets, in_main_block, before, after, distance) = doc_kernels.document_features(
        doc_starts, end, prose, rows[:, column["bullet"]] > 0,
        rows[:, column["max_3_words"]] > 0, rows[:, column["stop_density"]].copy(), log_chars,
    )  # fmt: skip
    counts = np.diff(doc_starts)
    lines_per_doc = np.repeat(counts, counts)
    rows[:, column["rel_position"]] = rel_position
    rows[:, column["doc_log_lines"]] = _math_log1p(lines_per_doc)
    rows[:, column["doc_short_share"]] = short_share
    rows[:, column["doc_stop_density"]] = stop_mean
    rows[:, column["log_run_no_sentence"]] = np.log1p(run_no_sentence.astype(np.float64))
    rows[:, column["log_run_bullets"]] = np.log1p(run_bullets.astype(np.float64))
    rows[:, column["doc_bullet_share"]] = bullet_share
    rows[:, column["rel_log_chars"]] = log_chars - median
    rows[:, column["in_main_block"]] = in_main_block
    rows[:, column["prose_before"]] = before
    rows[:, column["prose_after"]] = after
    no_prose = distance < 0
    rows[:, column["log_prose_distance"]] = np.where(
        no_prose,
        _math_log1p(np.where(no_prose, lines_per_doc, 0)),
        np.log1p(np.maximum(distance, 0).astype(np.float64)),
    )


def dense_features(features: np.ndarray, doc_starts: np.ndarray | None = None) -> np.ndarray:
    """Return the trees' inputs (`DENSE_FEATURES`): `line_features`; the previous and next
    line's `NEIGHBOUR_FEATURES`; document context (``boilerplate_doc_kernels.
    CONTEXT_INPUTS``); the `NEIGHBOUR_FEATURES` of the lines two before and two after.

    `doc_starts` are the documents' first rows (default: one document); a line at a
    document's edge has zeros for the missing neighbours. Each row reads only its own
    document, so it is the same whatever else is in the batch.
    """
    return _dense(features, doc_starts)


#: The blocks of `DENSE_FEATURES` after the line's own (``doc_kernels.dense_rows``):
#: the neighbours one row before and after, document context (0), two before and after.
_DENSE_STEPS = np.array([-1, 1, 0, -2, 2], dtype=np.int64)
#: The first column of the document context in `DENSE_FEATURES`.
_CONTEXT_COLUMN = DENSE_FEATURES.index(doc_kernels.CONTEXT_INPUTS[0])


def _dense(
    features: np.ndarray,
    doc_starts: np.ndarray | None,
    picked: np.ndarray | None = None,
    extra: int = 0,
) -> np.ndarray:
    """The rows of `dense_features` of the lines `picked` (ascending; default: every
    line), with `extra` columns after them left to fill. The document context reads
    every line of a document (its windows and means), and is written for `picked`
    only, as the rest."""
    if doc_starts is None:
        doc_starts = np.array([0, len(features)], dtype=np.int64)
    if picked is None:
        picked = np.arange(len(features))
    picked = np.asarray(picked, np.int64)
    doc_starts = np.ascontiguousarray(doc_starts, np.int64)
    column = _COLUMN
    end = features[:, column["end_sentence"]]
    log_words = features[:, column["log_words"]]
    prose = (end > 0) & (log_words >= math.log1p(PROSE_MIN_WORDS))
    out = doc_kernels.dense_rows(
        picked, doc_starts, features, _NEIGHBOUR_COLUMNS, len(doc_kernels.CONTEXT_INPUTS),
        _DENSE_STEPS, extra,
    )  # fmt: skip
    return doc_kernels.context_inputs(
        doc_starts, np.ascontiguousarray(end), np.ascontiguousarray(log_words),
        features[:, column["stop_density"]].copy(), features[:, column["max_3_words"]].copy(),
        features[:, column["link_ratio"]].copy(),
        np.rint(np.expm1(features[:, column["log_chars"]])), prose.astype(np.float64),
        (log_words >= math.log1p(4)).astype(np.float64), picked, out, _CONTEXT_COLUMN,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class TokenTable:
    """Smoothed noise log-odds of lower-cased word tokens (keyed by the scan's CRC-32 of
    the token, ``Lines.hash_crcs``), relative to the overall noise rate: only tokens seen
    in enough training documents (``scripts/train_boilerplate.py``). `keys` ascend;
    `slot_keys`, `slot_values` and `slot_filter` are the same as a hash table (see `of`)."""

    keys: np.ndarray
    values: np.ndarray
    slot_keys: np.ndarray
    slot_values: np.ndarray
    slot_filter: np.ndarray

    @classmethod
    def of(cls, keys: np.ndarray, values: np.ndarray) -> TokenTable:
        """Build the table (and its hash slots) from ascending `keys` and their `values`."""
        keys = np.ascontiguousarray(keys, np.int64)
        values = np.ascontiguousarray(values, np.float64)
        return cls(keys, values, *doc_kernels.token_slots(keys, values))

    def lookup(self, tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (known?, value: 0 where unknown) for each token of `tokens`."""
        if not len(self.keys):
            return np.zeros(len(tokens), bool), np.zeros(len(tokens))
        at = np.minimum(np.searchsorted(self.keys, tokens), len(self.keys) - 1)
        known = self.keys[at] == tokens
        return known, np.where(known, self.values[at], 0.0)


def line_tokens(lines: Lines) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(line, token)`` of each distinct token of each line (sorted by line, then
    token CRC) and each line's first token (-1: none)."""
    count = len(lines)
    tokens = lines.hash_crcs.astype(np.int64)
    sizes = np.diff(lines.hash_starts)
    pairs = np.unique(np.repeat(np.arange(count, dtype=np.int64), sizes) << 32 | tokens)
    first = np.full(count, -1, dtype=np.int64)
    some = sizes > 0
    first[some] = tokens[lines.hash_starts[:-1][some]]
    return pairs >> 32, pairs & 0xFFFFFFFF, first


def shape_inputs(lines: Lines, rows: np.ndarray | None = None) -> np.ndarray:
    """Return the ``SHAPE_FEATURES`` of every line of `lines` (``boilerplate_shape``); only
    where `rows` is True when given (zeros elsewhere: each line's are its own)."""
    out = np.zeros((len(lines), len(SHAPE_FEATURES)))
    picked = np.arange(len(lines)) if rows is None else np.flatnonzero(rows)
    out[picked] = shape_features(lines.data, lines.stats, TABLES.flags, picked)
    return out


def recurrence_inputs(lines: Lines) -> np.ndarray:
    """Return the `RECURRENCE_INPUTS` of every line of `lines`
    (``boilerplate_doc_kernels.line_token_inputs``); each value reads only the line's own
    document."""
    return _token_columns(lines, TokenTable.of(np.zeros(0), np.zeros(0)))[
        :, : len(RECURRENCE_INPUTS)
    ]


def token_inputs(lines: Lines, table: TokenTable) -> np.ndarray:
    """Return the `TOKEN_INPUTS` of every line of `lines` under
    `table` (``boilerplate_doc_kernels.line_token_inputs``); each value reads only the
    line's own document."""
    return _token_columns(lines, table)[:, len(RECURRENCE_INPUTS) :]


def _token_columns(
    lines: Lines,
    table: TokenTable,
    picked: np.ndarray | None = None,
    out: np.ndarray | None = None,
    column: int = 0,
) -> np.ndarray:
    """Write `RECURRENCE_INPUTS` and `TOKEN_INPUTS` of the lines `picked` (default: every
    line) to ``out[:, column:]`` (default: a new array of those columns only)."""
    if picked is None:
        picked = np.arange(len(lines), dtype=np.int64)
    if out is None:
        out = np.zeros((len(picked), len(RECURRENCE_INPUTS) + len(TOKEN_INPUTS)))
    return doc_kernels.line_token_inputs(
        lines.hash_crcs, lines.hash_starts, lines.doc_starts, table.slot_keys,
        table.slot_values, table.slot_filter, _LOG1P, np.asarray(picked, np.int64), out, column,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class TreeMasks:
    """The trees of a `TreeModel` as bit masks over their leaves, for
    ``boilerplate_doc_kernels.tree_sum`` (QuickScorer: Lucchese et al., SIGIR 2015).

    Each tree's leaves are numbered left to right. A split node where a row goes right
    rules out the leaves of its left subtree: its `mask` has their bits clear. The leaf a
    row reaches is the lowest bit left once the masks of every node where it goes right
    are ANDed together (it is in no such node's left subtree, and every leaf left of it
    is), so all of a tree's nodes can be tested for a block of rows at once, without a
    walk. The split nodes of tree `t` are ``offsets[t]:offsets[t + 1]``, in any order (AND
    commutes): those sending NaN left first, those sending it right from ``nan_right[t]``,
    so the kernel takes like nodes two at a time. `leaf_value` holds each tree's leaf
    values in leaf order.
    """

    feature: np.ndarray
    threshold: np.ndarray
    mask: np.ndarray
    offsets: np.ndarray
    nan_right: np.ndarray
    leaf_value: np.ndarray

    @classmethod
    def of(cls, model: TreeModel) -> TreeMasks:
        """Lay out the trees of `model` (at most 64 leaves each)."""
        trees = model.feature.shape[0]
        feature: list[int] = []
        threshold: list[float] = []
        mask: list[int] = []
        offsets, nan_right = [0], []
        leaf_value = np.zeros((trees, 64))
        every = (1 << 64) - 1
        for t in range(trees):
            leaf, left, right = model.leaf[t], model.left[t], model.right[t]
            # the leaves each node spans (left to right), from a depth-first walk
            span: dict[int, tuple[int, int]] = {}
            stack, order = [0], []
            while stack:
                node = stack.pop()
                order.append(node)
                if not leaf[node]:
                    stack += [right[node], left[node]]  # left is walked first
            count = 0
            for node in order:  # depth first, left first: leaves in left-to-right order
                if leaf[node]:
                    if count == 64:
                        msg = "boilerplate trees: a tree has more than 64 leaves"
                        raise ValueError(msg)
                    span[node] = (count, count + 1)
                    leaf_value[t, count] = model.value[t, node]
                    count += 1
            for node in reversed(order):  # children before their parent
                if not leaf[node]:
                    span[node] = (span[left[node]][0], span[right[node]][1])
            split = [node for node in order if not leaf[node]]
            split.sort(key=lambda node: not model.missing_left[t, node])  # stable
            for node in split:
                low, high = span[left[node]]
                feature.append(int(model.feature[t, node]))
                threshold.append(float(model.threshold[t, node]))
                mask.append(every & ~(((1 << (high - low)) - 1) << low))
            nan_right.append(offsets[-1] + sum(bool(model.missing_left[t, node]) for node in split))
            offsets.append(len(feature))
        return cls(
            np.array(feature, dtype=np.int64),
            np.array(threshold, dtype=np.float64),
            np.array(mask, dtype=np.uint64),
            np.array(offsets, dtype=np.int64),
            np.array(nan_right, dtype=np.int64),
            leaf_value,
        )


@dataclass(frozen=True, slots=True)
class TreeModel:
    """A gradient-boosted tree ensemble as flat arrays, one row per tree, one column per
    node (root 0; rows padded to the largest tree): the split feature and threshold (a row
    goes left where ``x <= threshold``; NaN goes left where `missing_left`), the children,
    whether the node is a leaf and its value. The raw score is `baseline` plus the value
    of the leaf each tree reaches; the noise probability its logistic function. These are
    the stored arrays; `masks` is the layout they are scored with."""

    names: tuple[str, ...]
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    leaf: np.ndarray
    missing_left: np.ndarray
    value: np.ndarray
    baseline: float
    masks: TreeMasks = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "masks", TreeMasks.of(self))

    def raw(self, x: np.ndarray) -> np.ndarray:
        """Return the raw score (log-odds of noise) of each row of `x` (`names` columns)."""
        m = self.masks
        # a row per feature (no copy for the column-major inputs `LineScorer` builds)
        columns = np.asfortranarray(x, dtype=np.float64).T
        return doc_kernels.tree_sum(
            columns, m.feature, m.threshold, m.mask, m.offsets, m.nan_right, m.leaf_value,
            self.baseline,
        )  # fmt: skip

    def proba(self, x: np.ndarray) -> np.ndarray:
        """Return the noise probability of each row of `x`."""
        return 1.0 / (1.0 + np.exp(-self.raw(x)))

    def arrays(self) -> dict[str, np.ndarray]:
        """Return the arrays to store (``np.savez_compressed``; see `from_arrays`)."""
        return {
            "names": np.array(self.names),
            "feature": self.feature,
            "threshold": self.threshold,
            "left": self.left,
            "right": self.right,
            "leaf": self.leaf,
            "missing_left": self.missing_left,
            "value": self.value,
            "baseline": np.array(self.baseline),
        }

    @classmethod
    def from_arrays(cls, data: Mapping[str, np.ndarray], names: tuple[str, ...]) -> TreeModel:
        """Build a model from `arrays` output; refuse one with other feature names."""
        if tuple(str(n) for n in data["names"]) != names:
            msg = f"boilerplate trees: feature names differ from the code's {names}"
            raise ValueError(msg)
        return cls(
            names,
            np.ascontiguousarray(data["feature"], np.int32),
            np.ascontiguousarray(data["threshold"], np.float64),
            np.ascontiguousarray(data["left"], np.int32),
            np.ascontiguousarray(data["right"], np.int32),
            np.ascontiguousarray(data["leaf"], np.bool_),
            np.ascontiguousarray(data["missing_left"], np.bool_),
            np.ascontiguousarray(data["value"], np.float64),
            float(data["baseline"]),
        )


@dataclass(frozen=True, slots=True)
class LineScorer:
    """The tree ensemble over `MODEL_INPUTS`, its token table and the default threshold."""

    model: TreeModel
    tokens: TokenTable
    threshold: float

    def inputs(
        self, lines: Lines, features: np.ndarray, rows: np.ndarray | None = None
    ) -> np.ndarray:
        """Return the trees' inputs (`MODEL_INPUTS`) of every line (only where `rows` is
        True, when given: a row each for those lines; the inputs read from neighbours
        and the shape inputs are computed for them only)."""
        picked = np.arange(len(features)) if rows is None else np.flatnonzero(rows)
        shape = shape_features(lines.data, lines.stats, TABLES.flags, picked)
        extra = shape.shape[1] + len(RECURRENCE_INPUTS) + len(TOKEN_INPUTS)
        out = _dense(features, lines.doc_starts, picked, extra)
        width = len(DENSE_FEATURES)
        out[:, width : width + shape.shape[1]] = shape
        return _token_columns(lines, self.tokens, picked, out, width + shape.shape[1])

    def score(
        self, lines: Lines, features: np.ndarray, rows: np.ndarray | None = None
    ) -> np.ndarray:
        """Return the noise probability of each line from `lines` and its
        `named_features` (only where `rows` is True, when given; 0 elsewhere)."""
        if not len(features):
            return np.zeros(0)
        x = self.inputs(lines, features, rows)
        if rows is None:
            return self.model.proba(x)
        out = np.zeros(len(features))
        out[rows] = self.model.proba(x)
        return out


@cache
def load_scorer(path: Path = WEIGHTS_PATH, trees_path: Path = TREES_PATH) -> LineScorer:
    """Load the shipped model (once per process and path)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    with np.load(trees_path) as archive:
        model = TreeModel.from_arrays(archive, MODEL_INPUTS)
        tokens = TokenTable.of(archive["token_keys"], archive["token_values"])
    return LineScorer(model=model, tokens=tokens, threshold=float(data["threshold"]))
