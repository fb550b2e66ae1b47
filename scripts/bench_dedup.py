"""Benchmark near-duplicate detection: cleanse against peers on one corpus, one run.

    python scripts/bench_dedup.py --docs 20000 --out benchmarks/dedup.md

Builds a corpus from real text (``../shared/data/bbc-news`` and ``cc-text``, read in
place): the articles, documents mixed from sentences of random articles, and seeded
near-copies (word substitutions, insertions, deletions at 1-20 %, boilerplate lines,
truncation, paragraph swaps). Ground truth: pairs whose exact word-5-gram Jaccard
(cleanse's shingles, computed on sets) is >= the threshold, among each family of
copies, plus every predicted pair that is. Each tool runs in its own process, one
after another, with the same threshold and num_perm, and reports docs/s (signatures
to clusters, corpus already in memory), peak RSS, and pair precision/recall/F1.
Predicted pairs: each clustered document with its cluster's smallest id (what a
removal names); recall counts a truth pair found when both share a cluster.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
BOILERPLATE = [
    "Share this article",
    "Sign up for our newsletter",
    "All rights reserved",
    "Follow us on Twitter",
    "Read more",
    "Cookies help us deliver our services",
]


def base_texts() -> list[str]:
    texts = []
    with tarfile.open(DATA / "bbc-news" / "bbc-raw.tar.xz") as archive:
        for member in archive:
            if member.isfile() and member.name.endswith(".txt"):
                texts.append(archive.extractfile(member).read().decode("latin-1"))
    path = DATA / "cc-text" / "dolma-CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        texts.extend(json.loads(line)["text"] for line in handle)
    return texts


def edit(text: str, rng: random.Random, vocabulary: list[str]) -> str:
    kind = rng.choice(["substitute", "insert", "delete", "boilerplate", "truncate", "swap"])
    if kind in ("substitute", "insert", "delete"):
        words = text.split(" ")
        for _ in range(max(1, int(len(words) * rng.uniform(0.01, 0.2)))):
            i = rng.randrange(len(words))
            if kind == "substitute":
                words[i] = rng.choice(vocabulary)
            elif kind == "insert":
                words.insert(i, rng.choice(vocabulary))
            elif len(words) > 1:
                del words[i]
        return " ".join(words)
    lines = text.split("\n")
    if kind == "boilerplate":
        return "\n".join(rng.sample(BOILERPLATE, 2) + lines + rng.sample(BOILERPLATE, 2))
    if kind == "truncate":
        return "\n".join(lines[: max(1, int(len(lines) * rng.uniform(0.8, 0.97)))])
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


def build_corpus(size: int, seed: int) -> tuple[list[str], list[str], list[int]]:
    rng = random.Random(seed)
    bases = base_texts()
    sentences = [s for t in bases for s in t.replace("\n", " ").split(". ") if len(s) > 40]
    vocabulary = [w for s in sentences[:5000] for w in s.split()]
    texts, families = [], []
    family = 0
    while len(texts) < size:
        if family < len(bases):
            text = bases[family]
        else:
            text = ". ".join(rng.sample(sentences, rng.randint(8, 30)))
        texts.append(text)
        families.append(family)
        if rng.random() < 0.15:
            for _ in range(rng.randint(1, 3)):
                texts.append(edit(text, rng, vocabulary))
                families.append(family)
        family += 1
    order = list(range(len(texts)))
    rng.shuffle(order)
    texts = [texts[i] for i in order][:size]
    families = [families[i] for i in order][:size]
    ids = [f"doc-{i:07d}" for i in range(len(texts))]
    return ids, texts, families


# ----------------------------------------------------------------------- tools
def word_shingles(text: str, n: int = 5) -> list[str]:
    """What a datasketch or rensa user writes: lower-case, split, join n words."""
    words = text.lower().split()
    if len(words) < n:
        return [" ".join(words)] if words else []
    return [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]


def clusters_from_edges(num_docs: int, edges: list[tuple[int, int]]) -> list[int]:
    parent = list(range(num_docs))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return [find(i) for i in range(num_docs)]


def run_cleanse(ids, texts, args):
    from cleanse.dedup.stages import NearDedup
    from cleanse.schema import DOMAIN, ID, REASON, TEXT, URL

    stage = NearDedup(threshold=args.threshold, num_perm=args.num_perm)
    keys = []
    for lo in range(0, len(texts), 5000):
        chunk = texts[lo : lo + 5000]
        n = len(chunk)
        batch = pa.RecordBatch.from_pydict(
            {
                ID: ids[lo : lo + 5000],
                TEXT: chunk,
                URL: [None] * n,
                DOMAIN: [None] * n,
                REASON: pa.nulls(n, pa.string()),
            }
        )
        keys.append(stage.collect(batch))
    with tempfile.TemporaryDirectory() as work:
        result = stage.aggregate(keys, workdir=Path(work))
    table = result.outputs()["duplicates"]
    index = {d: i for i, d in enumerate(ids)}
    return [
        (index[a], index[b])
        for a, b in zip(table["id"].to_pylist(), table["kept_id"].to_pylist(), strict=True)
        if a != b
    ]


def run_datasketch(ids, texts, args, *, bulk: bool):
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=args.threshold, num_perm=args.num_perm)
    encoded = ([s.encode() for s in word_shingles(t)] for t in texts)
    if bulk:
        minhashes = MinHash.generator(encoded, num_perm=args.num_perm)
    else:

        def one(grams):
            m = MinHash(num_perm=args.num_perm)
            m.update_batch(grams)
            return m

        minhashes = (one(g) for g in encoded)
    edges = []
    for i, m in enumerate(minhashes):
        edges.extend((j, i) for j in lsh.query(m))
        lsh.insert(i, m)
    return edges


def run_rensa(ids, texts, args):
    from rensa import RMinHash, RMinHashLSH

    # rensa needs num_perm divisible by num_bands: 16 x 8 is its nearest split to 0.8.
    lsh = RMinHashLSH(threshold=args.threshold, num_perm=args.num_perm, num_bands=16)
    edges = []
    for i, text in enumerate(texts):
        m = RMinHash(num_perm=args.num_perm, seed=1)
        m.update(word_shingles(text))
        edges.extend((j, i) for j in lsh.query(m))
        lsh.insert(i, m)
    return edges


TOOLS = {
    "cleanse": run_cleanse,
    "datasketch (per doc)": lambda i, t, a: run_datasketch(i, t, a, bulk=False),
    "datasketch (MinHash.bulk)": lambda i, t, a: run_datasketch(i, t, a, bulk=True),
    "rensa": run_rensa,
}


def child(args) -> None:
    table = pq.read_table(args.corpus)
    ids, texts = table["id"].to_pylist(), table["text"].to_pylist()
    started = time.perf_counter()
    edges = TOOLS[args.tool](ids, texts, args)
    seconds = time.perf_counter() - started
    roots = clusters_from_edges(len(ids), edges)
    pairs = sorted({(min(i, r), max(i, r)) for i, r in enumerate(roots) if i != r})
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss across fork+exec from the parent.
    status = Path("/proc/self/status").read_text()
    rss = int(next(x for x in status.splitlines() if x.startswith("VmHWM")).split()[1]) * 1024
    json.dump({"seconds": seconds, "rss": rss, "pairs": pairs, "roots": roots}, sys.stdout)


# ---------------------------------------------------------------------- scoring
def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20000)
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--num-perm", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument("--out", type=Path)
    parser.add_argument("--tool", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tool:
        child(args)
        return
    from cleanse.dedup.shingles import shingles

    ids, texts, families = build_corpus(args.docs, args.seed)
    shingle_sets = [set(shingles(t)) for t in texts]
    by_family: dict[int, list[int]] = {}
    for i, f in enumerate(families):
        by_family.setdefault(f, []).append(i)
    truth = {
        (a, b)
        for members in by_family.values()
        for x, a in enumerate(members)
        for b in members[x + 1 :]
        if jaccard(shingle_sets[a], shingle_sets[b]) >= args.threshold
    }
    truth = {(min(p), max(p)) for p in truth}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.parquet"
        pq.write_table(pa.table({"id": ids, "text": texts}), corpus)
        results = {}
        for tool in args.tools.split(","):
            command = [
                sys.executable,
                __file__,
                "--tool",
                tool,
                "--corpus",
                str(corpus),
                "--threshold",
                str(args.threshold),
                "--num-perm",
                str(args.num_perm),
            ]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode:
                rows.append((tool, None, done.stderr.strip().splitlines()[-1]))
                continue
            results[tool] = json.loads(done.stdout)
        # Complete the truth with every predicted pair whose exact Jaccard passes.
        for result in results.values():
            for a, b in result["pairs"]:
                if jaccard(shingle_sets[a], shingle_sets[b]) >= args.threshold:
                    truth.add((a, b))
        for tool, result in results.items():
            roots = result["roots"]
            predicted = [tuple(p) for p in result["pairs"]]
            good = sum(
                jaccard(shingle_sets[a], shingle_sets[b]) >= args.threshold for a, b in predicted
            )
            precision = good / len(predicted) if predicted else 1.0
            recall = sum(roots[a] == roots[b] for a, b in truth) / len(truth) if truth else 1.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            rows.append(
                (
                    tool,
                    {
                        "docs_s": len(ids) / result["seconds"],
                        "rss_mb": result["rss"] / 2**20,
                        "precision": precision,
                        "recall": recall,
                        "f1": f1,
                    },
                    "",
                )
            )
    base = {t: r["docs_s"] for t, r, _ in rows if r}
    lines = [
        f"Corpus: {len(ids)} docs ({len(truth)} true pairs at Jaccard >= {args.threshold}), "
        f"num_perm {args.num_perm}, seed {args.seed}, one process per tool, one after another.",
        "",
        "| tool | docs/s | x datasketch per doc | peak RSS MB | precision | recall | F1 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for tool, r, note in rows:
        if r is None:
            lines.append(f"| {tool} | failed: {note} | | | | | |")
            continue
        ratio = r["docs_s"] / base.get("datasketch (per doc)", r["docs_s"])
        lines.append(
            f"| {tool} | {r['docs_s']:,.0f} | {ratio:.1f} | {r['rss_mb']:.0f} | "
            f"{r['precision']:.4f} | {r['recall']:.4f} | {r['f1']:.4f} |"
        )
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(
            f"# Near-duplicate benchmark\n\n"
            f"`python scripts/bench_dedup.py --docs {args.docs}`\n\n{text}\n"
        )


if __name__ == "__main__":
    main()
