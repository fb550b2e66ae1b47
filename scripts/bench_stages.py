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

With ``--peers`` (the default) the in-document boilerplate removers users compare
strip_boilerplate with run in the same loop, over the same texts strip_boilerplate gets
(as Python strings, read out of its input batches before the clock starts), each
returning every document without the lines it removes:

* jusText, C4 line rules and FineWeb-style rules exactly as ``eval_boilerplate.py``
  applies them to lines (jusText: each line a ``<p>``, default thresholds, the English
  stop list for every document);
* datatrove's ``C4QualityFilter`` (``filter`` per ``Document``), when datatrove is
  installed, with its line rules only: no minimum sentence count (it needs spaCy) and
  "lorem ipsum" and "{" not dropping the document, so every document goes through all
  its lines as with the others.

trafilatura is left out: its text path needs HTML. Each peer's line F1 on
line-quality-oscar is quoted from ``benchmarks/boilerplate.md`` beside its speed.
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
from functools import partial  # noqa: E402
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
from eval_boilerplate import System, c4_lines, fineweb_lines, justext_lines  # noqa: E402

from cleanse.io.readers import domain_of  # noqa: E402
from cleanse.schema import DOMAIN, ID, REASON, TEXT, URL, conform, document_schema  # noqa: E402
from cleanse.stages import registry  # noqa: E402
from cleanse.stages.base import is_corpus_stage  # noqa: E402

STAGES = ("fix_encoding", "strip_boilerplate", "site_boilerplate", "exact_dedup", "near_dedup")
DEFAULT_DATA = ROOT.parent / "shared" / "data"
JUSTEXT = "jusText 3.0.2, each line a paragraph"
C4 = "C4 line rules (eval_boilerplate)"
FINEWEB = "FineWeb-style rules (eval_boilerplate)"
DATATROVE_C4 = "datatrove C4QualityFilter, line rules"
#: Peer name in the table -> its system in benchmarks/boilerplate.md (None: not scored).
PEER_SCORES = {JUSTEXT: "justext", C4: "c4", FINEWEB: "fineweb", DATATROVE_C4: None}


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


def strip_lines(system: System, text: str) -> str:
    """Return `text` without the lines `system` removes (English where it asks).

    >>> strip_lines(c4_lines, "Home\\nA real sentence with words.")
    'A real sentence with words.'
    """
    lines = text.splitlines()
    removed = system(lines, "en")
    return "\n".join(line for line, drop in zip(lines, removed, strict=True) if not drop)


def datatrove_c4() -> Callable[[str], str] | None:
    """datatrove's ``C4QualityFilter`` as a text -> text line filter (None without
    datatrove): line rules only, see the module docstring."""
    try:
        from datatrove.data import Document
        from datatrove.pipeline.filters import C4QualityFilter
    except ImportError:
        return None
    c4 = C4QualityFilter(min_num_sentences=-1, filter_lorem_ipsum=False, filter_curly_bracket=False)

    def strip(text: str) -> str:
        doc = Document(text=text, id="")
        c4.filter(doc)
        return doc.text

    return strip


def peer_strips() -> dict[str, Callable[[str], str]]:
    """Return each installed peer of `PEER_SCORES` as a text -> text function."""
    strips: dict[str, Callable[[str], str]] = {
        JUSTEXT: partial(strip_lines, justext_lines),
        C4: partial(strip_lines, c4_lines),
        FINEWEB: partial(strip_lines, fineweb_lines),
    }
    datatrove = datatrove_c4()
    if datatrove is not None:
        strips[DATATROVE_C4] = datatrove
    return strips


def strip_all(strip: Callable[[str], str], texts: Sequence[str]) -> list[str]:
    return [strip(text) for text in texts]


def line_f1(path: Path) -> dict[str, str]:
    """The pooled noise F1 of each system in the first table of `path`
    (benchmarks/boilerplate.md), as written there."""
    scores: dict[str, str] = {}
    if not path.exists():
        return scores
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip().strip("*") for cell in line.strip("|").split("|")]
        if len(cells) == 7 and cells[1] == "pooled":
            scores.setdefault(cells[0], cells[5])
    return scores


def peer_table(
    peers: Sequence[str],
    timings: dict[tuple[str, str], tuple[float, float]],
    texts: Sequence[str],
    scores: dict[str, str],
) -> list[str]:
    """The markdown lines of the peer table: strip_boilerplate, then each peer."""
    size = sum(len(t.encode("utf-8")) for t in texts)
    ours = size / timings[("strip_boilerplate", "")][1] / 1e6
    rows = [("**cleanse strip_boilerplate**", ours, "1.00", scores.get("cleanse (CV)", "n/a"))]
    for name in peers:
        per_core = size / timings[("peer", name)][1] / 1e6
        system = PEER_SCORES[name]
        f1 = scores.get(system, "n/a") if system else "not scored"
        rows.append((name, per_core, f"{ours / per_core:.2f}", f1))
    return [
        "| system | CPU s | MB/s per core (CPU) | cleanse / peer | line F1, oscar |",
        "| --- | ---: | ---: | ---: | ---: |",
        *(
            f"| {name} | {size / per_core / 1e6:.3f} | {per_core:.1f} | {ratio} | {f1} |"
            for name, per_core, ratio, f1 in rows
        ),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=3, help="runs per stage; best is kept")
    parser.add_argument("--batch-size", type=int, default=1000, help="rows per batch")
    parser.add_argument("--out", type=Path, default=None, help="write the markdown here")
    parser.add_argument("--limit", type=int, default=None, help="first N documents (tests)")
    parser.add_argument(
        "--peers",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time jusText, C4 and FineWeb-style line rules (and datatrove's C4 filter)",
    )
    args = parser.parse_args(argv)
    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    load_before = load_average()
    texts, urls = read_corpus(args.data)
    texts, urls = texts[: args.limit], urls[: args.limit]
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
    # the peers get the texts strip_boilerplate gets, as Python strings
    peer_texts = [t for b in inputs["strip_boilerplate"] for t in b.column(TEXT).to_pylist()]
    peers = peer_strips() if args.peers else {}
    for strip in peers.values():
        strip_all(strip, peer_texts[:50])  # warm up: lxml, stop lists
    runs.update(
        {("peer", name): partial(strip_all, strip, peer_texts) for name, strip in peers.items()}
    )
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
    ]
    if peers:
        lines += [
            "## strip_boilerplate and its peers, same texts, same run",
            "",
            f"strip_boilerplate's input above ({len(peer_texts):,} documents, "
            f"{text_bytes(inputs['strip_boilerplate']) / 1e6:.2f} MB), every peer over the "
            "same texts as Python strings, returning each without the lines it removes; "
            "timed in the same loop as the stages, best of "
            f"{args.repeat}. cleanse / peer is the ratio of MB/s per core (above 1: cleanse "
            "is faster). Line F1: pooled noise F1 on line-quality-oscar from "
            "`benchmarks/boilerplate.md` (cleanse out-of-fold), for context; datatrove's "
            "filter is not scored there (its `c4` row applies C4's rules line by line, as "
            "here, and also removes lorem-ipsum and `{` lines). datatrove's filter runs "
            "with its line rules only (no sentence count: it needs spaCy; lorem ipsum and "
            "`{` do not drop the document). jusText uses the English stop list for every "
            "document (about 86% of them are English by cleanse's stop-word detector). "
            "trafilatura is not a peer here: its text path needs HTML.",
            "",
            *peer_table(
                list(peers), timings, peer_texts, line_f1(ROOT / "benchmarks" / "boilerplate.md")
            ),
            "",
        ]
    lines += [
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
