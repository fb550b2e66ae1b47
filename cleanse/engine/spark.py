"""The Spark engine: the local engine's passes and stages, run by Apache Spark.

The pipeline is cut at every corpus stage, as in `cleanse.engine.local`. Pass 0 is a
DataFrame of shard numbers (from `plan_inputs` on the driver) that ``mapInArrow``
expands with `read_shard`, or, when the inputs are URIs (``s3a://``, ``file://``...), a
DataFrame of file contents listed and read by Hadoop (`cleanse.engine.spark_inputs`)
that ``mapInArrow`` parses with the same `read_shard`; either way ids, quarantine and
formats are the local engine's;
every pass runs the same row-stage functions over the same Arrow batches
(`cleanse.engine.spark_tasks`) and is written once to ``_work/pass-N``. A corpus
stage's keys meet at a Spark barrier (`cleanse.engine.spark_barriers`,
`cleanse.engine.spark_near`) that builds the stage's own Aggregate; its apply stage
runs first in the next pass. Text never moves through a shuffle: passes are narrow
maps, barriers see ids, hashes and signatures.

Outputs are written by Spark into the staging folder beside the output (any
Hadoop-compatible path) and committed whole, as the local engine does; part file
names differ, the rows are the same. Every part carries the local engine's ``cleanse``
footer metadata, as Spark column metadata (`SparkEngine._write`).

A Spark Connect session works as a classic one, except that an output on a Hadoop path
cannot be committed without the driver's JVM: there the run stops before any work.

Example, in a notebook that has a session ``spark``::

    from cleanse.engine.spark import SparkEngine
    SparkEngine(spark=spark).run(config)
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from cleanse.config import RunConfig
from cleanse.engine.local import (
    LocalEngine,
    Progress,
    ProgressCallback,
    RunResult,
    split_segments,
    versions,
)
from cleanse.engine.spark_barriers import (
    SparkAggregate,
    driver_barrier,
    exact_barrier,
    frame_of,
    site_barrier,
)
from cleanse.engine.spark_inputs import (
    ListedFile,
    bounded_batches,
    content_frame,
    plan_listed,
    wants_hadoop,
)
from cleanse.engine.spark_near import DRIVER_EDGE_LIMIT, near_barrier
from cleanse.engine.spark_storage import HadoopFolder, LocalFolder, is_remote, output_for
from cleanse.engine.spark_tasks import KEY, KIND, REJECT, ROW, SHARD, STATS, PassTask, key_schema
from cleanse.errors import CleanseError, InputError
from cleanse.io.readers import Shard, plan_inputs
from cleanse.io.writers import FOOTER_KEY
from cleanse.schema import (
    DETAIL,
    DUPLICATE_SCHEMA,
    REASON,
    REJECT_SCHEMA,
    document_schema,
)
from cleanse.stages.base import Stage
from cleanse.stats import RunStats, StageStats

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

logger = logging.getLogger(__name__)

#: Log4j 2 settings for a session cleanse starts itself: errors only, on stderr.
QUIET_LOG4J2 = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
logger.repl.name = org.apache.spark.repl.Main
logger.repl.level = error
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
"""

# Side outputs that always exist, with their schema, even when empty.
ALWAYS = {"rejects": REJECT_SCHEMA, "duplicates": DUPLICATE_SCHEMA}


class SparkError(CleanseError):
    """Spark or Java is missing, or the session cannot start."""

    exit_code = 1


def _import_pyspark() -> Any:
    try:
        import pyspark
    except ImportError as err:
        msg = (
            "engine error: --engine spark needs PySpark\n"
            '  hint: pip install "cleanse[spark]" (and Java 17 or 21 on PATH or JAVA_HOME)'
        )
        raise SparkError(msg) from err
    return pyspark


def session_builder(
    master: str | None, *, workers: int, conf: Mapping[str, str] | None = None
) -> Any:
    """Return a ``SparkSession.Builder`` for a session cleanse starts itself.

    In local mode (``local[N]``, the default ``local[workers]``) Python workers use this
    interpreter, the UI is off, shuffles use a few partitions and Spark logs only
    errors. `conf` entries win over these defaults. A Spark Connect URL
    (``sc://host:15002``) gives a Connect session with `conf` as its settings.
    """
    _import_pyspark()
    from pyspark.sql import SparkSession

    if master is not None and master.startswith("sc://"):
        builder = SparkSession.builder.remote(master)
        for key, value in (conf or {}).items():
            builder = builder.config(key, value)
        return builder
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ  # spark-submit set the master
    if master is None and not submitted:
        master = f"local[{workers}]"
    settings: dict[str, str] = {}
    if master is not None and master.startswith("local"):
        log_config = Path(tempfile.gettempdir()) / "cleanse-spark-log4j2.properties"
        log_config.write_text(QUIET_LOG4J2)
        java_options = f"-Dlog4j2.configurationFile={log_config.as_uri()}"
        settings.update(
            {
                "spark.ui.enabled": "false",
                "spark.ui.showConsoleProgress": "false",
                "spark.sql.shuffle.partitions": str(max(4, 2 * workers)),
                "spark.driver.extraJavaOptions": java_options,
                "spark.sql.session.timeZone": "UTC",
            }
        )
        if "PYSPARK_PYTHON" not in os.environ:
            settings["spark.pyspark.python"] = sys.executable
            settings["spark.pyspark.driver.python"] = sys.executable
    settings.update(conf or {})
    builder = SparkSession.builder.appName("cleanse")
    if master is not None:
        builder = builder.master(master)
    for key, value in settings.items():
        builder = builder.config(key, value)
    return builder


