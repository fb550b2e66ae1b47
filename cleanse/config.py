"""Config file + CLI overrides -> one frozen, validated RunConfig.

Precedence: CLI flags and ``--set``, then the file, then the dataclass defaults (the
only place defaults live). Unknown keys and stage names are errors with a suggestion;
a stage's own validation error comes back as a ConfigError naming the key.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cleanse.errors import ConfigError
from cleanse.io.readers import ColumnMapping
from cleanse.stages import registry
from cleanse.stages.registry import suggest, type_problem

TOP_LEVEL_KEYS = ("pipeline", "input", "output", "workers", "batch_size", "engine", "master")
INPUT_KEYS = ("paths", *(f.name for f in dataclasses.fields(ColumnMapping)))
OUTPUT_KEYS = ("path", "max_file_bytes", "overwrite")


def default_workers() -> int:
    """Return the number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass(frozen=True, slots=True, kw_only=True)
class RunConfig:
    """Everything one run needs, validated.

    Args:
        inputs: Files, folders or globs to read.
        output: The output folder.
        pipeline: Stage names, in order.
        mapping: Which input fields hold text, id and url.
        stage_options: Options per stage name, as given (defaults fill the rest).
        workers: Worker processes; the default is the number of usable cores.
        batch_size: Documents per Arrow batch; 1000 keeps memory per worker small.
        max_file_bytes: Roll output Parquet parts over past this size (256 MiB).
        overwrite: Replace an existing output folder (only once the new one is complete).
        engine: "local" (default: a process pool on this machine) or "spark".
        master: Spark master URL for ``engine = "spark"`` (e.g. ``local[2]``); None uses
            the cluster's default (spark-submit, Databricks).
        source: The config file, named in error messages.
    """

    inputs: tuple[str, ...]
    output: str
    pipeline: tuple[str, ...] = registry.DEFAULT_PIPELINE
    mapping: ColumnMapping = field(default_factory=ColumnMapping)
    stage_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    workers: int = field(default_factory=default_workers)
    batch_size: int = 1000
    max_file_bytes: int = 256 << 20
    overwrite: bool = False
    engine: Literal["local", "spark"] = "local"
    master: str | None = None
    source: str | None = None

    def __post_init__(self) -> None:
        where = f" in {self.source}" if self.source else ""
        if not self.inputs:
            raise ConfigError(f"config error{where}: no input given\n  hint: cleanse run INPUT...")
        if not self.output:
            msg = f"config error{where}: no output folder given\n  hint: add --output OUT"
            raise ConfigError(msg)
        for key, value, low in (("workers", self.workers, 1), ("batch_size", self.batch_size, 1)):
            if not isinstance(value, int) or value < low:
                raise ConfigError(f"config error{where}: {key} must be >= {low} (got {value!r})")
        if self.engine not in ("local", "spark"):
            msg = f'config error{where}: engine must be "local" or "spark" (got {self.engine!r})'
            raise ConfigError(msg)
        if not self.pipeline:
            raise ConfigError(f"config error{where}: pipeline is empty")
        for name in self.pipeline:
            registry.check_name(name, where=where)
        if len(set(self.pipeline)) != len(self.pipeline):
            raise ConfigError(f"config error{where}: pipeline names a stage twice")
        for name in self.stage_options:
            registry.check_name(name, where=where)

    def build_stages(self) -> list[Any]:
        """Build the pipeline's stages with their options (a ConfigError on a bad one)."""
        where = f" in {self.source}" if self.source else ""
        return [
            registry.build(name, self.stage_options.get(name, {}), where=where)
            for name in self.pipeline
        ]

    def to_dict(self) -> dict[str, Any]:
        """Return the effective config, defaults filled in, as stored in run.json."""
        stages = {}
        for stage in self.build_stages():
            stages[stage.name] = {
                f.name: _plain(getattr(stage, f.name)) for f in dataclasses.fields(stage) if f.init
            }
        return {
            "inputs": list(self.inputs),
            "output": self.output,
            "pipeline": list(self.pipeline),
            "input": dataclasses.asdict(self.mapping),
            "workers": self.workers,
            "batch_size": self.batch_size,
            "engine": self.engine,
            "max_file_bytes": self.max_file_bytes,
            "stages": stages,
        }


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def parse_set(item: str) -> tuple[list[str], Any]:
    """Parse one ``--set key.path=value``; the value is read as TOML, else as a string.

    >>> parse_set("near_dedup.threshold=0.85")
    (['near_dedup', 'threshold'], 0.85)
    >>> parse_set("input.text_column=body")
    (['input', 'text_column'], 'body')
    """
    key, sep, raw = item.partition("=")
    if not sep or not key.strip():
        msg = f"config error: --set {item!r} is not key=value"
        msg += "\n  hint: --set near_dedup.threshold=0.85"
        raise ConfigError(msg)
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key.strip().split("."), value


