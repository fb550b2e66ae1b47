"""LSH bands on disk, verified star edges, union-find clusters and the survivor.

Documents are numbered by `rank`: their position in plain string order of ids, so
every number below is independent of batch boundaries and arrival order.

1. `band_keys`: one 64-bit key per band per document (a mix of the band's rows and
   its index, so two bands never share a key).
2. `BandSpill`: ``(key, rank)`` records go to partition files by the key's top bits,
   sized so one partition fits `memory_mb`; each partition is then sorted in memory.
   Partitions cover disjoint key ranges, so this is an external sort whose merge is a
   concatenation: memory stays flat however large the corpus.
3. `verified_edges`: in every bucket of equal keys, each member is compared with the
   bucket's smallest rank (a star, never the clique) by the exact Jaccard of their
   shingle sets (`SetStore`, read from disk); members below the threshold form the
   bucket again around their own smallest rank, so a false-positive centre never
   hides a true pair.
4. `components`: union-find over verified edges; the root of a component is its
   smallest rank.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cleanse.dedup import kernels
from cleanse.dedup.params import LshParams

logger = logging.getLogger(__name__)

RECORD = np.dtype([("key", "<u8"), ("rank", "<u4")])
#: Pairs compared at once in verification (x num_perm x 4 bytes x 2).
PAIR_CHUNK = 16384
#: Shingle hashes gathered at once in exact verification (x 8 bytes, a few copies).
SET_CHUNK = 1 << 22
#: Rounds of re-starring a bucket around its failed members before giving up.
MAX_ROUNDS = 64


def band_keys(signatures: np.ndarray, lsh: LshParams) -> np.ndarray:
    """Return ``(docs, num_bands)`` uint64 keys: band b of two documents is equal iff the keys are.

    (Up to 64-bit collisions, which verification removes.) Band b's key folds its
    rows into ``(b + 1) * golden`` with one MurmurHash3 64-bit finaliser per row.
    """
    return kernels.band_keys(
        np.ascontiguousarray(signatures, dtype=np.uint32),
        lsh.rows_per_band,
        lsh.num_bands,
        kernels.GOLDEN,
    )


def jaccard(signatures: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Return the estimated Jaccard of each pair of rows: the share of equal hash values.

    Same as ``datasketch.MinHash.jaccard`` on the two signatures.
    """
    out = np.empty(len(left), dtype=np.float32)
    for lo in range(0, len(left), PAIR_CHUNK):
        a = signatures[left[lo : lo + PAIR_CHUNK]]
        b = signatures[right[lo : lo + PAIR_CHUNK]]
        out[lo : lo + PAIR_CHUNK] = np.count_nonzero(a == b, axis=1) / signatures.shape[1]
    return out


