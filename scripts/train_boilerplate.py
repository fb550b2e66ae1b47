"""Fit strip_boilerplate's line scorer on line-quality-oscar and write the shipped model.

    pip install scikit-learn   # for this script (and eval_boilerplate.py's CV) only
    python scripts/train_boilerplate.py [--data ../shared/data]

Fits on every labelled line present (train + dev of de/en/es/fi, dev of fr/sv; the
test split is held out by the project), deterministically, and writes
``cleanse/data/boilerplate_trees.npz`` (the trees as flat arrays) and
``cleanse/data/boilerplate_weights.json`` (threshold, parameters, provenance). The
stage scores with numpy and numba only (``boilerplate_model.TreeModel``), no sklearn.

The model: scikit-learn's ``HistGradientBoostingClassifier`` (`PARAMS`) on the named
features of each line and of its neighbours (``boilerplate_model.DENSE_FEATURES``).

The threshold: the highest-F1 cut (0.01 steps) whose whole decision (scores and the
phrase/credit/repeat/heading/prose rules of ``boilerplate.decide``) keeps at least
`MIN_KEEP_RECALL` of content lines, pooled over the out-of-fold scores of `FOLDS`
document-grouped, language-stratified folds (the folds of ``eval_boilerplate.py``).
Chosen on those same out-of-fold scores, so their F1 at that cut is slightly optimistic.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from threadpoolctl import threadpool_limits

REPO = Path(__file__).resolve().parent.parent
for path in (REPO, REPO / "scripts"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from eval_boilerplate import DEFAULT_DATA, LabelledDoc, Scores, load_oscar  # noqa: E402

from cleanse.stages.boilerplate import decide  # noqa: E402
from cleanse.stages.boilerplate_lines import Lines, scan  # noqa: E402
from cleanse.stages.boilerplate_model import (  # noqa: E402
    DENSE_FEATURES,
    TREES_PATH,
    WEIGHTS_PATH,
    TreeModel,
    dense_features,
    named_features,
)

#: Gradient boosting (set before any evaluation, from a sweep on these folds' scores).
PARAMS = {
    "max_iter": 200,
    "learning_rate": 0.1,
    "max_leaf_nodes": 31,
    "min_samples_leaf": 40,
    "l2_regularization": 1.0,
    "early_stopping": False,
    "random_state": 0,
}
FOLDS = 5
#: Target keep recall on out-of-fold scores (issue 3 asks 0.95).
MIN_KEEP_RECALL = 0.95
SEED = 20240603
GRID = np.round(np.arange(0.05, 0.99, 0.01), 2)


@dataclass(frozen=True, slots=True)
class Corpus:
    """Every non-blank line of labelled documents, scanned as one batch.

    `doc_of` maps each line to its document; `blank` holds per document the counts of
    blank lines labelled noise and content (never removed, still counted)."""

    docs: list[LabelledDoc]
    lines: Lines
    features: np.ndarray
    dense: np.ndarray
    labels: np.ndarray
    doc_of: np.ndarray
    blank: np.ndarray

    @property
    def languages(self) -> np.ndarray:
        return np.array([d.language for d in self.docs])

    def rows(self, docs: np.ndarray) -> np.ndarray:
        """The line rows of the documents where `docs` (bool per document) is True."""
        return docs[self.doc_of]


def prepare(docs: Sequence[LabelledDoc]) -> Corpus:
    """Scan and compute features of every non-blank line of `docs` (language detected)."""
    texts, doc_of, labels = [], [], []
    blank = np.zeros((len(docs), 2), dtype=np.int64)
    for d, doc in enumerate(docs):
        for line, noise in zip(doc.lines, doc.noise, strict=True):
            if line.strip():
                texts.append(line.strip())
                doc_of.append(d)
                labels.append(noise)
            else:
                blank[d, 0 if noise else 1] += 1
    doc_of_row = np.array(doc_of, dtype=np.int64)
    # documents without a non-blank line still need a slot in doc_starts
    lines = scan(texts, split=False, doc_of_row=_with_tail(doc_of_row, len(docs)))
    assert len(lines) == len(texts), "the scanner and str.strip disagree on a blank line"
    features = named_features(lines)
    return Corpus(
        list(docs), lines, features, dense_features(features, lines.doc_starts),
        np.array(labels, dtype=bool), lines.doc_of_line, blank,
    )  # fmt: skip


def _with_tail(doc_of_row: np.ndarray, docs: int) -> np.ndarray:
    assert len(doc_of_row) and doc_of_row[-1] == docs - 1, "last document has no text"
    return doc_of_row


def assign_folds(languages: Sequence[str], folds: int, *, seed: int = SEED) -> np.ndarray:
    """Return a fold per document: shuffled within each language, dealt round-robin."""
    rng = np.random.default_rng(seed)
    languages = np.asarray(languages)
    out = np.zeros(len(languages), dtype=np.int64)
    offset = 0
    for language in sorted(set(languages.tolist())):
        members = np.flatnonzero(languages == language)
        for rank, i in enumerate(rng.permutation(members)):
            out[i] = (rank + offset) % folds
        offset += len(members)
    return out


def fit_trees(x: np.ndarray, y: np.ndarray) -> TreeModel:
    """Fit the ensemble on rows `x` (`DENSE_FEATURES`), labels `y` (True: noise)."""
    model = HistGradientBoostingClassifier(**PARAMS)
    with threadpool_limits(limits=1):
        model.fit(x, y)
    return export(model, DENSE_FEATURES)


def export(model: HistGradientBoostingClassifier, names: tuple[str, ...]) -> TreeModel:
    """Flatten a fitted binary ``HistGradientBoostingClassifier`` to `TreeModel` arrays."""
    assert model.n_trees_per_iteration_ == 1, "binary classifier expected"
    assert model.is_categorical_ is None or not np.any(model.is_categorical_)
    trees = [predictors[0].nodes for predictors in model._predictors]
    width = max(len(nodes) for nodes in trees)
    shape = (len(trees), width)
    arrays = {
        "feature": np.zeros(shape, np.int32),
        "threshold": np.zeros(shape),
        "left": np.zeros(shape, np.int32),
        "right": np.zeros(shape, np.int32),
        "leaf": np.ones(shape, bool),
        "missing_left": np.zeros(shape, bool),
        "value": np.zeros(shape),
    }
    for t, nodes in enumerate(trees):
        assert not np.any(nodes["is_categorical"]), "categorical splits are not supported"
        n = len(nodes)
        arrays["feature"][t, :n] = nodes["feature_idx"]
        arrays["threshold"][t, :n] = nodes["num_threshold"]
        arrays["left"][t, :n] = nodes["left"]
        arrays["right"][t, :n] = nodes["right"]
        arrays["leaf"][t, :n] = nodes["is_leaf"].astype(bool)
        arrays["missing_left"][t, :n] = nodes["missing_go_to_left"].astype(bool)
        arrays["value"][t, :n] = nodes["value"]
    baseline = float(np.ravel(model._baseline_prediction)[0])
    return TreeModel(names=names, baseline=baseline, **arrays)


def oof_scores(corpus: Corpus, fold_of_doc: np.ndarray) -> np.ndarray:
    """Noise probability of every line, each from the model fitted on the other folds."""
    scores = np.zeros(len(corpus.labels))
    for k in range(int(fold_of_doc.max()) + 1):
        test = corpus.rows(fold_of_doc == k)
        model = fit_trees(corpus.dense[~test], corpus.labels[~test])
        scores[test] = model.proba(corpus.dense[test])
    return scores


def removed(corpus: Corpus, scores: np.ndarray, cut: float) -> np.ndarray:
    """The stage's decision on every line (True: removed) given `scores` and `cut`."""
    return decide(corpus.lines, corpus.features, scores, cut) != 0


