"""The barrier's compiled steps against their plain definitions."""

from __future__ import annotations

import numpy as np
import pytest

from cleanse.dedup.index import _GOLDEN, RECORD, band_keys, sort_records
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
            h = ((band + 1) * _GOLDEN) & _M64
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
