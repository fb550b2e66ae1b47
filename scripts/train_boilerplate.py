"""Fit strip_boilerplate's line scorer on line-quality-oscar and write the shipped weights.

    pip install scikit-learn   # for this script (and eval_boilerplate.py) only
    python scripts/train_boilerplate.py [--data ../shared/data]

Fits on every labelled line present (train + dev of de/en/es/fi, dev of fr/sv; the
test split is held out by the project), deterministically, and writes
``cleanse/data/boilerplate_weights.json`` (named weights, threshold, provenance) and
``cleanse/data/boilerplate_hashed.npz`` (hashed lexical weights, float16). Honest numbers
come from ``scripts/eval_boilerplate.py``, which runs the same `fit` inside
document-grouped cross-validation.

The fit, all of it inside whatever documents it is given:

1. the line pass (logistic regression, L2, ``C`` = `LINE_C`) on the named features
   (standardised) and the hashed lexical features seen in at least `MIN_DOC_FREQ`
   documents (rarer buckets stay 0: they would only memorise single pages);
2. its out-of-fold scores on `INNER_FOLDS` document folds feed the context pass, so the
   context pass learns how far to trust line-pass scores on unseen documents;
3. the threshold: the lowest noise probability at which the whole decision (scores and
   the phrase/credit/repeat/heading/prose rules) keeps `MIN_KEEP_RECALL` of content lines,
   measured on out-of-fold context-pass scores.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

REPO = Path(__file__).resolve().parent.parent
for path in (REPO, REPO / "scripts"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from eval_boilerplate import DEFAULT_DATA, LabelledDoc, Scores, load_oscar, score_doc  # noqa: E402

from cleanse.stages.boilerplate import line_reasons  # noqa: E402
from cleanse.stages.boilerplate_model import (  # noqa: E402
    CONTEXT_FEATURES,
    DENSE_FEATURES,
    HASH_BUCKETS,
    HASHED_PATH,
    LINE_FEATURES,
    WEIGHTS_PATH,
    LinearModel,
    LineScorer,
    context_features,
    dense_features,
    hashed_features,
    line_features,
    sigmoid,
)

#: Inverse L2 strength of the line pass (sklearn's default, set before any evaluation).
LINE_C = 1.0
#: Inverse L2 strength of the context pass (20 named features; sklearn's default).
CONTEXT_C = 1.0
#: A hashed bucket needs this many training documents to get a weight.
MIN_DOC_FREQ = 2
#: Folds for the out-of-fold line-pass scores and the threshold.
INNER_FOLDS = 5
#: Target keep recall on out-of-fold scores (issue 3 asks 0.95). No margin: inner folds
#: train on less data than the final fit, so the pick is already conservative.
MIN_KEEP_RECALL = 0.95
SEED = 20240603


@dataclass(frozen=True, slots=True)
class Prepared:
    """One document with every feature the fit needs, computed once."""

    doc: LabelledDoc
    positions: list[int]
    texts: list[str]
    labels: np.ndarray
    features: np.ndarray
    dense: np.ndarray
    hashed: tuple[np.ndarray, np.ndarray, np.ndarray]


def prepare(docs: Sequence[LabelledDoc]) -> list[Prepared]:
    """Compute features of the non-blank lines of each document (language detected)."""
    prepared = []
    for doc in docs:
        positions = [i for i, line in enumerate(doc.lines) if line.strip()]
        texts = [doc.lines[i].strip() for i in positions]
        features = line_features(texts) if texts else np.zeros((0, len(LINE_FEATURES)))
        prepared.append(
            Prepared(
                doc=doc,
                positions=positions,
                texts=texts,
                labels=np.array([doc.noise[i] for i in positions], dtype=bool),
                features=features,
                dense=dense_features(features) if texts else np.zeros((0, len(DENSE_FEATURES))),
                hashed=hashed_features(texts),
            )
        )
    return prepared


def assign_folds(items: Sequence[Prepared], folds: int, *, seed: int = SEED) -> np.ndarray:
    """Return a fold per document: shuffled within each language, dealt round-robin."""
    rng = np.random.default_rng(seed)
    out = np.zeros(len(items), dtype=np.int64)
    languages = sorted({p.doc.language for p in items})
    offset = 0
    for language in languages:
        members = [i for i, p in enumerate(items) if p.doc.language == language]
        for rank, i in enumerate(rng.permutation(members)):
            out[i] = (rank + offset) % folds
        offset += len(members)
    return out


def _standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    return mean, scale


def fit_line_pass(items: Sequence[Prepared], *, c: float = LINE_C) -> LinearModel:
    """Fit the line pass (named + hashed features) on `items`."""
    dense = np.vstack([p.dense for p in items])
    mean, scale = _standardise(dense)
    rows, buckets, values, offset = [], [], [], 0
    doc_freq = np.zeros(HASH_BUCKETS, dtype=np.int64)
    for p in items:
        r, b, v = p.hashed
        rows.append(r + offset)
        buckets.append(b)
        values.append(v)
        doc_freq[np.unique(b)] += 1
        offset += len(p.texts)
    r, b, v = np.concatenate(rows), np.concatenate(buckets), np.concatenate(values)
    kept = doc_freq[b] >= MIN_DOC_FREQ
    hashed = sparse.csr_matrix((v[kept], (r[kept], b[kept])), shape=(offset, HASH_BUCKETS))
    x = sparse.hstack([sparse.csr_matrix((dense - mean) / scale), hashed], format="csr")
    y = np.concatenate([p.labels for p in items])
    model = LogisticRegression(C=c, solver="lbfgs", max_iter=3000)
    with threadpool_limits(limits=1):  # BLAS threads only fight each other here
        model.fit(x, y)
    weights = model.coef_[0]
    table = weights[len(DENSE_FEATURES) :].astype(np.float16).astype(np.float64)
    return LinearModel(
        DENSE_FEATURES,
        mean,
        scale,
        weights[: len(DENSE_FEATURES)],
        float(model.intercept_[0]),
        table,
    )


def fit_context_pass(items: Sequence[Prepared], first: Sequence[np.ndarray]) -> LinearModel:
    """Fit the context pass on `items` given their (out-of-fold) line-pass scores `first`."""
    x = np.vstack(
        [np.hstack([p.features, context_features(s)]) for p, s in zip(items, first, strict=True)]
    )
    mean, scale = _standardise(x)
    y = np.concatenate([p.labels for p in items])
    model = LogisticRegression(C=CONTEXT_C, solver="lbfgs", max_iter=2000)
    with threadpool_limits(limits=1):
        model.fit((x - mean) / scale, y)
    names = LINE_FEATURES + CONTEXT_FEATURES
    return LinearModel(names, mean, scale, model.coef_[0], float(model.intercept_[0]))


def line_pass_scores(model: LinearModel, p: Prepared) -> np.ndarray:
    return sigmoid(model.logits(p.dense, p.hashed))


def context_scores(model: LinearModel, p: Prepared, first: np.ndarray) -> np.ndarray:
    return sigmoid(model.logits(np.hstack([p.features, context_features(first)])))


def removed_flags(p: Prepared, scores: np.ndarray, cut: float) -> list[bool]:
    """Return "remove?" for every line of the document (blank lines are kept)."""
    removed = [False] * len(p.doc.lines)
    if p.texts:
        reasons = line_reasons(p.texts, p.features, scores, cut)
        for position, reason in zip(p.positions, reasons, strict=True):
            removed[position] = reason is not None
    return removed


def pick_threshold(
    items: Sequence[Prepared], scores: Sequence[np.ndarray], target: float = MIN_KEEP_RECALL
) -> float:
    """Return the lowest cut (0.01 steps) whose decisions keep `target` of content lines."""
    grid = np.round(np.arange(0.20, 0.99, 0.01), 2)

    def keep_recall(cut: float) -> float:
        total = Scores()
        for p, s in zip(items, scores, strict=True):
            total += score_doc(removed_flags(p, s, cut), p.doc.noise)
        return total.keep_recall

    low, high = 0, len(grid) - 1  # keep recall grows with the cut: binary search
    while low < high:
        middle = (low + high) // 2
        if keep_recall(float(grid[middle])) >= target:
            high = middle
        else:
            low = middle + 1
    return float(grid[low])


def fit(items: Sequence[Prepared], *, target: float = MIN_KEEP_RECALL) -> LineScorer:
    """Fit both passes and the threshold on `items` (see the module docstring)."""
    inner = assign_folds(items, INNER_FOLDS, seed=SEED + 1)
    first: list[np.ndarray] = [np.zeros(0)] * len(items)
    for k in range(INNER_FOLDS):
        model = fit_line_pass([p for p, f in zip(items, inner, strict=True) if f != k])
        for i in np.flatnonzero(inner == k):
            first[i] = line_pass_scores(model, items[i])
    second: list[np.ndarray] = [np.zeros(0)] * len(items)
    for k in range(INNER_FOLDS):
        train = [i for i in range(len(items)) if inner[i] != k]
        model = fit_context_pass([items[i] for i in train], [first[i] for i in train])
        for i in np.flatnonzero(inner == k):
            second[i] = context_scores(model, items[i], first[i])
    cut = pick_threshold(items, second, target)
    return LineScorer(
        line=fit_line_pass(items), context=fit_context_pass(items, first), threshold=cut
    )


def predict(scorer: LineScorer, p: Prepared, cut: float | None = None) -> list[bool]:
    """Return "remove?" per line of `p` under `scorer` (its own threshold unless `cut`)."""
    if not p.texts:
        return [False] * len(p.doc.lines)
    scores = context_scores(scorer.context, p, line_pass_scores(scorer.line, p))
    return removed_flags(p, scores, scorer.threshold if cut is None else cut)


def write_weights(scorer: LineScorer, items: Sequence[Prepared]) -> None:
    """Write the named weights (JSON) and the hashed table (npz, float16)."""
    labels = np.concatenate([p.labels for p in items])
    languages = sorted({p.doc.language for p in items})
    data = {
        "about": (
            "strip_boilerplate line scorer fitted by scripts/train_boilerplate.py on every "
            "labelled line of line-quality-oscar present (train+dev de/en/es/fi, dev fr/sv). "
            "Positive weights push towards noise; named features are standardised with the "
            "mean and scale shown; hashed lexical weights are in boilerplate_hashed.npz."
        ),
        "trained_on": {
            "docs": len(items),
            "lines": len(labels),
            "noise_share": round(float(labels.mean()), 4),
            "languages": languages,
        },
        "threshold": scorer.threshold,
        "min_keep_recall": MIN_KEEP_RECALL,
        "line_pass": scorer.line.to_json(),
        "context_pass": scorer.context.to_json(),
    }
    WEIGHTS_PATH.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", "utf-8")
    assert scorer.line.hashed is not None
    np.savez_compressed(HASHED_PATH, weights=scorer.line.hashed.astype(np.float16))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    items = prepare(load_oscar(args.data, "all"))
    scorer = fit(items)
    write_weights(scorer, items)
    nonzero = int(np.count_nonzero(scorer.line.hashed))
    print(f"threshold {scorer.threshold}; {nonzero} hashed buckets with a weight")
    print(f"wrote {WEIGHTS_PATH.relative_to(REPO)} and {HASHED_PATH.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