def is_connect(spark: Any) -> bool:
    """Return True for a Spark Connect session (no JVM on this side).

    >>> is_connect(object())
    False
    """
    return type(spark).__module__.startswith("pyspark.sql.connect")


def redact_token(url: str) -> str:
    """Hide the token of a Spark Connect URL, so run.json and footers never hold it.

    >>> redact_token("sc://host:15002/;token=s3cr3t;user_id=me")
    'sc://host:15002/;token=<redacted>;user_id=me'
    """
    return re.sub(r"(;token=)[^;]*", r"\1<redacted>", url)


def master_of(spark: Any) -> str | None:
    """Return the session's master URL, classic or Spark Connect."""
    try:
        return str(spark.conf.get("spark.master"))
    except Exception:  # a Connect server may hide it
        return None


@dataclass
class _Inputs:
    """What pass 0 reads: shards of local paths, or files on Hadoop paths."""

    passthrough: tuple[pa.Field, ...]
    shards: tuple[Shard, ...] = ()
    files: dict[str, ListedFile] | None = None
    local_fingerprints: tuple[dict[str, Any], ...] = ()
    found: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def plan(cls, spark: Any, config: RunConfig) -> _Inputs:
        inputs = [str(path) for path in config.inputs]
        if wants_hadoop(inputs):
            listed = plan_listed(spark, inputs, config.mapping)
            files = {item.uri: item for item in listed.files}
            return cls(listed.passthrough, files=files)
        plan = plan_inputs(inputs, config.mapping)
        return cls(plan.passthrough, plan.shards, local_fingerprints=plan.fingerprints)

    @property
    def units(self) -> int:
        return len(self.files) if self.files is not None else len(self.shards)

    def frame(self, spark: Any) -> DataFrame:
        """Pass 0's source: file contents, or shard numbers that tasks read."""
        from pyspark.sql import functions as F

        if self.files is not None:
            return content_frame(spark, list(self.files.values()))
        count = len(self.shards)
        return spark.range(0, count, 1, numPartitions=max(1, count)).select(
            F.col("id").cast("int").alias(SHARD)
        )

    def reading(self, spark: Any, index: int) -> contextlib.AbstractContextManager[None]:
        """Around pass 0 of files on Hadoop paths: Arrow batches of bounded bytes."""
        if index != 0 or self.files is None:
            return contextlib.nullcontext()
        return bounded_batches(spark)

    def fingerprints(self) -> list[dict[str, Any]]:
        if self.files is None:
            return list(self.local_fingerprints)
        return sorted(self.found, key=lambda item: str(item["label"]))


