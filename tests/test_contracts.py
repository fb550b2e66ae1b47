"""Properties every registered stage keeps, on generated batches."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from strategies import batches

from cleanse.pipeline import apply_stages
from cleanse.schema import ID, REASON, TEXT, conform, document_schema
from cleanse.stages import registry
from cleanse.stages.base import is_corpus_stage
from cleanse.stats import RunStats

STAGES = [registry.build(name, {}) for name in registry.available()]
ROW_STAGES = [s for s in STAGES if not is_corpus_stage(s)]
CORPUS_STAGES = [s for s in STAGES if is_corpus_stage(s)]
# columns a stage writes that say "I changed nothing" when they are 0
NO_CHANGE = {
    "fix_encoding": "encoding_fixes",
    "strip_boilerplate": "lines_removed",
    "site_boilerplate": "site_lines_removed",
}
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def prepared(stage: object, batch: pa.RecordBatch) -> pa.RecordBatch:
    return conform(batch, document_schema(audit=stage.columns))


def applied(stage: object, batch: pa.RecordBatch, tmp_path: Path) -> pa.RecordBatch:
    """Run a row stage, or a corpus stage's collect -> aggregate -> apply, on one batch."""
    if is_corpus_stage(stage):
        aggregate = stage.aggregate([stage.collect(batch)], workdir=tmp_path)
        return aggregate.stage()(batch)
    return stage(batch)


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.name)
@SETTINGS
@given(batch=batches())
def test_stage_keeps_rows_order_columns_and_its_reasons(
    stage: object, batch: pa.RecordBatch, tmp_path: Path
) -> None:
    batch = prepared(stage, batch)
    out = applied(stage, batch, tmp_path)
    assert out.num_rows == batch.num_rows
    assert out.column(ID).equals(batch.column(ID))
    assert out.select(batch.schema.names).schema.equals(batch.schema)
    assert set(out.column(REASON).drop_null().to_pylist()) <= set(stage.reasons)


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.name)
@SETTINGS
@given(batch=batches())
def test_no_text_changes_where_the_stage_reports_no_change(
    stage: object, batch: pa.RecordBatch, tmp_path: Path
) -> None:
    batch = prepared(stage, batch)
    out = applied(stage, batch, tmp_path)
    column = NO_CHANGE.get(stage.name)
    if column is None:  # dedup stages never rewrite text
        assert out.column(TEXT).equals(batch.column(TEXT))
        return
    for before, after, count in zip(
        batch.column(TEXT).to_pylist(),
        out.column(TEXT).to_pylist(),
        out.column(column).to_pylist(),
        strict=True,
    ):
        if not count:
            assert after == before


@pytest.mark.parametrize("stage", [s for s in ROW_STAGES if s.name == "fix_encoding"], ids=str)
@SETTINGS
@given(batch=batches())
def test_text_fixers_are_idempotent(stage: object, batch: pa.RecordBatch) -> None:
    once = stage(prepared(stage, batch))
    twice = stage(once)
    assert twice.column(TEXT).equals(once.column(TEXT))


@SETTINGS
@given(batch=batches())
def test_whole_pipeline_accounts_for_every_row(batch: pa.RecordBatch, tmp_path: Path) -> None:
    audit = [f for s in STAGES for f in s.columns]
    batch = conform(batch, document_schema(audit=audit))
    stats = RunStats()
    live, rejects = apply_stages(ROW_STAGES, batch, stats)
    rejected = sum(r.num_rows for r in rejects)
    for stage in CORPUS_STAGES:
        live, more = apply_stages([applied_stage(stage, live, tmp_path)], live, stats)
        rejected += sum(r.num_rows for r in more)
    assert live.num_rows + rejected == batch.num_rows
    ids = live.column(ID).to_pylist() + [i for r in rejects for i in r.column(ID).to_pylist()]
    assert len(set(live.column(ID).to_pylist())) == live.num_rows
    assert set(ids) <= set(batch.column(ID).to_pylist())


def applied_stage(stage: object, live: pa.RecordBatch, tmp_path: Path) -> object:
    return stage.aggregate([stage.collect(live)], workdir=tmp_path).stage()


def test_every_default_stage_is_registered() -> None:
    assert set(registry.DEFAULT_PIPELINE) <= set(registry.available())
