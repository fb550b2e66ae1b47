"""Pipeline routing: stages mark, the pipeline routes and counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from cleanse.pipeline import apply_stages, route_read
from cleanse.schema import TEXT
from cleanse.stages.base import map_text, mark_removed
from cleanse.stats import RunStats
from conftest import make_batch


@dataclass(frozen=True, slots=True, kw_only=True)
class EmptyShortDocs:
    """Test stage: blank out short texts, then reject the blank ones."""

    name: ClassVar[str] = "toy"
    reasons: ClassVar[tuple[str, ...]] = ("toy.empty",)
    columns: ClassVar[tuple[pa.Field, ...]] = ()
    counters: ClassVar[tuple[str, ...]] = ()

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        batch = map_text(batch, lambda t: "" if len(t) < 5 else t)
        return mark_removed(batch, pc.equal(batch.column(TEXT), ""), "toy.empty")


def test_rejects_keep_the_text_before_the_stage_emptied_it() -> None:
    stats = RunStats()
    live, rejects = apply_stages([EmptyShortDocs()], make_batch(["tiny", "long enough"]), stats)
    assert live.column(TEXT).to_pylist() == ["long enough"]
    assert rejects[0].column("text").to_pylist() == ["tiny"]
    assert rejects[0].column("stage").to_pylist() == ["toy"]
    toy = stats.stages["toy"]
    assert (toy.rows_in, toy.rows_out, dict(toy.removed)) == (2, 1, {"toy.empty": 1})
    assert (toy.chars_in, toy.chars_out) == (15, 11)


def test_read_routing_counts_quarantined_rows() -> None:
    batch = mark_removed(make_batch(["a", "b"]), pa.array([False, True]), "read.empty")
    stats = RunStats()
    live, rejects = route_read(batch, stats)
    assert live.num_rows == 1 and rejects[0].num_rows == 1
    assert dict(stats.stages["read"].removed) == {"read.empty": 1}


@dataclass(frozen=True, slots=True, kw_only=True)
class FailsOnBoom:
    """Test stage: raises on any batch that holds the word "boom"."""

    name: ClassVar[str] = "fragile"
    reasons: ClassVar[tuple[str, ...]] = ()
    columns: ClassVar[tuple[pa.Field, ...]] = (pa.field("seen", pa.int32()),)
    counters: ClassVar[tuple[str, ...]] = ()

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        if any("boom" in (t or "") for t in batch.column(TEXT).to_pylist()):
            raise ValueError("cannot handle boom")
        return batch.append_column("seen", pa.array([1] * batch.num_rows, pa.int32()))


def test_a_row_a_stage_fails_on_is_quarantined_and_the_rest_goes_on() -> None:
    stats = RunStats()
    batch = make_batch(["fine", "boom here", "also fine"])
    live, rejects = apply_stages([FailsOnBoom()], batch, stats)
    assert live.column(TEXT).to_pylist() == ["fine", "also fine"]
    assert live.column("seen").to_pylist() == [1, 1]
    assert rejects[0].column("reason").to_pylist() == ["fragile.error"]
    assert rejects[0].column("detail").to_pylist() == ["ValueError: cannot handle boom"]
    assert rejects[0].column("text").to_pylist() == ["boom here"]
