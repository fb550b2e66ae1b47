"""Errors a person can act on.

::

    CleanseError              base; the CLI prints "cleanse: <message>" with no traceback
     +-- ConfigError          a config file, --set or CLI option is wrong      (exit 2)
     +-- InputError           an input file cannot be used as asked            (exit 1)
     +-- OutputError          the output folder cannot be written as asked     (exit 1)

Any other exception escaping cleanse is a bug and keeps its traceback.
Messages say where (file and line, config key), what was found and, on a line of its
own starting with ``hint:``, what to do.
"""

from __future__ import annotations

from typing import ClassVar


class CleanseError(Exception):
    """Base class of every error meant for the person running cleanse."""

    exit_code: ClassVar[int] = 1


class ConfigError(CleanseError):
    """The configuration (file, ``--set`` or CLI option) is invalid."""

    exit_code: ClassVar[int] = 2


class InputError(CleanseError):
    """An input path is missing, unreadable or does not match the column mapping."""

    exit_code: ClassVar[int] = 1


class OutputError(CleanseError):
    """The output folder exists, is not writable, or belongs to another run."""

    exit_code: ClassVar[int] = 1
