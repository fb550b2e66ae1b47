"""Inputs given as URIs: labels of a Hadoop listing match local labels; the local engine
reads ``file://`` and refuses other schemes with one line that names ``--engine spark``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import cleanse
from cleanse.cli import main
from cleanse.errors import InputError
from cleanse.io.discovery import find_inputs, find_listed_inputs


def hadoop_listing(folder: Path) -> list[str]:
    """What Spark's recursive listing gives: ``file:`` URIs, hidden and _-names left out."""
    found = []
    for current, folders, files in os.walk(folder):
        folders[:] = [name for name in folders if not name.startswith((".", "_"))]
        found += [f"file:{current}/{name}" for name in files if not name.startswith((".", "_"))]
    return found


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "in" / "crawl"
    names = ("a b.jsonl", "sub/c[1].jsonl.gz", "sub/deep/d.txt", "p.parquet", "README.md")
    for name in (*names, ".hidden.txt", "_done/x.txt", "sub/_tmp/y.txt"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x")
    return root


@pytest.mark.parametrize("format_", ["auto", "jsonl"])
def test_listed_folder_labels_are_local_labels(tree: Path, format_: str) -> None:
    local = find_inputs([tree], format_)
    listed = find_listed_inputs([(f"file://{tree}/", hadoop_listing(tree))], format_)
    assert [(i.label, i.format) for i in listed] == [(i.label, i.format) for i in local]
    assert [i.path for i in listed] == [f"file:{i.path}" for i in local]


def test_listed_file_and_glob_labels_are_local_labels(tree: Path) -> None:
    file = tree / "sub" / "c[1].jsonl.gz"
    listed = find_listed_inputs([(f"file://{file}", [f"file:{file}"])], "auto")
    assert [i.label for i in listed] == [i.label for i in find_inputs([file], "auto")]
    pattern = f"{tree}/s*"  # matches the folder sub/, walked
    listing = [uri for uri in hadoop_listing(tree) if "/sub/" in uri]
    listed = find_listed_inputs([(f"file://{pattern}", listing)], "auto")
    assert [i.label for i in listed] == [i.label for i in find_inputs([pattern], "auto")]
    with pytest.raises(InputError, match="no files match"):
        find_listed_inputs([(f"file://{tree}/*.warc", [])], "auto")


def test_listed_folder_without_inputs_and_shared_labels_are_refused(tree: Path) -> None:
    with pytest.raises(InputError, match="no input files"):
        find_listed_inputs([("s3a://b/crawl", ["s3a://b/crawl/notes.md"])], "auto")
    with pytest.raises(InputError, match=r'would both be labelled "crawl/a\.txt"'):
        find_listed_inputs(
            [("s3a://b/crawl", ["s3a://b/crawl/a.txt"]), ("gs://c/crawl", ["gs://c/crawl/a.txt"])],
            "auto",
        )


def test_local_engine_reads_file_uris_with_the_ids_of_paths(tmp_path: Path) -> None:
    folder = tmp_path / "crawl"
    folder.mkdir()
    (folder / "a.jsonl").write_text('{"text": "one document here"}\n{"text": "and a second"}\n')
    by_path = cleanse.run([folder], tmp_path / "p", workers=1)
    by_uri = cleanse.run([f"file://{folder}/"], tmp_path / "u", workers=1)
    assert by_uri.run["inputs"] == by_path.run["inputs"]
    assert by_uri.stats["rows_in"] == by_path.stats["rows_in"] == 2


def test_local_engine_refuses_other_schemes_in_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", "s3a://bucket/crawl/", "-o", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert result.output.strip() == (
        "cleanse: input error: s3a://bucket/crawl/: the local engine reads local paths only;"
        " use --engine spark to read s3a:// inputs"
    )
