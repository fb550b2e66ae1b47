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
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
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


def _collect_shard(job: tuple[str, int, int, str, str, float, int]) -> list[str]:
    """Collect near_dedup keys for rows [lo, hi) of the corpus into the engine's key files."""
    corpus, lo, hi, folder, prefix, threshold, num_perm = job
    from cleanse.dedup.stages import NearDedup
    from cleanse.io.writers import PartWriter

    stage = NearDedup(threshold=threshold, num_perm=num_perm)
    writer = None
    for batch in _corpus_batches(corpus, lo, hi):
        keys = stage.collect(batch)
        if writer is None:
            # The engine's key writer (see `cleanse.engine.local.run_shard`).
            writer = PartWriter(Path(folder), prefix, keys.schema, file_format="arrow")
        writer.write(keys)
    return [str(path) for path in writer.close()] if writer is not None else []


def _corpus_batches(corpus: str, lo: int, hi: int):
    """Yield pipeline batches of the engine's default size for rows [lo, hi) of the corpus."""
    from cleanse.schema import DOMAIN, ID, REASON, TEXT, URL

    table = pq.ParquetFile(corpus)
    # One row group at a time: `iter_batches` over a whole file holds memory that grows
    # with the file (0.7 GB for 100k key rows), which is not what a worker reading its
    # shard does. Row groups outside [lo, hi) are not read at all.
    starts = np.cumsum(
        [0] + [table.metadata.row_group(g).num_rows for g in range(table.num_row_groups)]
    )
    groups = [g for g in range(table.num_row_groups) if starts[g] < hi and starts[g + 1] > lo]
    row = int(starts[groups[0]]) if groups else 0
    for batch in (
        piece
        for group in groups
        for piece in table.iter_batches(
            batch_size=BATCH, row_groups=[group], columns=["id", "text"]
        )
    ):
        first, last = max(lo - row, 0), min(hi - row, batch.num_rows)
        row += batch.num_rows
        if last <= first:
            continue
        batch = batch.slice(first, last - first)
        n = batch.num_rows
        yield pa.RecordBatch.from_arrays(
            [
                batch.column(0),
                batch.column(1),
                pa.nulls(n, pa.string()),
                pa.nulls(n, pa.string()),
                pa.nulls(n, pa.string()),
            ],
            names=[ID, TEXT, URL, DOMAIN, REASON],
        )


