"""The local engine: a process pool over input shards, one pass per barrier.

The pipeline is cut at every corpus stage. Pass 0 reads each shard, runs the row stages
up to the first corpus stage and lets that stage ``collect`` its keys; live rows are
spilled to ``_work/`` (Parquet, per shard) so no stage runs twice. The barrier
aggregates the keys in this process; the next pass reads the spilled rows, applies
the decision, runs the next row stages, and so on. The last pass writes ``clean/``.
Every pass writes its rejects as it goes. Shards are processed in any order by any
worker, but every file name and every decision depends only on shard index and ids,
so the output is the same for any worker count.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from cleanse.config import RunConfig
from cleanse.engine import output as output_folder
from cleanse.io.readers import ColumnMapping, InputPlan, Shard, plan_inputs, read_shard
from cleanse.io.writers import PartWriter, read_arrow_file, write_json, write_table
from cleanse.pipeline import READ_STAGE, apply_stages, route_read, text_chars
from cleanse.schema import REJECT_SCHEMA, clean_schema, conform, document_schema
from cleanse.stages.base import Stage, is_corpus_stage
from cleanse.stats import RunStats, StageStats

logger = logging.getLogger(__name__)

ProgressCallback = Callable[["Progress"], None]


@dataclass(frozen=True, slots=True)
class Progress:
    """One shard of one pass is done."""

    step: str
    done: int
    total: int
    rows: int


@dataclass(frozen=True, slots=True)
class Segment:
    """Row stages that run together in one pass, then the corpus stage that ends it."""

    row_stages: tuple[Stage, ...]
    barrier: Any | None


@dataclass(frozen=True, slots=True)
class PassSpec:
    """What every worker needs for one pass; shipped once per worker."""

    index: int
    stages: tuple[Stage, ...]
    collector: Any | None
    schema: pa.Schema
    mapping: ColumnMapping
    batch_size: int
    staging: Path
    metadata: dict[str, Any]
    max_file_bytes: int


@dataclass(slots=True)
class ShardResult:
    """What one shard of one pass produced."""

    shard: int
    stats: RunStats = field(default_factory=RunStats)
    rows_live: int = 0
    chars_live: int = 0
    rows_rejected: int = 0


def save_result(path: Path, result: ShardResult) -> None:
    """Write a shard's result as its done-marker (temp name, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "shard": result.shard,
        "stats": result.stats.to_dict(),
        "rows_live": result.rows_live,
        "chars_live": result.chars_live,
        "rows_rejected": result.rows_rejected,
    }
    write_json(path, data)


def load_result(path: Path) -> ShardResult:
    data = json.loads(path.read_text())
    return ShardResult(
        shard=data["shard"],
        stats=RunStats.from_dict(data["stats"]),
        rows_live=data["rows_live"],
        chars_live=data["chars_live"],
        rows_rejected=data["rows_rejected"],
    )


def done_marker(staging: Path, pass_index: int, shard: int) -> Path:
    return staging / "_work" / "done" / f"pass-{pass_index}" / f"shard-{shard:05d}.json"


def clear_shard(spec: PassSpec, shard: int) -> None:
    """Delete what an interrupted attempt at this shard and pass may have left."""
    last = spec.collector is None
    rows = spec.staging / "clean" if last else work_folder(spec.staging, "rows", spec.index)
    patterns = [
        (rows, f"part-{shard:05d}-" if last else f"shard-{shard:05d}-"),
        (spec.staging / "rejects", f"part-{shard:05d}-{spec.index}-"),
        (work_folder(spec.staging, "keys", spec.index), f"shard-{shard:05d}-"),
    ]
    for folder, prefix in patterns:
        if not folder.exists():
            continue
        for path in folder.iterdir():
            if path.name.startswith((prefix, f".{prefix}")):
                path.unlink()


@dataclass(frozen=True, slots=True)
class RunResult:
    """The outcome of a run: where it went and its stats.json content."""

    output: Path | str  # a str for a Hadoop URI (s3a://...) written by the Spark engine
    stats: dict[str, Any]
    run: dict[str, Any]


def split_segments(stages: Sequence[Any]) -> list[Segment]:
    """Cut the stage list after every corpus stage."""
    segments: list[Segment] = []
    current: list[Stage] = []
    for stage in stages:
        if is_corpus_stage(stage):
            segments.append(Segment(tuple(current), stage))
            current = []
        else:
            current.append(stage)
    segments.append(Segment(tuple(current), None))
    return segments


