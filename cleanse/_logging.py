"""Logging and progress bars for the CLI; library code only logs."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from cleanse.engine.local import Progress


@contextmanager
def setup(verbosity: int) -> Iterator[None]:
    """Send cleanse's log records to stderr while the command runs.

    -q: warnings only, default: info, -v: debug. The handler is removed afterwards, so
    a command run in-process (tests, notebooks) leaves logging as it found it.
    """
    level = {-1: logging.WARNING, 0: logging.INFO}.get(verbosity, logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    root = logging.getLogger("cleanse")
    saved_level = root.level
    root.addHandler(handler)
    root.setLevel(level)
    quieted = []
    if level > logging.DEBUG:
        # trafilatura and friends log per page; keep their errors only
        for name in ("trafilatura", "htmldate", "courlan", "charset_normalizer"):
            other = logging.getLogger(name)
            quieted.append((other, other.level))
            other.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(saved_level)
        for other, other_level in quieted:
            other.setLevel(other_level)


class ProgressBars:
    """One tqdm bar per pass, on stderr, driven by the engine's progress callback."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self._bar: tqdm | None = None
        self._step: str | None = None

    def __call__(self, progress: Progress) -> None:
        if not self.enabled:
            return
        if progress.step != self._step:
            self.close()
            self._step = progress.step
            self._bar = tqdm(
                total=progress.total, desc=progress.step, unit="shard", file=sys.stderr, leave=False
            )
        assert self._bar is not None
        self._bar.n = progress.done
        self._bar.set_postfix(rows=progress.rows, refresh=False)
        self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


@contextmanager
def progress_bars(*, enabled: bool) -> Iterator[ProgressBars]:
    """Yield a progress callback; logging goes through tqdm while bars are shown."""
    bars = ProgressBars(enabled=enabled)
    try:
        if enabled:
            with logging_redirect_tqdm(loggers=[logging.getLogger("cleanse")]):
                yield bars
        else:
            yield bars
    finally:
        bars.close()
