"""The barrier of ``near_dedup``: signatures in, clusters and survivors out.

Three passes over data on disk, with memory bounded by ``memory_mb`` plus a few
bytes per document (ids, ranks, lengths):

1. read every key batch once: ids and keep values stay in memory, signatures are
   appended to ``workdir/signatures.u32`` and shingle sets to ``workdir/sets.u32``
   (`SetStore`);
2. rank documents by id, compute band keys chunk by chunk and spill them
   (`BandSpill`);
3. per sorted partition, star edges verified by the exact Jaccard of the shingle
   sets; then union-find, keep policy and the exact similarity of each document to
   its kept one. The stored signatures are streamed from the files when written.
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
    unique_edges,
    verified_edges,
)
from cleanse.schema import DUPLICATE_SCHEMA, ID

if TYPE_CHECKING:
    from cleanse.dedup.stages import NearDedup, NearDedupResult

logger = logging.getLogger(__name__)

#: Signature rows read per step of the band pass.
BAND_CHUNK = 65536


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
        return self._iter_batches(max_chunksize or BAND_CHUNK)

    def _iter_batches(self, size: int) -> Iterator[pa.RecordBatch]:
        with self._sig_path.open("rb") as sig_file:
            for lo in range(0, self.num_rows, size):
                rows = np.arange(lo, min(lo + size, self.num_rows))
                flat = np.fromfile(sig_file, dtype=np.uint32, count=len(rows) * self._num_perm)
                sizes = np.diff(self._sets.offsets)[rows]
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


def _set_column(source: pa.RecordBatch | pa.Table) -> tuple[np.ndarray, np.ndarray] | None:
    """Return ``(offsets, values)`` of a source's shingle sets, or None if it has none."""
    from cleanse.dedup.stages import SHINGLE_SET

    if SHINGLE_SET not in source.schema.names:
        return None
    column = source.column(SHINGLE_SET)
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if column.null_count:
        return None
    offsets = np.asarray(column.offsets, dtype=np.int64)
    values = np.asarray(column.values, dtype=np.uint32)
    return offsets, values


