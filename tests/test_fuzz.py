"""Fuzzing: readers and text stages never crash and never lose a row.

Runs briefly in the suite (the default hypothesis profile); ``python scripts/fuzz.py``
runs the same properties with many more examples.
"""

from __future__ import annotations

import gzip
import json
import tempfile
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleanse.errors import InputError
from cleanse.io import ColumnMapping, plan_inputs, read_shard
from cleanse.schema import REASON, conform, document_schema
from cleanse.stages import registry
from cleanse.stages.base import is_corpus_stage
from conftest import make_batch

pytestmark = pytest.mark.fuzz

# the suite runs 60 examples per property; the "fuzz" profile (scripts/fuzz.py) its own
_examples = settings.default.max_examples
BRIEF = settings(
    max_examples=_examples if _examples > 100 else 60,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
records = st.dictionaries(
    st.sampled_from(["text", "id", "url", "other"]) | st.text(max_size=6), json_values, max_size=5
)
# a JSONL line: a real record, a broken one, raw bytes, or blank
jsonl_lines = st.one_of(
    records.map(lambda r: json.dumps(r).encode()),
    records.map(lambda r: json.dumps(r).encode()[:-2]),
    st.binary(max_size=60).map(lambda b: b.replace(b"\n", b" ")),
    st.just(b""),
)


def read_all(path: Path) -> list[dict[str, object]]:
    mapping = ColumnMapping()
    try:
        plan = plan_inputs([path], mapping)
    except InputError:
        return []  # refused up front with a one-line message: also a documented outcome
    rows: list[dict[str, object]] = []
    for shard in plan.shards:
        for batch in read_shard(shard, mapping, plan.schema(), batch_size=3):
            assert batch.schema.equals(plan.schema())
            rows.extend(batch.to_pylist())
    return rows


@BRIEF
@given(lines=st.lists(jsonl_lines, min_size=1, max_size=12), cut=st.integers(0, 400))
def test_jsonl_reader_accounts_for_every_line(lines: list[bytes], cut: int) -> None:
    first_ok = json.dumps({"text": "a real first document", "id": "x"}).encode()
    data = b"\n".join([first_ok, *lines]) + b"\n"
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "a.jsonl"
        plain.write_bytes(data)
        rows = read_all(plain)
        nonblank = sum(1 for line in data.split(b"\n") if line.strip())
        assert len(rows) == nonblank
        # the same lines, gzipped and cut anywhere: rows before the cut plus one marker
        packed = gzip.compress(data)
        cut_file = Path(tmp) / "b.jsonl.gz"
        cut_file.write_bytes(packed[: max(1, len(packed) - cut)])
        cut_rows = read_all(cut_file)
        assert len(cut_rows) <= nonblank + 1
        reasons = {r[REASON] for r in cut_rows}
        assert reasons <= {None, *(r for r in reasons if r and r.startswith("read."))}


@BRIEF
@given(data=st.binary(max_size=300))
def test_txt_reader_keeps_or_quarantines_any_bytes(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "docs"
        folder.mkdir()
        (folder / "page.txt").write_bytes(data)
        rows = read_all(folder)
        assert len(rows) == 1
        row = rows[0]
        assert row[REASON] in (None, "read.empty", "read.binary")
        if row[REASON] is None:
            assert "\x00" not in row["text"] and row["text"].strip()


ROW_STAGES = [
    registry.build(name, {})
    for name in registry.available()
    if not is_corpus_stage(registry.stage_class(name)())
]


@pytest.mark.parametrize("stage", ROW_STAGES, ids=lambda s: s.name)
@BRIEF
@given(texts=st.lists(st.text(max_size=400), min_size=1, max_size=6))
def test_text_stages_survive_any_text(stage: object, texts: list[str]) -> None:
    batch = conform(make_batch(texts), document_schema(audit=stage.columns))
    out = stage(batch)
    assert out.num_rows == batch.num_rows
    assert isinstance(out, pa.RecordBatch)
