"""The ``cleanse`` command: parse arguments, build the config, call the engine.

No logic of its own beyond printing: a ``CleanseError`` becomes ``cleanse: <message>``
on stderr and its exit code (2 config, 1 input/output), without a traceback.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from cleanse.errors import CleanseError

F = TypeVar("F", bound=Callable[..., Any])


def user_errors(fn: F) -> F:
    """Print a CleanseError as one plain message and exit with its code."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CleanseError as err:
            click.echo(f"cleanse: {err}", err=True)
            sys.exit(err.exit_code)
        except KeyboardInterrupt:
            click.echo("cleanse: interrupted; the output folder was left untouched", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def kernels_cached() -> bool:
    """Return True when numba's cache next to cleanse's compiled modules is filled."""
    package = Path(__file__).parent
    return all(
        any((package / folder / "__pycache__").glob(f"{module}.*.nbi"))
        for folder, module in (("dedup", "kernels"), ("stages", "boilerplate_kernels"))
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cleanse")
def main() -> None:
    """Clean scraped web corpora into deduplicated Parquet datasets."""


@main.command()
@click.argument("inputs", nargs=-1, metavar="INPUT...")
@click.option("-o", "--output", help="Output folder (refused if it holds files, see --overwrite).")
@click.option("-c", "--config", "config_file", type=click.Path(), help="TOML config file.")
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="STAGE.OPTION=VALUE",
    help="Override one option, e.g. --set near_dedup.threshold=0.85 (repeatable).",
)
@click.option("-w", "--workers", type=click.IntRange(min=1), help="Worker processes [cores].")
@click.option(
    "--overwrite", is_flag=True, default=None, help="Replace OUT once the new run is complete."
)
@click.option(
    "--engine",
    type=click.Choice(["local", "spark"]),
    help="local: a process pool on this machine (default); spark: needs cleanse[spark].",
)
@click.option("--master", help="Spark master URL with --engine spark, e.g. local[2].")
@click.option("--no-progress", is_flag=True, help="No progress bars.")
@click.option("-v", "--verbose", count=True, help="More log lines (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Warnings and the summary only.")
@user_errors
def run(
    inputs: tuple[str, ...],
    output: str | None,
    config_file: str | None,
    sets: tuple[str, ...],
    workers: int | None,
    overwrite: bool | None,
    engine: str | None,
    master: str | None,
    no_progress: bool,
    verbose: int,
    quiet: bool,
) -> None:
    """Clean INPUT... (folders of .txt, JSONL[.gz|.zst], Parquet) into OUT."""
    from cleanse import _logging
    from cleanse.api import run_with_config
    from cleanse.config import load_config

    config = load_config(
        inputs=inputs,
        output=output,
        config_file=config_file,
        sets=sets,
        workers=workers,
        overwrite=overwrite,
        engine=engine,
        master=master,
    )
    show_bars = sys.stderr.isatty() and not no_progress and not quiet
    if not quiet and not kernels_cached():
        click.echo(
            "first run of this cleanse here: compiling its numba loops once"
            " (about 30 s; later runs load them from the cache)",
            err=True,
        )
    with (
        _logging.setup(-1 if quiet else verbose),
        _logging.progress_bars(enabled=show_bars) as bars,
    ):
        result = run_with_config(config, on_progress=bars)
    from cleanse.report import domain_table

    click.echo(summary_table(result.stats))
    if Path(result.output).is_dir():  # a local output (a Spark run may write to s3a:// etc.)
        click.echo(domain_table(result.output))
    click.echo(
        f"wrote {result.output}/ (clean/, rejects/, duplicates/, stats.json, run.json, report.html)"
    )


def summary_table(stats: dict[str, Any]) -> str:
    """Format stats.json as the table printed at the end of a run."""
    lines = [
        f"rows: {stats['rows_in']} in = {stats['rows_clean']} clean + "
        f"{stats['rows_rejected']} rejected   chars: {stats['chars_in']} in, "
        f"{stats['chars_out']} out   {stats['seconds']:.1f} s",
        "",
        f"{'stage':<20}{'rows in':>10}{'removed':>10}{'chars in':>14}{'chars out':>14}{'s':>8}",
    ]
    for name, stage in stats["stages"].items():
        lines.append(
            f"{name:<20}{stage['rows_in']:>10}{stage['rows_removed']:>10}"
            f"{stage['chars_in']:>14}{stage['chars_out']:>14}{stage['seconds']:>8.2f}"
        )
        for reason, count in stage["removed"].items():
            lines.append(f"  {reason:<38}{count:>10}")
        for counter, count in stage["counters"].items():
            lines.append(f"  {counter + ' (total)':<38}{count:>10}")
    return "\n".join(lines)


@main.command()
@click.argument("output", metavar="OUT", type=click.Path(file_okay=False))
@click.option("--open", "open_report", is_flag=True, help="Open the report in a browser.")
@user_errors
def report(output: str, open_report: bool) -> None:
    """Rebuild OUT/report.html from the output folder OUT of a run."""
    from pathlib import Path

    from cleanse.report import build_report, domain_table

    path = build_report(Path(output))
    click.echo(domain_table(path.parent))
    click.echo(f"wrote {path}")
    if open_report:
        click.launch(path.resolve().as_uri())


@main.command()
@user_errors
def stages() -> None:
    """List the stages, their options and defaults."""
    from cleanse.stages import registry

    for name in registry.STAGES:
        try:
            cls = registry.stage_class(name)
        except ImportError as err:
            click.echo(f"{name}  (unavailable: {err})")
            continue
        doc = inspect.getdoc(cls) or ""
        marker = " [default]" if name in registry.DEFAULT_PIPELINE else ""
        click.echo(f"{name}{marker}: {doc.splitlines()[0] if doc else ''}")
        for field in registry.options(name):
            default = field.default
            if default is dataclasses.MISSING and field.default_factory is not dataclasses.MISSING:
                default = field.default_factory()
            click.echo(f"    {field.name} = {json.dumps(default, default=str)}")


@main.command()
@click.argument("config_file", type=click.Path())
@click.option("--set", "sets", multiple=True, metavar="STAGE.OPTION=VALUE")
@user_errors
def check(config_file: str, sets: tuple[str, ...]) -> None:
    """Validate CONFIG_FILE and print the effective config."""
    from cleanse.config import load_config

    config = load_config(config_file=config_file, sets=sets, inputs=("-",), output="-")
    effective = config.to_dict()
    for key in ("inputs", "output"):
        effective.pop(key)
    click.echo(json.dumps(effective, indent=2))