def cluster(stage: NearDedup, keys: Iterable[pa.RecordBatch], *, workdir: Path) -> NearDedupResult:
    """Cluster every collected signature of the corpus (see the module docstring)."""
    from cleanse.dedup.stages import (
        KEEP_VALUE,
        LENGTH,
        MINHASH,
        SHINGLES,
        MarkNearDuplicates,
        NearDedupResult,
        _params_tag,
        lsh_for,
        previous_signatures,
    )

    started = time.perf_counter()
    workdir.mkdir(parents=True, exist_ok=True)
    lsh = lsh_for(stage)
    sig_path = workdir / "signatures.u32"
    sets = SetStore(workdir / "sets.u32")
    ids, lengths, values, previous = [], [], [], []
    docs_in = skipped = 0
    with sig_path.open("wb") as sig_file:
        sources: list[tuple[pa.RecordBatch | pa.Table, bool]] = []
        before = previous_signatures(stage)
        if before is not None:
            sources.append((before, True))
        for source, is_previous in [*sources, *((batch, False) for batch in keys)]:
            if not is_previous:
                docs_in += source.num_rows
                has = pc.greater(source.column(SHINGLES), 0)
                skipped += source.num_rows - pc.sum(has.cast(pa.int64())).as_py()
                source = source.filter(has)
            if not source.num_rows:
                continue
            minhash = source.column(MINHASH)
            if isinstance(minhash, pa.ChunkedArray):
                minhash = minhash.combine_chunks()
            flat = np.asarray(minhash.flatten(), dtype=np.uint32)
            flat.tofile(sig_file)
            found = _set_column(source)
            sets.add(*(found or (None, None)), rows=source.num_rows)
            ids.append(source.column(ID).cast(pa.string()))
            if LENGTH in source.schema.names:
                lengths.append(np.asarray(source.column(LENGTH), dtype=np.int64))
            else:
                lengths.append(np.zeros(source.num_rows, dtype=np.int64))
            previous.append(np.full(source.num_rows, is_previous))
            if KEEP_VALUE in source.schema.names:
                values.append(source.column(KEEP_VALUE))
            elif stage.keep in ("newest", "score"):
                values.append(pa.nulls(source.num_rows))
    sets.close()
    id_array = (
        pa.chunked_array(ids, type=pa.string()).combine_chunks()
        if ids
        else pa.array([], pa.string())
    )
    total = len(id_array)
    length = np.concatenate(lengths) if lengths else np.zeros(0, np.int64)
    is_previous = np.concatenate(previous) if previous else np.zeros(0, bool)
    keep_values = None
    if values:
        keep_values = pa.chunked_array(
            [
                v.cast(values[-1].type)
                if not pa.types.is_null(v.type)
                else pa.nulls(len(v), values[-1].type)
                for v in values
            ]
        ).combine_chunks()
    signatures = (
        np.memmap(sig_path, dtype=np.uint32, mode="r", shape=(total, stage.num_perm))
        if total
        else np.zeros((0, stage.num_perm), np.uint32)
    )
    similarity = similarity_function(sets, signatures)
    # Rank = position in id order: ties (repeated ids) keep arrival order.
    row_of_rank = np.asarray(pc.sort_indices(id_array), dtype=np.int64)
    rank_of_row = np.empty(total, dtype=np.int64)
    rank_of_row[row_of_rank] = np.arange(total)

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
    stats = EdgeStats()
    centres, members = [], []
    for records in spill.sorted_partitions():
        c, m = verified_edges(records, similarity, row_of_rank, stage.threshold, stats)
        centres.append(c)
        members.append(m)
    left, right = unique_edges(
        np.concatenate(centres) if centres else np.zeros(0, np.int64),
        np.concatenate(members) if members else np.zeros(0, np.int64),
    )
    stats.verified_edges = len(left)
    nodes, roots = components(left, right)
    rows = row_of_rank[nodes]
    preference = _preference(
        keep_values.take(pa.array(rows)) if keep_values is not None else None,
        length[rows],
        stage.keep,
    )
    # Documents of an earlier corpus are already published: they always survive.
    preference = preference + np.where(is_previous[rows], 2.0 * (total + 1) + 1e12, 0.0)
    kept = choose_kept(nodes, roots, preference)
    to_kept = similarity(rows, row_of_rank[kept])
    to_kept[nodes == kept] = 1.0
    sizes = np.bincount(np.searchsorted(np.unique(roots), roots))
    size_of = sizes[np.searchsorted(np.unique(roots), roots)]

    current = ~is_previous[rows]
    node_ids = id_array.take(pa.array(rows[current]))
    kept_ids = id_array.take(pa.array(row_of_rank[kept[current]]))
    order = np.lexsort((nodes[current], kept[current]))
    duplicates = pa.Table.from_arrays(
        [
            kept_ids.take(pa.array(order)),
            node_ids.take(pa.array(order)),
            kept_ids.take(pa.array(order)),
            pa.array(to_kept[current][order], pa.float32()),
            pa.array(np.full(len(order), "near", dtype=object), pa.string()),
        ],
        schema=DUPLICATE_SCHEMA,
    )
    removed = (nodes != kept) & current
    by_id = np.asarray(pc.sort_indices(node_ids), dtype=np.int64)
    marker = MarkNearDuplicates(
        ids=node_ids.take(pa.array(by_id)),
        cluster=kept_ids.take(pa.array(by_id)),
        count=pa.array((size_of[current] - 1)[by_id].astype(np.int32), pa.int32()),
        removed=pa.array(removed[current][by_id], pa.bool_()),
    )
    stored = SpilledSignatures(
        id_array, sig_path, sets, stage.num_perm, {"cleanse.minhash": _params_tag(stage.minhash)}
    )
    del signatures
    facts = _facts(stage, lsh, stats, sizes, roots, nodes, id_array, row_of_rank)
    facts.update(
        docs=docs_in,
        docs_without_signature=int(skipped),
        previous_docs=int(is_previous.sum()),
        spill_partitions=len(spill.paths),
        band_records=spill.records,
        duplicates_removed=int(removed.sum()),
        verification="exact" if sets.has_set.all() else "exact, estimated for stored signatures",
        seconds=round(time.perf_counter() - started, 3),
    )
    logger.info(
        "near_dedup: %d docs, %d candidate pairs, %d verified, %d clusters, %d removed",
        docs_in,
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
    roots: np.ndarray,
    nodes: np.ndarray,
    id_array: pa.StringArray,
    row_of_rank: np.ndarray,
) -> dict[str, Any]:
    root_ids = np.unique(roots)
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
