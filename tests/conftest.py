"""Shared fixtures: batch builder and the path to the real development data."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, settings

from cleanse.schema import DOMAIN, ID, TEXT, URL, conform, document_schema

# `python scripts/fuzz.py` selects this profile for the fuzz properties
settings.register_profile(
    "fuzz", max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck)
)

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


def make_batch(
    texts: Sequence[str | None],
    *,
    ids: Sequence[str] | None = None,
    urls: Sequence[str | None] | None = None,
    domains: Sequence[str | None] | None = None,
) -> pa.RecordBatch:
    """Build a pipeline batch (core + internal columns) from plain lists."""
    n = len(texts)
    columns = {
        ID: pa.array(list(ids) if ids is not None else [f"doc-{i:04d}" for i in range(n)]),
        TEXT: pa.array(list(texts), type=pa.string()),
        URL: pa.array(list(urls) if urls is not None else [None] * n, type=pa.string()),
        DOMAIN: pa.array(list(domains) if domains is not None else [None] * n, type=pa.string()),
    }
    batch = pa.RecordBatch.from_pydict(columns)
    return conform(batch, document_schema())


def script_module(name: str) -> ModuleType:
    """Import the module of ``scripts/<name>.py`` (the scripts are entry points, not a
    package: their folder goes on ``sys.path``)."""
    scripts = str(REPO / "scripts")
    if scripts not in sys.path:
        sys.path.insert(0, scripts)
    return importlib.import_module(name)


def shared_data(*parts: str) -> Path:
    """Return a path under ../shared/data, skipping the test where it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared/data/{'/'.join(parts)} is absent (development data, not shipped)")
    return path


@pytest.fixture(name="make_batch")
def make_batch_fixture():
    return make_batch
