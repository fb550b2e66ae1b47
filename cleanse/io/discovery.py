"""Find input files: walk folders, expand globs, label files and skip what is not input.

A **label** names a file in ids and messages: its path from the parent of the folder it
was found through, so ``crawl/``, ``crawl/*.jsonl`` and ``crawl/part-3.jsonl`` all label
the same file ``crawl/part-3.jsonl`` wherever ``crawl`` lives. Files are sorted by label:
nothing depends on the order of a directory listing.
"""

from __future__ import annotations

import glob
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from cleanse.errors import InputError

logger = logging.getLogger(__name__)

SUFFIXES: dict[str, tuple[str, ...]] = {
    "txt": (".txt",),
    "html": (".html", ".htm", ".xhtml", ".html.gz", ".htm.gz"),
    "warc": (".warc", ".warc.gz", ".wet", ".wet.gz"),
    "jsonl": (".jsonl", ".jsonl.gz", ".jsonl.zst"),
    "parquet": (".parquet",),
}
KNOWN = ", ".join(suffix for group in SUFFIXES.values() for suffix in group)


@dataclass(frozen=True, slots=True)
class Input:
    """An input file: absolute path, label and format."""

    path: str
    label: str
    format: str


def find_inputs(paths: Sequence[str | Path], format_: str) -> list[Input]:
    """Return the input files under `paths`, one per real file, sorted by label.

    Args:
        paths: Files, folders (walked recursively) or glob patterns.
        format_: "auto" picks files by extension; a format name reads files named
            directly or by a glob as that format, and in folders its extensions only.
    """
    if not paths:
        msg = "input error: no input paths given"
        hint = "pass files, folders or globs, or set input.paths in the config"
        raise InputError(f"{msg}\n  hint: {hint}")
    by_real_path: dict[str, Input] = {}
    unknown: list[str] = []
    for raw in paths:
        text = os.fspath(raw)
        if os.path.isfile(text) and _classify(text, "", format_) is None:
            # A file named with an unknown extension: skipped (a shell's crawl/* names
            # READMEs too), and an error only when nothing else is left to read.
            logger.warning("skipping %s: unknown input format (%s)", text, KNOWN)
            unknown.append(text)
            continue
        for item in _expand(text, format_):
            real = os.path.realpath(item.path)
            known = by_real_path.get(real)
            if known is None or item.label < known.label:
                by_real_path[real] = item
    if not by_real_path and unknown:
        suffix = "".join(Path(unknown[0]).suffixes) or "(none)"
        msg = f'input error: {unknown[0]}: unknown input format, extension "{suffix}" ({KNOWN})'
        hint = (
            'set input.format = "txt" (or "html", "warc", "jsonl", "parquet") in the config, '
            "or --set input.format=txt"
        )
        raise InputError(f"{msg}\n  hint: {hint}")
    by_label: dict[str, Input] = {}
    for item in by_real_path.values():
        other = by_label.setdefault(item.label, item)
        if other is not item:
            first, second = sorted((other.path, item.path))
            msg = f'input error: {first} and {second} would both be labelled "{item.label}"'
            hint = "pass their common parent folder instead, so labels (and ids) differ"
            raise InputError(f"{msg}\n  hint: {hint}")
    return sorted(by_label.values(), key=lambda item: item.label)


def format_of(name: str) -> str | None:
    """Return the input format implied by a file name, or None.

    >>> format_of("crawl/Part-3.JSONL.zst"), format_of("notes.md")
    ('jsonl', None)
    """
    lowered = name.lower()
    for format_, suffixes in SUFFIXES.items():
        if lowered.endswith(suffixes):
            return format_
    return None


def _expand(path: str, format_: str) -> Iterator[Input]:
    if os.path.isdir(path):
        found = list(_walk(path, os.path.dirname(os.path.abspath(path)), format_))
        if not found:
            wanted = KNOWN if format_ == "auto" else ", ".join(SUFFIXES[format_])
            msg = f"input error: {path}: no input files ({wanted}) in the folder or below"
            hint = (
                'hidden and "_"-prefixed files are skipped; name a file directly and set '
                "input.format to read it whatever its extension"
            )
            raise InputError(f"{msg}\n  hint: {hint}")
        yield from found
    elif os.path.isfile(path):
        yield from _explicit(path, format_)
    elif glob.has_magic(path):
        yield from _expand_glob(path, format_)
    elif os.path.exists(path):
        msg = f"input error: {path}: not a regular file or folder"
        raise InputError(msg)
    else:
        msg = f"input error: {path}: no such file or folder"
        hint = f"relative paths start from the current folder, {os.getcwd()}"
        raise InputError(f"{msg}\n  hint: {hint}")


def _expand_glob(pattern: str, format_: str) -> Iterator[Input]:
    parts = Path(pattern).parts
    fixed = [part for part in parts[: next(i for i, p in enumerate(parts) if glob.has_magic(p))]]
    root = os.path.dirname(os.path.abspath(os.path.join(*fixed) if fixed else "."))
    matches = sorted(glob.glob(pattern, recursive=True))
    if not matches:
        msg = f"input error: {pattern}: no files match"
        hint = "check the pattern; ** matches files in subfolders (crawl/**/*.jsonl.gz)"
        raise InputError(f"{msg}\n  hint: {hint}")
    found: list[Input] = []
    for match in matches:
        if os.path.isdir(match):
            found.extend(_walk(match, root, format_))
        elif not _skipped(os.path.basename(match)):
            item = _classify(match, root, format_)
            if item is not None:
                found.append(item)
    if not found:
        msg = f"input error: {pattern}: no input files among {len(matches)} matches ({KNOWN})"
        hint = (
            'set input.format = "jsonl" (or "txt", "parquet") to read them whatever their extension'
        )
        raise InputError(f"{msg}\n  hint: {hint}")
    yield from found


def _walk(folder: str, root: str, format_: str) -> Iterator[Input]:
    for current, folders, files in os.walk(folder):
        folders[:] = sorted(name for name in folders if not _skipped(name))
        for name in sorted(files):
            if _skipped(name):
                continue
            path = os.path.join(current, name)
            if format_ != "auto" and format_of(name) != format_:
                logger.debug("skipping %s: not a %s file", path, format_)
                continue
            item = _classify(path, root, format_)
            if item is not None:
                yield item


def _explicit(path: str, format_: str) -> Iterator[Input]:
    root = os.path.dirname(os.path.dirname(os.path.abspath(path)))
    item = _classify(path, root, format_)
    if item is not None:
        yield item


def _classify(path: str, root: str, format_: str) -> Input | None:
    absolute = os.path.abspath(path)
    label = Path(os.path.relpath(absolute, root)).as_posix()
    found = format_of(path) if format_ == "auto" else format_
    if found is None:
        logger.debug("skipping %s: not an input format (%s)", path, KNOWN)
        return None
    return Input(absolute, label, found)


def _skipped(name: str) -> bool:
    return name.startswith((".", "_"))
