"""The ``near_dedup`` barrier on Spark: band keys, verified star edges, components.

The same decisions as the local barrier, from the signatures ``NearDedup.collect``
emitted, with only ids and signatures in the shuffles:

1. **Bands**: per document and band, ``xxhash64(band, band values)`` (native Spark).
2. **Buckets**: ``groupBy(band, key)`` with ``count`` and ``min(id)``: partial
   aggregation, no bucket's member list is ever held in memory.
3. **Star edges, verified**: members join their bucket's smallest id; the estimated
   Jaccard of the two signatures (share of equal values, as float32) is checked
   against the threshold. Members that fail form their bucket again around their own
   smallest id, for as many rounds as the local barrier allows.
4. **Components**: union-find on the driver while the distinct edges fit
   (`DRIVER_EDGE_LIMIT`), else large-star/small-star rounds (Kiveris et al., 2014)
   with a local checkpoint per round. A component's root is its smallest id.
5. **Survivor**: per component, the keep policy's best document (ties: smallest id),
   with each member's similarity to it.

Only the documents in clusters come to the driver, to build `MarkNearDuplicates` and
the ``duplicates`` table exactly as `NearDedup.aggregate` does.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from cleanse.dedup import MarkNearDuplicates, NearDedupResult
from cleanse.engine.spark_barriers import SparkAggregate
from cleanse.schema import DUPLICATE_SCHEMA, ID

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

logger = logging.getLogger(__name__)

#: Up to this many distinct edges, components are found on the driver (union-find:
#: ~1 s per million edges); beyond it, large-star/small-star runs in Spark.
DRIVER_EDGE_LIMIT = 5_000_000
#: Rounds of re-starring a bucket around its failed members (as the local barrier).
MAX_ROUNDS = 64
#: Large-star/small-star rounds before giving up (O(log n) are needed).
MAX_STAR_ROUNDS = 100

SIG = "sig"
BAND = "band"
KEY = "band_key"
CENTRE = "centre"
NODE = "node"
ROOT = "root"
KEPT = "kept_id"


def _similarity(left: str, right: str, *, exact: bool, num_perm: int) -> Column:
    """Jaccard of two documents, as the local barrier computes it.

    Exact (the default since ``collect`` emits sorted distinct shingle hashes): shared
    over all distinct hashes, as a double. Estimated (keys without shingle sets): the
    share of equal signature values, as float32.
    """
    from pyspark.sql import functions as F

    if exact:
        common = F.size(F.array_intersect(F.col(left), F.col(right)))
        union = F.size(F.col(left)) + F.size(F.col(right)) - common
        return F.when(union > 0, common / union).otherwise(F.lit(1.0))
    equal = F.zip_with(F.col(left), F.col(right), lambda a, b: (a == b).cast("int"))
    count = F.aggregate(equal, F.lit(0), lambda acc, x: acc + x)
    return (count / F.lit(float(num_perm))).cast("float")


def _as_int(column: str) -> Column:
    """uint32 values (held as bigint) shifted into int: half the bytes, same equality."""
    from pyspark.sql import functions as F

    return F.transform(column, lambda x: (x - F.lit(2**31)).cast("int"))


def near_barrier(
    stage: Any, keys: DataFrame, *, driver_edge_limit: int = DRIVER_EDGE_LIMIT
) -> SparkAggregate:
    """Cluster every collected signature with Spark; return the stage's own result."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    from cleanse.dedup import stages as near_stages
    from cleanse.dedup.stages import KEEP_VALUE, LENGTH, MINHASH, SHINGLES, SIGNATURES

    started = time.perf_counter()
    lsh = near_stages.lsh_for(stage)
    shingle_set = getattr(near_stages, "SHINGLE_SET", None)
    exact = shingle_set is not None and shingle_set in keys.columns
    rows_per_band = lsh.rows_per_band
    docs_in = keys.count()
    signed = keys.where(F.col(SHINGLES) > 0)
    sig = signed.select(ID, _as_int(MINHASH).alias(SIG))
    # what verification compares: shingle sets (exact) or signatures (estimate)
    compared = (signed.select(ID, _as_int(shingle_set).alias(SIG)) if exact else sig).persist(
        StorageLevel.MEMORY_AND_DISK
    )
    signed_docs = compared.count()
    bands = sig.select(
        ID,
        F.explode(
            F.array(
                *(
                    F.struct(
                        F.lit(band).alias(BAND),
                        F.xxhash64(
                            F.lit(band), F.slice(SIG, band * rows_per_band + 1, rows_per_band)
                        ).alias(KEY),
                    )
                    for band in range(lsh.num_bands)
                )
            )
        ).alias("b"),
    ).select(ID, f"b.{BAND}", f"b.{KEY}")

    threshold = F.lit(float(stage.threshold))
    if not exact:  # the estimate is float32 and compared as float32 (numpy's rule)
        threshold = threshold.cast("float")

    def similar(left: str, right: str) -> Column:
        return _similarity(left, right, exact=exact, num_perm=stage.num_perm)

    members = bands
    edges: list[DataFrame] = []
    facts: dict[str, Any] = {"buckets": 0, "largest_bucket": 0, "candidate_edges": 0}
    rounds = unresolved = 0
    for round_number in range(MAX_ROUNDS + 1):
        buckets = (
            members.groupBy(BAND, KEY)
            .agg(F.count(F.lit(1)).alias("size"), F.min(ID).alias(CENTRE))
            .where(F.col("size") >= 2)
        )
        if round_number == MAX_ROUNDS:
            unresolved = int(buckets.agg(F.sum("size")).first()[0] or 0)
            break
        if round_number == 0:
            buckets = buckets.localCheckpoint()
            row = buckets.agg(F.count(F.lit(1)), F.max("size")).first()
            facts["buckets"], facts["largest_bucket"] = int(row[0]), int(row[1] or 0)
        pairs = (
            members.join(buckets.select(BAND, KEY, CENTRE), [BAND, KEY])
            .where(F.col(ID) != F.col(CENTRE))
            .localCheckpoint()
        )
        needed = _restrict(compared, pairs.select(ID).union(pairs.select(F.col(CENTRE).alias(ID))))
        candidates = (
            pairs.join(needed, ID)
            .join(needed.select(F.col(ID).alias(CENTRE), F.col(SIG).alias("centre_sig")), CENTRE)
            .select(
                BAND,
                KEY,
                ID,
                CENTRE,
                (similar(SIG, "centre_sig") >= threshold).alias("ok"),
            )
            .localCheckpoint()
        )
        found = candidates.count()
        if not found:
            break
        rounds = round_number + 1
        facts["candidate_edges"] += found
        edges.append(candidates.where("ok").select(CENTRE, ID))
        members = candidates.where(~F.col("ok")).select(ID, BAND, KEY)

    edge_frame = _distinct_edges(edges, compared)
    verified = edge_frame.count()
    if verified <= driver_edge_limit:
        method = "driver union-find"
        components = _driver_components(edge_frame)
    else:
        method = "large-star/small-star"
        components = large_star_small_star(edge_frame)
    cluster = _survivors(stage, components, keys, compared, similar, KEEP_VALUE, LENGTH)
    table = cluster.toArrow()
    compared.unpersist()
    result = _result(stage, table, lsh, facts)
    result_facts = dict(result.facts)
    result_facts.update(
        verified_edges=verified,
        verification_rounds=rounds,
        unresolved_members=unresolved,
        docs=docs_in,
        docs_without_signature=docs_in - signed_docs,
        previous_docs=0,
        band_records=signed_docs * lsh.num_bands,
        components=method,
        verification="exact" if exact else "estimated",
        seconds=round(time.perf_counter() - started, 3),
    )
    logger.info(
        "near_dedup: %d docs, %d candidate edges, %d verified, %d clusters, %d removed (%s)",
        docs_in,
        result_facts["candidate_edges"],
        verified,
        result_facts["clusters"],
        result_facts["duplicates_removed"],
        method,
    )
    final = NearDedupResult(
        marker=result.marker,
        duplicates=result.duplicates,
        signatures=result.signatures,
        facts=result_facts,
    )
    stored = signed.select(ID, F.transform(MINHASH, lambda x: x.cast("bigint")).alias(MINHASH))
    return SparkAggregate(final, frames={SIGNATURES: stored})