def doc_counts(corpus: Corpus, flags: np.ndarray) -> np.ndarray:
    """Per document: TP, FP, FN, TN of the noise class (blank lines are never removed)."""
    y, n = corpus.labels, len(corpus.docs)
    out = np.zeros((n, 4), dtype=np.int64)
    for j, mask in enumerate((flags & y, flags & ~y, ~flags & y, ~flags & ~y)):
        out[:, j] = np.bincount(corpus.doc_of[mask], minlength=n)
    out[:, 2] += corpus.blank[:, 0]
    out[:, 3] += corpus.blank[:, 1]
    return out


def total(counts: np.ndarray, docs: np.ndarray | None = None) -> Scores:
    c = counts if docs is None else counts[docs]
    return Scores(*(int(v) for v in c.sum(axis=0)))


def best_cut(
    corpus: Corpus, scores: np.ndarray, docs: np.ndarray, target: float = MIN_KEEP_RECALL
) -> float:
    """The highest-F1 cut of `GRID` whose decisions over the documents `docs` keep at
    least `target` of their content lines (the highest cut if none does)."""
    best, best_f1 = float(GRID[-1]), -1.0
    for cut in GRID.tolist():
        s = total(doc_counts(corpus, removed(corpus, scores, cut)), docs)
        if s.keep_recall >= target and s.f1 > best_f1:
            best, best_f1 = cut, s.f1
    return best


def write_model(model: TreeModel, threshold: float, corpus: Corpus, note: str) -> None:
    """Write the trees (npz) and the threshold with provenance (JSON)."""
    data = {
        "about": (
            "strip_boilerplate line scorer fitted by scripts/train_boilerplate.py on every "
            "labelled line of line-quality-oscar present (train+dev de/en/es/fi, dev fr/sv): "
            "gradient-boosted trees (boilerplate_trees.npz) over the named features of a "
            "line and its neighbours; the score is the probability of noise."
        ),
        "trained_on": {
            "docs": len(corpus.docs),
            "lines": len(corpus.labels),
            "noise_share": round(float(corpus.labels.mean()), 4),
            "languages": sorted(set(corpus.languages.tolist())),
        },
        "params": PARAMS,
        "trees": int(model.feature.shape[0]),
        "threshold": threshold,
        "min_keep_recall": MIN_KEEP_RECALL,
        "threshold_note": note,
    }
    WEIGHTS_PATH.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", "utf-8")
    np.savez_compressed(TREES_PATH, **model.arrays())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    corpus = prepare(load_oscar(args.data, "all"))
    scores = oof_scores(corpus, assign_folds(corpus.languages, FOLDS))
    everything = np.ones(len(corpus.docs), dtype=bool)
    cut = best_cut(corpus, scores, everything)
    s = total(doc_counts(corpus, removed(corpus, scores, cut)))
    note = (
        f"{cut}: the highest-F1 cut whose pooled {FOLDS}-fold out-of-fold keep-line recall "
        f"is >= {MIN_KEEP_RECALL} ({s.keep_recall:.3f}, noise F1 {s.f1:.3f}); chosen on "
        "those same scores, so slightly optimistic."
    )
    model = fit_trees(corpus.dense, corpus.labels)
    write_model(model, cut, corpus, note)
    print(note)
    print(f"wrote {WEIGHTS_PATH.relative_to(REPO)} and {TREES_PATH.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
