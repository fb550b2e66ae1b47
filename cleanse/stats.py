"""Run statistics: per-stage counts that add with ``+`` across batches and shards."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class StageStats:
    """What one stage did: rows in/out, removals per reason, characters, time, counters."""

    rows_in: int = 0
    rows_out: int = 0
    chars_in: int = 0
    chars_out: int = 0
    seconds: float = 0.0
    removed: Counter[str] = field(default_factory=Counter)
    counters: Counter[str] = field(default_factory=Counter)

    def __add__(self, other: StageStats) -> StageStats:
        return StageStats(
            rows_in=self.rows_in + other.rows_in,
            rows_out=self.rows_out + other.rows_out,
            chars_in=self.chars_in + other.chars_in,
            chars_out=self.chars_out + other.chars_out,
            seconds=self.seconds + other.seconds,
            removed=self.removed + other.removed,
            counters=self.counters + other.counters,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "rows_removed": self.rows_in - self.rows_out,
            "removed": dict(sorted(self.removed.items())),
            "chars_in": self.chars_in,
            "chars_out": self.chars_out,
            "seconds": round(self.seconds, 4),
            "counters": dict(sorted(self.counters.items())),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StageStats:
        return cls(
            rows_in=data["rows_in"],
            rows_out=data["rows_out"],
            chars_in=data["chars_in"],
            chars_out=data["chars_out"],
            seconds=data["seconds"],
            removed=Counter(data.get("removed", {})),
            counters=Counter(data.get("counters", {})),
        )


@dataclass(slots=True)
class RunStats:
    """Stats of every stage of a run, in pipeline order, keyed by stage name."""

    stages: dict[str, StageStats] = field(default_factory=dict)

    def __add__(self, other: RunStats) -> RunStats:
        merged = dict(self.stages)
        for name, stats in other.stages.items():
            merged[name] = merged[name] + stats if name in merged else stats
        return RunStats(stages=merged)

    def add(self, name: str, stats: StageStats) -> None:
        """Add `stats` to the running total of stage `name`."""
        self.stages[name] = self.stages[name] + stats if name in self.stages else stats

    def to_dict(self) -> dict[str, Any]:
        return {name: stats.to_dict() for name, stats in self.stages.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunStats:
        return cls(stages={name: StageStats.from_dict(d) for name, d in data.items()})