#: Candidate documents up to this many are picked out of the corpus' signatures or
#: shingle sets by a broadcast semi-join, so those never go through a shuffle.
BROADCAST_IDS = 2_000_000


def _restrict(compared: DataFrame, ids: DataFrame) -> DataFrame:
    """Return the rows of `compared` whose id is in `ids`, without shuffling `compared`."""
    from pyspark.sql import functions as F

    ids = ids.distinct().localCheckpoint()
    if ids.count() <= BROADCAST_IDS:
        ids = F.broadcast(ids)
    return compared.join(ids, ID, "left_semi")


def _distinct_edges(edges: list[DataFrame], sig: DataFrame) -> DataFrame:
    """Union the verified edges as distinct (smaller id, larger id) pairs."""
    from pyspark.sql import functions as F

    if not edges:
        empty = sig.select(F.col(ID).alias("a"), F.col(ID).alias("b")).limit(0)
        return empty.localCheckpoint()
    union = edges[0]
    for more in edges[1:]:
        union = union.unionByName(more)
    pairs = union.select(
        F.least(CENTRE, ID).alias("a"), F.greatest(CENTRE, ID).alias("b")
    ).distinct()
    return pairs.localCheckpoint()


def union_find(left: list[str], right: list[str]) -> dict[str, str]:
    """Return every node's component root (its smallest id), from undirected edges.

    >>> union_find(["a", "c"], ["b", "b"]) == {"a": "a", "b": "a", "c": "a"}
    True
    """
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in zip(left, right, strict=True):
        root_a, root_b = find(a), find(b)
        if root_a < root_b:
            parent[root_b] = root_a
        elif root_b < root_a:
            parent[root_a] = root_b
    return {node: find(node) for node in parent}


