"""cleanse: turn scraped web corpora into clean, deduplicated Parquet datasets."""

from __future__ import annotations

from cleanse.api import run
from cleanse.config import RunConfig, load_config
from cleanse.engine.local import LocalEngine, Progress, RunResult
from cleanse.errors import CleanseError, ConfigError, InputError, OutputError

__all__ = [
    "CleanseError",
    "ConfigError",
    "InputError",
    "LocalEngine",
    "OutputError",
    "Progress",
    "RunConfig",
    "RunResult",
    "load_config",
    "run",
]
__version__ = "0.1.0"
