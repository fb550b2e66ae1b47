"""Find input files: walk folders, expand globs, label files and skip what is not input.

A **label** names a file in ids and messages: its path from the parent of the folder it
was found through, so ``crawl/``, ``crawl/*.jsonl`` and ``crawl/part-3.jsonl`` all label
the same file ``crawl/part-3.jsonl`` wherever ``crawl`` lives. Files are sorted by label:
nothing depends on the order of a directory listing.

Inputs given as URIs (``s3a://bucket/crawl/``) are listed by Hadoop, through Spark
(`cleanse.engine.spark_inputs`); `find_listed_inputs` labels what such a listing found by
the same rules, so ``s3a://bucket/crawl/``, ``file:///data/crawl/`` and ``/data/crawl``
give a file the same label, hence the same ids. The local engine reads ``file://`` URIs
as the local paths they name and refuses other schemes.
"""

from __future__ import annotations

import glob
import logging
import os
import posixpath
import re
from collections.abc import Callable, Iterator, Sequence
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
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):/")


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
        raise _no_inputs()
    found: list[Input] = []
    unknown: list[str] = []
    for raw in paths:
        text = local_path(os.fspath(raw))
        if os.path.isfile(text) and _classify(text, "", format_) is None:
            # A file named with an unknown extension: skipped (a shell's crawl/* names
            # READMEs too), and an error only when nothing else is left to read.
            logger.warning("skipping %s: unknown input format (%s)", text, KNOWN)
            unknown.append(text)
            continue
        found.extend(_expand(text, format_))
    return _unique(found, unknown, os.path.realpath)


def find_listed_inputs(listings: Sequence[tuple[str, Sequence[str]]], format_: str) -> list[Input]:
    """Return the input files a Hadoop listing found, labelled as `find_inputs` would.

    Args:
        listings: For each input URI (a file, a folder or a Hadoop glob), the URIs of
            the files found under it, folders walked recursively (Spark's listing,
            which already leaves out hidden and ``_``-prefixed names); an empty list
            for a glob that matched nothing.
        format_: As for `find_inputs`.

    ``Input.path`` is the file's URI as listed. Hadoop globs never cross ``/``, so
    ``**`` matches one folder level there, not any number as locally.

    >>> [(i.label, i.format) for i in find_listed_inputs(
    ...     [("s3a://b/in/crawl/", ["s3a://b/in/crawl/a.jsonl", "s3a://b/in/crawl/x/b.txt",
    ...                            "s3a://b/in/crawl/notes.md"])], "auto")]
    [('crawl/a.jsonl', 'jsonl'), ('crawl/x/b.txt', 'txt')]
    >>> find_listed_inputs([("file:/data/one.jsonl", ["file:/data/one.jsonl"])], "auto")[0].label
    'data/one.jsonl'
    """
    if not listings:
        raise _no_inputs()
    found: list[Input] = []
    unknown: list[str] = []
    for pattern, files in listings:
        base = uri_path(pattern)
        if glob.has_magic(base):
            found.extend(_listed_glob(pattern, base, files, format_))
        elif len(files) == 1 and uri_path(files[0]) == base:
            root = posixpath.dirname(posixpath.dirname(base))
            item = _listed(files[0], root, format_)
            if item is None:
                logger.warning("skipping %s: unknown input format (%s)", pattern, KNOWN)
                unknown.append(pattern)
            else:
                found.append(item)
        else:
            depth = len(base.rstrip("/").split("/"))
            items = _listed_walk(files, base, posixpath.dirname(base), depth, format_)
            if not items:
                raise _empty_folder(pattern, format_)
            found.extend(items)
    return _unique(found, unknown, lambda path: path)


def uri_scheme(path: str) -> str | None:
    """Return the scheme of a URI (``s3a``, ``file``...), None for a local path.

    >>> uri_scheme("s3a://bucket/crawl/"), uri_scheme("file:/tmp/x"), uri_scheme("crawl/")
    ('s3a', 'file', None)
    """
    found = _SCHEME.match(path)
    # one letter is a Windows drive (C:/crawl), not a scheme
    return found.group(1).lower() if found and len(found.group(1)) > 1 else None


def uri_path(uri: str) -> str:
    """Return the path part of a URI, without a trailing ``/``, as Hadoop keeps it.

    Nothing is percent-decoded and ``#`` or ``?`` are part of the name, as in a Hadoop
    ``Path``.

    >>> uri_path("abfss://c@acct.dfs.core.windows.net/in/crawl/"), uri_path("file:/tmp/a b")
    ('/in/crawl', '/tmp/a b')
    >>> uri_path("s3a://bucket"), uri_path("file:///tmp/x#1.txt")
    ('/', '/tmp/x#1.txt')
    """
    rest = uri.split(":", 1)[1]
    if rest.startswith("//"):
        slash = rest.find("/", 2)
        rest = rest[slash:] if slash >= 0 else "/"
    return rest.rstrip("/") or "/"


def local_path(path: str) -> str:
    """Return the local path a ``file://`` URI names; raise for other schemes.

    >>> local_path("file:///data/crawl/"), local_path("crawl/")
    ('/data/crawl', 'crawl/')
    """
    scheme = uri_scheme(path)
    if scheme is None:
        return path
    if scheme == "file":
        return uri_path(path)
    msg = (
        f"input error: {path}: the local engine reads local paths only;"
        f" use --engine spark to read {scheme}:// inputs"
    )
    raise InputError(msg)


