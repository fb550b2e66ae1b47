"""Input and output: find and shard input files, read them into batches, write results."""

from __future__ import annotations

from cleanse.io.readers import REASONS, domain_of, read_shard
from cleanse.io.shards import ColumnMapping, InputPlan, Shard, plan_inputs

__all__ = [
    "REASONS",
    "ColumnMapping",
    "InputPlan",
    "Shard",
    "domain_of",
    "plan_inputs",
    "read_shard",
]
