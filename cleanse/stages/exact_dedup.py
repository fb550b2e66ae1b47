"""Drop documents whose normalised text equals an earlier one (by id).

Collect: one 128-bit hash per live document of its text normalised for matching
(NFKC, case-folded, whitespace runs collapsed). Aggregate: sort by (hash, id); the
smallest id of each hash keeps its place, every other member is marked
``exact_dedup.duplicate`` with the kept id in its detail. The decision depends only on
ids and texts, never on batch boundaries, shard order or worker count.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from cleanse.schema import DUPLICATE_SCHEMA, ID, TEXT
from cleanse.stages.base import live_mask, mark_removed, set_column

DUPLICATE = "exact_dedup.duplicate"
DUP_CLUSTER = "dup_cluster"
DUP_COUNT = "dup_count"
HASH = "content_hash"

KEY_SCHEMA = pa.schema([pa.field(ID, pa.string()), pa.field(HASH, pa.binary(16))])
DUP_COLUMNS: tuple[pa.Field, ...] = (
    pa.field(DUP_CLUSTER, pa.string()),
    pa.field(DUP_COUNT, pa.int32()),
)


def normalize_for_match(text: str) -> str:
    """Return `text` as exact dedup compares it: NFKC, case-folded, single spaces.

    >>> normalize_for_match("  Hello\\N{NO-BREAK SPACE}WORLD\\n\\n")
    'hello world'
    """
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def content_hash(text: str) -> bytes:
    """Return the 128-bit xxh3 digest of the normalised text.

    >>> content_hash("A  b") == content_hash("a b")
    True
    """
    return xxhash.xxh3_128_digest(normalize_for_match(text).encode("utf-8"))


@dataclass(frozen=True, slots=True, kw_only=True)
class ExactDedup:
    """Keep one document per normalised text: the one with the smallest id.

    Matching ignores case, Unicode compatibility forms and whitespace layout, so a
    re-post that differs only in line wrapping or capitalisation is a duplicate too;
    near-copies with other words are near_dedup's job.
    """

    name: ClassVar[str] = "exact_dedup"
    reasons: ClassVar[tuple[str, ...]] = (DUPLICATE,)
    columns: ClassVar[tuple[pa.Field, ...]] = DUP_COLUMNS
    counters: ClassVar[tuple[str, ...]] = ()

    def collect(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """Return (id, content_hash) for every live row."""
        live = batch.filter(live_mask(batch))
        hashes = [content_hash(t or "") for t in live.column(TEXT).to_pylist()]
        return pa.RecordBatch.from_arrays(
            [live.column(ID), pa.array(hashes, type=pa.binary(16))], schema=KEY_SCHEMA
        )

    def aggregate(self, keys: Iterable[pa.RecordBatch], *, workdir: Path) -> ExactDuplicates:
        """Group equal hashes; the smallest id of each group is kept."""
        table = pa.Table.from_batches(list(keys), schema=KEY_SCHEMA)
        table = table.sort_by([(HASH, "ascending"), (ID, "ascending")])
        n = table.num_rows
        if n == 0:
            return ExactDuplicates(groups=_empty_groups())
        digests = np.frombuffer(table.column(HASH).combine_chunks().buffers()[1], dtype=np.uint8)[
            : 16 * n
        ].reshape(n, 16)
        starts = np.ones(n, dtype=bool)
        starts[1:] = np.any(digests[1:] != digests[:-1], axis=1)
        group_start = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
        sizes = np.diff(np.append(np.flatnonzero(starts), n))
        group_size = np.repeat(sizes, sizes)
        in_cluster = group_size > 1
        ids = table.column(ID).combine_chunks()
        rows = np.flatnonzero(in_cluster)
        kept = pc.take(ids, pa.array(group_start[rows]))
        groups = pa.table(
            {
                ID: pc.take(ids, pa.array(rows)),
                "kept_id": kept,
                # a cluster is named by its kept document, as near_dedup's are
                "cluster_id": kept,
                "size": pa.array(group_size[rows], type=pa.int32()),
                "others": pa.array(group_size[rows] - 1, type=pa.int32()),
            }
        )
        return ExactDuplicates(groups=groups)


def _empty_groups() -> pa.Table:
    return pa.table(
        {
            ID: pa.array([], pa.string()),
            "kept_id": pa.array([], pa.string()),
            "cluster_id": pa.array([], pa.string()),
            "size": pa.array([], pa.int32()),
            "others": pa.array([], pa.int32()),
        }
    )


@dataclass(frozen=True, slots=True)
class ExactDuplicates:
    """The aggregate: every document in a group of size > 1, with its kept id."""

    groups: pa.Table

    def stage(self) -> MarkExactDuplicates:
        return MarkExactDuplicates(groups=self.groups)

    def outputs(self) -> Mapping[str, pa.Table]:
        g = self.groups
        table = pa.table(
            {
                "cluster_id": g.column("cluster_id"),
                ID: g.column(ID),
                "kept_id": g.column("kept_id"),
                "similarity": pa.array(np.ones(g.num_rows, dtype=np.float32)),
                "kind": pa.array(["exact"] * g.num_rows, type=pa.string()),
            }
        )
        return {"duplicates": table.cast(DUPLICATE_SCHEMA)}

    def summary(self) -> Mapping[str, Any]:
        removed = pc.sum(pc.not_equal(self.groups.column(ID), self.groups.column("kept_id")))
        sizes = self.groups.column("size")
        return {
            "clusters": len(set(self.groups.column("cluster_id").to_pylist())),
            "documents_in_clusters": self.groups.num_rows,
            "removed": int(removed.as_py() or 0),
            "largest_cluster": int(pc.max(sizes).as_py() or 0) if len(sizes) else 0,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class MarkExactDuplicates:
    """Mark every group member but the kept one; tag members with cluster and copy count."""

    name: ClassVar[str] = "exact_dedup"
    reasons: ClassVar[tuple[str, ...]] = (DUPLICATE,)
    columns: ClassVar[tuple[pa.Field, ...]] = DUP_COLUMNS
    counters: ClassVar[tuple[str, ...]] = ()

    groups: pa.Table

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        index = pc.index_in(batch.column(ID), value_set=self.groups.column(ID))
        member = pc.is_valid(index)
        if not pc.any(member).as_py():
            return batch
        kept = pc.take(self.groups.column("kept_id"), index)
        cluster = pc.take(self.groups.column("cluster_id"), index)
        others = pc.take(self.groups.column("others"), index)
        batch = set_column(batch, DUP_CLUSTER, pc.coalesce(cluster, batch.column(DUP_CLUSTER)))
        batch = set_column(
            batch, DUP_COUNT, pc.coalesce(others, batch.column(DUP_COUNT).cast(pa.int32()))
        )
        duplicate = pc.and_(member, pc.not_equal(kept, batch.column(ID)))
        detail = pc.binary_join_element_wise("same text as ", kept, "")
        return mark_removed(batch, duplicate, DUPLICATE, detail)
