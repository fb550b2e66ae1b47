"""The Spark engine's output folder on any Hadoop-compatible path, committed whole.

The same life as `cleanse.engine.output` (refuse to clobber, build in
``.<name>.cleanse-partial`` beside the output, write ``_SUCCESS``, swap in last), done
through Hadoop's ``FileSystem`` so ``s3a://``, ``gs://``, ``abfss://`` and ``hdfs://``
outputs work as local folders do. A local path (no scheme) uses `cleanse.engine.output`
itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cleanse.engine import output as output_folder
from cleanse.errors import OutputError

SUCCESS = output_folder.SUCCESS


def is_remote(path: str) -> bool:
    """Return True for a URI with a scheme other than ``file``.

    >>> is_remote("s3a://bucket/out"), is_remote("out/"), is_remote("file:///tmp/out")
    (True, False, False)
    """
    scheme, sep, _ = path.partition("://")
    return bool(sep) and scheme != "file"


class LocalFolder:
    """An output folder on this machine's file system (local mode, or a shared mount)."""

    def __init__(self, output: str) -> None:
        self.output = Path(output.removeprefix("file://")).absolute()
        self.staging_path: Path | None = None

    def prepare(self, *, overwrite: bool) -> str:
        self.staging_path = output_folder.prepare(self.output, overwrite=overwrite)
        return self.staging_path.as_uri()

    def write_json(self, name: str, data: Mapping[str, Any]) -> None:
        from cleanse.io.writers import write_json

        assert self.staging_path is not None
        write_json(self.staging_path / name, data)

    def delete(self, name: str) -> None:
        import shutil

        assert self.staging_path is not None
        shutil.rmtree(self.staging_path / name, ignore_errors=True)

    def commit(self) -> None:
        assert self.staging_path is not None
        output_folder.commit(self.staging_path, self.output)

    def abort(self) -> None:
        import shutil

        if self.staging_path is not None:
            shutil.rmtree(self.staging_path, ignore_errors=True)

    def display(self) -> str:
        return str(self.output)


class HadoopFolder:
    """An output folder on a Hadoop ``FileSystem`` (through the session's JVM)."""

    def __init__(self, spark: Any, output: str) -> None:
        try:
            jvm = spark._jvm
        except AttributeError:  # Spark Connect: PySparkAttributeError
            jvm = None
        if jvm is None:
            msg = (
                f"output error: {output}: over Spark Connect cleanse cannot commit an output"
                " folder on a Hadoop path (renames need Hadoop's FileSystem in the driver's JVM)"
            )
            hint = (
                "write to a path this machine and the cluster share (a local path with a"
                " local Connect server, a mount), or run cleanse on the cluster"
                " (spark-submit, a notebook)"
            )
            raise OutputError(f"{msg}\n  hint: {hint}")
        self._jvm = jvm
        self._conf = spark._jsc.hadoopConfiguration()
        self.output = output.rstrip("/")
        parent, _, name = self.output.rpartition("/")
        self.staging = f"{parent}/.{name}.cleanse-partial"
        self._old = f"{parent}/.{name}.cleanse-old"
        self._fs = self._path(self.output).getFileSystem(self._conf)

    def _path(self, uri: str) -> Any:
        return self._jvm.org.apache.hadoop.fs.Path(uri)

    def _exists(self, uri: str) -> bool:
        return bool(self._fs.exists(self._path(uri)))

    def prepare(self, *, overwrite: bool) -> str:
        out = self._path(self.output)
        if self._fs.exists(out):
            if not self._fs.getFileStatus(out).isDirectory():
                msg = f"output error: {self.output} exists and is not a folder"
                raise OutputError(msg + "\n  hint: choose another --output")
            if len(self._fs.listStatus(out)) and not overwrite:
                done = self._exists(f"{self.output}/{SUCCESS}")
                kind = "an earlier cleanse run" if done else "files"
                msg = (
                    f"output error: {self.output} already holds {kind}\n"
                    "  hint: add --overwrite to replace it once the new run is complete,"
                    " or choose another --output"
                )
                raise OutputError(msg)
        self._fs.delete(self._path(self.staging), True)
        if not self._fs.mkdirs(self._path(self.staging)):
            raise OutputError(f"output error: cannot create {self.staging}")
        return self.staging

    def write_json(self, name: str, data: Mapping[str, Any]) -> None:
        text = json.dumps(data, indent=2, sort_keys=False, default=str) + "\n"
        stream = self._fs.create(self._path(f"{self.staging}/{name}"), True)
        try:
            stream.write(bytearray(text.encode("utf-8")))
        finally:
            stream.close()

    def delete(self, name: str) -> None:
        self._fs.delete(self._path(f"{self.staging}/{name}"), True)

    def commit(self) -> None:
        self._fs.create(self._path(f"{self.staging}/{SUCCESS}"), True).close()
        self._fs.delete(self._path(self._old), True)
        if self._exists(self.output):
            self._fs.rename(self._path(self.output), self._path(self._old))
        if not self._fs.rename(self._path(self.staging), self._path(self.output)):
            msg = f"output error: could not move {self.staging} to {self.output}"
            raise OutputError(msg)
        self._fs.delete(self._path(self._old), True)

    def abort(self) -> None:
        self._fs.delete(self._path(self.staging), True)

    def display(self) -> str:
        return self.output


def output_for(spark: Any, output: str) -> LocalFolder | HadoopFolder:
    """Return the folder handler for `output`: Hadoop for a URI, local otherwise."""
    return HadoopFolder(spark, output) if is_remote(output) else LocalFolder(output)
