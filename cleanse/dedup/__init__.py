"""Near-duplicate detection: shingles, MinHash signatures, LSH clusters, the stage."""

from __future__ import annotations

from cleanse.dedup.params import LshParams, MinHashParams, choose_lsh
from cleanse.dedup.shingles import normalize_text, shingle_hash32, shingles
from cleanse.dedup.signatures import compute_signatures
from cleanse.dedup.stages import DUPLICATE, MarkNearDuplicates, NearDedup, NearDedupResult

__all__ = [
    "DUPLICATE",
    "LshParams",
    "MarkNearDuplicates",
    "MinHashParams",
    "NearDedup",
    "NearDedupResult",
    "choose_lsh",
    "compute_signatures",
    "normalize_text",
    "shingle_hash32",
    "shingles",
]
