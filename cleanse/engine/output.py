"""The output folder's life: refuse to clobber, build in a staging folder, swap in whole.

A run writes everything into ``.<name>.cleanse-partial`` beside the output folder and,
only when every file is complete, writes ``_SUCCESS`` and renames the staging folder
into place. So a run that dies never leaves a folder that looks complete, and
``--overwrite`` never removes the old output before the new one is whole.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

from cleanse.errors import OutputError

logger = logging.getLogger(__name__)

SUCCESS = "_SUCCESS"
STATE = "_state.json"


def staging_path(output: Path) -> Path:
    """Return the staging folder used while writing `output`."""
    return output.parent / f".{output.name}.cleanse-partial"


def prepare(output: Path, *, overwrite: bool, state: dict[str, Any] | None = None) -> Path:
    """Check `output` may be written and return its staging folder.

    A staging folder left by a run that died is resumed when its ``state.json`` equals
    `state` (same config and same input fingerprints); otherwise it is wiped and the run
    starts clean.
    """
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
    state_file = staging / STATE
    if state is not None:
        state = json.loads(json.dumps(state, sort_keys=True, default=str))
    if staging.exists():
        if state is not None and state_file.exists() and _read_state(state_file) == state:
            logger.warning("a previous run into %s did not finish; resuming it", output)
            return staging
        logger.warning("a previous run into %s did not finish; starting clean", output)
        shutil.rmtree(staging)
    try:
        staging.mkdir(parents=True)
    except OSError as err:
        msg = f"output error: cannot create {staging}: {err.strerror}"
        raise OutputError(msg) from err
    if state is not None:
        tmp = staging / f".{STATE}.tmp"
        tmp.write_text(json.dumps(state, sort_keys=True, default=str))
        os.replace(tmp, state_file)
    return staging


def _read_state(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def commit(staging: Path, output: Path) -> None:
    """Mark `staging` complete and move it to `output`, replacing an old one last."""
    output = output.absolute()
    (staging / STATE).unlink(missing_ok=True)
    (staging / SUCCESS).write_text("")
    old = output.parent / f".{output.name}.cleanse-old"
    if old.exists():
        shutil.rmtree(old)
    if output.exists():
        os.replace(output, old)
    os.replace(staging, output)
    if old.exists():
        shutil.rmtree(old)