class SetStore:
    """Every document's sorted distinct shingle hashes, in one file of uint32 by row.

    Rows are appended in arrival order; ``offsets`` (int64, one per row + 1) stay in
    memory, the values on disk. A row appended with ``None`` has no set (a signature
    stored by an older cleanse) and is compared by its signature instead.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = path.open("wb")
        self._sizes: list[np.ndarray] = []
        self.offsets = np.zeros(1, dtype=np.int64)
        self.has_set = np.zeros(0, dtype=bool)

    def add(
        self,
        offsets: np.ndarray | None,
        values: np.ndarray | None,
        rows: int,
        keep: np.ndarray | None = None,
    ) -> None:
        """Append `rows` sets given as list offsets and flat values (or no sets).

        `keep` (bool per list row) selects the rows to append; a row left out must
        have an empty set (documents without shingles), so the values are written
        as they are, without a copy.
        """
        if offsets is None or values is None:
            self._sizes.append(np.full(rows, -1, dtype=np.int64))
            return
        start, stop = int(offsets[0]), int(offsets[-1])
        sizes = np.diff(offsets)
        if keep is not None:
            if sizes[~keep].any():
                msg = "SetStore.add: a row left out has shingles"
                raise ValueError(msg)
            sizes = sizes[keep]
        np.ascontiguousarray(values[start:stop], dtype=np.uint32).tofile(self._file)
        self._sizes.append(sizes.astype(np.int64))

    def close(self) -> None:
        """Finish writing; compute offsets."""
        self._file.close()
        sizes = np.concatenate(self._sizes) if self._sizes else np.zeros(0, np.int64)
        self._sizes = []
        self.has_set = sizes >= 0
        self.offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
        np.cumsum(np.maximum(sizes, 0), out=self.offsets[1:])

    def sizes(self, rows: np.ndarray) -> np.ndarray:
        """Return the number of shingles of each of `rows` (0 for a row without a set)."""
        return self.offsets[rows + 1] - self.offsets[rows]

    def values(self, rows: np.ndarray) -> np.ndarray:
        """Return the concatenated sets of `rows`, read from disk."""
        starts, lengths = self.offsets[rows], self.sizes(rows)
        out = np.empty(int(lengths.sum()), dtype=np.uint32)
        if not len(out):
            return out
        # Positioned reads, not a memory map: mapped pages would count as resident
        # until unmapped, and candidate pairs touch the whole file. Rows that follow
        # each other on disk (the common case when `rows` is sorted) share one read.
        ends = starts + lengths
        cut = np.flatnonzero(starts[1:] != ends[:-1]) + 1
        run_starts = starts[np.concatenate([[0], cut])]
        run_ends = ends[np.concatenate([cut - 1, [len(rows) - 1]])]
        view = memoryview(out).cast("B")
        fd = os.open(self.path, os.O_RDONLY)
        try:
            position = 0
            for start, stop in zip(run_starts.tolist(), run_ends.tolist(), strict=True):
                if stop > start:
                    size = (stop - start) * 4
                    view[position : position + size] = os.pread(fd, size, start * 4)
                    position += size
        finally:
            os.close(fd)
        return out

    def jaccard(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """Return the exact Jaccard of the sets of rows `left[i]` and `right[i]`.

        Sets are sorted and distinct: a merge of the two counts the common values
        (`kernels.common_counts`). Pairs go in chunks of at most `SET_CHUNK` values;
        each row of a chunk is read once, however many of its pairs it is in (a
        bucket's centre is in all of them), in row order. Two empty sets have
        Jaccard 1.
        """
        left_sizes, right_sizes = self.sizes(left), self.sizes(right)
        out = np.empty(len(left), dtype=np.float64)
        cost = np.cumsum(left_sizes + right_sizes)
        lo = 0
        while lo < len(left):
            hi = int(np.searchsorted(cost, (cost[lo - 1] if lo else 0) + SET_CHUNK, "right"))
            hi = max(hi, lo + 1)
            rows, at = np.unique(np.concatenate([left[lo:hi], right[lo:hi]]), return_inverse=True)
            at = at.reshape(-1)
            common = kernels.common_counts(
                self.values(rows), _offsets(self.sizes(rows)), at[: hi - lo], at[hi - lo :]
            )
            union = left_sizes[lo:hi] + right_sizes[lo:hi] - common
            out[lo:hi] = np.where(union > 0, common / np.maximum(union, 1), 1.0)
            lo = hi
        return out


def _offsets(sizes: np.ndarray) -> np.ndarray:
    offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    return offsets


def similarity_function(
    sets: SetStore, signatures: np.ndarray
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """Return ``f(left_rows, right_rows) -> Jaccard``: exact where both rows have a set.

    Rows without a set (signatures stored by an older cleanse) fall back to the
    estimate from the signatures.
    """

    def similarity(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        exact = sets.has_set[left] & sets.has_set[right]
        if exact.all():
            return sets.jaccard(left, right)
        out = np.empty(len(left), dtype=np.float64)
        out[exact] = sets.jaccard(left[exact], right[exact])
        out[~exact] = jaccard(signatures, left[~exact], right[~exact])
        return out

    return similarity


class BandSpill:
    """Band-key records spilled to partition files under `folder`, read back sorted."""

    def __init__(self, folder: Path, *, expected_records: int, memory_mb: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        budget = max(1, memory_mb) << 20
        # Sorting and bucketing a partition need the records, a sort index, a sorted
        # copy and a few int64 arrays per record: ~4x their size.
        need = 4 * expected_records * RECORD.itemsize
        self.bits = max(0, int(np.ceil(np.log2(max(need / budget, 1.0)))))
        self.paths = [folder / f"bands-{i:04d}.bin" for i in range(1 << self.bits)]
        for path in self.paths:
            path.write_bytes(b"")
        self.records = 0

    def add(self, keys: np.ndarray, ranks: np.ndarray) -> None:
        """Append one record per (document, band): `keys` is ``(docs, bands)``."""
        records = np.empty(keys.size, dtype=RECORD)
        records["key"] = keys.reshape(-1)
        records["rank"] = np.repeat(ranks.astype(np.uint32), keys.shape[1])
        self.records += len(records)
        if self.bits == 0:
            parts = [records]
        else:
            part = (records["key"] >> np.uint64(64 - self.bits)).astype(np.int64)
            order = np.argsort(part, kind="stable")
            bounds = np.searchsorted(part[order], np.arange(len(self.paths) + 1))
            parts = [records[order[bounds[i] : bounds[i + 1]]] for i in range(len(self.paths))]
        for path, chunk in zip(self.paths, parts, strict=True):
            if len(chunk):
                with path.open("ab") as handle:
                    chunk.tofile(handle)

    def sorted_partitions(self) -> Iterator[np.ndarray]:
        """Yield each partition's records sorted by (key, rank), deleting its file."""
        for path in self.paths:
            records = np.fromfile(path, dtype=RECORD)
            path.unlink()
            if len(records):
                yield sort_records(records)
            del records


def sort_records(records: np.ndarray) -> np.ndarray:
    """Return band records sorted by (key, rank), in the order ``np.lexsort`` gives."""
    keys, ranks = records["key"].copy(), records["rank"].copy()
    kernels.sort_by_key_then_rank(keys, ranks)
    records["key"], records["rank"] = keys, ranks
    return records


@dataclass(slots=True)
class EdgeStats:
    """Counts reported in the summary."""

    buckets: int = 0
    largest_bucket: int = 0
    candidate_edges: int = 0
    verified_edges: int = 0
    rounds: int = 0
    unresolved: int = 0


def verified_edges(
    records: np.ndarray,
    similarity: Callable[[np.ndarray, np.ndarray], np.ndarray],
    row_of_rank: np.ndarray,
    threshold: float,
    stats: EdgeStats,
) -> np.ndarray:
    """Return the verified star edges (ranks) of sorted band records, packed and distinct.

    Each edge is ``smaller << 32 | larger`` (uint64, see `unpack_edges`).
    ``similarity(rows, rows)`` gives the Jaccard of documents by row; rank ``r`` is
    row ``row_of_rank[r]``. Each bucket (run of equal keys) is a star to its
    smallest rank; members whose Jaccard with the centre is below `threshold` are
    dropped from that star and re-starred among themselves. A pair met in several
    bands is compared once.
    """
    keys = records["key"]
    new = np.empty(len(keys), dtype=bool)
    new[:1] = True
    np.not_equal(keys[1:], keys[:-1], out=new[1:])
    # Keep only records whose bucket has two or more members, before any int64 array.
    starts = np.flatnonzero(new)
    sizes = np.diff(np.append(starts, len(keys)))
    stats.buckets += int(np.count_nonzero(sizes >= 2))
    stats.largest_bucket = max(stats.largest_bucket, int(sizes.max(initial=0)))
    in_bucket = np.repeat(sizes >= 2, sizes)
    del new, keys
    ranks = records["rank"][in_bucket].astype(np.int64)
    group = np.repeat(np.arange(len(sizes), dtype=np.int64)[sizes >= 2], sizes[sizes >= 2])
    del in_bucket, starts, sizes
    found = []
    for round_number in range(MAX_ROUNDS):
        if not len(ranks):
            break
        stats.rounds = max(stats.rounds, round_number + 1)
        first = np.append(True, group[1:] != group[:-1])
        centre = ranks[first][np.cumsum(first) - 1]
        member = ~first & (ranks != centre)
        left, right = centre[member], ranks[member]
        # Bands of one document often agree: compare each distinct pair once.
        packed = (left.astype(np.uint64) << np.uint64(32)) | right.astype(np.uint64)
        distinct, inverse = np.unique(packed, return_inverse=True)
        stats.candidate_edges += len(distinct)
        scores = similarity(
            row_of_rank[(distinct >> np.uint64(32)).astype(np.int64)],
            row_of_rank[(distinct & np.uint64(0xFFFFFFFF)).astype(np.int64)],
        )
        passed = scores >= threshold
        found.append(distinct[passed])
        ok = passed[inverse.reshape(-1)]
        # The failed members of each bucket, if two or more, form it again.
        failed_group, failed_rank = group[member][~ok], right[~ok]
        sizes = np.bincount(failed_group) if len(failed_group) else np.zeros(0, np.int64)
        again = sizes[failed_group] >= 2 if len(failed_group) else np.zeros(0, bool)
        group, ranks = failed_group[again], failed_rank[again]
    else:
        stats.unresolved += len(ranks)
    # A centre is the smallest rank of its bucket, so every edge is (smaller, larger).
    return np.unique(np.concatenate(found)) if found else np.zeros(0, np.uint64)


def unpack_edges(packed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(smaller, larger)`` int64 ranks of packed edges."""
    return (packed >> np.uint64(32)).astype(np.int64), (packed & np.uint64(0xFFFFFFFF)).astype(
        np.int64
    )


def components(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(nodes, roots)``: every node on an edge and its component's smallest node.

    Vectorised union-find (hook and shortcut) over the nodes renumbered densely,
    which keeps their order: each round hooks the larger root of every edge under
    the smaller one, then halves paths until every node points at a root. Parents
    only decrease and stay in their component, so at the fixed point each
    component's root is its smallest node. A few rounds (about log of the longest
    chain) on web corpora.
    """
    nodes = np.unique(np.concatenate([left, right]))
    a = np.searchsorted(nodes, left)
    b = np.searchsorted(nodes, right)
    parent = np.arange(len(nodes), dtype=np.int64)
    while len(a):
        root_a, root_b = parent[a], parent[b]
        differ = root_a != root_b
        if not differ.any():
            break
        a, b = a[differ], b[differ]
        low = np.minimum(root_a[differ], root_b[differ])
        high = np.maximum(root_a[differ], root_b[differ])
        np.minimum.at(parent, high, low)
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
    return nodes, nodes[parent]


def choose_kept(nodes: np.ndarray, roots: np.ndarray, preference: np.ndarray) -> np.ndarray:
    """Return the kept node for each of `nodes`: the most preferred of its component.

    `preference` (aligned with `nodes`, larger is better; ties go to the smallest
    node) is the keep policy. Depends only on ranks and values, never on order.
    """
    if not len(nodes):
        return nodes
    order = np.lexsort((nodes, -preference, roots))
    sorted_roots = roots[order]
    first = np.append(True, sorted_roots[1:] != sorted_roots[:-1])
    best = nodes[order][first]
    return best[np.searchsorted(sorted_roots[first], roots)]
