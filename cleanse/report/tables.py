"""Read Parquet table folders a little at a time: parts, spread-out row groups, rows by id."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cleanse.schema import ID


def parts(folder: Path) -> list[Path]:
    """Return the Parquet parts of a table folder (none when it is absent)."""
    return sorted(folder.glob("*.parquet")) if folder.is_dir() else []


def count_rows(paths: Sequence[Path]) -> int:
    return sum(pq.ParquetFile(path).metadata.num_rows for path in paths)


def spread(count: int, wanted: int) -> list[int]:
    """Return `wanted` indices spread evenly over ``range(count)``.

    >>> spread(10, 3), spread(2, 5)
    ([0, 3, 6], [0, 1])
    """
    if wanted >= count:
        return list(range(count))
    return sorted({i * count // wanted for i in range(wanted)})


def sample_tables(
    paths: Sequence[Path], columns: Sequence[str], max_rows: int
) -> Iterator[pa.Table]:
    """Yield row groups spread over `paths`, `columns` only, up to `max_rows` rows."""
    files = {path: pq.ParquetFile(path) for path in paths}
    groups = [
        (path, index, files[path].metadata.row_group(index).num_rows)
        for path in paths
        for index in range(files[path].metadata.num_row_groups)
    ]
    total = sum(rows for _, _, rows in groups)
    if total > max_rows and groups:
        wanted = max(1, len(groups) * max_rows // total)
        groups = [groups[i] for i in spread(len(groups), wanted)]
    left = max_rows
    for path, index, _ in groups:
        if left <= 0:
            return
        present = [c for c in columns if c in files[path].schema_arrow.names]
        table = files[path].read_row_group(index, columns=present)
        if table.num_rows > left:
            table = table.slice(0, left)
        left -= table.num_rows
        yield table


def column_values(table: pa.Table, name: str) -> list[Any]:
    if name in table.column_names:
        return table.column(name).to_pylist()
    return [None] * table.num_rows


def read_rows(
    paths: Sequence[Path], ids: set[str], columns: Sequence[str]
) -> Iterator[dict[str, Any]]:
    """Yield the rows of `paths` whose id is in `ids`, with those of `columns` present.

    Reads the ``id`` column of each row group first and the other columns only of the
    row groups that hold a wanted id: a few documents cost a scan of ids, not of text.
    """
    left = set(ids)
    for path in paths:
        if not left:
            return
        parquet = pq.ParquetFile(path)
        present = [c for c in columns if c in parquet.schema_arrow.names]
        for group in range(parquet.metadata.num_row_groups):
            wanted = pa.array(sorted(left), type=pa.string())
            mask = pc.is_in(parquet.read_row_group(group, columns=[ID]).column(ID), wanted)
            if not pc.any(mask).as_py():
                continue
            for row in parquet.read_row_group(group, columns=present).filter(mask).to_pylist():
                left.discard(row[ID])
                yield row
            if not left:
                return
