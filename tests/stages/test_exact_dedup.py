"""exact_dedup: normalised-text hashing, smallest id kept, duplicates table."""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow as pa
import pytest

from cleanse.schema import REASON, conform, document_schema
from cleanse.stages.exact_dedup import DUP_COLUMNS, DUPLICATE, ExactDedup, normalize_for_match
from conftest import make_batch

SCHEMA = document_schema(audit=DUP_COLUMNS)


def dedup(batches: list[pa.RecordBatch], tmp_path: Path) -> tuple[list[pa.RecordBatch], object]:
    stage = ExactDedup()
    batches = [conform(b, SCHEMA) for b in batches]
    aggregate = stage.aggregate((stage.collect(b) for b in batches), workdir=tmp_path)
    apply = aggregate.stage()
    return [apply(b) for b in batches], aggregate


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Hello world", "hello   WORLD\n", True),
        ("caf\N{LATIN SMALL LETTER E WITH ACUTE}", "cafe\N{COMBINING ACUTE ACCENT}", True),
        ("Hello world", "Hello world!", False),
        ("", "   ", True),
    ],
    ids=["case-and-space", "nfkc", "punctuation-differs", "empty"],
)
def test_normalisation(a: str, b: str, same: bool) -> None:
    assert (normalize_for_match(a) == normalize_for_match(b)) is same


def test_keeps_smallest_id_whatever_the_order(tmp_path: Path) -> None:
    texts = ["same text", "other", "Same  text", "SAME TEXT"]
    ids = ["c", "a", "b", "d"]
    out, aggregate = dedup([make_batch(texts, ids=ids)], tmp_path)
    reasons = dict(zip(ids, out[0].column(REASON).to_pylist(), strict=True))
    assert reasons == {"c": DUPLICATE, "a": None, "b": None, "d": DUPLICATE}
    details = [d for d in out[0].column("removal_detail").to_pylist() if d]
    assert details == ["same text as b", "same text as b"]
    dups = aggregate.outputs()["duplicates"].to_pylist()
    assert {(r["id"], r["kept_id"], r["kind"]) for r in dups} == {
        ("b", "b", "exact"),
        ("c", "b", "exact"),
        ("d", "b", "exact"),
    }
    assert len({r["cluster_id"] for r in dups}) == 1
    assert aggregate.summary()["removed"] == 2


def test_independent_of_batching_and_order(tmp_path: Path) -> None:
    rng = random.Random(7)
    texts = [f"document {rng.randrange(40)}" for _ in range(300)]
    ids = [f"id-{i:04d}" for i in range(300)]
    whole, _ = dedup([make_batch(texts, ids=ids)], tmp_path)
    removed = {i for i, r in zip(ids, whole[0].column(REASON).to_pylist(), strict=True) if r}
    order = list(range(300))
    rng.shuffle(order)
    shuffled = [
        make_batch([texts[i] for i in order[k : k + 37]], ids=[ids[i] for i in order[k : k + 37]])
        for k in range(0, 300, 37)
    ]
    parts, _ = dedup(shuffled, tmp_path)
    removed_parts = {
        i
        for b in parts
        for i, r in zip(b.column("id").to_pylist(), b.column(REASON).to_pylist(), strict=True)
        if r
    }
    assert removed == removed_parts
    assert len(removed) == 300 - 40


def test_rows_marked_earlier_are_ignored(tmp_path: Path) -> None:
    from cleanse.stages.base import mark_removed

    batch = conform(make_batch(["x", "x"], ids=["a", "b"]), SCHEMA)
    batch = mark_removed(batch, pa.array([True, False]), "other.reason")
    stage = ExactDedup()
    aggregate = stage.aggregate([stage.collect(batch)], workdir=tmp_path)
    out = aggregate.stage()(batch)
    assert out.column(REASON).to_pylist() == ["other.reason", None]