class SparkEngine:
    """Run a config on Apache Spark: the same stages and the same output as locally.

    Args:
        master: Spark master URL (``local[2]``, ``spark://host:7077``, ``yarn``), or a
            Spark Connect URL (``sc://host:15002``). None (default) uses the active
            session, or the master spark-submit was given, or ``local[workers]``.
        spark: An existing ``SparkSession`` (a Databricks notebook, spark-submit), classic
            or Spark Connect; it is used as it is and never stopped.
        conf: Extra Spark settings for a session cleanse starts itself.
        driver_edge_limit: Near-duplicate edges up to this many are clustered on the
            driver (union-find), more with large-star/small-star in Spark. 5 million
            (default) is a few hundred MB of driver memory.
    """

    def __init__(
        self,
        *,
        master: str | None = None,
        spark: SparkSession | None = None,
        conf: Mapping[str, str] | None = None,
        driver_edge_limit: int = DRIVER_EDGE_LIMIT,
    ) -> None:
        self.master = master
        self.spark = spark
        self.conf = dict(conf or {})
        self.driver_edge_limit = driver_edge_limit

    def run(self, config: RunConfig, *, on_progress: ProgressCallback | None = None) -> RunResult:
        """Clean `config`'s inputs into its output folder; return the run's stats."""
        spark, owned = self._session(config)
        try:
            # refuses what it cannot commit before any work
            folder = output_for(spark, config.output)
            try:
                return self._run(spark, folder, config, on_progress)
            except BaseException:
                folder.abort()  # no resume on Spark: leave no staging folder behind
                raise
        finally:
            if owned:
                spark.stop()

    def _session(self, config: RunConfig) -> tuple[SparkSession, bool]:
        if self.spark is not None:
            return self.spark, False
        _import_pyspark()
        from pyspark.sql import SparkSession

        active = SparkSession.getActiveSession()
        if active is not None and self.master is None:
            return active, False
        builder = session_builder(self.master, workers=config.workers, conf=self.conf)
        try:
            spark = builder.getOrCreate()
            if is_connect(spark):
                spark.version  # noqa: B018 - Connect connects on the first call
        except ImportError as err:  # Spark Connect's client libraries
            msg = f"engine error: cannot start Spark Connect ({err})"
            raise SparkError(f'{msg}\n  hint: pip install "cleanse[spark]"') from err
        except Exception as err:  # Java missing or too old: the JVM never starts
            hint = (
                "is a Spark Connect server up at that address? one that asks for a token"
                " takes it in the URL: sc://host:15002/;token=..."
                if (self.master or "").startswith("sc://")
                else "Spark 4 needs Java 17 or 21 on PATH or JAVA_HOME"
                " (Debian/Ubuntu: apt-get install openjdk-17-jre-headless)"
            )
            msg = f"engine error: cannot start Spark ({type(err).__name__}: {err})"
            raise SparkError(f"{msg}\n  hint: {hint}") from err
        if not is_connect(spark):  # a Connect server keeps its own log level
            spark.sparkContext.setLogLevel("ERROR")
        spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(config.batch_size))
        return spark, True

    def _run(
        self,
        spark: SparkSession,
        folder: LocalFolder | HadoopFolder,
        config: RunConfig,
        on_progress: ProgressCallback | None,
    ) -> RunResult:
        from pyspark.sql import functions as F
        from pyspark.sql.pandas.types import from_arrow_schema

        started = time.time()
        clock = time.perf_counter()
        stages = config.build_stages()
        plan = _Inputs.plan(spark, config)
        audit = [f for stage in stages for f in stage.columns]
        schema = document_schema(plan.passthrough, audit)
        staging = folder.prepare(overwrite=config.overwrite)
        work = f"{staging}/_work"
        effective = config.to_dict()
        if effective.get("master"):  # a Spark Connect URL may carry a token
            effective["master"] = redact_token(str(effective["master"]))
        # the local engine's footer metadata: what shapes the output
        shaping = {k: v for k, v in effective.items() if k not in ("workers", "output")}
        found = versions()
        found["pyspark"] = spark.version
        footer = json.dumps({"config": shaping, "versions": found}, sort_keys=True)
        master = master_of(spark)
        logger.info(
            "cleanse on Spark %s (%s): %d %s; pipeline: %s",
            spark.version,
            master,
            plan.units,
            "file(s) through Hadoop" if plan.files is not None else "shard(s)",
            " -> ".join(config.pipeline),
        )

        stats = RunStats()
        barriers: dict[str, Any] = {}
        written: set[str] = set()
        rows_rejected = rows_clean = chars_clean = 0
        segments = split_segments(stages)
        applied: Stage | None = None
        rows: DataFrame | None = None
        with tempfile.TemporaryDirectory(prefix="cleanse-spark-") as scratch:
            for index, segment in enumerate(segments):
                step = LocalEngine._step_name(index, segment, len(segments))
                logger.info("%s", step)
                pass_stages = (applied, *segment.row_stages) if applied else segment.row_stages
                keys_schema = (
                    key_schema(segment.barrier, schema) if segment.barrier is not None else None
                )
                task = PassTask(
                    index=index,
                    stages=tuple(pass_stages),
                    collector=segment.barrier,
                    schema=schema,
                    keys=keys_schema,
                    shards=plan.shards if index == 0 else (),
                    mapping=config.mapping,
                    batch_size=config.batch_size,
                    files=plan.files if index == 0 else None,
                )
                if index == 0:
                    source = plan.frame(spark)
                else:
                    assert rows is not None
                    source = rows
                envelope_type = from_arrow_schema(task.output)
                path = f"{work}/pass-{index}"
                with plan.reading(spark, index):
                    source.mapInArrow(task, envelope_type).write.parquet(path)
                logger.debug("pass %d written", index)
                done = spark.read.schema(envelope_type).parquet(path)
                live = clean = 0
                problems: list[tuple[str, str]] = []
                for (summary,) in done.where(F.col(KIND) == STATS).select(STATS).collect():
                    part = json.loads(summary)
                    stats = stats + RunStats.from_dict(part["stats"])
                    rows_rejected += part["rows_rejected"]
                    live += part["rows_live"]
                    clean += part["chars_live"]
                    plan.found.extend(part.get("inputs", ()))
                    problems.extend((label, error) for label, error in part.get("errors", ()))
                if problems:  # a JSONL file on a Hadoop path lacks the text field
                    raise InputError(min(problems)[1])
                self._write(
                    done.where(F.col(KIND) == REJECT).select(f"{REJECT}.*"),
                    staging,
                    "rejects",
                    footer,
                )
                written.add("rejects")
                logger.debug("pass %d: stats and rejects done", index)
                rows = done.where(F.col(KIND) == ROW).select(f"{ROW}.*")
                if segment.barrier is None:
                    rows_clean, chars_clean = live, clean
                    self._write(rows.drop(REASON, DETAIL), staging, "clean", footer)
                    written.add("clean")
                else:
                    assert keys_schema is not None
                    keys = done.where(F.col(KIND) == KEY).select(f"{KEY}.*")
                    barrier_started = time.perf_counter()
                    result = self._barrier(
                        segment.barrier, keys, keys_schema, Path(scratch) / f"barrier-{index}"
                    )
                    for name, table in result.aggregate.outputs().items():
                        frame = result.frames.get(name)
                        if frame is None:
                            frame = frame_of(spark, table)
                        self._write(frame, staging, name, footer)
                        written.add(name)
                    summary_facts = dict(result.aggregate.summary())
                    if result.engine != "spark":
                        summary_facts["barrier"] = result.engine
                    barriers[segment.barrier.name] = summary_facts
                    elapsed = time.perf_counter() - barrier_started
                    stats.add(segment.barrier.name, StageStats(seconds=elapsed))
                    logger.info("%s: %s", segment.barrier.name, summary_facts)
                    applied = result.aggregate.stage()
                if index > 0:
                    folder.delete(f"_work/pass-{index - 1}")
                if on_progress:
                    on_progress(Progress(step, index + 1, len(segments), live))

        for name, table_schema in ALWAYS.items():
            if name not in written:
                frame = frame_of(spark, table_schema.empty_table())
                self._write(frame, staging, name, footer)
        if "clean" not in written:  # pragma: no cover - the last pass always writes it
            raise RuntimeError("the last pass did not write clean/")
        folder.delete("_work")
        totals = LocalEngine._totals(stats, rows_clean, chars_clean, rows_rejected, clock)
        stats_json, run_json = LocalEngine._summaries(
            stats,
            config,
            totals,
            barriers,
            started=started,
            effective=effective,
            found=found,
            inputs=plan.fingerprints(),
            shards=plan.units,
        )
        run_json["spark"] = {
            "master": master,
            "version": spark.version,
            "connect": is_connect(spark),
        }
        folder.write_json("stats.json", stats_json)
        folder.write_json("run.json", run_json)
        staging_path = getattr(folder, "staging_path", None)
        if staging_path is not None:  # a local folder; remote outputs: `cleanse report` a copy
            from cleanse.engine.local import write_report

            write_report(staging_path)
        folder.commit()
        display = folder.display()
        output: Path | str = display if is_remote(display) else Path(display)
        return RunResult(output=output, stats=stats_json, run=run_json)

    def _barrier(self, stage: Any, keys: DataFrame, schema: Any, workdir: Path) -> SparkAggregate:
        from cleanse.dedup import NearDedup
        from cleanse.stages.exact_dedup import ExactDedup
        from cleanse.stages.site_boilerplate import SiteBoilerplate

        if isinstance(stage, ExactDedup):
            return exact_barrier(stage, keys)
        if isinstance(stage, SiteBoilerplate):
            return site_barrier(stage, keys)
        if isinstance(stage, NearDedup) and stage.against is None:
            return near_barrier(stage, keys, driver_edge_limit=self.driver_edge_limit)
        logger.warning(
            "%s: no Spark barrier for this stage%s; aggregating its keys on the driver",
            stage.name,
            " with near_dedup.against" if isinstance(stage, NearDedup) else "",
        )
        return driver_barrier(stage, keys, schema, workdir=workdir)

    @staticmethod
    def _write(frame: DataFrame, staging: str, name: str, footer: str) -> None:
        """Append `frame` to ``staging/name`` as zstd Parquet, `footer` in its metadata.

        Spark's Parquet writer takes no extra footer keys, so the local engine's
        ``cleanse`` value rides on the first column's Spark metadata, which Spark
        stores in every footer (`cleanse.io.writers.cleanse_metadata` reads both).
        """
        frame = frame.withMetadata(frame.columns[0], {FOOTER_KEY: footer})
        (
            frame.write.mode("append")
            .option("compression", "zstd")
            .option("mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")
            .parquet(f"{staging}/{name}")
        )


__all__ = ["SparkEngine", "SparkError", "session_builder"]
