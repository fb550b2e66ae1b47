"""The barrier's compiled steps against their plain definitions."""

from __future__ import annotations

import numpy as np
import pytest

from cleanse.dedup.index import RECORD, band_keys, sort_records
from cleanse.dedup.kernels import GOLDEN
from cleanse.dedup.params import LshParams

_M64 = (1 << 64) - 1


def _fmix64(h: int) -> int:
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & _M64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & _M64
    return h ^ (h >> 33)


def test_band_keys_fold_each_band_as_defined() -> None:
    rng = np.random.default_rng(3)
    signatures = rng.integers(0, 1 << 32, (5, 12), dtype=np.uint64).astype(np.uint32)
    signatures[1, :4] = signatures[0, :4]  # band 0 shared by documents 0 and 1
    lsh = LshParams(
        threshold=0.8, num_perm=12, num_bands=3, rows_per_band=4, false_positive=0, false_negative=0
    )
    keys = band_keys(signatures, lsh)
    for doc in range(5):
        for band in range(3):
            h = ((band + 1) * int(GOLDEN)) & _M64
            for value in signatures[doc, band * 4 : (band + 1) * 4]:
                h = _fmix64(h ^ int(value))
            assert int(keys[doc, band]) == h
    assert keys[0, 0] == keys[1, 0]
    assert len(set(keys[:, 1].tolist())) == 5


@pytest.mark.parametrize("size", [0, 1, 2, 1000, 70000])
@pytest.mark.parametrize("distinct_keys", [3, 1 << 40])
def test_records_sort_by_key_then_rank_as_lexsort(size: int, distinct_keys: int) -> None:
    rng = np.random.default_rng(size)
    records = np.empty(size, dtype=RECORD)
    records["key"] = rng.integers(0, distinct_keys, size, dtype=np.uint64) << np.uint64(20)
    records["rank"] = rng.integers(0, 1 << 32, size, dtype=np.uint64).astype(np.uint32)
    expected = records[np.lexsort((records["rank"], records["key"]))]
    assert (sort_records(records.copy()) == expected).all()


def test_set_store_jaccard_is_exact_with_rows_in_many_pairs(tmp_path) -> None:
    """Pairs that share rows (a bucket's centre with each member), across chunks, give
    each pair's exact Jaccard, as Python's sets do."""
    from cleanse.dedup import index
    from cleanse.dedup.index import SetStore

    rng = np.random.default_rng(5)
    sizes = rng.integers(0, 60, 50)
    sets = [np.unique(rng.integers(0, 400, n)).astype(np.uint32) for n in sizes]
    sets[7] = sets[3].copy()  # identical
    store = SetStore(tmp_path / "sets.u32")
    sizes = np.array([len(s) for s in sets])
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    store.add(offsets[:26], np.concatenate(sets[:25]), 25)
    store.add(offsets[25:] - offsets[25], np.concatenate(sets[25:]), 25)
    store.close()
    left = np.array([3] * 20 + list(rng.integers(0, 50, 200)) + [0, 9], dtype=np.int64)
    right = np.array(list(range(20)) + list(rng.integers(0, 50, 200)) + [0, 9], dtype=np.int64)

    def exact(a: int, b: int) -> float:
        x, y = set(sets[a].tolist()), set(sets[b].tolist())
        return len(x & y) / len(x | y) if x | y else 1.0

    expected = [exact(a, b) for a, b in zip(left, right, strict=True)]
    assert store.jaccard(left, right).tolist() == pytest.approx(expected, abs=0)
    with pytest.MonkeyPatch.context() as patch:  # many small chunks
        patch.setattr(index, "SET_CHUNK", 64)
        assert store.jaccard(left, right).tolist() == pytest.approx(expected, abs=0)
    assert store.jaccard(np.array([3]), np.array([7])).tolist() == [1.0]