def run_cleanse(corpus: str, num_docs: int, args, *, workers: int = 1):
    """Collect keys per shard (a process pool over row ranges, as the engine does), then
    aggregate once; return (duplicate row, kept row) pairs."""
    from concurrent.futures import ProcessPoolExecutor

    from cleanse.dedup.stages import NearDedup
    from cleanse.engine.local import iter_keys, work_folder

    stage = NearDedup(threshold=args.threshold, num_perm=args.num_perm)
    shards = max(workers, 1) * 4 if workers > 1 else 1
    # Shards of whole batches (row groups of the corpus): a worker reads its own rows
    # only, and every shard yields the batches the one-worker run sees.
    batches = -(-num_docs // BATCH)
    bounds = [min(num_docs, batches * i // shards * BATCH) for i in range(shards + 1)]
    bounds[-1] = num_docs
    with tempfile.TemporaryDirectory() as work:
        # The engine's layout, so that the barrier reads keys with the engine's own reader.
        folder = work_folder(Path(work), "keys", 0)
        folder.mkdir(parents=True)
        jobs = [
            (
                corpus,
                bounds[i],
                bounds[i + 1],
                str(folder),
                f"shard-{i:05d}",
                args.threshold,
                args.num_perm,
            )
            for i in range(shards)
        ]
        if workers > 1:
            with ProcessPoolExecutor(workers) as pool:
                list(pool.map(_collect_shard, jobs))
        else:
            for job in jobs:
                _collect_shard(job)
        keys = iter_keys(Path(work), 0)
        result = stage.aggregate(keys, workdir=Path(work) / "barrier")
        table = result.outputs()["duplicates"]
        pairs = [
            (int(a[4:]), int(b[4:]))
            for a, b in zip(table["id"].to_pylist(), table["kept_id"].to_pylist(), strict=True)
            if a != b
        ]
        # What the engine does next: write the stored signatures out.
        for _ in result.outputs()["near_dedup_signatures"].to_batches(max_chunksize=65536):
            pass
    return pairs


def numpy_minhash(hashes, doc, num_docs: int, a, b) -> np.ndarray:
    """datasketch's affine32 arithmetic in plain numpy, shingles of all documents at once
    (cleanse's implementation before its compiled kernels): the floor a pure numpy
    pipeline cannot go below."""
    signatures = np.full((num_docs, len(a)), np.uint32(0xFFFFFFFF), dtype=np.uint32)
    h = hashes.astype(np.uint32)
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    h = h ^ (h >> np.uint32(16))
    buffer = np.empty((len(a), 4096), dtype=np.uint32)
    for lo in range(0, len(h), 4096):
        hv, owner = h[lo : lo + 4096], doc[lo : lo + 4096]
        permuted = buffer[:, : len(hv)]
        np.multiply(a[:, None], hv[None, :], out=permuted)
        permuted += b[:, None]
        segment = np.flatnonzero(np.append(True, owner[1:] != owner[:-1]))
        mins = np.minimum.reduceat(permuted, segment, axis=1).T
        rows = owner[segment]
        signatures[rows[0]] = np.minimum(signatures[rows[0]], mins[0])
        signatures[rows[1:]] = mins[1:]
    return signatures


def run_floor(corpus: str, num_docs: int, args):
    """Time (wall, CPU) only the MinHash arithmetic (numpy) on distinct shingle hashes
    computed beforehand."""
    from cleanse.dedup.params import MinHashParams
    from cleanse.dedup.signatures import shingle_sets

    params = MinHashParams(num_perm=args.num_perm)
    a, b = params.permutations()
    prepared = []
    for batch in _corpus_batches(corpus, 0, num_docs):
        values, sizes, _ = shingle_sets(batch.column(1), params, "whole")
        doc = np.repeat(np.arange(batch.num_rows), sizes)
        prepared.append((values, doc, batch.num_rows))
    started, cpu_started = time.perf_counter(), cpu_seconds()
    for hashes, doc, rows in prepared:
        numpy_minhash(hashes, doc, rows, a, b)
    return time.perf_counter() - started, cpu_seconds() - cpu_started


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


def run_text_dedup(ids, texts, args):
    """text-dedup 0.4's MinHash core (`embed_func`, band tables, star edges), without the
    Hugging Face `datasets` load/map around it (which only adds time)."""
    from collections import defaultdict

    import numpy as np
    from text_dedup import minhash as td
    from text_dedup.utils import optimal_param, xxh3_32hash

    bands, rows = optimal_param(args.threshold, args.num_perm, 0.5, 0.5)
    ranges = [(i * rows, (i + 1) * rows) for i in range(bands)]
    # text-dedup's default 64-bit configuration, with its xxh3 hash option.
    dtype, max_hash, prime = np.uint64, np.uint32((1 << 32) - 1), np.uint64((1 << 61) - 1)
    rng = np.random.RandomState(42)
    perms = (
        rng.randint(1, prime, size=(args.num_perm,), dtype=dtype),
        rng.randint(0, prime, size=(args.num_perm,), dtype=dtype),
    )
    tables = [defaultdict(set) for _ in range(bands)]
    for i, text in enumerate(texts):
        out = td.embed_func(
            text,
            i,
            num_perm=args.num_perm,
            ngram_size=5,
            min_length=0,
            hashranges=ranges,
            permutations=perms,
            hash_func=xxh3_32hash,
            dtype=dtype,
            max_hash=max_hash,
            modulo_prime=prime,
        )
        for table, key in zip(tables, out[td.SIGNATURE_COLUMN], strict=True):
            table[key].add(i)
    edges = []
    for table in tables:
        for members in table.values():
            if len(members) > 1:
                centre = min(members)
                edges.extend((x, centre) for x in members if x != centre)
    return edges


def run_datatrove(ids, texts, args):
    """datatrove's four MinHash stages (signature, buckets, cluster) on one rank, with the
    bands x rows datasketch chooses for the threshold at the same num_perm."""
    import struct

    from datasketch.lsh import _optimal_param
    from datatrove.data import Document
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupSignature,
    )

    bands, rows = _optimal_param(args.threshold, args.num_perm, 0.5, 0.5)
    config = MinhashConfig(num_buckets=bands, hashes_per_bucket=rows)
    with tempfile.TemporaryDirectory() as work:
        docs = (Document(text=t, id=str(i)) for i, t in enumerate(texts))
        MinhashDedupSignature(f"{work}/sigs", config=config).run(docs, 0, 1)
        for bucket in range(bands):
            MinhashDedupBuckets(f"{work}/sigs", f"{work}/buckets", config=config).run(
                None, bucket, bands
            )
        MinhashDedupCluster(
            f"{work}/buckets", f"{work}/clusters", config=config, save_cluster_id=True
        ).run(None, 0, 1)
        data = Path(f"{work}/clusters/000000.clusters")
        raw = data.read_bytes() if data.exists() else b""
    pairs = struct.iter_unpack("<2I", raw)
    return [(doc, cluster) for doc, cluster in pairs if doc != cluster]


TOOLS = {
    "cleanse": None,
    "cleanse (2 workers)": None,
    "datasketch (per doc)": lambda i, t, a: run_datasketch(i, t, a, bulk=False),
    "datasketch (MinHash.bulk)": lambda i, t, a: run_datasketch(i, t, a, bulk=True),
    "rensa": run_rensa,
    "text-dedup": run_text_dedup,
    "datatrove": run_datatrove,
    "numpy MinHash arithmetic only": None,
}
#: Peers too slow to repeat within a run; their best-of-1 only flatters them less.
SLOW = ("datasketch (per doc)", "datasketch (MinHash.bulk)", "text-dedup", "datatrove")
#: Rows per batch, as the engine's default ``batch_size``.
BATCH = 1000


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the worker pool)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def child(args) -> None:
    num_docs = pq.ParquetFile(args.corpus).metadata.num_rows
    started, cpu_started = time.perf_counter(), cpu_seconds()
    if args.tool == "numpy MinHash arithmetic only":
        seconds, cpu = run_floor(args.corpus, num_docs, args)
        edges = []
    else:
        if args.tool.startswith("cleanse"):
            workers = 2 if "2 workers" in args.tool else 1
            edges = run_cleanse(args.corpus, num_docs, args, workers=workers)
        else:
            table = pq.read_table(args.corpus)
            ids, texts = table["id"].to_pylist(), table["text"].to_pylist()
            del table
            started, cpu_started = time.perf_counter(), cpu_seconds()
            edges = TOOLS[args.tool](ids, texts, args)
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
    roots = clusters_from_edges(num_docs, edges)
    pairs = sorted({(min(i, r), max(i, r)) for i, r in enumerate(roots) if i != r})
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss across fork+exec from the parent.
    status = Path("/proc/self/status").read_text()
    rss = int(next(x for x in status.splitlines() if x.startswith("VmHWM")).split()[1]) * 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    json.dump(
        {"seconds": seconds, "cpu": cpu, "rss": max(rss, children), "pairs": pairs, "roots": roots},
        sys.stdout,
    )


# ---------------------------------------------------------------------- scoring
class ShingleSets:
    """Every document's distinct word-5-gram set, as sorted 32-bit hashes (cleanse's
    `shingle_hash32`, bit-identical to hashing `shingles(text)`)."""

    def __init__(self, texts: list[str]) -> None:
        from cleanse.dedup.params import MinHashParams
        from cleanse.dedup.signatures import compute_sketches

        offsets, values, base = [np.zeros(1, np.int64)], [], 0
        for lo in range(0, len(texts), 5000):
            sketch = compute_sketches(pa.array(texts[lo : lo + 5000]), MinHashParams(num_perm=2))
            offsets.append(sketch.set_offsets[1:] + base)
            values.append(sketch.set_values)
            base += len(sketch.set_values)
        self.offsets, self.values = np.concatenate(offsets), np.concatenate(values)

    def jaccard(self, a: int, b: int) -> float:
        x = self.values[self.offsets[a] : self.offsets[a + 1]]
        y = self.values[self.offsets[b] : self.offsets[b + 1]]
        common = len(np.intersect1d(x, y, assume_unique=True))
        union = len(x) + len(y) - common
        return common / union if union else 1.0


def run_tool(tool: str, corpus: Path, args, best: dict | None) -> dict | str:
    """Run one tool once in a fresh process; keep the best wall time, CPU time and RSS."""
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
        return done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"
    result = json.loads(done.stdout)
    if best is not None:
        for key in ("seconds", "cpu", "rss"):
            result[key] = min(result[key], best[key])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20000)
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--num-perm", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument("--repeats", type=int, default=1, help="best time of this many runs")
    parser.add_argument("--no-score", action="store_true", help="time and memory only")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--tool", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tool:
        child(args)
        return
    ids, texts, families = build_corpus(args.docs, args.seed)
    megabytes = sum(len(t.encode()) for t in texts) / 2**20
    rows, truth, sets = [], set(), None
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.parquet"
        # Row groups of one engine batch: a worker's shard is whole row groups.
        pq.write_table(pa.table({"id": ids, "text": texts}), corpus, row_group_size=BATCH)
        if not args.no_score:
            sets = ShingleSets(texts)
        del texts
        if sets is not None:
            by_family: dict[int, list[int]] = {}
            for i, f in enumerate(families):
                by_family.setdefault(f, []).append(i)
            truth = {
                (a, b)
                for members in by_family.values()
                for x, a in enumerate(members)
                for b in members[x + 1 :]
                if sets.jaccard(a, b) >= args.threshold
            }
        # Rounds of every tool in turn, not each tool's repeats in a row: a load that
        # changes during the run then weighs on every tool alike.
        results, failed = {}, {}
        for round_number in range(args.repeats):
            for tool in args.tools.split(","):
                if tool in failed or (round_number and tool in SLOW):
                    continue
                result = run_tool(tool, corpus, args, results.get(tool))
                if isinstance(result, str):
                    failed[tool] = result
                    results.pop(tool, None)
                else:
                    results[tool] = result
        rows.extend((tool, None, note) for tool, note in failed.items())
    # Complete the truth with every predicted pair whose exact Jaccard passes.
    if sets is not None:
        for result in results.values():
            for a, b in result["pairs"]:
                if sets.jaccard(a, b) >= args.threshold:
                    truth.add((a, b))
    for tool, result in results.items():
        row = {
            "docs_s": len(ids) / result["seconds"],
            "cpu_docs_s": len(ids) / max(result["cpu"], 1e-9),
            "rss_mb": result["rss"] / 2**20,
        }
        if sets is not None and tool != "numpy MinHash arithmetic only":
            roots = result["roots"]
            predicted = [tuple(p) for p in result["pairs"]]
            good = sum(sets.jaccard(a, b) >= args.threshold for a, b in predicted)
            precision = good / len(predicted) if predicted else 1.0
            recall = sum(roots[a] == roots[b] for a, b in truth) / len(truth) if truth else 1.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            row.update(precision=precision, recall=recall, f1=f1)
        rows.append((tool, row, ""))
    base = {t: r["docs_s"] for t, r, _ in rows if r}
    cpu_base = {t: r["cpu_docs_s"] for t, r, _ in rows if r}
    lines = [
        f"Corpus: {len(ids):,} docs, {megabytes:,.0f} MB of text"
        + (f", {len(truth)} true pairs at Jaccard >= {args.threshold}" if sets else "")
        + f"; num_perm {args.num_perm}, seed {args.seed}; one process per tool, one after "
        f"another, in {args.repeats} round(s); best of each (the slow peers run once). docs/s "
        "is wall time; CPU docs/s divides by the CPU seconds of the process and its workers.",
        "",
        "| tool | docs/s | x datasketch | x rensa | CPU docs/s | x rensa (CPU) | peak RSS MB "
        "| precision | recall | F1 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for tool, r, note in rows:
        if r is None:
            lines.append(f"| {tool} | failed: {note} | | | | | | | | |")
            continue
        ratios = [
            f"{r['docs_s'] / base[b]:.2f}" if b in base else "-"
            for b in ("datasketch (per doc)", "rensa")
        ]
        quality = (
            f"{r['precision']:.4f} | {r['recall']:.4f} | {r['f1']:.4f}"
            if "precision" in r
            else "- | - | -"
        )
        cpu_ratio = f"{r['cpu_docs_s'] / cpu_base['rensa']:.2f}" if "rensa" in cpu_base else "-"
        lines.append(
            f"| {tool} | {r['docs_s']:,.0f} | {ratios[0]} | {ratios[1]} | "
            f"{r['cpu_docs_s']:,.0f} | {cpu_ratio} | {r['rss_mb']:.0f} | {quality} |"
        )
    if "cleanse" in base and "cleanse (2 workers)" in base:
        lines += ["", f"2 workers / 1 worker: {base['cleanse (2 workers)'] / base['cleanse']:.2f}x"]
    text = "\n".join(lines)
    print(text)
    if args.out:
        with args.out.open("a") as handle:
            handle.write(f"\n`python scripts/bench_dedup.py {' '.join(sys.argv[1:])}`\n\n{text}\n")


if __name__ == "__main__":
    main()
