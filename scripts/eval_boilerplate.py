"""Score strip_boilerplate and baselines on line-level keep/noise labels.

    python scripts/eval_boilerplate.py [--data ../shared/data] [--out benchmarks/boilerplate.md]
                                       [--split train|dev|all] [--limit N] [--fit]

Data: ``line-quality-oscar`` (OSCAR web text, every line labelled keep "1" / noise "0";
train for de/en/es/fi, dev for de/en/es/fi/fr/sv). For each system and language it counts
noise lines removed (TP), content lines removed (FP), noise lines kept (FN) and reports
noise precision/recall/F1 and keep-line recall (share of content lines kept), per
language and pooled over all lines. Systems:

* ``cleanse``: ``strip_boilerplate``'s line decisions (language auto-detected);
* ``keep-all``: removes nothing;
* ``c4``: C4's line rules as datatrove's ``C4QualityFilter`` applies them;
* ``fineweb``: FineWeb's line-level signals applied per line (duplicated lines, short
  lines without terminal punctuation);
* ``justext``: jusText 3.0.2 with its default thresholds on the lines, each wrapped as a
  ``<p>``, with the language's stop-word list.

It also reports ``strip_boilerplate``'s speed and the share of characters it removes from
the clean ``bbc-news`` corpus. ``--fit`` refits the scorer's weights on the train split
and writes ``cleanse/data/boilerplate_weights.json`` (then evaluate as usual).
The data is read in place and never copied.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tarfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from cleanse.stages.boilerplate import classify_lines, strip  # noqa: E402
from cleanse.stages.boilerplate_model import (  # noqa: E402
    CONTEXT_FEATURES,
    LINE_FEATURES,
    WEIGHTS_PATH,
    LineScorer,
    LogisticModel,
    context_features,
    line_features,
    load_scorer,
)

LANGS = ("de", "en", "es", "fi", "fr", "sv")
JUSTEXT_LANGUAGE = {
    "de": "German",
    "en": "English",
    "es": "Spanish",
    "fi": "Finnish",
    "fr": "French",
    "sv": "Swedish",
}
DEFAULT_DATA = REPO.parent / "shared" / "data"


@dataclass(frozen=True, slots=True)
class LabelledDoc:
    """One OSCAR document: its lines and, per line, True where the label is noise."""

    language: str
    split: str
    lines: list[str]
    noise: list[bool]


@dataclass(frozen=True, slots=True)
class Scores:
    """Line counts of one system on one set; the rates derive from them."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def __add__(self, other: Scores) -> Scores:
        return Scores(
            self.tp + other.tp, self.fp + other.fp, self.fn + other.fn, self.tn + other.tn
        )

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def keep_recall(self) -> float:
        return self.tn / (self.tn + self.fp) if self.tn + self.fp else 1.0

    @property
    def lines(self) -> int:
        return self.tp + self.fp + self.fn + self.tn


def load_oscar(data: Path, split: str = "all", *, limit: int | None = None) -> list[LabelledDoc]:
    """Read line-quality-oscar docs of `split` (train, dev or all); `limit` docs per file."""
    splits = ("train", "dev") if split == "all" else (split,)
    docs = []
    for language in LANGS:
        for name in splits:
            path = data / "line-quality-oscar" / language / f"{name}.json.gz"
            if not path.exists():
                continue
            with gzip.open(path, "rt", encoding="utf-8") as handle:
                items = json.load(handle)
            for item in items[:limit]:
                noise = [label == "0" for label in item["labels"]]
                docs.append(LabelledDoc(language, name, list(item["text"]), noise))
    return docs


# ---- systems: each maps a document's lines to "remove?" per line ---------------------------

System = Callable[[LabelledDoc], list[bool]]

_C4_POLICY = (
    "terms of use",
    "privacy policy",
    "cookie policy",
    "uses cookies",
    "use of cookies",
    "use cookies",
)


def c4_lines(doc: LabelledDoc) -> list[bool]:
    """C4's line rules (datatrove ``C4QualityFilter`` defaults) applied line by line.

    Removed: no terminal punctuation (``. ! ? "``) or an ellipsis ending; fewer than 3
    words; a word over 1,000 chars; "javascript"; a policy phrase; and, as line rules
    here, "lorem ipsum" and "{" (C4 drops the whole document for those).
    """
    removed = []
    for raw in doc.lines:
        line = raw.strip()
        lower = line.lower()
        words = line.split()
        removed.append(
            not line.endswith((".", "!", "?", '"'))
            or line.endswith("...")
            or len(words) < 3
            or any(len(w) > 1000 for w in words)
            or "javascript" in lower
            or "lorem ipsum" in lower
            or "{" in line
            or any(p in lower for p in _C4_POLICY)
        )
    return removed