def _unique(found: list[Input], unknown: list[str], identity: Callable[[str], str]) -> list[Input]:
    """One input per file (the shortest label wins), sorted by label; refuse a shared label."""
    by_file: dict[str, Input] = {}
    for item in found:
        key = identity(item.path)
        known = by_file.get(key)
        if known is None or item.label < known.label:
            by_file[key] = item
    if not by_file and unknown:
        suffix = "".join(Path(unknown[0]).suffixes) or "(none)"
        msg = f'input error: {unknown[0]}: unknown input format, extension "{suffix}" ({KNOWN})'
        hint = (
            'set input.format = "txt" (or "html", "warc", "jsonl", "parquet") in the config, '
            "or --set input.format=txt"
        )
        raise InputError(f"{msg}\n  hint: {hint}")
    by_label: dict[str, Input] = {}
    for item in by_file.values():
        other = by_label.setdefault(item.label, item)
        if other is not item:
            first, second = sorted((other.path, item.path))
            msg = f'input error: {first} and {second} would both be labelled "{item.label}"'
            hint = "pass their common parent folder instead, so labels (and ids) differ"
            raise InputError(f"{msg}\n  hint: {hint}")
    return sorted(by_label.values(), key=lambda item: item.label)


def _listed(uri: str, root: str, format_: str) -> Input | None:
    path = uri_path(uri)
    found = format_of(path) if format_ == "auto" else format_
    if found is None:
        logger.debug("skipping %s: not an input format (%s)", uri, KNOWN)
        return None
    return Input(uri, posixpath.relpath(path, root), found)


def _listed_walk(
    files: Sequence[str], base: str, root: str, depth: int, format_: str
) -> list[Input]:
    """The files found below folders at `depth` components, by `_walk`'s rules."""
    found = []
    for uri in files:
        parts = uri_path(uri).split("/")
        if not uri_path(uri).startswith(base.rstrip("/") + "/") or any(
            _skipped(part) for part in parts[depth:]
        ):
            continue
        if format_ != "auto" and format_of(parts[-1]) != format_:
            logger.debug("skipping %s: not a %s file", uri, format_)
            continue
        item = _listed(uri, root, format_)
        if item is not None:
            found.append(item)
    return found


def _listed_glob(pattern: str, base: str, files: Sequence[str], format_: str) -> list[Input]:
    parts = base.split("/")
    magic = next(i for i, part in enumerate(parts) if glob.has_magic(part))
    root = posixpath.dirname("/".join(parts[:magic]) or "/")
    if not files:
        raise _no_match(pattern, "a Hadoop glob's * and ** match within one folder level")
    found: list[Input] = []
    for uri in files:
        path_parts = uri_path(uri).split("/")
        if len(path_parts) == len(parts):  # the pattern named the file itself
            if not _skipped(path_parts[-1]):
                item = _listed(uri, root, format_)
                if item is not None:
                    found.append(item)
        else:  # found in a folder the pattern named
            found.extend(
                _listed_walk([uri], "/".join(path_parts[: len(parts)]), root, len(parts), format_)
            )
    if not found:
        raise _no_inputs_among(pattern, len(files))
    return found


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
            raise _empty_folder(path, format_)
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


def _no_inputs() -> InputError:
    msg = "input error: no input paths given"
    hint = "pass files, folders or globs, or set input.paths in the config"
    return InputError(f"{msg}\n  hint: {hint}")


def _empty_folder(path: str, format_: str) -> InputError:
    wanted = KNOWN if format_ == "auto" else ", ".join(SUFFIXES[format_])
    msg = f"input error: {path}: no input files ({wanted}) in the folder or below"
    hint = (
        'hidden and "_"-prefixed files are skipped; name a file directly and set '
        "input.format to read it whatever its extension"
    )
    return InputError(f"{msg}\n  hint: {hint}")


def _no_match(pattern: str, rule: str) -> InputError:
    msg = f"input error: {pattern}: no files match"
    return InputError(f"{msg}\n  hint: check the pattern; {rule}")


def _no_inputs_among(pattern: str, matches: int) -> InputError:
    msg = f"input error: {pattern}: no input files among {matches} matches ({KNOWN})"
    hint = 'set input.format = "jsonl" (or "txt", "parquet") to read them whatever their extension'
    return InputError(f"{msg}\n  hint: {hint}")


def _expand_glob(pattern: str, format_: str) -> Iterator[Input]:
    parts = Path(pattern).parts
    fixed = [part for part in parts[: next(i for i, p in enumerate(parts) if glob.has_magic(p))]]
    root = os.path.dirname(os.path.abspath(os.path.join(*fixed) if fixed else "."))
    matches = sorted(glob.glob(pattern, recursive=True))
    if not matches:
        raise _no_match(pattern, "** matches files in subfolders (crawl/**/*.jsonl.gz)")
    found: list[Input] = []
    for match in matches:
        if os.path.isdir(match):
            found.extend(_walk(match, root, format_))
        elif not _skipped(os.path.basename(match)):
            item = _classify(match, root, format_)
            if item is not None:
                found.append(item)
    if not found:
        raise _no_inputs_among(pattern, len(matches))
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