def _driver_components(edges: DataFrame) -> DataFrame:
    table = edges.toArrow()
    roots = union_find(table.column("a").to_pylist(), table.column("b").to_pylist())
    nodes = pa.table(
        {
            NODE: pa.array(list(roots), pa.string()),
            ROOT: pa.array(list(roots.values()), pa.string()),
        }
    )
    spark = edges.sparkSession
    if not nodes.num_rows:
        return spark.createDataFrame([], f"{NODE} string, {ROOT} string")
    return spark.createDataFrame(nodes)


def large_star_small_star(edges: DataFrame) -> DataFrame:
    """Return ``(node, root)`` for every node on `edges` (columns ``a``, ``b``), in Spark.

    Alternates large-star (each node links its larger neighbours to the smallest of
    its neighbourhood) and small-star (each node links itself and its smaller
    neighbours to the smallest of them) until the edge set stops changing: then every
    component is a star around its smallest id.
    """
    from pyspark.sql import functions as F

    # u > v always: an edge points from the larger id to the smaller one
    current = edges.select(F.col("b").alias("u"), F.col("a").alias("v")).localCheckpoint()
    for _ in range(MAX_STAR_ROUNDS):
        both = current.unionByName(current.select(F.col("v").alias("u"), F.col("u").alias("v")))
        smallest = both.groupBy("u").agg(F.least(F.col("u"), F.min("v")).alias("m"))
        large = (
            both.join(smallest, "u")
            .where(F.col("v") > F.col("u"))
            .select(F.col("v").alias("u"), F.col("m").alias("v"))
            .distinct()
        )
        low = large.groupBy("u").agg(F.min("v").alias("m"))
        small = (
            large.join(low, "u")
            .select(F.col("v").alias("u"), F.col("m").alias("v"))
            .unionByName(low.select("u", F.col("m").alias("v")))
            .where(F.col("u") != F.col("v"))
            .distinct()
            .localCheckpoint()
        )
        changed = (
            small.subtract(current).limit(1).count() + current.subtract(small).limit(1).count()
        )
        current = small
        if not changed:
            break
    else:
        msg = f"large-star/small-star did not converge in {MAX_STAR_ROUNDS} rounds"
        raise RuntimeError(msg)
    roots = current.select(F.col("u").alias(NODE), F.col("v").alias(ROOT))
    centres = current.select(F.col("v").alias(NODE), F.col("v").alias(ROOT))
    return roots.unionByName(centres).distinct()


