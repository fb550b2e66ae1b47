"""The output folder's life: refuse to clobber, build in a staging folder, swap in whole.

A run writes everything into ``.<name>.cleanse-partial`` beside the output folder and,
only when every file is complete, writes ``_SUCCESS`` and renames the staging folder
into place. So a run that dies never leaves a folder that looks complete, and
``--overwrite`` never removes the old output before the new one is whole.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from cleanse.errors import OutputError

logger = logging.getLogger(__name__)

SUCCESS = "_SUCCESS"


def staging_path(output: Path) -> Path:
    """Return the staging folder used while writing `output`."""
    return output.parent / f".{output.name}.cleanse-partial"


def prepare(output: Path, *, overwrite: bool) -> Path:
    """Check `output` may be written and return a fresh, empty staging folder."""
    output = output.absolute()
    if output.exists() and not output.is_dir():
        msg = f"output error: {output} exists and is not a folder\n  hint: choose another --output"
        raise OutputError(msg)
    if output.exists() and any(output.iterdir()) and not overwrite:
        kind = "an earlier cleanse run" if (output / SUCCESS).exists() else "files"
        msg = (
            f"output error: {output} already holds {kind}\n"
            "  hint: add --overwrite to replace it once the new run is complete,"
            " or choose another --output"
        )
        raise OutputError(msg)
    staging = staging_path(output)
    if staging.exists():
        logger.warning("a previous run into %s did not finish; starting clean", output)
        shutil.rmtree(staging)
    try:
        staging.mkdir(parents=True)
    except OSError as err:
        msg = f"output error: cannot create {staging}: {err.strerror}"
        raise OutputError(msg) from err
    return staging


def commit(staging: Path, output: Path) -> None:
    """Mark `staging` complete and move it to `output`, replacing an old one last."""
    output = output.absolute()
    (staging / SUCCESS).write_text("")
    old = output.parent / f".{output.name}.cleanse-old"
    if old.exists():
        shutil.rmtree(old)
    if output.exists():
        os.replace(output, old)
    os.replace(staging, output)
    if old.exists():
        shutil.rmtree(old)
