"""Reading good input: real corpora, ids, labels, meta, plans and shards."""

from __future__ import annotations

import gzip
import json
import logging
import pickle
import tarfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from cleanse.engine.local import largest_first
from cleanse.errors import InputError
from cleanse.io.readers import ColumnMapping, InputPlan, plan_inputs, read_shard
from cleanse.schema import DOMAIN, ID, META, REASON, SOURCE, TEXT, URL
from conftest import REPO, shared_data

DOLMA = "dolma-CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz"
SEED = REPO.parent / "shared" / "seeds" / "aljazeera-nato-turkey.txt"

FORMATS = (
    ".txt, .html, .htm, .xhtml, .html.gz, .htm.gz, .warc, .warc.gz, .wet, .wet.gz,"
    " .jsonl, .jsonl.gz, .jsonl.zst, .parquet"
)


def read_rows(
    plan: InputPlan, mapping: ColumnMapping | None = None, *, batch_size: int = 1000
) -> list[dict[str, object]]:
    mapping = mapping or ColumnMapping()
    rows: list[dict[str, object]] = []
    for shard in plan.shards:
        for batch in read_shard(shard, mapping, plan.schema(), batch_size=batch_size):
            assert batch.schema.equals(plan.schema())
            rows.extend(batch.to_pylist())
    return rows


def read_paths(paths: list[Path | str], **options: object) -> list[dict[str, object]]:
    mapping = ColumnMapping(**options)  # type: ignore[arg-type]
    return read_rows(plan_inputs(paths, mapping), mapping)


