"""The local engine end to end: layout, accounting, determinism, atomic output."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import cleanse
from cleanse.errors import OutputError
from cleanse.io.writers import cleanse_metadata
from conftest import REPO, shared_data

SEEDS = REPO / "seeds"
SEED_ID = "seeds/aljazeera-nato-turkey.txt"


def read(folder: Path) -> pa.Table:
    return pq.read_table(folder)


def outputs(out: Path) -> dict[str, list[dict]]:
    """Every table of an output folder as sorted rows (for equality checks)."""
    tables = {}
    for name in ("clean", "rejects", "duplicates"):
        rows = read(out / name).to_pylist()
        tables[name] = sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))
    return tables


def test_seeds_layout_and_accounting(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = cleanse.run([SEEDS], out, workers=1)
    for name in ("clean", "rejects", "duplicates"):
        assert list((out / name).glob("part-*.parquet")), name
    assert (out / "_SUCCESS").exists()
    stats = json.loads((out / "stats.json").read_text())
    run = json.loads((out / "run.json").read_text())
    assert stats == result.stats
    assert stats["rows_in"] == 4
    clean, rejects = read(out / "clean"), read(out / "rejects")
    assert stats["rows_clean"] == clean.num_rows
    assert stats["rows_rejected"] == rejects.num_rows
    assert stats["rows_in"] == clean.num_rows + rejects.num_rows
    assert clean.column("id").to_pylist()[0] == SEED_ID
    exact = [r for r in rejects.to_pylist() if r["reason"] == "exact_dedup.duplicate"]
    assert {r["id"] for r in exact} == {
        "seeds/derived/aljazeera-nato-turkey.copy.txt",
        "seeds/derived/aljazeera-nato-turkey.mojibake.txt",
    }
    assert all(
        r["detail"] == f"same text as {SEED_ID}" and r["stage"] == "exact_dedup" for r in exact
    )
    dups = read(out / "duplicates").to_pylist()
    assert {r["kept_id"] for r in dups} == {SEED_ID}
    assert stats["stages"]["fix_encoding"]["counters"]["encoding_fixes"] > 0
    assert next(iter(stats["stages"])) == "read"
    assert run["config"]["pipeline"] == list(cleanse.load_config(inputs=["x"], output="o").pipeline)
    assert {f["label"] for f in run["inputs"]} >= {SEED_ID}
    metadata = pq.read_schema(next((out / "clean").glob("*.parquet"))).metadata
    assert b"cleanse" in metadata
    # no staging or work files left behind
    assert not list(tmp_path.glob(".*cleanse-*"))
    assert not (out / "_work").exists()


def test_every_output_part_carries_the_config_in_its_footer(tmp_path: Path) -> None:
    """Barrier outputs (duplicates/, boilerplate/) too, not only clean/ and rejects/."""
    out = tmp_path / "out"
    result = cleanse.run([SEEDS], out, workers=1)
    parts = sorted(out.glob("*/*.parquet"))
    assert {part.parent.name for part in parts} >= {"clean", "rejects", "duplicates"}
    for part in parts:
        found = cleanse_metadata(part)
        assert found is not None, part
        assert found["config"]["pipeline"] == result.run["config"]["pipeline"]
        assert found["versions"] == result.run["versions"]


def test_refuses_existing_output_unless_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "out"
    cleanse.run([SEEDS], out, workers=1)
    with pytest.raises(OutputError) as err:
        cleanse.run([SEEDS], out, workers=1)
    assert str(err.value) == (
        f"output error: {out.absolute()} already holds an earlier cleanse run\n"
        "  hint: add --overwrite to replace it once the new run is complete,"
        " or choose another --output"
    )
    cleanse.run([SEEDS], out, workers=1, overwrite=True)
    assert (out / "_SUCCESS").exists()


def test_failed_run_leaves_old_output_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    cleanse.run([SEEDS], out, workers=1)
    before = outputs(out)

    from cleanse.stages import exact_dedup

    def boom(self, keys, *, workdir):
        raise RuntimeError("crash inside the barrier")

    monkeypatch.setattr(exact_dedup.ExactDedup, "aggregate", boom)
    with pytest.raises(RuntimeError, match="crash inside the barrier"):
        cleanse.run([SEEDS], out, workers=1, overwrite=True)
    assert outputs(out) == before
    assert (out / "_SUCCESS").exists()
    monkeypatch.undo()
    # the next run starts clean over the leftover staging folder
    cleanse.run([SEEDS], out, workers=1, overwrite=True)
    assert outputs(out) == before
    assert not list(tmp_path.glob(".*cleanse-partial"))


def test_new_output_of_a_failed_run_never_appears(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cleanse.stages import exact_dedup

    def boom(self, keys, *, workdir):
        raise RuntimeError("crash")

    monkeypatch.setattr(exact_dedup.ExactDedup, "aggregate", boom)
    with pytest.raises(RuntimeError):
        cleanse.run([SEEDS], tmp_path / "out", workers=1)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def parquet_bytes(out: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(out)): p.read_bytes()
        for name in ("clean", "rejects", "duplicates")
        for p in sorted((out / name).glob("*.parquet"))
    }


def test_same_output_for_1_2_4_workers_reruns_and_input_order(tmp_path: Path) -> None:
    cc = shared_data("cc-text")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for path in sorted(cc.glob("dolma-*.jsonl.gz")):
        shutil.copy(path, corpus / path.name)
    shutil.copytree(SEEDS, corpus / "seeds")
    one = tmp_path / "one"
    cleanse.run([corpus], one, workers=1)
    for workers in (2, 4):
        other = tmp_path / f"workers-{workers}"
        cleanse.run([corpus], other, workers=workers)
        assert outputs(one) == outputs(other), f"{workers} workers"
    # two runs of the same command give byte-identical files
    again = tmp_path / "again"
    cleanse.run([corpus], again, workers=2)
    assert parquet_bytes(again) == parquet_bytes(one)
    stats = json.loads((one / "stats.json").read_text())
    assert stats["rows_in"] == stats["rows_clean"] + stats["rows_rejected"]
    assert stats["rows_in"] >= 700
    # the same files given in another order, one by one
    listed = sorted(p for p in corpus.rglob("*") if p.is_file())
    three = tmp_path / "three"
    cleanse.run(list(reversed(listed)), three, workers=2)
    assert sorted(r["text"] for r in outputs(three)["clean"]) == sorted(
        r["text"] for r in outputs(one)["clean"]
    )
