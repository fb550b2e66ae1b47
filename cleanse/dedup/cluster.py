"""The barrier of ``near_dedup``: signatures in, clusters and survivors out.

Three passes over data on disk, with memory bounded by ``memory_mb`` plus about 40
bytes per document (ids as one Arrow string array, int32 ranks, lengths, set
offsets):

1. `Intake` reads every key batch once, as it arrives, and keeps none: ids and keep
   values stay in memory, signatures are appended to ``workdir/signatures.u32`` and
   shingle sets to ``workdir/sets.u32`` (`SetStore`);
2. rank documents by id, compute band keys chunk by chunk and spill them to
   partition files (`BandSpill`);
3. per sorted partition, star edges verified by the exact Jaccard of the shingle
   sets (read back with positioned reads); then a vectorised union-find, the keep
   policy and the exact similarity of each document to its kept one. The stored
   signatures are streamed from the files when written, 8192 rows at a time.

Peak memory does not grow with the corpus beyond those per-document arrays (see
``benchmarks/dedup.md``); what the caller's key reader holds is its own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cleanse.dedup.index import (
    BandSpill,
    EdgeStats,
    SetStore,
    band_keys,
    choose_kept,
    components,
    similarity_function,
    unpack_edges,
    verified_edges,
)
from cleanse.schema import DUPLICATE_SCHEMA, ID

if TYPE_CHECKING:
    from cleanse.dedup.stages import NearDedup, NearDedupResult

logger = logging.getLogger(__name__)

#: Signature rows read per step of the band pass (x num_perm x 4 bytes).
BAND_CHUNK = 16384
#: Rows per batch of the stored signatures (each carries its shingle set, ~2 KB).
OUTPUT_CHUNK = 8192


def _preference(values: pa.Array | None, lengths: np.ndarray, keep: str) -> np.ndarray:
    """Return a float64 per document: larger is kept first (ties: smallest id)."""
    if keep == "first":
        return np.zeros(len(lengths))
    if keep == "longest":
        return lengths.astype(np.float64)
    if values is None:
        return np.zeros(len(lengths))
    if pa.types.is_temporal(values.type):
        values = values.cast(pa.int64())
    # Dense rank keeps int64 timestamps and ISO date strings exact; nulls rank last.
    ranks = pc.rank(values, sort_keys="ascending", tiebreaker="dense")
    ranked = np.asarray(ranks, dtype=np.float64)
    ranked[np.asarray(pc.is_null(values), dtype=bool)] = 0.0
    return ranked


class SpilledSignatures:
    """The ``near_dedup_signatures`` output, read back from the barrier's files on demand.

    Quacks like the part of ``pa.Table`` the engine's writer uses (``schema``,
    ``num_rows``, ``to_batches``), so a 1M-document corpus never holds its
    signatures and shingle sets in memory at once. Valid while `workdir` exists;
    `to_table` materialises it.
    """

    def __init__(
        self,
        ids: pa.StringArray,
        sig_path: Path,
        sets: SetStore,
        num_perm: int,
        metadata: dict[str, str],
    ) -> None:
        self._ids, self._sig_path, self._sets, self._num_perm = ids, sig_path, sets, num_perm
        self.schema = signature_schema(num_perm).with_metadata(metadata)
        self.num_rows = len(ids)

    def to_batches(self, max_chunksize: int | None = None) -> Iterator[pa.RecordBatch]:
        """Yield the rows as record batches of at most `max_chunksize` rows."""
        return self._iter_batches(min(max_chunksize or OUTPUT_CHUNK, OUTPUT_CHUNK))

    def _iter_batches(self, size: int) -> Iterator[pa.RecordBatch]:
        with self._sig_path.open("rb") as sig_file:
            for lo in range(0, self.num_rows, size):
                rows = np.arange(lo, min(lo + size, self.num_rows))
                flat = np.fromfile(sig_file, dtype=np.uint32, count=len(rows) * self._num_perm)
                sizes = self._sets.sizes(rows)
                set_offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int32)
                values = pa.array(self._sets.values(rows), pa.uint32())
                shingle_set = pa.ListArray.from_arrays(
                    pa.array(set_offsets, pa.int32()),
                    values,
                    mask=pa.array(~self._sets.has_set[rows]),
                )
                yield pa.RecordBatch.from_arrays(
                    [
                        self._ids.slice(lo, len(rows)),
                        pa.FixedSizeListArray.from_arrays(pa.array(flat), self._num_perm),
                        shingle_set,
                    ],
                    schema=self.schema,
                )

    def to_table(self) -> pa.Table:
        """Read every row into one table."""
        return pa.Table.from_batches(list(self.to_batches()), schema=self.schema)


def signature_schema(num_perm: int) -> pa.Schema:
    """Schema of ``near_dedup_signatures``: id, signature, sorted distinct shingle hashes."""
    from cleanse.dedup.stages import MINHASH, SHINGLE_SET

    return pa.schema(
        [
            pa.field(ID, pa.string()),
            pa.field(MINHASH, pa.list_(pa.uint32(), num_perm)),
            pa.field(SHINGLE_SET, pa.list_(pa.uint32())),
        ]
    )


class Intake:
    """Read each key batch once: compact per-document arrays in memory, the rest to disk.

    Kept in memory, a few bytes per document: ids (one Arrow string array), text
    lengths, previous flags, keep values (only for ``keep="newest"``/``"score"``).
    Signatures are appended to ``signatures.u32`` and shingle sets to `SetStore`.
    Documents without shingles are dropped here (they have no signature).
    """

    def __init__(self, workdir: Path, *, num_perm: int, keep_column: bool) -> None:
        self.sig_path = workdir / "signatures.u32"
        self._sig_file = self.sig_path.open("wb")
        self.sets = SetStore(workdir / "sets.u32")
        self.num_perm = num_perm
        self._keep_column = keep_column
        self._ids: list[pa.Array] = []
        self._lengths: list[np.ndarray] = []
        self._previous: list[np.ndarray] = []
        self._values: list[pa.Array] = []
        self.docs_in = self.skipped = 0

    def add(self, source: pa.RecordBatch, *, is_previous: bool) -> None:
        """Take one batch of keys (or of stored signatures when `is_previous`)."""
        from cleanse.dedup.stages import KEEP_VALUE, LENGTH, MINHASH, SHINGLE_SET, SHINGLES

        rows = source.num_rows
        keep = None
        if not is_previous:
            self.docs_in += rows
            has = np.asarray(source.column(SHINGLES), dtype=np.int64) > 0
            if not has.all():
                keep = has
                self.skipped += rows - int(has.sum())
        if keep is not None and not keep.any():
            return
        mask = pa.array(keep) if keep is not None else None

        def column(name: str) -> pa.Array:
            array = source.column(name)
            return array.filter(mask) if mask is not None else array

        minhash = source.column(MINHASH)
        flat = np.asarray(minhash.values, dtype=np.uint32)
        flat = flat[minhash.offset * self.num_perm : (minhash.offset + rows) * self.num_perm]
        flat = flat.reshape(rows, self.num_perm)
        (flat[keep] if keep is not None else flat).tofile(self._sig_file)
        sets = source.column(SHINGLE_SET) if SHINGLE_SET in source.schema.names else None
        if sets is None or sets.null_count:
            kept = int(keep.sum()) if keep is not None else rows
            self.sets.add(None, None, kept)
        else:
            offsets = np.asarray(sets.offsets, dtype=np.int64)
            self.sets.add(offsets, np.asarray(sets.values, dtype=np.uint32), rows, keep)
        # Copies, so that no buffer of the batch outlives it.
        self._ids.append(pa.concat_arrays([column(ID).cast(pa.string())]))
        kept = len(self._ids[-1])
        if LENGTH in source.schema.names:
            self._lengths.append(np.array(column(LENGTH), dtype=np.int64))
        else:
            self._lengths.append(np.zeros(kept, dtype=np.int64))
        self._previous.append(np.full(kept, is_previous))
        if KEEP_VALUE in source.schema.names:
            self._values.append(pa.concat_arrays([column(KEEP_VALUE)]))
        elif self._keep_column:
            self._values.append(pa.nulls(kept))

    def close(self) -> tuple[pa.StringArray, np.ndarray, np.ndarray, pa.Array | None]:
        """Return ``(ids, lengths, is_previous, keep_values)`` of every document taken."""
        self._sig_file.close()
        self.sets.close()
        ids = pa.concat_arrays(self._ids) if self._ids else pa.array([], pa.string())
        lengths = np.concatenate(self._lengths) if self._lengths else np.zeros(0, np.int64)
        previous = np.concatenate(self._previous) if self._previous else np.zeros(0, bool)
        values = None
        if self._values:
            target = self._values[-1].type
            values = pa.concat_arrays(
                [
                    pa.nulls(len(v), target) if pa.types.is_null(v.type) else v.cast(target)
                    for v in self._values
                ]
            )
        self._ids = self._lengths = self._previous = self._values = []
        return ids, lengths, previous, values


def cluster(stage: NearDedup, keys: Iterable[pa.RecordBatch], *, workdir: Path) -> NearDedupResult:
    """Cluster every collected signature of the corpus (see the module docstring)."""
    from cleanse.dedup.stages import (
        MarkNearDuplicates,
        NearDedupResult,
        _params_tag,
        lsh_for,
        previous_batches,
    )

    started = time.perf_counter()
    workdir.mkdir(parents=True, exist_ok=True)
    lsh = lsh_for(stage)
    intake = Intake(workdir, num_perm=stage.num_perm, keep_column=stage.keep in ("newest", "score"))
    for batch in previous_batches(stage):
        intake.add(batch, is_previous=True)
    for batch in keys:  # consumed once, never held
        intake.add(batch, is_previous=False)
        del batch
    id_array, length, is_previous, keep_values = intake.close()
    # The key batches are gone; hand the Arrow pool's freed pages back to the system
    # before the numpy phases (mimalloc keeps them otherwise: ~0.7 GB after
    # 65536-row key batches).
    pa.default_memory_pool().release_unused()
    sets, sig_path = intake.sets, intake.sig_path
    total = len(id_array)
    signatures = (
        np.memmap(sig_path, dtype=np.uint32, mode="r", shape=(total, stage.num_perm))
        if total
        else np.zeros((0, stage.num_perm), np.uint32)
    )
    similarity = similarity_function(sets, signatures)
    # Rank = position in id order: ties (repeated ids) keep arrival order.
    row_of_rank = np.asarray(pc.sort_indices(id_array), dtype=np.int64).astype(np.int32)
    rank_of_row = np.empty(total, dtype=np.int32)
    rank_of_row[row_of_rank] = np.arange(total, dtype=np.int32)

    spill = BandSpill(
        workdir / "bands", expected_records=total * lsh.num_bands, memory_mb=stage.memory_mb
    )
    # Sequential reads, not the memory map: pages read once need not stay resident.
    with sig_path.open("rb") as sig_file:
        for lo in range(0, total, BAND_CHUNK):
            count = min(BAND_CHUNK, total - lo) * stage.num_perm
            chunk = np.fromfile(sig_file, dtype=np.uint32, count=count)
            chunk = chunk.reshape(-1, stage.num_perm)
            spill.add(band_keys(chunk, lsh), rank_of_row[lo : lo + BAND_CHUNK])
    del rank_of_row
    stats = EdgeStats()
    packed = [
        verified_edges(records, similarity, row_of_rank, stage.threshold, stats)
        for records in spill.sorted_partitions()
    ]
    left, right = unpack_edges(
        np.unique(np.concatenate(packed)) if packed else np.zeros(0, np.uint64)
    )
    del packed
    stats.verified_edges = len(left)
    nodes, roots = components(left, right)
    del left, right
    rows = row_of_rank[nodes].astype(np.int64)
    preference = _preference(
        keep_values.take(pa.array(rows)) if keep_values is not None else None,
        length[rows],
        stage.keep,
    )
    # Documents of an earlier corpus are already published: they always survive.
    preference = preference + np.where(is_previous[rows], 2.0 * (total + 1) + 1e12, 0.0)
    kept = choose_kept(nodes, roots, preference)
    kept_rows = row_of_rank[kept].astype(np.int64)
    to_kept = similarity(rows, kept_rows)
    to_kept[nodes == kept] = 1.0
    root_values, root_index = np.unique(roots, return_inverse=True)
    sizes = np.bincount(root_index.reshape(-1))
    size_of = sizes[root_index.reshape(-1)]

    current = ~is_previous[rows]
    node_ids = id_array.take(pa.array(rows[current]))
    kept_ids = id_array.take(pa.array(kept_rows[current]))
    order = pa.array(np.lexsort((nodes[current], kept[current])))
    duplicates = pa.Table.from_arrays(
        [
            kept_ids.take(order),
            node_ids.take(order),
            kept_ids.take(order),
            pa.array(to_kept[current][order.to_numpy()], pa.float32()),
            pa.repeat(pa.scalar("near", pa.string()), len(order)),
        ],
        schema=DUPLICATE_SCHEMA,
    )
    removed = (nodes != kept) & current
    by_id = pc.sort_indices(node_ids)
    by_id_np = np.asarray(by_id, dtype=np.int64)
    marker = MarkNearDuplicates(
        ids=node_ids.take(by_id),
        cluster=kept_ids.take(by_id),
        count=pa.array((size_of[current] - 1)[by_id_np].astype(np.int32), pa.int32()),
        removed=pa.array(removed[current][by_id_np], pa.bool_()),
    )
    stored = SpilledSignatures(
        id_array, sig_path, sets, stage.num_perm, {"cleanse.minhash": _params_tag(stage.minhash)}
    )
    del signatures
    facts = _facts(stage, lsh, stats, sizes, root_values, nodes, id_array, row_of_rank)
    facts.update(
        docs=intake.docs_in,
        docs_without_signature=int(intake.skipped),
        previous_docs=int(is_previous.sum()),
        spill_partitions=len(spill.paths),
        band_records=spill.records,
        duplicates_removed=int(removed.sum()),
        verification="exact" if sets.has_set.all() else "exact, estimated for stored signatures",
        seconds=round(time.perf_counter() - started, 3),
    )
    logger.info(
        "near_dedup: %d docs, %d candidate pairs, %d verified, %d clusters, %d removed",
        intake.docs_in,
        stats.candidate_edges,
        stats.verified_edges,
        facts["clusters"],
        facts["duplicates_removed"],
    )
    return NearDedupResult(marker=marker, duplicates=duplicates, signatures=stored, facts=facts)


def _facts(
    stage: NearDedup,
    lsh: Any,
    stats: EdgeStats,
    sizes: np.ndarray,
    root_ids: np.ndarray,
    nodes: np.ndarray,
    id_array: pa.StringArray,
    row_of_rank: np.ndarray,
) -> dict[str, Any]:
    largest = np.argsort(-sizes, kind="stable")[:10]
    giant = [
        {"kept_id": id_array[int(row_of_rank[root_ids[i]])].as_py(), "size": int(sizes[i])}
        for i in largest
        if sizes[i] >= stage.giant_size
    ]
    return {
        "minhash": stage.minhash.as_dict(),
        "lsh": lsh.as_dict(),
        "threshold": stage.threshold,
        "keep": stage.keep,
        "buckets": stats.buckets,
        "largest_bucket": stats.largest_bucket,
        "candidate_edges": stats.candidate_edges,
        "verified_edges": stats.verified_edges,
        "verification_rounds": stats.rounds,
        "unresolved_members": stats.unresolved,
        "clusters": len(root_ids),
        "docs_in_clusters": len(nodes),
        "largest_clusters": [int(sizes[i]) for i in largest],
        "giant_components": giant,
    }
