"""site_lines: the batch line split, normalisation and hashes site_boilerplate compares by."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cleanse.schema import DOMAIN, REMOVED_LINES, TEXT, conform, document_schema
from cleanse.stages.site_boilerplate import (
    DOC,
    LINE,
    LINE_HASH,
    SiteBoilerplate,
    line_hash,
    normalize_line,
    remove_lines,
)
from cleanse.stages.site_lines import batch_lines, line_hashes, normalize_lines, strings_hash
from conftest import make_batch, shared_data

# ASCII with every whitespace byte str.split() cuts at, digits and both cases.
ascii_lines = st.text(alphabet="\t\x0b\x0c\r\x1c\x1d\x1e\x1f aZz09.|-", max_size=40)


def python_normalize(line: str) -> str:
    """The definition in plain Python (``str.lower`` differs only in Greek final sigma)."""
    return re.sub(r"\d+", "0", " ".join(line.lower().split()))


def cc_text(limit: int) -> tuple[list[str], list[str]]:
    """Texts and domains (url hosts) of the first `limit` distinct cc-text documents."""
    path = shared_data("cc-text", "dolma-CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz")
    texts, domains = [], []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record["text"] in texts:
                continue
            url = (record.get("metadata") or {}).get("url") or ""
            texts.append(record["text"])
            domains.append(url.split("/")[2] if url.count("/") >= 2 else None)
            if len(texts) == limit:
                break
    return texts, domains


@given(st.lists(ascii_lines, max_size=20))
def test_ascii_kernel_equals_the_pyarrow_normalisation(lines: list[str]) -> None:
    array = pa.array(lines, pa.string())
    assert normalize_lines(array).to_pylist() == [python_normalize(x) for x in lines]
    assert line_hashes(array).tolist() == strings_hash(normalize_lines(array)).tolist()


def test_real_lines_normalise_as_python_does() -> None:
    texts, _ = cc_text(400)
    lines = [x.strip() for text in texts for x in text.split("\n") if x.strip()]
    array = pa.array(lines, pa.string())
    assert sum(not x.isascii() for x in lines) > 1000  # both paths of line_hashes run
    got = normalize_lines(array).to_pylist()
    assert [g for g, x in zip(got, lines, strict=True) if "ς" not in python_normalize(x)] == [
        python_normalize(x) for x in lines if "ς" not in python_normalize(x)
    ]
    assert line_hashes(array).tolist() == strings_hash(normalize_lines(array)).tolist()
    assert line_hashes(array).tolist() == [line_hash(normalize_line(x)) for x in lines[:300]] + (
        line_hashes(array[300:]).tolist()
    )


def test_batch_lines_are_the_short_non_blank_stripped_lines() -> None:
    texts = ["  Home | News \n\n" + "x" * 201 + "\n\tShare\u00a0this \u3000", None, "", "a\nb"]
    found = batch_lines(pa.array(texts, pa.string()), max_line_chars=200)
    assert found.doc.tolist() == [0, 0, 3, 3]
    assert found.position.tolist() == [0, 3, 0, 1]
    assert found.stripped.to_pylist() == ["Home | News", "Share\u00a0this", "a", "b"]
    assert found.hashes.tolist() == [
        line_hash(normalize_line(x)) for x in ("home | news", "Share this", "A", "B")
    ]


def reference_keys(texts, domains, removed, max_line_chars=200):
    """(domain, row, line hash, line) of each distinct counted line, per document in Python."""
    keys = set()
    for row, (text, domain, spans) in enumerate(zip(texts, domains, removed, strict=True)):
        seen = {}
        for line in [*(text or "").split("\n"), *(s["line"] for s in spans or ())]:
            stripped = line.strip()
            if stripped and len(stripped) <= max_line_chars:
                seen.setdefault(line_hash(normalize_line(stripped)), stripped)
        keys |= {(domain, row, h, x) for h, x in seen.items()}
    return keys


def test_collect_emits_each_documents_distinct_lines_on_real_pages(tmp_path: Path) -> None:
    texts, domains = cc_text(300)
    batch = conform(
        make_batch(texts, domains=domains), document_schema(audit=SiteBoilerplate.columns)
    )
    # an earlier stage's removed lines count as the page's lines
    spans = [
        [{"stage": "x", "reason": "y", "index": 0, "line": f" Menu {i % 3} "}] for i in range(300)
    ]
    field = batch.schema.field(REMOVED_LINES)
    batch = batch.set_column(
        batch.schema.get_field_index(REMOVED_LINES), field, pa.array(spans, field.type)
    )
    rows = SiteBoilerplate().collect(batch).to_pylist()
    docs = [r[DOC] for r in rows if r[LINE_HASH] == 0]
    assert len(docs) == 300
    row_of = {h: i for i, h in enumerate(docs)}
    assert len(row_of) == len(texts)  # distinct texts, distinct hashes
    got = {(r[DOMAIN], row_of[r[DOC]], r[LINE_HASH], r[LINE]) for r in rows if r[LINE_HASH]}
    want = reference_keys(texts, domains, spans)
    assert got == want


def test_apply_removes_what_the_per_document_definition_removes(tmp_path: Path) -> None:
    texts, domains = cc_text(717)
    stage = SiteBoilerplate(min_docs=2, min_share=0.05, corpus_min_docs=3, corpus_min_share=0.001)
    batch = conform(make_batch(texts, domains=domains), document_schema(audit=stage.columns))
    aggregate = stage.aggregate([stage.collect(batch)], workdir=tmp_path)
    out = aggregate.stage()(batch)
    templates = aggregate.templates
    drop: dict[str | None, set[int]] = {}
    for d, h in zip(
        templates.column(DOMAIN).to_pylist(), templates.column(LINE_HASH).to_pylist(), strict=True
    ):
        drop.setdefault(d, set()).add(h)
    want = [
        remove_lines(t, drop.get(d, set()), max_line_chars=200)
        for t, d in zip(texts, domains, strict=True)
    ]
    assert sum(bool(r) for _, r in want) > 20
    assert out.column(TEXT).to_pylist() == [t for t, _ in want]
    assert [
        [(s["index"], s["line"]) for s in spans or ()]
        for spans in out.column(REMOVED_LINES).to_pylist()
    ] == [r for _, r in want]
    assert np.array_equal(np.asarray(out.column("site_lines_removed")), [len(r) for _, r in want])


@pytest.mark.parametrize("text", ["", "\n\n", "   \n\t"])
def test_pages_without_counted_lines(text: str, tmp_path: Path) -> None:
    stage = SiteBoilerplate()
    batch = conform(
        make_batch([text] * 3, domains=["a.example"] * 3), document_schema(audit=stage.columns)
    )
    keys = stage.collect(batch)
    assert keys.num_rows == 3
    assert (
        stage.aggregate([keys], workdir=tmp_path).stage()(batch).column(TEXT).to_pylist()
        == [text] * 3
    )
