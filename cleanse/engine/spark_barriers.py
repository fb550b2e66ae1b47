"""Corpus-stage barriers as Spark aggregations: keys in, the stage's own Aggregate out.

Each function takes the keys a stage's ``collect`` emitted (a DataFrame, Spark-safe
types), aggregates them with Spark and builds the **same** Aggregate object the
stage's ``aggregate`` would, from the small decision table brought to the driver. So
the apply stage, the side outputs and the summary are the stage's own code.

======================  ===============================================================
stage                   Spark barrier
======================  ===============================================================
``exact_dedup``         group by content hash: min id and size; members joined back
``site_boilerplate``    distinct (domain, doc, line) counts joined with per-domain
                        document counts, the stage's thresholds
``near_dedup``          `cleanse.engine.spark_near` (bands, verified stars, components)
anything else           `driver_barrier`: the stage's own ``aggregate`` on the driver
======================  ===============================================================

Text never enters these DataFrames: only ids, hashes, lines of at most
``max_line_chars`` (site boilerplate's dictionary) and signatures.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from cleanse.engine.spark_tasks import from_spark, spark_schema, to_spark
from cleanse.schema import DOMAIN, ID

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from cleanse.stages.base import Aggregate

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SparkAggregate:
    """A barrier's result: the stage's Aggregate plus outputs written by Spark itself.

    `frames` replace the same-named tables of ``aggregate.outputs()`` (too large to
    bring to the driver, such as every document's signature).
    """

    aggregate: Aggregate
    frames: dict[str, DataFrame] = field(default_factory=dict)
    engine: str = "spark"


def arrow_of(frame: DataFrame, schema: pa.Schema) -> pa.Table:
    """Bring a (small) DataFrame to the driver as a table of `schema`."""
    table = frame.toArrow()
    batches = [from_spark(b, schema) for b in table.to_batches()]
    return pa.Table.from_batches(batches, schema=schema)


def frame_of(spark: SparkSession, table: pa.Table) -> DataFrame:
    """Turn a driver-side table into a DataFrame (Spark-safe types)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    safe = pa.Table.from_batches(
        [to_spark(b) for b in table.to_batches()], schema=spark_schema(table.schema)
    )
    # the schema is given: Spark Connect cannot infer one from an empty table
    return spark.createDataFrame(safe, schema=from_arrow_schema(safe.schema))


def exact_barrier(stage: Any, keys: DataFrame) -> SparkAggregate:
    """``exact_dedup``: group by content hash; the smallest id of a group is kept."""
    from pyspark.sql import functions as F

    from cleanse.stages.exact_dedup import HASH, ExactDuplicates

    pairs = keys.select(ID, HASH)
    groups = (
        pairs.groupBy(HASH)
        .agg(F.min(ID).alias("kept_id"), F.count(F.lit(1)).alias("size"))
        .where(F.col("size") > 1)
    )
    members = pairs.join(groups, HASH).select(
        ID, "kept_id", HASH, F.col("size").cast("int").alias("size")
    )
    found = members.toArrow()
    table = pa.table(
        {
            ID: found.column(ID).cast(pa.string()),
            "kept_id": found.column("kept_id").cast(pa.string()),
            # a cluster is named by its kept document, as in the local engine
            "cluster_id": found.column("kept_id").cast(pa.string()),
            "size": found.column("size").cast(pa.int32()),
            "others": pc.subtract(found.column("size").cast(pa.int32()), 1),
        }
    )
    table = table.sort_by([("cluster_id", "ascending"), (ID, "ascending")])
    return SparkAggregate(ExactDuplicates(groups=table))


def site_barrier(stage: Any, keys: DataFrame) -> SparkAggregate:
    """``site_boilerplate``: distinct-document counts per (domain, line), thresholded."""
    from pyspark.sql import functions as F

    from cleanse.stages.site_boilerplate import (
        DOC,
        LINE,
        LINE_HASH,
        NO_DOMAIN,
        finish_templates,
        merge_dictionary,
        read_dictionary,
    )

    table = keys.withColumn(DOMAIN, F.coalesce(F.col(DOMAIN), F.lit(NO_DOMAIN)))
    is_doc = F.col(LINE_HASH) == 0
    domain_docs = (
        table.where(is_doc)
        .select(DOMAIN, DOC)
        .distinct()
        .groupBy(DOMAIN)
        .agg(F.count(F.lit(1)).alias("domain_docs"))
    )
    per_doc = (
        table.where(~is_doc)
        .groupBy(DOMAIN, DOC, LINE_HASH)
        .agg(F.min(LINE).alias(LINE), F.count(F.lit(1)).alias("rows"))
    )
    counted = (
        per_doc.groupBy(DOMAIN, LINE_HASH)
        .agg(
            F.min(LINE).alias(LINE),
            F.count(F.lit(1)).alias("doc_count"),
            F.sum("rows").alias("removed_count"),
        )
        .join(domain_docs, DOMAIN, "left")
        .select(DOMAIN, LINE_HASH, LINE, "doc_count", "domain_docs", "removed_count")
    )
    has_domain = F.col(DOMAIN) != F.lit(NO_DOMAIN)
    min_docs = F.when(has_domain, stage.min_docs).otherwise(stage.corpus_min_docs)
    min_share = F.when(has_domain, F.lit(float(stage.min_share))).otherwise(
        F.lit(float(stage.corpus_min_share))
    )
    keep = (F.col("doc_count") >= min_docs) & (
        F.col("doc_count").cast("double") >= min_share * F.col("domain_docs").cast("double")
    )
    schema = pa.schema(
        [
            pa.field(DOMAIN, pa.string()),
            pa.field(LINE_HASH, pa.uint64()),
            pa.field(LINE, pa.string()),
            pa.field("doc_count", pa.int64()),
            pa.field("domain_docs", pa.int64()),
            pa.field("removed_count", pa.int64()),
        ]
    )
    learnt = arrow_of(counted.where(keep), schema)
    if stage.dictionary is not None:
        known = read_dictionary(stage.dictionary)
        known = known.set_column(0, DOMAIN, pc.fill_null(known.column(DOMAIN), NO_DOMAIN))
        wanted = frame_of(keys.sparkSession, known.select([DOMAIN, LINE_HASH]))
        seen = arrow_of(counted.join(wanted, [DOMAIN, LINE_HASH]), schema)
        learnt = merge_dictionary(learnt, seen, known)
    return SparkAggregate(finish_templates(learnt, max_line_chars=stage.max_line_chars))


def driver_barrier(
    stage: Any, keys: DataFrame, key_schema: pa.Schema, *, workdir: Path
) -> SparkAggregate:
    """Fallback for a stage with no Spark barrier: its own ``aggregate`` on the driver.

    Every key row comes to the driver (keys only, never text), so this bounds the
    corpus by the driver's memory; `SparkEngine` logs a warning when it is used.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    table = keys.toArrow()
    batches = (from_spark(batch, key_schema) for batch in table.to_batches())
    return SparkAggregate(stage.aggregate(batches, workdir=workdir), engine="driver")
