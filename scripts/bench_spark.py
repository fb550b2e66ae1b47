"""Benchmark the Spark engine (local[N]) against the local engine on the same corpus.

    python scripts/bench_spark.py --docs 100000 --workers 2 [--out bench-spark/]

Builds a JSONL corpus from the real BBC and Common Crawl documents in ../shared/data:
every document mixes paragraphs of two real articles, sits on one of 200 sites that
add their own navigation and footer lines, and 5 % are exact and 5 % near copies
(one paragraph dropped) of earlier ones. Then runs the default pipeline with each
engine in its own process and reports wall time, docs/s, peak RSS of the whole
process tree (JVM and Python workers included, sampled every 0.2 s), and for Spark
the shuffle bytes written per document (from Spark's event log). Checks that both
engines kept the same ids.
"""

from __future__ import annotations

import argparse
import glob
import gzip
import json
import os
import random
import shutil
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"


def real_articles() -> list[str]:
    texts = []
    with tarfile.open(DATA / "bbc-news" / "bbc-raw.tar.xz") as tar:
        for member in tar.getmembers():
            if member.isfile() and member.name.endswith(".txt"):
                raw = tar.extractfile(member).read()  # type: ignore[union-attr]
                texts.append(raw.decode("utf-8", errors="replace"))
    wet = DATA / "cc-text" / "dolma-CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz"
    with gzip.open(wet, "rt", encoding="utf-8") as handle:
        texts.extend(json.loads(line)["text"] for line in handle)
    return [t for t in texts if len(t.split()) > 50]


def make_corpus(path: Path, docs: int, seed: int = 5) -> None:
    rng = random.Random(seed)
    articles = [[p for p in a.split("\n") if p.strip()] for a in real_articles()]
    sites = [f"site{i:03d}.example.org" for i in range(200)]
    chrome = {s: (f"Home | News | Sport | {s}", f"© 2019 {s}. All rights reserved.") for s in sites}
    made: list[str] = []
    with path.open("w", encoding="utf-8") as handle:
        for i in range(docs):
            site = sites[i % len(sites)]
            roll = rng.random()
            if made and roll < 0.05:
                text = made[rng.randrange(len(made))]
            elif made and roll < 0.10:
                paragraphs = made[rng.randrange(len(made))].split("\n")
                if len(paragraphs) > 4:
                    del paragraphs[rng.randrange(1, len(paragraphs) - 1)]
                text = "\n".join(paragraphs)
            else:
                a, b = rng.sample(articles, 2)
                body = a[: rng.randint(2, max(2, len(a)))] + b[: rng.randint(1, max(1, len(b)))]
                nav, footer = chrome[site]
                text = "\n".join([nav, *body, footer])
            made.append(text)
            row = {"id": f"doc-{i:08d}", "text": text, "url": f"https://{site}/a/{i}"}
            handle.write(json.dumps(row) + "\n")


def tree_rss(pid: int) -> int:
    """Resident bytes of `pid` and all its descendants."""
    children: dict[int, list[int]] = {}
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.split("/")[2]))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


def measure(command: list[str]) -> tuple[float, int]:
    """Run `command`; return (wall seconds, peak RSS of its process tree)."""
    started = time.perf_counter()
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    process = subprocess.Popen(command, cwd=REPO, env={**os.environ, "PYTHONPATH": path})
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, tree_rss(process.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = process.wait()
    stop.set()
    sampler.join()
    if code:
        raise SystemExit(f"{command} failed with exit code {code}")
    return time.perf_counter() - started, peak


def shuffle_bytes(event_dir: Path) -> tuple[int, int]:
    """Sum (shuffle bytes written, shuffle records written) over a Spark event log."""
    written = records = 0
    for log in sorted(p for p in event_dir.rglob("events_*") if p.is_file()):
        with log.open() as handle:
            for line in handle:
                if '"SparkListenerTaskEnd"' not in line:
                    continue
                metrics = json.loads(line).get("Task Metrics") or {}
                shuffle = metrics.get("Shuffle Write Metrics") or {}
                written += shuffle.get("Shuffle Bytes Written", 0)
                records += shuffle.get("Shuffle Records Written", 0)
    return written, records


def run_engine(args: argparse.Namespace) -> None:
    """Child process: one run with one engine."""
    from cleanse.config import load_config
    from cleanse.engine.local import LocalEngine

    config = load_config(
        inputs=[args.corpus],
        output=args.output,
        workers=args.workers,
        overwrite=True,
        engine=args.engine,
        sets=args.set or [],
    )
    if args.engine == "spark":
        from cleanse.engine.spark import SparkEngine

        conf = {
            "spark.eventLog.enabled": "true",
            "spark.eventLog.dir": args.event_dir,
            "spark.eventLog.compress": "false",
        }
        conf["spark.driver.memory"] = "2g"
        SparkEngine(master=f"local[{args.workers}]", conf=conf).run(config)
    else:
        LocalEngine().run(config)


def kept_ids(out: Path) -> set[str]:
    return {
        i for f in (out / "clean").glob("*.parquet") for i in pq.read_table(f)["id"].to_pylist()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default="bench-spark")
    parser.add_argument("--set", action="append", help="--set stage.option=value for both")
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    parser.add_argument("--event-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine:
        run_engine(args)
        return

    out = Path(args.out).absolute()
    out.mkdir(parents=True, exist_ok=True)
    corpus = out / f"corpus-{args.docs}.jsonl"
    if not corpus.exists():
        make_corpus(corpus, args.docs)
    megabytes = corpus.stat().st_size / 1e6
    events = out / "events"
    shutil.rmtree(events, ignore_errors=True)
    events.mkdir()
    results = {}
    for engine in ("local", "spark"):
        command = [
            sys.executable,
            __file__,
            "--engine",
            engine,
            "--corpus",
            str(corpus),
            "--output",
            str(out / engine),
            "--workers",
            str(args.workers),
            "--event-dir",
            events.as_uri(),
            *(f"--set={item}" for item in args.set or []),
        ]
        seconds, peak = measure(command)
        results[engine] = {"seconds": seconds, "peak_rss": peak}
        print(f"{engine}: {seconds:.1f} s, peak RSS {peak / 2**30:.2f} GB", flush=True)
    written, records = shuffle_bytes(events)
    same = kept_ids(out / "local") == kept_ids(out / "spark")
    print(
        f"corpus: {args.docs} docs, {megabytes:.1f} MB JSONL; {args.workers} cores; "
        f"cpus {os.cpu_count()}"
    )
    print(f"{'engine':<16}{'wall s':>9}{'docs/s':>10}{'peak RSS':>12}")
    for engine, found in results.items():
        label = "local" if engine == "local" else f"spark local[{args.workers}]"
        print(
            f"{label:<16}{found['seconds']:>9.1f}{args.docs / found['seconds']:>10.0f}"
            f"{found['peak_rss'] / 2**30:>9.2f} GB"
        )
    print(
        f"spark shuffle written: {written / 1e6:.1f} MB, {written / args.docs:.0f} bytes/doc, "
        f"{records / args.docs:.1f} records/doc"
    )
    print(f"same clean ids: {same}")


if __name__ == "__main__":
    main()
