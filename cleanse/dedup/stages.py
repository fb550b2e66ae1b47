"""The ``near_dedup`` corpus stage: collect signatures, cluster them, mark the copies.

The engine calls, around a barrier it owns::

    keys = [stage.collect(batch) for batch in live_batches]     # any order, any worker
    result = stage.aggregate(keys, workdir=scratch)              # once, main process
    marked = [result.stage()(batch) for batch in batches]        # MarkNearDuplicates
    result.outputs()["duplicates"]; result.summary()             # side table, run.json

`collect` returns no text: ``id``, the MinHash signature, the shingle count, the text
length, the sorted distinct shingle hashes (for exact verification) and the
keep-policy value. The result depends only on the set of documents,
never on batch boundaries or order (ranks come from sorted ids).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cleanse.dedup.params import SCHEMES, LshParams, MinHashParams, Scheme, choose_lsh
from cleanse.dedup.shingles import ShortDocs
from cleanse.dedup.signatures import compute_sketches
from cleanse.schema import ID, TEXT
from cleanse.stages.base import live_mask, mark_removed, set_column

logger = logging.getLogger(__name__)

DUPLICATE = "near_dedup.duplicate"
DUP_CLUSTER = "dup_cluster"
DUP_COUNT = "dup_count"
SIGNATURES = "near_dedup_signatures"

Keep = Literal["first", "longest", "newest", "score"]
KEEPS: tuple[str, ...] = ("first", "longest", "newest", "score")
SHORT_DOCS: tuple[str, ...] = ("whole", "skip")

# Key columns emitted by collect.
MINHASH = "minhash"
SHINGLES = "shingles"
SHINGLE_SET = "shingle_set"
LENGTH = "length"
KEEP_VALUE = "keep_value"
PREVIOUS = "previous"
#: Rows per batch when streaming an earlier run's signatures.
PREVIOUS_BATCH = 8192


@dataclass(frozen=True, slots=True, kw_only=True)
class NearDedup:
    """Find near-duplicate documents with MinHash LSH and keep one of each cluster.

    Args:
        threshold: Jaccard similarity of word 5-gram sets at which two documents are
            duplicates. 0.8 (default): the common choice (FineWeb/datatrove use
            14x8 bands at about 0.75-0.8; text-dedup's examples 0.7-0.8). Candidate
            pairs are verified against it with the exact Jaccard of their shingle
            sets (``similarity`` in ``duplicates/`` is that value).
        num_perm: Signature length. 128 (default), datasketch's default.
        ngram: Words per shingle. 5 (default), as datatrove and FineWeb.
        char_ngram: Characters per shingle for Chinese, Japanese, Thai, Lao, Khmer,
            Myanmar text. 5 (default).
        seed: Permutation seed, as datasketch's. 1 (default) is datasketch's.
        scheme: datasketch permutation scheme: ``"affine32"`` (default, datasketch
            2.0) or ``"legacy"`` (datasketch < 2.0).
        bands, rows: LSH split; both or neither. Default: the split minimising
            datasketch's weighted false-positive/false-negative areas for `threshold`
            and `num_perm`, with `false_negative_weight` (16 x 8 at 0.8 and 128).
        false_negative_weight: Weight of missed pairs against candidate pairs in
            that choice (false positives get ``1 - weight``). 0.95 (default): every
            candidate is verified exactly, so a false positive costs one set
            comparison while a false negative is a kept duplicate; 16 x 8 finds 95 %
            of pairs at Jaccard 0.8 where datasketch's 0.5 (9 x 13) finds 40 %.
        keep: Which document of a cluster survives: ``"first"`` (default, smallest
            id), ``"longest"`` (most characters), ``"newest"`` (largest `date_column`),
            ``"score"`` (largest `score_column`); ties go to the smallest id.
        date_column, score_column: Columns read by ``keep="newest"``/``"score"``.
        short_docs: Documents with fewer than `ngram` words: ``"whole"`` (default)
            hashes the whole normalised text as one shingle, so they match only a
            document with the same normalised text; ``"skip"`` never marks them.
        against: Folder of an earlier cleanse output: documents that duplicate one
            of its stored signatures are removed; its documents are kept.
        memory_mb: Memory for sorting band keys; more spills to disk partitions.
            256 (default).
        giant_size: Clusters at least this large are reported as giant. 1000.
    """

    name: ClassVar[str] = "near_dedup"
    reasons: ClassVar[tuple[str, ...]] = (DUPLICATE,)
    columns: ClassVar[tuple[pa.Field, ...]] = (
        pa.field(DUP_CLUSTER, pa.string()),
        pa.field(DUP_COUNT, pa.int32()),
    )
    counters: ClassVar[tuple[str, ...]] = ()

    threshold: float = 0.8
    num_perm: int = 128
    ngram: int = 5
    char_ngram: int = 5
    seed: int = 1
    scheme: Scheme = "affine32"
    bands: int | None = None
    rows: int | None = None
    false_negative_weight: float = 0.95
    keep: Keep = "first"
    date_column: str | None = None
    score_column: str | None = None
    short_docs: ShortDocs = "whole"
    against: str | None = None
    memory_mb: int = 256
    giant_size: int = 1000

    def __post_init__(self) -> None:
        def fail(option: str, allowed: str) -> None:
            value = getattr(self, option)
            msg = f"near_dedup.{option} must be {allowed} (got {value!r})"
            raise ValueError(msg)

        if not 0.0 < self.threshold <= 1.0:
            fail("threshold", "in (0, 1]")
        if not 2 <= self.num_perm <= 1024:
            fail("num_perm", "an integer in [2, 1024]")
        if not 1 <= self.ngram <= 64:
            fail("ngram", "an integer in [1, 64]")
        if not 1 <= self.char_ngram <= 64:
            fail("char_ngram", "an integer in [1, 64]")
        if not 0 <= self.seed < 2**32:
            fail("seed", "an integer in [0, 2**32)")
        if self.scheme not in SCHEMES:
            fail("scheme", f"one of {', '.join(SCHEMES)}")
        if (self.bands is None) != (self.rows is None):
            fail("bands" if self.rows is not None else "rows", "set together with the other")
        if self.bands is not None and self.rows is not None:
            if self.bands < 1 or self.rows < 1:
                fail("bands", "a positive integer, and so must rows")
            if self.bands * self.rows > self.num_perm:
                msg = (
                    f"near_dedup.bands x near_dedup.rows must be <= num_perm ({self.num_perm})"
                    f" (got {self.bands} x {self.rows} = {self.bands * self.rows})"
                )
                raise ValueError(msg)
        if not 0.0 < self.false_negative_weight < 1.0:
            fail("false_negative_weight", "in (0, 1)")
        if self.keep not in KEEPS:
            fail("keep", f"one of {', '.join(KEEPS)}")
        if self.keep == "newest" and not self.date_column:
            fail("date_column", 'set when keep = "newest"')
        if self.keep == "score" and not self.score_column:
            fail("score_column", 'set when keep = "score"')
        if self.short_docs not in SHORT_DOCS:
            fail("short_docs", f"one of {', '.join(SHORT_DOCS)}")
        if self.memory_mb < 16:
            fail("memory_mb", ">= 16")
        if self.giant_size < 2:
            fail("giant_size", ">= 2")

    @property
    def minhash(self) -> MinHashParams:
        """The parameters signatures depend on."""
        return MinHashParams(
            num_perm=self.num_perm,
            seed=self.seed,
            scheme=self.scheme,
            ngram=self.ngram,
            char_ngram=self.char_ngram,
        )

    def key_schema(self, keep_type: pa.DataType | None = None) -> pa.Schema:
        """Return the schema of what `collect` emits."""
        fields = [
            pa.field(ID, pa.string(), nullable=False),
            pa.field(MINHASH, pa.list_(pa.uint32(), self.num_perm)),
            pa.field(SHINGLES, pa.int32()),
            pa.field(LENGTH, pa.int64()),
            pa.field(SHINGLE_SET, pa.list_(pa.uint32())),
        ]
        if keep_type is not None:
            fields.append(pa.field(KEEP_VALUE, keep_type))
        return pa.schema(fields)

    def collect(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """Return ``id, minhash, shingles, length, shingle_set[, keep_value]`` of the live rows."""
        live = batch.filter(live_mask(batch))
        texts = live.column(TEXT)
        sketches = compute_sketches(texts, self.minhash, short_docs=self.short_docs)
        minhash = pa.FixedSizeListArray.from_arrays(
            pa.array(sketches.signatures.reshape(-1), pa.uint32()), self.num_perm
        )
        shingle_set = pa.ListArray.from_arrays(
            pa.array(sketches.set_offsets.astype(np.int32), pa.int32()),
            pa.array(sketches.set_values, pa.uint32()),
        )
        columns = [
            live.column(ID).cast(pa.string()),
            minhash,
            pa.array(sketches.counts.astype(np.int32)),
            pc.fill_null(pc.utf8_length(texts), 0).cast(pa.int64()),
            shingle_set,
        ]
        keep_column = {"newest": self.date_column, "score": self.score_column}.get(self.keep)
        keep_type = None
        if keep_column is not None:
            index = live.schema.get_field_index(keep_column)
            if index < 0:
                msg = (
                    f'near_dedup.keep = "{self.keep}" reads column "{keep_column}", which the '
                    f"input lacks; present: {', '.join(live.schema.names)}"
                )
                raise ValueError(msg)
            columns.append(live.column(index))
            keep_type = live.schema.field(index).type
        return pa.RecordBatch.from_arrays(columns, schema=self.key_schema(keep_type))

    def aggregate(self, keys: Iterable[pa.RecordBatch], *, workdir: Path) -> NearDedupResult:
        """Cluster every collected signature; return what to mark and report."""
        from cleanse.dedup.cluster import cluster

        return cluster(self, keys, workdir=Path(workdir))


def column_or_nulls(batch: pa.RecordBatch, name: str, type_: pa.DataType) -> pa.Array:
    """Return column `name` cast to `type_`, or nulls where the batch lacks it."""
    index = batch.schema.get_field_index(name)
    if index < 0:
        return pa.nulls(batch.num_rows, type_)
    return batch.column(index).cast(type_)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class MarkNearDuplicates:
    """Mark documents that near-duplicate a kept one; set ``dup_cluster``/``dup_count``.

    Built by `NearDedup.aggregate`: `ids` (sorted) are the documents in a cluster of
    two or more, with their cluster id (the kept document's id), the number of other
    documents in the cluster, and whether to remove them.
    """

    name: ClassVar[str] = "near_dedup"
    reasons: ClassVar[tuple[str, ...]] = (DUPLICATE,)
    columns: ClassVar[tuple[pa.Field, ...]] = NearDedup.columns
    counters: ClassVar[tuple[str, ...]] = ()

    ids: pa.StringArray
    cluster: pa.StringArray
    count: pa.Int32Array
    removed: pa.BooleanArray

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        position = pc.index_in(batch.column(ID).cast(pa.string()), value_set=self.ids)
        found = pc.and_(pc.is_valid(position), live_mask(batch))
        position = pc.if_else(found, position, pa.scalar(None, pa.int32()))
        cluster = pc.take(self.cluster, position)
        count = pc.fill_null(pc.take(self.count, position), 0).cast(pa.int32())
        remove = pc.fill_null(pc.take(self.removed, position), False)
        detail = pc.binary_join_element_wise("duplicate of ", cluster, "")
        # exact_dedup may have run first: keep its cluster, add the near copies to its count
        earlier = pc.fill_null(column_or_nulls(batch, DUP_COUNT, pa.int32()), 0)
        cluster = pc.coalesce(
            cluster.cast(pa.string()), column_or_nulls(batch, DUP_CLUSTER, pa.string())
        )
        batch = set_column(batch, DUP_CLUSTER, cluster)
        batch = set_column(batch, DUP_COUNT, pc.add(earlier, count).cast(pa.int32()))
        return mark_removed(batch, remove, DUPLICATE, detail)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class NearDedupResult:
    """What `NearDedup.aggregate` learnt: the marking stage, tables and facts."""

    marker: MarkNearDuplicates
    duplicates: pa.Table
    #: ``pa.Table``, or `SpilledSignatures` (same ``schema``/``to_batches``) read on demand.
    signatures: Any
    facts: Mapping[str, Any] = field(default_factory=dict)

    def stage(self) -> MarkNearDuplicates:
        """The row stage that marks duplicates."""
        return self.marker

    def outputs(self) -> Mapping[str, pa.Table]:
        """``duplicates`` (DUPLICATE_SCHEMA) and the signatures `against` reads later.

        The signatures (id, minhash, shingle_set) are streamed from the barrier's
        files: write them (``to_batches``) before the work folder goes.
        """
        return {"duplicates": self.duplicates, SIGNATURES: self.signatures}

    def summary(self) -> Mapping[str, Any]:
        """Parameters and counts for ``run.json`` and the stats."""
        return dict(self.facts)


def previous_batches(stage: NearDedup) -> Iterator[pa.RecordBatch]:
    """Stream the signatures an earlier run stored under ``<against>/near_dedup_signatures``.

    The files' parameters are checked before the first batch; batches are small
    (each row carries a shingle set), so an earlier corpus is never held at once.
    """
    if stage.against is None:
        return
    folder = Path(stage.against) / SIGNATURES
    files = sorted(folder.glob("*.parquet"))
    if not files:
        msg = f"near_dedup.against: no signatures under {folder} (got {stage.against!r})"
        raise ValueError(msg)
    expected = _params_tag(stage.minhash)
    for path in files:
        stored = (pq.read_schema(path).metadata or {}).get(b"cleanse.minhash")
        if stored is not None and stored.decode() != expected:
            msg = (
                f"near_dedup.against: signatures in {folder} were made with "
                f"{stored.decode()}, this run uses {expected}"
            )
            raise ValueError(msg)
    for path in files:
        yield from pq.ParquetFile(path).iter_batches(batch_size=PREVIOUS_BATCH)


def _params_tag(params: MinHashParams) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(params.as_dict().items()))


def lsh_for(stage: NearDedup) -> LshParams:
    """The bands x rows split of `stage`, logged once."""
    lsh = choose_lsh(
        stage.threshold,
        stage.num_perm,
        bands=stage.bands,
        rows=stage.rows,
        false_positive_weight=1.0 - stage.false_negative_weight,
        false_negative_weight=stage.false_negative_weight,
    )
    logger.info("%s", lsh.describe())
    return lsh
