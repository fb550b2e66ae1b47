"""Stage names (the public contract) and how to build a stage from config options."""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal

from cleanse.errors import ConfigError

# name -> "module:Class"; imported lazily so `cleanse stages` stays quick and a stage's
# heavy dependencies load only when it runs.
STAGES: dict[str, str] = {
    "extract_html": "cleanse.stages.extract_html:ExtractHtml",
    "fix_encoding": "cleanse.stages.encoding:FixEncoding",
    "strip_boilerplate": "cleanse.stages.boilerplate:StripBoilerplate",
    "site_boilerplate": "cleanse.stages.site_boilerplate:SiteBoilerplate",
    "exact_dedup": "cleanse.stages.exact_dedup:ExactDedup",
    "near_dedup": "cleanse.dedup.stages:NearDedup",
}

DEFAULT_PIPELINE: tuple[str, ...] = (
    "extract_html",
    "fix_encoding",
    "strip_boilerplate",
    "site_boilerplate",
    "exact_dedup",
    "near_dedup",
)


def available() -> list[str]:
    """Return the names of stages whose module imports (all, in a full install)."""
    names = []
    for name in STAGES:
        try:
            stage_class(name)
        except (ImportError, AttributeError):
            continue
        names.append(name)
    return names


def stage_class(name: str) -> type:
    """Return the class implementing stage `name`."""
    module_name, _, class_name = STAGES[name].partition(":")
    return getattr(importlib.import_module(module_name), class_name)  # type: ignore[no-any-return]


def suggest(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """Return a `hint:` line naming the closest choice, or listing them all."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    if close:
        return f'\n  hint: did you mean "{close[0]}"?'
    listed = ", ".join(f'"{c}"' for c in choices)
    return f"\n  hint: choose from {listed}"


def check_name(name: str, *, where: str) -> None:
    """Raise a ConfigError when `name` is not a stage."""
    if name not in STAGES:
        msg = f'config error{where}: "{name}" is not a stage' + suggest(name, tuple(STAGES))
        raise ConfigError(msg)


def options(name: str) -> list[dataclasses.Field[Any]]:
    """Return the configurable fields (options) of stage `name`."""
    return [f for f in dataclasses.fields(stage_class(name)) if f.init]


def build(name: str, values: Mapping[str, Any], *, where: str = "") -> Any:
    """Build stage `name` from option `values`, turning every mistake into a ConfigError."""
    check_name(name, where=where)
    cls = stage_class(name)
    fields = {f.name: f for f in options(name)}
    hints = typing.get_type_hints(cls)
    for key, value in values.items():
        if key not in fields:
            msg = f'config error{where}: {name}.{key} is not an option of "{name}"'
            raise ConfigError(msg + suggest(key, tuple(fields)))
        problem = type_problem(value, hints.get(key, Any))
        if problem:
            msg = f"config error{where}: {name}.{key} {problem} (got {value!r})"
            raise ConfigError(msg)
    try:
        return cls(**values)
    except (ValueError, TypeError) as err:
        msg = f"config error{where}: {name}: {err}"
        raise ConfigError(msg) from err


def type_problem(value: Any, hint: Any) -> str | None:
    """Return what is wrong with `value` for annotation `hint`, or None if it fits."""
    if hint is Any:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        problems = [type_problem(value, arm) for arm in typing.get_args(hint)]
        return None if any(p is None for p in problems) else problems[0]
    if origin is Literal:
        allowed = typing.get_args(hint)
        if value in allowed:
            return None
        return "must be one of " + ", ".join(repr(a) for a in allowed)
    if hint is type(None):
        return None if value is None else "must be empty"
    if hint is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else "must be a number"
    if hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else "must be an integer"
    if hint is bool:
        return None if isinstance(value, bool) else "must be true or false"
    if hint is str:
        return None if isinstance(value, str) else "must be a string"
    if origin in (tuple, list):
        return None if isinstance(value, list | tuple) else "must be a list"
    return None
