"""Benchmark every stage of the default text pipeline on the same real text, one worker.

    python scripts/bench_stages.py [--data ../shared/data] [--repeat 3] [--out benchmarks/stages.md]

The corpus is every document of cc-text (dolma jsonl.gz, with its urls, so
site_boilerplate sees real sites) and bbc-news, in Arrow batches of ``--batch-size``
rows. The stages run in pipeline order (fix_encoding, strip_boilerplate,
site_boilerplate, exact_dedup, near_dedup; extract_html is left out: it passes plain
text through), each on what the stages before it kept, as the local engine runs them; a
corpus stage is timed whole: collect over every batch, the barrier's aggregate, then
its row stage over every batch. Each stage is timed ``--repeat`` times, the stages
interleaved so each sees the same background load, and its best run is reported.

MB/s per core = UTF-8 megabytes of the stage's input text / CPU seconds of this one
process (BLAS and Arrow held to one thread); wall MB/s beside it. The machine's load
average is recorded before and after, since others may share it.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import datetime  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

import numba  # noqa: E402
import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT, ROOT / "scripts"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from bench_encoding import best_of, load_average, read_bbc  # noqa: E402

from cleanse.io.readers import domain_of  # noqa: E402
from cleanse.schema import DOMAIN, ID, REASON, TEXT, URL, conform, document_schema  # noqa: E402
from cleanse.stages import registry  # noqa: E402
from cleanse.stages.base import is_corpus_stage  # noqa: E402

STAGES = ("fix_encoding", "strip_boilerplate", "site_boilerplate", "exact_dedup", "near_dedup")
DEFAULT_DATA = ROOT.parent / "shared" / "data"


def read_corpus(data: Path) -> tuple[list[str], list[str | None]]:
    """Return the texts and urls of cc-text (dolma) and bbc-news (no urls)."""
    texts, urls = [], []
    for path in sorted((data / "cc-text").glob("dolma-*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                texts.append(record["text"])
                urls.append((record.get("metadata") or {}).get("url"))
    bbc = read_bbc(data)
    return texts + bbc, urls + [None] * len(bbc)


def to_batches(
    texts: Sequence[str], urls: Sequence[str | None], batch_size: int, stages: Sequence[object]
) -> list[pa.RecordBatch]:
    """Pipeline batches of `texts` with url and domain, carrying the audit columns of
    `stages` as the engine's batches do."""
    schema = document_schema(audit=[f for stage in stages for f in stage.columns])  # type: ignore[attr-defined]
    batches = []
    for start in range(0, len(texts), batch_size):
        stop = min(start + batch_size, len(texts))
        plain = pa.RecordBatch.from_pydict(
            {
                ID: [f"doc-{i:06d}" for i in range(start, stop)],
                TEXT: pa.array(texts[start:stop], type=pa.string()),
                URL: pa.array(urls[start:stop], type=pa.string()),
                DOMAIN: pa.array([domain_of(u) for u in urls[start:stop]], type=pa.string()),
            }
        )
        batches.append(conform(plain, schema))
    return batches


def cpu_model() -> str:
    """The processor's name (from /proc/cpuinfo where there is one)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def live_rows(batch: pa.RecordBatch) -> pa.RecordBatch:
    """The rows no stage has marked for removal (what the engine passes on)."""
    return batch.filter(pc.is_null(batch.column(REASON)))


def runner(stage: object, batches: list[pa.RecordBatch]) -> Callable[[], list[pa.RecordBatch]]:
    """Return a function running `stage` over `batches` (a corpus stage whole)."""
    if not is_corpus_stage(stage):
        return lambda: [stage(batch) for batch in batches]  # type: ignore[operator]

    def run() -> list[pa.RecordBatch]:
        keys = [stage.collect(batch) for batch in batches]  # type: ignore[attr-defined]
        with tempfile.TemporaryDirectory() as workdir:
            result = stage.aggregate(keys, workdir=Path(workdir))  # type: ignore[attr-defined]
            apply = result.stage()
            return [apply(batch) for batch in batches]

    return run


def text_bytes(batches: Sequence[pa.RecordBatch]) -> int:
    """UTF-8 bytes of the text of `batches`."""
    return sum(int(pc.sum(pc.binary_length(b.column(TEXT))).as_py() or 0) for b in batches)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=3, help="runs per stage; best is kept")
    parser.add_argument("--batch-size", type=int, default=1000, help="rows per batch")
    parser.add_argument("--out", type=Path, default=None, help="write the markdown here")
    args = parser.parse_args(argv)
    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    load_before = load_average()
    texts, urls = read_corpus(args.data)
    stages = [registry.build(name, {}) for name in STAGES]
    # warm up: compiled kernels load from their cache, tables fill, weights load
    sample = to_batches(texts[:50], urls[:50], args.batch_size, stages)
    for stage in stages:
        sample = [live_rows(b) for b in runner(stage, sample)()]
    inputs, runs = {}, {}
    batches = to_batches(texts, urls, args.batch_size, stages)
    for name, stage in zip(STAGES, stages, strict=True):
        inputs[name] = batches
        runs[(name, "")] = runner(stage, batches)
        batches = [live_rows(b) for b in runs[(name, "")]()]
    timings = best_of(args.repeat, runs)
    load_after = load_average()
    rows = []
    for name in STAGES:
        size, docs = text_bytes(inputs[name]), sum(b.num_rows for b in inputs[name])
        wall, cpu = timings[(name, "")]
        rows.append((name, docs, size / 1e6, cpu, size / cpu / 1e6, size / wall / 1e6))
    command = " ".join(["python scripts/bench_stages.py", *(argv or sys.argv[1:])])
    lines = [
        "## Stage throughput, default text pipeline, one worker",
        "",
        f"`{command}`: cc-text ({sum(u is not None for u in urls)} documents, with urls) "
        f"and bbc-news ({sum(u is None for u in urls)}), {text_bytes(inputs[STAGES[0]]) / 1e6:.1f}"
        f" MB of UTF-8, batches of {args.batch_size} rows; each stage on what the stages "
        f"before it kept; best of {args.repeat} runs, stages interleaved.",
        "",
        "| stage | docs in | MB in | CPU s | MB/s per core (CPU) | MB/s (wall) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        *(
            f"| {name} | {docs:,} | {mb:.2f} | {cpu:.2f} | {per_core:.1f} | {wall:.1f} |"
            for name, docs, mb, cpu, per_core, wall in rows
        ),
        "",
        f"Machine: {cpu_model()}, {os.cpu_count()} cores "
        f"(shared); load average (1, 5, 15 min) {load_before} before, {load_after} after. "
        f"Python {platform.python_version()}, numpy {np.__version__}, pyarrow "
        f"{pa.__version__}, numba {numba.__version__}; "
        f"{datetime.date.today().isoformat()}.",
        "",
    ]
    report = "\n".join(lines)
    print(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