def fineweb_lines(doc: LabelledDoc) -> list[bool]:
    """FineWeb's line-level signals as a line filter.

    ``FineWebQualityFilter`` drops documents by shares of (a) lines without terminal
    punctuation, (b) lines of at most 30 chars, (c) chars in duplicated lines. Applied per
    line: remove duplicated lines (every copy) and short (<= 30 chars) lines without
    terminal punctuation.
    """
    keys = [line.strip() for line in doc.lines]
    counts: dict[str, int] = {}
    for key in keys:
        counts[key] = counts.get(key, 0) + 1
    return [
        bool(key)
        and (counts[key] > 1 or (len(key) <= 30 and not key.endswith((".", "!", "?", '"'))))
        for key in keys
    ]


def justext_lines(doc: LabelledDoc) -> list[bool]:
    """jusText 3.0.2 on the lines, each one a ``<p>``, default thresholds."""
    import html

    import justext

    stoplist = justext.get_stoplist(JUSTEXT_LANGUAGE[doc.language])
    body = "".join(f"<p>{html.escape(line)}</p>" for line in doc.lines)
    paragraphs = justext.justext(
        f"<html><body>{body}</body></html>".encode(), stoplist, encoding="utf-8"
    )
    # jusText drops empty paragraphs; match the rest by order of text.
    good = iter(paragraphs)
    removed = []
    current = next(good, None)
    for line in doc.lines:
        text = " ".join(line.split())
        if current is not None and text and " ".join(current.text.split()) == text:
            removed.append(current.class_type != "good")
            current = next(good, None)
        else:
            removed.append(bool(text))
    return removed


def cleanse_lines(doc: LabelledDoc) -> list[bool]:
    """``strip_boilerplate``'s decisions, language detected from the text."""
    return [not v.keep for v in classify_lines(doc.lines)]


def keep_all(doc: LabelledDoc) -> list[bool]:
    return [False] * len(doc.lines)


SYSTEMS: dict[str, System] = {
    "cleanse": cleanse_lines,
    "keep-all": keep_all,
    "c4": c4_lines,
    "fineweb": fineweb_lines,
    "justext": justext_lines,
}


def score_doc(removed: Sequence[bool], noise: Sequence[bool]) -> Scores:
    tp = sum(r and n for r, n in zip(removed, noise, strict=True))
    fp = sum(r and not n for r, n in zip(removed, noise, strict=True))
    fn = sum(n and not r for r, n in zip(removed, noise, strict=True))
    return Scores(tp, fp, fn, len(noise) - tp - fp - fn)


def evaluate(
    docs: Iterable[LabelledDoc], systems: Iterable[str] = tuple(SYSTEMS)
) -> dict[str, dict[str, Scores]]:
    """Return ``{system: {language | "pooled": Scores}}`` over `docs`."""
    docs = list(docs)
    results: dict[str, dict[str, Scores]] = {}
    for name in systems:
        per_lang: dict[str, Scores] = {}
        for doc in docs:
            scores = score_doc(SYSTEMS[name](doc), doc.noise)
            per_lang[doc.language] = per_lang.get(doc.language, Scores()) + scores
        per_lang["pooled"] = sum(per_lang.values(), Scores())
        results[name] = per_lang
    return results


# ---- fitting the scorer's weights (train split only) ----------------------------------------