def largest_first(shards: Sequence[Shard]) -> list[Shard]:
    """Return `shards` by decreasing size, in plan order among equal sizes."""
    return sorted(shards, key=lambda shard: (-shard.size, shard.index))


def work_folder(staging: Path, kind: str, pass_index: int) -> Path:
    return staging / "_work" / f"{kind}-{pass_index}"


def shard_parts(folder: Path, shard: int) -> list[Path]:
    return sorted(folder.glob(f"shard-{shard:05d}-*.parquet"))


# Worker-side state for the current pass: set once per worker by the pool initializer.
_PASS: PassSpec | None = None


def _init_pass(spec: PassSpec) -> None:
    global _PASS
    _PASS = spec


def _run_shard_in_worker(shard: Shard) -> ShardResult:
    assert _PASS is not None, "pool initializer did not run"
    return run_shard(_PASS, shard)


def source_batches(spec: PassSpec, shard: Shard) -> Iterator[pa.RecordBatch]:
    """Yield live batches for a pass: read input (pass 0) or the previous pass's spill."""
    if spec.index == 0:
        for batch in read_shard(shard, spec.mapping, spec.schema, batch_size=spec.batch_size):
            yield conform(batch, spec.schema)
        return
    folder = work_folder(spec.staging, "rows", spec.index - 1)
    for path in shard_parts(folder, shard.index):
        for batch in pq.ParquetFile(path).iter_batches(batch_size=spec.batch_size):
            yield conform(batch, spec.schema)


def run_shard(spec: PassSpec, shard: Shard) -> ShardResult:
    """Run one pass over one shard: route, apply stages, write rows, rejects and keys.

    The shard's done-marker is written last, after every file it wrote is complete, so
    a resumed run redoes exactly the shards without one.
    """
    clear_shard(spec, shard.index)
    result = ShardResult(shard=shard.index)
    last = spec.collector is None
    if last:
        rows_out = PartWriter(
            spec.staging / "clean",
            f"part-{shard.index:05d}",
            clean_schema(spec.schema),
            metadata=spec.metadata,
            max_bytes=spec.max_file_bytes,
        )
    else:
        rows_out = PartWriter(
            work_folder(spec.staging, "rows", spec.index),
            f"shard-{shard.index:05d}",
            spec.schema,
            max_bytes=spec.max_file_bytes,
            compression_level=1,
        )
    rejects_out = PartWriter(
        spec.staging / "rejects",
        f"part-{shard.index:05d}-{spec.index}",
        REJECT_SCHEMA,
        metadata=spec.metadata,
        max_bytes=spec.max_file_bytes,
    )
    keys_out: PartWriter | None = None
    with rows_out, rejects_out:
        for batch in source_batches(spec, shard):
            rejects: list[pa.RecordBatch] = []
            if spec.index == 0:
                batch, rejects = route_read(batch, result.stats)
            batch, more = apply_stages(spec.stages, batch, result.stats)
            rejects.extend(more)
            for rejected in rejects:
                rejects_out.write(rejected)
                result.rows_rejected += rejected.num_rows
            if spec.collector is not None and batch.num_rows:
                started = time.perf_counter()
                keys = spec.collector.collect(batch)
                if keys_out is None:
                    keys_out = PartWriter(
                        work_folder(spec.staging, "keys", spec.index),
                        f"shard-{shard.index:05d}",
                        keys.schema,
                        file_format="arrow",
                    )
                keys_out.write(keys)
                collect = StageStats(seconds=time.perf_counter() - started)
                result.stats.add(spec.collector.name, collect)
            rows_out.write(batch)
            result.rows_live += batch.num_rows
            result.chars_live += text_chars(batch)
        if keys_out is not None:
            keys_out.close()
    save_result(done_marker(spec.staging, spec.index, shard.index), result)
    return result


def iter_keys(staging: Path, pass_index: int) -> Iterator[pa.RecordBatch]:
    """Yield every key batch of a pass, in shard order."""
    folder = work_folder(staging, "keys", pass_index)
    for path in sorted(folder.glob("shard-*.arrow")):
        yield from read_arrow_file(path)


