"""The Spark engine gives the local engine's output on the same real input (issue 5)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from cleanse.api import run_with_config
from cleanse.config import load_config
from cleanse.engine.local import LocalEngine
from cleanse.engine.spark import SparkEngine

pytestmark = pytest.mark.slow

SORT_KEYS = {
    "clean": ("id",),
    "rejects": ("id", "stage"),
    "duplicates": ("kind", "cluster_id", "id"),
    "boilerplate": ("domain", "line"),
}


def rows(out: Path, name: str) -> list[dict[str, Any]]:
    """Every row of ``out/name`` as a dict, in a fixed order."""
    folder = out / name
    files = sorted(p for p in folder.glob("*.parquet") if not p.name.startswith("."))
    found = [r for f in files for r in pq.read_table(f).to_pylist()]
    keys = SORT_KEYS[name]
    return sorted(found, key=lambda r: tuple(str(r.get(k)) for k in keys))


def counts(out: Path) -> dict[str, Any]:
    """stats.json without the timings."""
    stats = json.loads((out / "stats.json").read_text())
    stages = {
        name: {k: v for k, v in stage.items() if k != "seconds"}
        for name, stage in stats["stages"].items()
    }
    totals = {k: v for k, v in stats.items() if k not in ("stages", "barriers", "seconds")}
    return {"totals": totals, "stages": stages}


def run_both(
    spark: Any, corpus: Path, tmp_path: Path, sets: list[str], **engine: Any
) -> tuple[Path, Path]:
    inputs = [str(corpus / "cc.jsonl"), str(corpus / "bbc"), str(corpus / "bbc-near")]
    local_out, spark_out = tmp_path / "local", tmp_path / "spark"
    config = load_config(inputs=inputs, output=str(local_out), sets=sets, workers=2)
    LocalEngine().run(config)
    config = load_config(inputs=inputs, output=str(spark_out), sets=sets, engine="spark")
    SparkEngine(spark=spark, **engine).run(config)
    return local_out, spark_out


def assert_same_output(local_out: Path, spark_out: Path) -> None:
    for name in ("clean", "rejects", "duplicates"):
        assert rows(spark_out, name) == rows(local_out, name), name
    if (local_out / "boilerplate").exists():
        assert rows(spark_out, "boilerplate") == rows(local_out, "boilerplate")
    assert counts(spark_out) == counts(local_out)
    assert (spark_out / "_SUCCESS").exists()
    assert not list(spark_out.parent.glob(".*cleanse-partial"))


def test_default_pipeline_same_as_local(spark: Any, real_corpus: Path, tmp_path: Path) -> None:
    local_out, spark_out = run_both(spark, real_corpus, tmp_path, [])
    assert_same_output(local_out, spark_out)
    run = json.loads((spark_out / "run.json").read_text())
    assert run["config"]["engine"] == "spark"
    assert run["spark"]["master"].startswith("local")


def test_barriers_same_as_local_with_spark_components(
    spark: Any, real_corpus: Path, tmp_path: Path
) -> None:
    """Every barrier has work to do; components go through large-star/small-star."""
    sets = [
        'pipeline=["fix_encoding", "site_boilerplate", "exact_dedup", "near_dedup"]',
        "site_boilerplate.min_docs=2",
        "site_boilerplate.corpus_min_docs=3",
        'near_dedup.keep="longest"',
    ]
    local_out, spark_out = run_both(spark, real_corpus, tmp_path, sets, driver_edge_limit=0)
    assert_same_output(local_out, spark_out)
    kinds = {r["kind"] for r in rows(spark_out, "duplicates")}
    assert kinds == {"exact", "near"}
    assert rows(spark_out, "boilerplate")
    barriers = json.loads((spark_out / "stats.json").read_text())["barriers"]
    assert barriers["near_dedup"]["components"] == "large-star/small-star"
    assert barriers["near_dedup"]["clusters"] > 0


def test_existing_output_refused_and_replaced(spark: Any, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    seeds = str(Path(__file__).resolve().parents[2] / "seeds")
    config = load_config(inputs=[seeds], output=str(out), engine="spark")
    from cleanse.errors import OutputError

    with pytest.raises(OutputError, match="already holds files"):
        SparkEngine(spark=spark).run(config)
    config = load_config(inputs=[seeds], output=str(out), engine="spark", overwrite=True)
    result = SparkEngine(spark=spark).run(config)
    assert not (out / "keep.txt").exists()
    assert result.stats["rows_in"] == 4


def test_api_dispatches_to_spark(spark: Any, tmp_path: Path) -> None:
    """``engine = "spark"`` in a config goes through the Spark engine (active session)."""
    seeds = str(Path(__file__).resolve().parents[2] / "seeds")
    config = load_config(inputs=[seeds], output=str(tmp_path / "out"), engine="spark")
    result = run_with_config(config)
    assert "spark" in json.loads((tmp_path / "out" / "run.json").read_text())
    assert result.stats["rows_in"] == result.stats["rows_clean"] + result.stats["rows_rejected"]