def _fit_logistic(
    features: np.ndarray, labels: np.ndarray, *, l2: float = 20.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Fit an L2-regularised logistic regression by Newton's method on standardised features."""
    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale[scale == 0] = 1.0
    x = np.hstack([(features - mean) / scale, np.ones((len(features), 1))])
    y = labels.astype(float)
    w = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        gradient = x.T @ (p - y) + penalty * w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return mean, scale, w[:-1], float(w[-1])


def fit(docs: Sequence[LabelledDoc], *, min_keep_recall: float = 0.96) -> dict[str, object]:
    """Fit both passes on `docs`, pick the threshold, return the weights file's content.

    The threshold is the lowest noise probability whose decisions (with the phrase,
    credit and repeat rules) keep at least `min_keep_recall` of content lines on `docs`:
    the issue asks for 0.95; the margin absorbs the train/test gap.
    """
    blocks, labels = [], []
    for doc in docs:
        pairs = [
            (line.strip(), n) for line, n in zip(doc.lines, doc.noise, strict=True) if line.strip()
        ]
        if not pairs:
            continue
        texts = [t for t, _ in pairs]
        features = line_features(texts)
        blocks.append(features)
        labels.append(np.array([n for _, n in pairs]))
    x1, y = np.vstack(blocks), np.concatenate(labels)
    line_model = LogisticModel(LINE_FEATURES, *_fit_logistic(x1, y))
    x2 = np.vstack([np.hstack([b, context_features(b, line_model.predict(b))]) for b in blocks])
    names = LINE_FEATURES + CONTEXT_FEATURES
    context_model = LogisticModel(names, *_fit_logistic(x2, y))
    best = 0.5
    for cut in np.arange(0.30, 0.96, 0.01):
        scorer = LineScorer(line_model, context_model, float(cut))
        total = Scores()
        for doc in docs:
            removed = [not v.keep for v in classify_lines(doc.lines, scorer=scorer)]
            total += score_doc(removed, doc.noise)
        if total.keep_recall >= min_keep_recall:
            best = float(round(cut, 2))
            break
    return {
        "about": (
            "strip_boilerplate line scorer: two logistic regressions (line pass, context pass) "
            "fitted by scripts/eval_boilerplate.py --fit on line-quality-oscar train "
            "(de/en/es/fi). Positive weights push towards noise; features are standardised "
            "with the mean and scale shown."
        ),
        "trained_on": {
            "docs": len(blocks),
            "lines": len(y),
            "noise_share": round(float(y.mean()), 4),
        },
        "threshold": best,
        "min_keep_recall": min_keep_recall,
        "line_pass": line_model.to_json(),
        "context_pass": context_model.to_json(),
    }


# ---- the other measurements and the report ---------------------------------------------------


def bbc_texts(data: Path) -> list[str]:
    """Read the clean bbc-news articles in place (tar member by member)."""
    texts = []
    with tarfile.open(data / "bbc-news" / "bbc-raw.tar.xz") as archive:
        for member in archive:
            handle = archive.extractfile(member) if member.isfile() else None
            if handle is not None and member.name.endswith(".txt"):
                texts.append(handle.read().decode("utf-8", errors="replace"))
    return texts


def removed_share(texts: Sequence[str]) -> float:
    """Return the share of characters `strip` removes from `texts`."""
    total = sum(len(t) for t in texts)
    return sum(strip(t).chars_removed for t in texts) / total if total else 0.0


def speed(texts: Sequence[str], *, repeat: int = 3) -> float:
    """Return strip()'s best throughput over `repeat` runs, in MB (UTF-8) per second, one core."""
    size = sum(len(t.encode("utf-8")) for t in texts)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for text in texts:
            strip(text)
        best = min(best, time.perf_counter() - start)
    return size / best / 1e6


def table(results: dict[str, dict[str, Scores]], title: str) -> str:
    """Render one markdown table: a row per system and language, pooled last."""
    languages = [k for k in next(iter(results.values())) if k != "pooled"] + ["pooled"]
    rows = [
        f"### {title}",
        "",
        "| system | lang | lines | noise P | noise R | noise F1 | keep recall |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for language in languages:
        for system, per_lang in results.items():
            s = per_lang[language]
            name = f"**{system}**" if system == "cleanse" else system
            rows.append(
                f"| {name} | {language} | {s.lines} | {s.precision:.3f} | {s.recall:.3f} "
                f"| {s.f1:.3f} | {s.keep_recall:.3f} |"
            )
    return "\n".join(rows) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=None, help="write the markdown here")
    parser.add_argument(
        "--split",
        choices=("train", "dev", "all"),
        default=None,
        help="one split (default: train, dev and all, one table each)",
    )
    parser.add_argument("--limit", type=int, default=None, help="docs per language file")
    parser.add_argument("--fit", action="store_true", help="refit the weights on train first")
    args = parser.parse_args(argv)
    if args.fit:
        weights = fit(load_oscar(args.data, "train"))
        WEIGHTS_PATH.write_text(json.dumps(weights, indent=1, ensure_ascii=False) + "\n")
        load_scorer.cache_clear()
    splits = [args.split] if args.split else ["train", "dev", "all"]
    parts = [
        "## strip_boilerplate on line-quality-oscar",
        "",
        f"`python scripts/eval_boilerplate.py {' '.join(argv or sys.argv[1:])}`".replace(" `", "`"),
        "",
        f"Threshold {load_scorer().threshold} (shipped weights). Noise P/R/F1: lines removed "
        "that are labelled noise; keep recall: share of content lines kept.",
        "",
    ]
    for split in splits:
        docs = load_oscar(args.data, split, limit=args.limit)
        parts.append(table(evaluate(docs), f"split: {split} ({len(docs)} docs)"))
    texts = bbc_texts(args.data)
    parts.append("### clean text and speed\n")
    share = 100 * removed_share(texts)
    parts.append(f"- bbc-news ({len(texts)} articles): {share:.3f}% of characters removed")
    parts.append(f"- speed: {speed(texts):.2f} MB/s on one core (strip() over bbc-news, best of 3)")
    report = "\n".join(parts) + "\n"
    print(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
