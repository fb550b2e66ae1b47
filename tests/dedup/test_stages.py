"""The near_dedup corpus stage: collect, aggregate, mark (issue 4)."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from cleanse.dedup.shingles import shingles
from cleanse.dedup.stages import DUP_CLUSTER, DUP_COUNT, DUPLICATE, NearDedup
from cleanse.schema import DUPLICATE_SCHEMA, ID, REASON
from cleanse.stages.base import mark_removed
from conftest import make_batch, shared_data

SEED_ARTICLE = (
    Path(__file__).resolve().parents[3] / "shared" / "seeds" / "aljazeera-nato-turkey.txt"
)


def run(stage: NearDedup, batches: list[pa.RecordBatch], tmp_path: Path):
    keys = [stage.collect(batch) for batch in batches]
    result = stage.aggregate(keys, workdir=tmp_path / "work")
    return result, [result.stage()(batch) for batch in batches]


def near_copies(text: str, count: int, *, seed: int) -> list[str]:
    rng = random.Random(seed)
    words = text.split()
    copies = []
    for _ in range(count):
        edited = list(words)
        for _ in range(len(words) // 200):
            edited[rng.randrange(len(edited))] = rng.choice(["today", "reportedly", "also"])
        copies.append("Share this article\n" + " ".join(edited) + "\nPublished 12 March 2024")
    return copies


def seed_text() -> str:
    if not SEED_ARTICLE.exists():
        pytest.skip("../shared/seeds is absent")
    return SEED_ARTICLE.read_text(encoding="utf-8")


def test_near_copies_of_the_seed_are_removed_and_name_it(tmp_path: Path) -> None:
    seed = seed_text()
    texts = [seed, *near_copies(seed, 4, seed=3), "An unrelated short note about the weather."]
    ids = ["a-seed", "b-copy1", "c-copy2", "d-copy3", "e-copy4", "f-other"]
    result, [out] = run(NearDedup(), [make_batch(texts, ids=ids)], tmp_path)
    assert out.column(REASON).to_pylist() == [
        None,
        DUPLICATE,
        DUPLICATE,
        DUPLICATE,
        DUPLICATE,
        None,
    ]
    assert out.column(DUP_CLUSTER).to_pylist() == ["a-seed"] * 5 + [None]
    assert out.column(DUP_COUNT).to_pylist() == [4, 4, 4, 4, 4, 0]
    duplicates = result.outputs()["duplicates"]
    assert duplicates.schema.equals(DUPLICATE_SCHEMA)
    assert set(duplicates.column("kept_id").to_pylist()) == {"a-seed"}
    assert duplicates.column(ID).to_pylist() == ids[:5]
    assert duplicates.column("similarity").to_pylist()[0] == 1.0
    assert min(duplicates.column("similarity").to_pylist()) >= 0.8
    # Exact verification lets the split favour recall: 16 x 8, not datasketch's 9 x 13.
    assert (result.summary()["lsh"]["num_bands"], result.summary()["lsh"]["rows_per_band"]) == (
        16,
        8,
    )


def test_result_does_not_depend_on_batches_or_order(tmp_path: Path) -> None:
    seed = seed_text()
    texts = [seed, *near_copies(seed, 6, seed=5)] + [
        f"filler text number {i} " * 8 for i in range(20)
    ]
    ids = [f"id-{i:03d}" for i in range(len(texts))]
    stage = NearDedup()
    first, _ = run(stage, [make_batch(texts, ids=ids)], tmp_path / "one")
    order = list(range(len(texts)))
    random.Random(1).shuffle(order)
    shuffled = make_batch([texts[i] for i in order], ids=[ids[i] for i in order])
    batches = [shuffled.slice(lo, 5) for lo in range(0, len(texts), 5)]
    second, _ = run(stage, batches[::-1], tmp_path / "two")
    assert first.outputs()["duplicates"].equals(second.outputs()["duplicates"])


def test_exact_copy_is_always_a_near_duplicate(tmp_path: Path) -> None:
    texts = ["one two three four five six seven", "one two three four five six seven", "x"]
    _result, [out] = run(NearDedup(), [make_batch(texts, ids=["b", "a", "c"])], tmp_path)
    assert out.column(REASON).to_pylist() == [DUPLICATE, None, None]
    assert out.column(DUP_CLUSTER).to_pylist() == ["a", "a", None]


@pytest.mark.parametrize(
    ("keep", "extra", "kept"),
    [
        ("first", {}, "a"),
        ("longest", {}, "c"),
        ("newest", {"date_column": "date"}, "b"),
        ("score", {"score_column": "quality"}, "a"),
    ],
    ids=["first", "longest", "newest", "score"],
)
def test_keep_policy(tmp_path: Path, keep: str, extra: dict, kept: str) -> None:
    base = " ".join(f"word{i}" for i in range(300))
    texts = [base, base, base + " tail"]
    batch = make_batch(texts, ids=["a", "b", "c"])
    batch = batch.append_column("date", pa.array(["2020-01-01", "2024-05-01", None]))
    batch = batch.append_column("quality", pa.array([0.9, 0.1, 0.5]))
    result, _ = run(NearDedup(keep=keep, **extra), [batch], tmp_path)
    assert set(result.outputs()["duplicates"].column("kept_id").to_pylist()) == {kept}


def test_rows_removed_earlier_are_ignored(tmp_path: Path) -> None:
    text = " ".join(f"word{i}" for i in range(50))
    batch = make_batch([text, text], ids=["a", "b"])
    batch = mark_removed(batch, pa.array([True, False]), "exact_dedup.duplicate")
    stage = NearDedup()
    assert stage.collect(batch).num_rows == 1
    result, [out] = run(stage, [batch], tmp_path)
    assert out.column(REASON).to_pylist() == ["exact_dedup.duplicate", None]
    assert result.outputs()["duplicates"].num_rows == 0


def test_short_documents_do_not_share_a_bucket(tmp_path: Path) -> None:
    texts = ["Home", "About us", "Contact", "Home", "Read more here"]
    _result, [out] = run(NearDedup(), [make_batch(texts, ids=list("abcde"))], tmp_path)
    assert out.column(REASON).to_pylist() == [None, None, None, DUPLICATE, None]
    _, [skipped] = run(
        NearDedup(short_docs="skip"), [make_batch(texts, ids=list("abcde"))], tmp_path / "s"
    )
    assert skipped.column(REASON).null_count == 5


def test_spill_to_many_partitions_gives_the_same_result(tmp_path: Path) -> None:
    seed = seed_text()
    texts = [seed, *near_copies(seed, 3, seed=9)] + [f"other text {i} " * 10 for i in range(200)]
    ids = [f"d{i:04d}" for i in range(len(texts))]
    batch = make_batch(texts, ids=ids)
    small, _ = run(NearDedup(memory_mb=16), [batch], tmp_path / "a")
    from cleanse.dedup import index

    original = index.BandSpill.__init__

    def tiny(self, folder, *, expected_records, memory_mb):  # force 8 partitions
        original(self, folder, expected_records=expected_records, memory_mb=memory_mb)
        self.bits = 3
        self.paths = [folder / f"bands-{i:04d}.bin" for i in range(8)]
        for path in self.paths:
            path.write_bytes(b"")

    pytest.MonkeyPatch().setattr(index.BandSpill, "__init__", tiny)
    try:
        many, _ = run(NearDedup(), [batch], tmp_path / "b")
    finally:
        pytest.MonkeyPatch().setattr(index.BandSpill, "__init__", original)
    assert many.summary()["spill_partitions"] == 8
    assert many.outputs()["duplicates"].equals(small.outputs()["duplicates"])


def test_against_a_previous_output(tmp_path: Path) -> None:
    seed = seed_text()
    old_stage = NearDedup()
    old, _ = run(old_stage, [make_batch([seed], ids=["old-seed"])], tmp_path / "old")
    folder = tmp_path / "previous" / "near_dedup_signatures"
    folder.mkdir(parents=True)
    pq.write_table(old.outputs()["near_dedup_signatures"].to_table(), folder / "part-0.parquet")
    copies = near_copies(seed, 2, seed=11)
    stage = NearDedup(against=str(tmp_path / "previous"))
    result, [out] = run(stage, [make_batch([*copies, "unrelated"], ids=["a", "b", "c"])], tmp_path)
    assert out.column(REASON).to_pylist() == [DUPLICATE, DUPLICATE, None]
    assert out.column(DUP_CLUSTER).to_pylist() == ["old-seed", "old-seed", None]
    assert "old-seed" not in result.outputs()["duplicates"].column(ID).to_pylist()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"threshold": 1.5}, "near_dedup.threshold must be in (0, 1] (got 1.5)"),
        ({"num_perm": 1}, "near_dedup.num_perm must be an integer in [2, 1024] (got 1)"),
        ({"bands": 4}, "near_dedup.rows must be set together with the other (got None)"),
        ({"keep": "newest"}, 'near_dedup.date_column must be set when keep = "newest" (got None)'),
        (
            {"keep": "oldest"},
            "near_dedup.keep must be one of first, longest, newest, score (got 'oldest')",
        ),
        (
            {"bands": 20, "rows": 10},
            "near_dedup.bands x near_dedup.rows must be <= num_perm (128) (got 20 x 10 = 200)",
        ),
    ],
    ids=["threshold", "num_perm", "bands-alone", "newest-without-date", "keep", "bands-rows"],
)
def test_invalid_options_name_option_value_and_range(options: dict, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        NearDedup(**options)
    assert str(caught.value) == message


@pytest.mark.shared_data
def test_clough_reuse_levels(tmp_path: Path) -> None:
    """Answers with exact 5-gram Jaccard >= 0.85 join their source; `non` never clusters."""
    root = shared_data("text-reuse-clough")
    rows = list(csv.DictReader((root / "file_information.csv").open()))
    texts = {r["File"]: (root / "docs" / r["File"]).read_text(encoding="latin-1") for r in rows}
    ids = sorted(texts)
    result, _ = run(NearDedup(), [make_batch([texts[i] for i in ids], ids=ids)], tmp_path)
    cluster_of = dict(
        zip(
            *(result.outputs()["duplicates"].column(c).to_pylist() for c in (ID, "cluster_id")),
            strict=True,
        )
    )
    for row in rows:
        if row["Category"] == "non":
            assert row["File"] not in cluster_of
        if row["Category"] in ("cut", "light"):
            source = f"orig_task{row['Task']}.txt"
            a, b = set(shingles(texts[row["File"]])), set(shingles(texts[source]))
            if len(a & b) / len(a | b) >= 0.85:
                assert cluster_of[row["File"]] == cluster_of[source]


@pytest.mark.shared_data
def test_bbc_natural_duplicates(tmp_path: Path) -> None:
    import tarfile

    texts, ids = [], []
    with tarfile.open(shared_data("bbc-news", "bbc-raw.tar.xz")) as archive:
        for member in archive:
            if member.isfile() and member.name.endswith(".txt"):
                texts.append(archive.extractfile(member).read().decode("latin-1"))
                ids.append(member.name)
    batch = make_batch(texts, ids=ids)
    result, marked = run(
        NearDedup(), [batch.slice(i, 500) for i in range(0, len(texts), 500)], tmp_path
    )
    removed = sum(pc.sum(pc.is_valid(b.column(REASON)).cast(pa.int64())).as_py() for b in marked)
    # 100 pairs are identical after whitespace normalisation (data/README.md); every
    # other removal must be a true near-duplicate: exact 5-gram Jaccard >= 0.8.
    assert removed >= 100
    by_id = dict(zip(ids, texts, strict=True))
    for row in result.outputs()["duplicates"].to_pylist():
        if row[ID] != row["kept_id"]:
            a, b = set(shingles(by_id[row[ID]])), set(shingles(by_id[row["kept_id"]]))
            assert len(a & b) / len(a | b) >= 0.8
    assert result.summary()["giant_components"] == []


def test_similarity_is_the_exact_jaccard_of_the_shingle_sets(tmp_path: Path) -> None:
    seed = seed_text()
    texts = [seed, *near_copies(seed, 3, seed=21), "Unrelated words entirely, nothing shared."]
    ids = ["a", "b", "c", "d", "e"]
    result, _ = run(NearDedup(), [make_batch(texts, ids=ids)], tmp_path)
    by_id = dict(zip(ids, texts, strict=True))
    rows = result.outputs()["duplicates"].to_pylist()
    assert {row[ID] for row in rows} == {"a", "b", "c", "d"}
    for row in rows:
        a, b = set(shingles(by_id[row[ID]])), set(shingles(by_id[row["kept_id"]]))
        assert row["similarity"] == pytest.approx(len(a & b) / len(a | b), abs=1e-6)
    assert result.summary()["verification"] == "exact"
