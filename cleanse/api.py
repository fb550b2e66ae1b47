"""The Python entry point: the same run as ``cleanse run``, in one call."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cleanse.config import RunConfig, load_config
from cleanse.engine.local import LocalEngine, ProgressCallback, RunResult


def run(
    inputs: Sequence[str | Path],
    output: str | Path,
    *,
    config: str | Path | None = None,
    sets: Sequence[str] = (),
    workers: int | None = None,
    overwrite: bool = False,
    on_progress: ProgressCallback | None = None,
) -> RunResult:
    """Clean `inputs` into the folder `output` and return the run's stats.

    Args:
        inputs: Files, folders or globs (``.txt`` folders, JSONL, Parquet).
        output: Output folder; refused if it holds files, unless `overwrite`.
        config: Optional TOML config file (same format as ``--config``).
        sets: ``"stage.option=value"`` overrides, as ``--set`` on the command line.
        workers: Worker processes; defaults to the number of usable cores.
        overwrite: Replace an existing output once the new one is complete.
        on_progress: Called after each shard of each pass.

    Example (the README's main job)::

        import cleanse
        cleanse.run(["seeds/"], "out").stats["rows_clean"]  # 1: the seed; 3 copies rejected
    """
    run_config = load_config(
        inputs=[str(p) for p in inputs],
        output=str(output),
        config_file=config,
        sets=sets,
        workers=workers,
        overwrite=overwrite,
    )
    return run_with_config(run_config, on_progress=on_progress)


def run_with_config(config: RunConfig, *, on_progress: ProgressCallback | None = None) -> RunResult:
    """Run an already built RunConfig with the engine it names."""
    if config.engine == "spark":
        from cleanse.engine.spark import SparkEngine  # optional extra: cleanse[spark]

        return SparkEngine(master=config.master).run(config, on_progress=on_progress)
    return LocalEngine().run(config, on_progress=on_progress)