def read_file(path: str | Path) -> dict[str, Any]:
    """Read a TOML config file into a dict."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as err:
        raise ConfigError(f"config error: {path}: no such file") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"config error in {path}: not valid TOML: {err}") from err


def merge_sets(data: dict[str, Any], sets: Sequence[str]) -> dict[str, Any]:
    """Apply ``--set`` overrides onto the file's dict."""
    for item in sets:
        keys, value = parse_set(item)
        node = data
        for key in keys[:-1]:
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                raise ConfigError(f"config error: --set {item}: {key} is not a table")
            node = child
        node[keys[-1]] = value
    return data


def load_config(
    *,
    inputs: Sequence[str] = (),
    output: str | None = None,
    config_file: str | Path | None = None,
    sets: Sequence[str] = (),
    workers: int | None = None,
    overwrite: bool | None = None,
    engine: str | None = None,
    master: str | None = None,
) -> RunConfig:
    """Build the RunConfig from a config file, ``--set`` items and CLI flags."""
    data = read_file(config_file) if config_file else {}
    data = merge_sets(data, sets)
    source = str(config_file) if config_file else None
    where = f" in {source}" if source else ""

    input_table = _table(data, "input", INPUT_KEYS, where)
    output_table = _table(data, "output", OUTPUT_KEYS, where)
    stage_options: dict[str, dict[str, Any]] = {}
    for key, value in data.items():
        if key in TOP_LEVEL_KEYS:
            continue
        if key in registry.STAGES:
            if not isinstance(value, dict):
                raise ConfigError(f"config error{where}: [{key}] must be a table of options")
            stage_options[key] = {
                k: tuple(v) if isinstance(v, list) else v for k, v in value.items()
            }
            continue
        choices = (*TOP_LEVEL_KEYS, *registry.STAGES)
        raise ConfigError(f"config error{where}: {key} is not a setting" + suggest(key, choices))

    mapping_values = {k: v for k, v in input_table.items() if k != "paths"}
    hints = typing.get_type_hints(ColumnMapping)
    for key, value in mapping_values.items():
        problem = type_problem(value, hints[key])
        if problem:
            raise ConfigError(f"config error{where}: input.{key} {problem} (got {value!r})")
    try:
        mapping = ColumnMapping(**mapping_values)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"config error{where}: input: {err}") from err

    file_inputs = input_table.get("paths", [])
    if isinstance(file_inputs, str):
        file_inputs = [file_inputs]
    kwargs: dict[str, Any] = {
        "inputs": tuple(inputs) or tuple(file_inputs),
        "output": output or output_table.get("path", ""),
        "mapping": mapping,
        "stage_options": stage_options,
        "source": source,
    }
    if "pipeline" in data:
        pipeline = data["pipeline"]
        if isinstance(pipeline, str) or not isinstance(pipeline, list):
            raise ConfigError(f"config error{where}: pipeline must be a list of stage names")
        kwargs["pipeline"] = tuple(pipeline)
    for key in ("workers", "batch_size", "engine", "master"):
        if key in data:
            kwargs[key] = data[key]
    if engine is not None:
        kwargs["engine"] = engine
    if master is not None:
        kwargs["master"] = master
    if workers is not None:
        kwargs["workers"] = workers
    if "max_file_bytes" in output_table:
        kwargs["max_file_bytes"] = output_table["max_file_bytes"]
    kwargs["overwrite"] = bool(
        overwrite if overwrite is not None else output_table.get("overwrite", False)
    )
    config = RunConfig(**kwargs)
    config.build_stages()  # validate every stage's options now, before any work
    return config


def _table(data: dict[str, Any], name: str, keys: Sequence[str], where: str) -> dict[str, Any]:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise ConfigError(f"config error{where}: {name} must be a table")
    for key in table:
        if key not in keys:
            msg = f"config error{where}: {name}.{key} is not a setting of [{name}]"
            raise ConfigError(msg + suggest(key, tuple(keys)))
    return table