def _survivors(
    stage: Any,
    components: DataFrame,
    keys: DataFrame,
    compared: DataFrame,
    similar: Any,
    keep_value: str,
    length: str,
) -> DataFrame:
    """Per component: the kept document, the size and each member's similarity to it."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    info = [F.col(ID).alias(NODE), F.col(length)]
    if stage.keep in ("newest", "score"):
        info.append(F.col(keep_value))
    nodes = components.join(keys.select(*info), NODE)
    order = {
        "first": [F.col(NODE).asc()],
        "longest": [F.col(length).desc(), F.col(NODE).asc()],
    }.get(stage.keep, [F.col(keep_value).desc_nulls_last(), F.col(NODE).asc()])
    best = Window.partitionBy(ROOT).orderBy(*order)
    whole = Window.partitionBy(ROOT)
    ranked = nodes.select(
        NODE,
        ROOT,
        F.first(NODE).over(best).alias(KEPT),
        F.count(F.lit(1)).over(whole).alias("size"),
    )
    compared = _restrict(compared, nodes.select(F.col(NODE).alias(ID)))
    return (
        ranked.join(compared.select(F.col(ID).alias(NODE), F.col(SIG).alias("node_sig")), NODE)
        .join(compared.select(F.col(ID).alias(KEPT), F.col(SIG).alias("kept_sig")), KEPT)
        .select(
            NODE,
            ROOT,
            KEPT,
            F.col("size").cast("int").alias("size"),
            F.when(F.col(NODE) == F.col(KEPT), F.lit(1.0).cast("float"))
            .otherwise(similar("node_sig", "kept_sig").cast("float"))
            .alias("similarity"),
        )
    )


def _result(stage: Any, table: pa.Table, lsh: Any, facts: dict[str, Any]) -> NearDedupResult:
    """Build the stage's result from the clustered documents (on the driver)."""
    table = table.sort_by([(NODE, "ascending")])
    ids = table.column(NODE).combine_chunks().cast(pa.string())
    kept = table.column(KEPT).combine_chunks().cast(pa.string())
    size = np.asarray(table.column("size"), dtype=np.int32)
    removed = np.asarray(ids.to_numpy(zero_copy_only=False) != kept.to_numpy(zero_copy_only=False))
    marker = MarkNearDuplicates(
        ids=ids,
        cluster=kept,
        count=pa.array(size - 1, pa.int32()),
        removed=pa.array(removed, pa.bool_()),
    )
    by_cluster = table.sort_by([(KEPT, "ascending"), (NODE, "ascending")])
    duplicates = pa.Table.from_arrays(
        [
            by_cluster.column(KEPT).cast(pa.string()),
            by_cluster.column(NODE).cast(pa.string()),
            by_cluster.column(KEPT).cast(pa.string()),
            by_cluster.column("similarity").cast(pa.float32()),
            pa.array(["near"] * by_cluster.num_rows, pa.string()),
        ],
        schema=DUPLICATE_SCHEMA,
    )
    # components in root order; the largest first, ties to the smallest root
    roots = table.group_by(ROOT).aggregate([(NODE, "count")]).sort_by(ROOT)
    root_ids = roots.column(ROOT).to_pylist()
    sizes = np.asarray(roots.column(f"{NODE}_count"), dtype=np.int64)
    largest = np.argsort(-sizes, kind="stable")[:10]
    facts = {
        "minhash": stage.minhash.as_dict(),
        "lsh": lsh.as_dict(),
        "threshold": stage.threshold,
        "keep": stage.keep,
        **facts,
        "clusters": len(root_ids),
        "docs_in_clusters": table.num_rows,
        "largest_clusters": [int(sizes[i]) for i in largest],
        "giant_components": [
            {"kept_id": root_ids[i], "size": int(sizes[i])}
            for i in largest
            if sizes[i] >= stage.giant_size
        ],
        "duplicates_removed": int(removed.sum()),
    }
    empty = pa.table({ID: pa.array([], pa.string())})
    return NearDedupResult(marker=marker, duplicates=duplicates, signatures=empty, facts=facts)