def write_jsonl(path: Path, records: list[object]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


@pytest.mark.shared_data
def test_dolma_jsonl_gz_reads_every_record_with_its_id() -> None:
    path = shared_data("cc-text", DOLMA)
    rows = read_paths([path])
    assert len(rows) == 697
    first = rows[0]
    assert first[ID] == "blj5uzvcoa4iybpd5o6kom5nir6ngmoj"
    assert first[SOURCE] == f"cc-text/{DOLMA}"
    assert str(first[TEXT]).startswith("A New Home?\n\nMarch 03, 2018")
    meta = json.loads(str(first[META]))
    assert list(meta) == ["source", "created", "added", "version", "metadata", "attributes"]
    assert first[URL] is None
    assert first[DOMAIN] is None
    # 27 records of the real file have an empty text: quarantined, not dropped.
    empty = [row for row in rows if row[REASON] is not None]
    assert len(empty) == 27
    assert {row[REASON] for row in empty} == {"read.empty"}
    assert empty[0]["removal_detail"] == f"cc-text/{DOLMA} line 17: text is empty"


@pytest.mark.shared_data
def test_ids_do_not_depend_on_batch_size(tmp_path: Path) -> None:
    plain = write_jsonl(
        tmp_path / "crawl" / "plain.jsonl", [{"text": f"doc {i}"} for i in range(7)]
    )
    table = pa.table({"text": [f"row {i}" for i in range(25)]})
    pq.write_table(table, tmp_path / "crawl" / "table.parquet", row_group_size=10)
    paths = [shared_data("cc-text", DOLMA), plain.parent, SEED]
    plan = plan_inputs(paths, ColumnMapping())
    one = read_rows(plan, batch_size=1)
    many = read_rows(plan, batch_size=1000)
    assert [row[ID] for row in one] == [row[ID] for row in many]
    assert one == many
    ids = [str(row[ID]) for row in many]
    assert len(set(ids)) == len(ids) == 697 + 7 + 25 + 1
    assert "crawl/plain.jsonl:7" in ids
    assert "crawl/table.parquet:24" in ids


@pytest.mark.shared_data
def test_bbc_txt_files_one_document_each_latin1_decoded(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    wanted = {"bbc/sport/199.txt", "bbc/sport/001.txt", "bbc/business/007.txt"}
    with tarfile.open(shared_data("bbc-news", "bbc-raw.tar.xz")) as archive:
        members = [member for member in archive.getmembers() if member.name in wanted]
        archive.extractall(tmp_path, members=members, filter="data")
    with caplog.at_level(logging.WARNING, logger="cleanse.io.readers"):
        rows = read_paths([tmp_path / "bbc"])
    assert [row[ID] for row in rows] == sorted(wanted)
    assert [row[SOURCE] for row in rows] == sorted(wanted)
    latin1 = rows[2]
    assert "a \N{POUND SIGN}15.8m signing from Parma" in str(latin1[TEXT])
    assert latin1[REASON] is None
    assert caplog.messages == [
        "encoding: bbc/sport/199.txt: not UTF-8 (byte 0xa3 at offset 257); decoded as cp1252"
        " (later ones in this shard are not logged)"
    ]


def test_seed_article_is_one_document() -> None:
    if not SEED.exists():
        pytest.skip("../shared/seeds is absent")
    rows = read_paths([SEED.parent])
    assert [row[ID] for row in rows] == ["seeds/aljazeera-nato-turkey.txt"]
    assert rows[0][TEXT] == SEED.read_text(encoding="utf-8")


def test_jsonl_ids_are_line_numbers_when_absent(tmp_path: Path) -> None:
    path = tmp_path / "crawl" / "part-0.jsonl"
    path.parent.mkdir()
    path.write_text('{"text": "one"}\n\n{"text": "three", "id": 42}\n{"text": "four"}')
    rows = read_paths([path])
    assert [row[ID] for row in rows] == ["crawl/part-0.jsonl:1", "42", "crawl/part-0.jsonl:4"]


def test_meta_holds_unmapped_fields_in_input_order(tmp_path: Path) -> None:
    record = {"z": 1, "url": "https://WWW.Example.COM/a", "text": "t", "a": {"b": [1, "é"]}}
    rows = read_paths([write_jsonl(tmp_path / "d" / "a.jsonl", [record])])
    assert rows[0][META] == '{"z":1,"a":{"b":[1,"é"]}}'
    assert rows[0][URL] == "https://WWW.Example.COM/a"
    assert rows[0][DOMAIN] == "example.com"


def test_column_mapping_renames_text_id_and_url(tmp_path: Path) -> None:
    record = {"body": "hello", "doc": 7, "link": "http://news.example.org/x", "id": "other"}
    path = write_jsonl(tmp_path / "d" / "a.jsonl", [record])
    rows = read_paths([path], text_column="body", id_column="doc", url_column="link")
    assert rows[0][ID] == "7"
    assert rows[0][TEXT] == "hello"
    assert rows[0][DOMAIN] == "news.example.org"
    assert rows[0][META] == '{"id":"other"}'


@pytest.mark.parametrize(
    ("url", "domain"),
    [
        ("https://www.bbc.co.uk/news", "bbc.co.uk"),
        ("HTTP://Example.COM:8080/", "example.com"),
        ("16thfleet.wikidot.com/chatter:anewhome", "16thfleet.wikidot.com"),
        ("http://[::1/", None),
        ("", None),
    ],
    ids=["www", "case-port", "no-scheme", "bad-ipv6", "empty"],
)
def test_domain_from_url(tmp_path: Path, url: str, domain: str | None) -> None:
    rows = read_paths([write_jsonl(tmp_path / "d" / "a.jsonl", [{"text": "x", "url": url}])])
    assert rows[0][DOMAIN] == domain


def test_zstd_jsonl_with_several_frames(tmp_path: Path) -> None:
    compressor = zstandard.ZstdCompressor()
    frames = [compressor.compress(b'{"text": "a"}\n'), compressor.compress(b'{"text": "b"}\n')]
    path = tmp_path / "d" / "two.jsonl.zst"
    path.parent.mkdir()
    path.write_bytes(b"".join(frames))
    rows = read_paths([path])
    assert [(row[ID], row[TEXT]) for row in rows] == [
        ("d/two.jsonl.zst:1", "a"),
        ("d/two.jsonl.zst:2", "b"),
    ]


def test_parquet_passthrough_ids_and_row_groups(tmp_path: Path) -> None:
    folder = tmp_path / "pq"
    folder.mkdir()
    table = pa.table(
        {
            "text": ["a", "b", "c", "d"],
            "id": pa.array([10, None, 12, 13], pa.int64()),
            "lang": ["en", "fr", "de", "en"],
            "source": ["x"] * 4,
        }
    )
    pq.write_table(table, folder / "a.parquet", row_group_size=2)
    pq.write_table(pa.table({"text": ["e"], "score": [0.5]}), folder / "b.parquet")
    mapping = ColumnMapping()
    plan = plan_inputs([folder], mapping, target_shard_bytes=1)
    assert [(shard.labels, shard.row_groups) for shard in plan.shards] == [
        (("pq/a.parquet",), (0,)),
        (("pq/a.parquet",), (1,)),
        (("pq/b.parquet",), None),
    ]
    assert [field.name for field in plan.passthrough] == ["lang", "score"]
    rows = read_rows(plan, mapping)
    assert [row[ID] for row in rows] == ["10", "pq/a.parquet:1", "12", "13", "pq/b.parquet:0"]
    assert [row["lang"] for row in rows] == ["en", "fr", "de", "en", None]
    assert [row[SOURCE] for row in rows] == ["pq/a.parquet"] * 4 + ["pq/b.parquet"]


def test_utf16_with_byte_order_mark_is_text(tmp_path: Path) -> None:
    path = tmp_path / "d" / "u16.txt"
    path.parent.mkdir()
    path.write_bytes("Grüße aus Köln".encode("utf-16"))
    rows = read_paths([path])
    assert rows[0][TEXT] == "Grüße aus Köln"
    assert rows[0][REASON] is None


def test_labels_are_the_same_through_folder_glob_and_file(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "crawl" / "part-3.jsonl", [{"text": "x"}])
    for given in (tmp_path / "crawl", tmp_path / "crawl" / "*.jsonl", path):
        plan = plan_inputs([given], ColumnMapping())
        assert plan.shards[0].labels == ("crawl/part-3.jsonl",)
        assert plan.fingerprints[0]["label"] == "crawl/part-3.jsonl"


def test_plan_is_sorted_and_skips_hidden_underscore_and_other_files(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "in"
    for name in ("b.txt", "a/c.jsonl", ".hidden.txt", "_done/x.txt", "_SUCCESS.txt", "notes.md"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text('{"text": "x"}')
    with caplog.at_level(logging.DEBUG, logger="cleanse.io.discovery"):
        plan = plan_inputs([root], ColumnMapping())
    assert [(shard.index, shard.format, shard.labels) for shard in plan.shards] == [
        (0, "jsonl", ("in/a/c.jsonl",)),
        (1, "txt", ("in/b.txt",)),
    ]
    assert f"skipping {root / 'notes.md'}: not an input format" in caplog.text
    assert [item["label"] for item in plan.fingerprints] == ["in/a/c.jsonl", "in/b.txt"]
    assert set(plan.fingerprints[0]) == {"label", "size", "mtime_ns", "xxh64"}


def test_txt_files_are_grouped_by_size_and_count(tmp_path: Path) -> None:
    folder = tmp_path / "t"
    folder.mkdir()
    for i in range(1005):
        (folder / f"{i:04d}.txt").write_text("x" * 10)
    plan = plan_inputs([folder], ColumnMapping())
    assert [len(shard.paths) for shard in plan.shards] == [1000, 5]
    plan = plan_inputs([folder], ColumnMapping(), target_shard_bytes=4000)
    assert [len(shard.paths) for shard in plan.shards] == [400, 400, 205]
    assert [shard.size for shard in plan.shards] == [4000, 4000, 2050]


def test_shard_sizes_and_the_largest_first(tmp_path: Path) -> None:
    folder = tmp_path / "mix"
    folder.mkdir()
    table = pa.table({"text": [f"document {i} " * 50 for i in range(40)]})
    pq.write_table(table, folder / "a.parquet", row_group_size=10)
    small = write_jsonl(folder / "b.jsonl", [{"text": "x"}])
    big = write_jsonl(folder / "c.jsonl", [{"text": "y" * 5000}] * 20)
    plan = plan_inputs([folder], ColumnMapping(), target_shard_bytes=600)
    metadata = pq.ParquetFile(folder / "a.parquet").metadata
    groups = [metadata.row_group(g).column(0).total_compressed_size for g in range(4)]
    assert [(shard.labels[0], shard.size) for shard in plan.shards] == [
        *(("mix/a.parquet", size) for size in groups),
        ("mix/b.jsonl", small.stat().st_size),
        ("mix/c.jsonl", big.stat().st_size),
    ]
    order = [shard.index for shard in largest_first(plan.shards)]
    assert order[0] == 5 and order[-1] == 4
    assert sorted(order) == list(range(6))


def test_shards_pickle(tmp_path: Path) -> None:
    plan = plan_inputs([write_jsonl(tmp_path / "d" / "a.jsonl", [{"text": "x"}])], ColumnMapping())
    assert pickle.loads(pickle.dumps(plan.shards)) == plan.shards


def test_explicit_format_reads_any_extension(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d" / "data.ndjson", [{"text": "x"}])
    rows = read_paths([path], format="jsonl")
    assert rows[0][TEXT] == "x"


def test_gzip_jsonl_text_keeps_unicode(tmp_path: Path) -> None:
    path = tmp_path / "d" / "a.jsonl.gz"
    path.parent.mkdir()
    path.write_bytes(gzip.compress('{"text": "naïve café 東京"}\n'.encode()))
    assert read_paths([path])[0][TEXT] == "naïve café 東京"


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            "missing/part-9.jsonl",
            "input error: {tmp}/missing/part-9.jsonl: no such file or folder\n"
            "  hint: relative paths start from the current folder, {cwd}",
        ),
        (
            "crawl/*.jsonl",
            "input error: {tmp}/crawl/*.jsonl: no files match\n"
            "  hint: check the pattern; ** matches files in subfolders (crawl/**/*.jsonl.gz)",
        ),
        (
            "crawl/notes.md",
            'input error: {tmp}/crawl/notes.md: unknown input format, extension ".md"'
            f" ({FORMATS})\n"
            '  hint: set input.format = "txt" (or "html", "warc", "jsonl", "parquet")'
            " in the config, or --set input.format=txt",
        ),
        (
            "crawl",
            f"input error: {{tmp}}/crawl: no input files ({FORMATS}) in the folder or below\n"
            '  hint: hidden and "_"-prefixed files are skipped; name a file directly and set'
            " input.format to read it whatever its extension",
        ),
    ],
    ids=["missing", "glob-no-match", "unknown-extension", "empty-folder"],
)
def test_plan_errors_name_the_path(tmp_path: Path, given: str, message: str) -> None:
    (tmp_path / "crawl").mkdir()
    (tmp_path / "crawl" / "notes.md").write_text("x")
    with pytest.raises(InputError) as caught:
        plan_inputs([str(tmp_path / given)], ColumnMapping())
    assert str(caught.value) == message.format(tmp=tmp_path, cwd=Path.cwd())


def test_no_paths_is_an_error() -> None:
    with pytest.raises(InputError) as caught:
        plan_inputs([], ColumnMapping())
    assert str(caught.value) == (
        "input error: no input paths given\n"
        "  hint: pass files, folders or globs, or set input.paths in the config"
    )


def test_parquet_column_type_conflict_names_both_files(tmp_path: Path) -> None:
    pq.write_table(pa.table({"text": ["a"], "lang": ["en"]}), tmp_path / "a.parquet")
    pq.write_table(pa.table({"text": ["b"], "lang": [3]}), tmp_path / "b.parquet")
    with pytest.raises(InputError) as caught:
        plan_inputs([tmp_path], ColumnMapping())
    name = tmp_path.name
    assert str(caught.value) == (
        f'input error: {name}/b.parquet: column "lang" is int64, but string in {name}/a.parquet\n'
        "  hint: give the column one type in every file, or read them in separate runs"
    )


def test_parquet_text_column_must_be_a_string(tmp_path: Path) -> None:
    pq.write_table(pa.table({"text": [1], "body": ["b"]}), tmp_path / "a.parquet")
    with pytest.raises(InputError) as caught:
        plan_inputs([tmp_path / "a.parquet"], ColumnMapping())
    assert str(caught.value) == (
        f'input error: {tmp_path.name}/a.parquet: column "text" is int64, not a string\n'
        "  hint: set input.text_column to a string column"
    )


def test_parquet_without_text_column_suggests_one(tmp_path: Path) -> None:
    pq.write_table(pa.table({"n": [1], "body": ["b"]}), tmp_path / "a.parquet")
    with pytest.raises(InputError) as caught:
        plan_inputs([tmp_path / "a.parquet"], ColumnMapping())
    assert str(caught.value) == (
        f'input error: {tmp_path.name}/a.parquet: no "text" column; present: "n", "body"\n'
        '  hint: set input.text_column = "body" in the config, or --set input.text_column=body'
    )


def test_named_file_of_unknown_format_is_skipped_beside_inputs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_jsonl(tmp_path / "crawl" / "a.jsonl", [{"text": "x"}])
    readme = tmp_path / "crawl" / "README.md"
    readme.write_text("about")
    with caplog.at_level(logging.WARNING):
        plan = plan_inputs([readme, path], ColumnMapping())
    assert [shard.labels for shard in plan.shards] == [("crawl/a.jsonl",)]
    assert caplog.messages == [f"skipping {readme}: unknown input format ({FORMATS})"]