def versions() -> dict[str, str]:
    """Return the versions of cleanse and the libraries that shape its output."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package in ("cleanse", "pyarrow", "numpy", "ftfy", "datasketch", "trafilatura", "warcio"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    import platform

    found["python"] = platform.python_version()
    return found


def write_report(staging: Path) -> None:
    """Write report.html into the finished staging folder; never fail the run for it."""
    from cleanse.report import build_report

    started = time.perf_counter()
    try:
        build_report(staging)
    except Exception as err:  # the data is complete; the report can be rebuilt
        logger.warning(
            "report.html not written: %s: %s\n  hint: rebuild it with `cleanse report OUT`",
            type(err).__name__,
            err,
        )
        logger.debug("report failure", exc_info=True)
        return
    logger.info("wrote report.html in %.1f s", time.perf_counter() - started)


class LocalEngine:
    """Run a config on this machine with a pool of worker processes."""

    def run(self, config: RunConfig, *, on_progress: ProgressCallback | None = None) -> RunResult:
        started = time.time()
        clock = time.perf_counter()
        stages = config.build_stages()
        plan = plan_inputs(list(config.inputs), config.mapping)
        if "extract_html" not in config.pipeline and any(
            shard.format in ("html", "warc") for shard in plan.shards
        ):
            logger.warning(
                "the input has HTML pages but the pipeline has no extract_html: their markup"
                ' will be cleaned as text\n  hint: put "extract_html" first in pipeline'
            )
        audit = [f for stage in stages for f in stage.columns]
        schema = document_schema(plan.passthrough, audit)
        output = Path(config.output)
        effective = config.to_dict()
        # what shapes the output, stored in every Parquet footer: not the worker count
        # or the output folder, so the same input gives byte-identical files
        shaping = {k: v for k, v in effective.items() if k not in ("workers", "output")}
        found = versions()
        metadata = {"cleanse": {"config": shaping, "versions": found}}
        state = {"config": shaping, "versions": found, "inputs": list(plan.fingerprints)}
        staging = output_folder.prepare(output, overwrite=config.overwrite, state=state)
        logger.info(
            "cleanse: %d shard(s) from %d input path(s); pipeline: %s; %d worker(s)",
            len(plan.shards),
            len(config.inputs),
            " -> ".join(config.pipeline),
            config.workers,
        )

        stats = RunStats()
        barriers: dict[str, Any] = {}
        rows_rejected = 0
        rows_clean = 0
        chars_clean = 0
        segments = split_segments(stages)
        applied: Stage | None = None
        for index, segment in enumerate(segments):
            pass_stages = (applied, *segment.row_stages) if applied else segment.row_stages
            spec = PassSpec(
                index=index,
                stages=tuple(pass_stages),
                collector=segment.barrier,
                schema=schema,
                mapping=config.mapping,
                batch_size=config.batch_size,
                staging=staging,
                metadata=metadata,
                max_file_bytes=config.max_file_bytes,
            )
            step = self._step_name(index, segment, len(segments))
            results = self._run_pass(spec, plan, config.workers, step, on_progress)
            for result in sorted(results, key=lambda r: r.shard):
                stats = stats + result.stats
                rows_rejected += result.rows_rejected
                if segment.barrier is None:
                    rows_clean += result.rows_live
                    chars_clean += result.chars_live
            if index > 0:
                shutil.rmtree(work_folder(staging, "rows", index - 1), ignore_errors=True)
            if segment.barrier is not None:
                applied, summary = self._barrier(segment.barrier, staging, index, stats, metadata)
                barriers[segment.barrier.name] = summary

        self._write_empty_outputs(staging, schema, metadata)
        shutil.rmtree(staging / "_work", ignore_errors=True)
        totals = self._totals(stats, rows_clean, chars_clean, rows_rejected, clock)
        stats_json, run_json = self._summaries(
            stats,
            config,
            totals,
            barriers,
            started=started,
            effective=effective,
            found=found,
            inputs=list(plan.fingerprints),
            shards=len(plan.shards),
        )
        write_json(staging / "stats.json", stats_json)
        write_json(staging / "run.json", run_json)
        write_report(staging)
        output_folder.commit(staging, output)
        return RunResult(output=output, stats=stats_json, run=run_json)

    @staticmethod
    def _step_name(index: int, segment: Segment, total: int) -> str:
        names = [s.name for s in segment.row_stages]
        if segment.barrier is not None:
            names.append(f"{segment.barrier.name} (collect)")
        label = ", ".join(names) or "write"
        return f"pass {index + 1}/{total}: {label}"

    def _run_pass(
        self,
        spec: PassSpec,
        plan: InputPlan,
        workers: int,
        step: str,
        on_progress: ProgressCallback | None,
    ) -> list[ShardResult]:
        logger.info("%s", step)
        total = len(plan.shards)
        results: list[ShardResult] = []
        todo = []
        for shard in plan.shards:
            marker = done_marker(spec.staging, spec.index, shard.index)
            if marker.exists():
                results.append(load_result(marker))
            else:
                todo.append(shard)
        if results:
            logger.info("resuming: %d of %d shard(s) already done", len(results), total)
        rows = sum(r.rows_live + r.rows_rejected for r in results)
        if workers == 1 or len(todo) <= 1:
            for shard in todo:
                result = run_shard(spec, shard)
                results.append(result)
                rows += result.rows_live + result.rows_rejected
                if on_progress:
                    on_progress(Progress(step, len(results), total, rows))
            return results
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(
            max_workers=min(workers, len(todo)),
            mp_context=context,
            initializer=_init_pass,
            initargs=(spec,),
        ) as pool:
            # Largest first: a big shard started last would keep one worker busy alone
            # at the end of the pass (results are put back in plan order above).
            futures = [pool.submit(_run_shard_in_worker, shard) for shard in largest_first(todo)]
            for future in as_completed(futures):
                result = future.result()
                results.append(result)
                rows += result.rows_live + result.rows_rejected
                if on_progress:
                    on_progress(Progress(step, len(results), total, rows))
        return results

    @staticmethod
    def _barrier(
        stage: Any, staging: Path, index: int, stats: RunStats, metadata: dict[str, Any]
    ) -> tuple[Stage, Any]:
        started = time.perf_counter()
        workdir = work_folder(staging, "barrier", index)
        workdir.mkdir(parents=True, exist_ok=True)
        aggregate = stage.aggregate(iter_keys(staging, index), workdir=workdir)
        for name, table in aggregate.outputs().items():
            write_table(table, staging / name, prefix=f"part-{stage.name}", metadata=metadata)
        summary = dict(aggregate.summary())
        stats.add(stage.name, StageStats(seconds=time.perf_counter() - started))
        logger.info("%s: %s", stage.name, summary)
        return aggregate.stage(), summary

    @staticmethod
    def _write_empty_outputs(staging: Path, schema: pa.Schema, metadata: dict[str, Any]) -> None:
        """Make sure clean/ and rejects/ exist with their schema, even with no rows."""
        from cleanse.schema import DUPLICATE_SCHEMA

        for name, table_schema in (
            ("clean", clean_schema(schema)),
            ("rejects", REJECT_SCHEMA),
            ("duplicates", DUPLICATE_SCHEMA),
        ):
            folder = staging / name
            if not folder.exists() or not any(folder.glob("*.parquet")):
                write_table(table_schema.empty_table(), folder, metadata=metadata)

    @staticmethod
    def _ordered(stats: RunStats, config: RunConfig) -> RunStats:
        order = [READ_STAGE, *config.pipeline]
        ordered = {n: stats.stages[n] for n in order if n in stats.stages}
        ordered.update({n: s for n, s in stats.stages.items() if n not in ordered})
        return RunStats(stages=ordered)

    @staticmethod
    def _summaries(
        stats: RunStats,
        config: RunConfig,
        totals: dict[str, Any],
        barriers: dict[str, Any],
        *,
        started: float,
        effective: dict[str, Any],
        found: dict[str, str],
        inputs: list[Any],
        shards: int,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Return the contents of ``stats.json`` and ``run.json`` (both engines)."""
        stats_json = {
            **totals,
            "stages": LocalEngine._ordered(stats, config).to_dict(),
            "barriers": barriers,
        }
        run_json = {
            "cleanse_version": found["cleanse"],
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            "seconds": totals["seconds"],
            "config": effective,
            "versions": found,
            "inputs": inputs,
            "shards": shards,
            "derived": barriers,
        }
        return stats_json, run_json

    @staticmethod
    def _totals(
        stats: RunStats, rows_clean: int, chars_clean: int, rows_rejected: int, clock: float
    ) -> dict[str, Any]:
        read = stats.stages.get(READ_STAGE, StageStats())
        rows_in = read.rows_in
        if rows_in != rows_clean + rows_rejected:
            msg = (
                f"accounting bug: {rows_in} rows read but {rows_clean} clean + "
                f"{rows_rejected} rejected"
            )
            raise RuntimeError(msg)
        return {
            "rows_in": rows_in,
            "rows_clean": rows_clean,
            "rows_rejected": rows_rejected,
            "chars_in": read.chars_in,
            "chars_out": chars_clean,
            "seconds": round(time.perf_counter() - clock, 3),
        }
