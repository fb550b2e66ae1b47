"""HTML and WARC input: folders of pages, real WARC files, charsets, damage, content_type."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from cleanse.io import html as html_module
from cleanse.io.html import charset_label, declared_charset, decode_html
from cleanse.io.readers import (
    BINARY,
    CORRUPT_FILE,
    EMPTY,
    TOO_LARGE,
    TRUNCATED,
    ColumnMapping,
    plan_inputs,
    read_shard,
)
from cleanse.schema import CONTENT_TYPE, DETAIL, DOMAIN, ID, META, REASON, SOURCE, TEXT, URL
from conftest import shared_data

WARCS = ("dolma-sample-0000.warc.gz", "dolma-sample-0001.warc.gz")
PAGE = (
    "<!DOCTYPE html><html lang='en'><head><title>T</title></head><body>"
    "<p>Prix : 15 € le café à Zürich.</p></body></html>"
)


def read(paths: list[Path], mapping: ColumnMapping | None = None) -> list[dict[str, object]]:
    mapping = mapping or ColumnMapping()
    plan = plan_inputs(paths, mapping)
    rows: list[dict[str, object]] = []
    for shard in plan.shards:
        for batch in read_shard(shard, mapping, plan.schema(), batch_size=7):
            assert batch.schema.equals(plan.schema())
            rows.extend(batch.to_pylist())
    return rows


@pytest.fixture(name="folder")
def folder_fixture(tmp_path: Path) -> Path:
    folder = tmp_path / "pages"
    folder.mkdir()
    return folder


def warc_record(
    writer: WARCWriter,
    url: str,
    payload: bytes,
    *,
    content_type: str = "text/html; charset=utf-8",
    status: str = "200 OK",
) -> None:
    headers = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
    record = writer.create_warc_record(
        url, "response", payload=io.BytesIO(payload), http_headers=headers
    )
    writer.write_record(record)


# ---------------------------------------------------------------- folders of .html pages


def test_html_folder_is_one_document_per_file(folder: Path) -> None:
    (folder / "a.html").write_text(PAGE, encoding="utf-8")
    (folder / "b.htm").write_text(PAGE.replace("Zürich", "Bern"), encoding="utf-8")
    (folder / "c.html.gz").write_bytes(gzip.compress(PAGE.encode()))
    (folder / "notes.md").write_text("not a page")
    plan = plan_inputs([folder], ColumnMapping())
    assert [shard.format for shard in plan.shards] == ["html"]
    rows = read([folder])
    assert [row[ID] for row in rows] == ["pages/a.html", "pages/b.htm", "pages/c.html.gz"]
    assert {row[CONTENT_TYPE] for row in rows} == {"text/html"}
    assert rows[0][TEXT] == PAGE
    assert rows[2][TEXT] == PAGE
    assert rows[0][URL] is None and rows[0][SOURCE] == "pages/a.html"
    assert all(row[REASON] is None for row in rows)


def test_txt_and_html_in_one_folder_keep_their_content_types(folder: Path) -> None:
    (folder / "a.html").write_text(PAGE, encoding="utf-8")
    (folder / "b.txt").write_text("plain words", encoding="utf-8")
    plan = plan_inputs([folder], ColumnMapping())
    assert sorted(shard.format for shard in plan.shards) == ["html", "txt"]
    types = {row[ID]: row[CONTENT_TYPE] for row in read([folder])}
    assert types == {"pages/a.html": "text/html", "pages/b.txt": "text/plain"}


@pytest.mark.shared_data
def test_real_windows_1252_page_without_a_charset_is_decoded(folder: Path) -> None:
    # washingtonpost.com_blog1_0.html declares no charset; byte 0x92 is a cp1252 quote.
    archive = shared_data("wceb", "cleanportaleval", "pages.tar.xz")
    with tarfile.open(archive) as pages:
        handle = pages.extractfile("input/washingtonpost.com_blog1_0.html")
        assert handle is not None
        data = handle.read()
    (folder / "wapo.html").write_bytes(data)
    [row] = read([folder / "wapo.html"])
    text = str(row[TEXT])
    assert row[REASON] is None
    assert 'content="Editors\N{RIGHT SINGLE QUOTATION MARK} note: New choices' in text
    assert "\N{REPLACEMENT CHARACTER}" not in text
    lying = decode_html(data, header="text/html; charset=utf-8")  # a server that lies
    assert lying.text == text
    assert lying.problem == "not UTF-8 (byte 0x92 at offset 3084, declared utf-8)"


def test_meta_charset_is_honoured(folder: Path) -> None:
    page = '<html><head><meta charset="windows-1251"></head><body><p>Привет, мир</p></body></html>'
    (folder / "ru.html").write_bytes(page.encode("cp1251"))
    [row] = read([folder / "ru.html"])
    assert "Привет, мир" in str(row[TEXT])


def test_empty_and_binary_pages_are_quarantined(folder: Path) -> None:
    (folder / "empty.html").write_bytes(b"  \n")
    (folder / "binary.html").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    rows = {row[ID]: row for row in read([folder])}
    assert rows["pages/empty.html"][REASON] == EMPTY
    assert rows["pages/binary.html"][REASON] == BINARY


def test_gzip_bomb_page_is_too_large_without_reading_it_all(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(html_module, "MAX_PAGE_BYTES", 1 << 20)
    (folder / "bomb.html.gz").write_bytes(gzip.compress(b"<p>" + b"A" * (8 << 20), 9))
    [row] = read([folder])
    assert row[REASON] == TOO_LARGE
    assert row[DETAIL] == "pages/bomb.html.gz: page is larger than 1048576 bytes"
    assert row[TEXT] is None


def test_truncated_html_gz_is_quarantined(folder: Path) -> None:
    data = gzip.compress(PAGE.encode() * 50)
    (folder / "cut.html.gz").write_bytes(data[: len(data) // 2])
    [row] = read([folder])
    assert row[REASON] == TRUNCATED
    assert str(row[DETAIL]).startswith("pages/cut.html.gz: compressed page is damaged")


# ---------------------------------------------------------------- charsets


@pytest.mark.parametrize(
    ("data", "header", "codec"),
    [
        (
            b'<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">',
            None,
            "cp1252",
        ),
        (b"<meta charset='utf-8'>", "text/html; charset=Shift_JIS", "shift_jis"),
        (b"<meta charset=utf-16>", None, "utf-8"),
        (b"<meta charset=x-nonsense>", None, None),
        (b"<p>no declaration</p>", None, None),
    ],
    ids=["latin1-is-cp1252", "header-first", "utf16-label-on-ascii", "unknown", "none"],
)
def test_declared_charset(data: bytes, header: str | None, codec: str | None) -> None:
    assert declared_charset(data, header) == codec


def test_valid_utf8_beats_a_wrong_declaration_and_a_failed_one_falls_to_a_guess() -> None:
    utf8 = '<meta charset="iso-8859-2"><p>Zürich</p>'.encode()
    assert decode_html(utf8) == decode_html(utf8, header="text/html; charset=latin1")
    assert decode_html(utf8).text == '<meta charset="iso-8859-2"><p>Zürich</p>'
    shift_jis = "<p>日本語のテキスト</p>".encode("shift_jis")
    assert (
        decode_html(shift_jis, header="text/html; charset=utf-8").text == "<p>日本語のテキスト</p>"
    )


def test_byte_order_mark_beats_the_declaration() -> None:
    data = '<meta charset="cp1252"><p>ça</p>'.encode("utf-16")
    decoded = decode_html(data)
    assert decoded.encoding == "utf-16" and decoded.text == '<meta charset="cp1252"><p>ça</p>'


def test_charset_labels() -> None:
    assert [charset_label(x) for x in ("latin1", "US-ASCII", "utf8", "gb2312")] == [
        "cp1252",
        "cp1252",
        "utf-8",
        "gb2312",
    ]


# ---------------------------------------------------------------- WARC and WET


@pytest.mark.shared_data
def test_real_warc_files_give_their_37_html_responses() -> None:
    paths = [shared_data("cc-text", name) for name in WARCS]
    plan = plan_inputs(paths, ColumnMapping())
    assert [shard.format for shard in plan.shards] == ["warc", "warc"]
    rows = read(paths)
    assert len(rows) == 37
    assert all(row[REASON] is None for row in rows)
    assert {row[CONTENT_TYPE] for row in rows} == {"text/html"}
    first = rows[0]
    assert first[ID] == "urn:uuid:283E41D7-F686-4C3E-B7DA-E8D248A100C1"
    assert first[URL] == "https://www.semanticscholar.org/research/research-team"
    assert first[DOMAIN] == "semanticscholar.org"
    assert first[SOURCE] == "cc-text/dolma-sample-0000.warc.gz"
    assert str(first[TEXT]).startswith("<!DOCTYPE html>")
    assert len({row[ID] for row in rows}) == 37
    domains = [row[DOMAIN] for row in rows]
    assert domains.count("creativecommons.org") >= 3  # several pages per site


@pytest.mark.shared_data
def test_truncated_real_warc_keeps_intact_records(folder: Path) -> None:
    data = shared_data("cc-text", WARCS[0]).read_bytes()
    (folder / "cut.warc.gz").write_bytes(data[:150_000])
    rows = read([folder / "cut.warc.gz"])
    *intact, last = rows
    assert len(intact) == 20
    assert all(row[REASON] is None and row[TEXT] for row in intact)
    assert last[ID] == "pages/cut.warc.gz:42"
    assert last[REASON] == TRUNCATED
    assert last[DETAIL] == (
        "pages/cut.warc.gz: WARC file ends inside record 42 (10461 of 11909 bytes missing)"
    )


def test_a_gzip_file_that_is_not_a_warc_is_one_corrupt_row(folder: Path) -> None:
    (folder / "notes.warc.gz").write_bytes(gzip.compress(b"hello world\nnot a warc\n"))
    [row] = read([folder / "notes.warc.gz"])
    assert row[ID] == "pages/notes.warc.gz"
    assert row[REASON] == CORRUPT_FILE
    assert str(row[DETAIL]).startswith("pages/notes.warc.gz: not a WARC file (ArchiveLoadFailed")


def test_warc_keeps_html_2xx_responses_only(folder: Path) -> None:
    with (folder / "crawl.warc.gz").open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        warc_record(writer, "https://example.org/a", PAGE.encode())
        warc_record(writer, "https://example.org/logo.png", b"\x89PNG", content_type="image/png")
        warc_record(writer, "https://example.org/gone", b"<p>gone</p>", status="404 Not Found")
        latin = PAGE.replace("<title>T", "<title>Zürich").encode("cp1252")
        warc_record(
            writer, "https://example.org/b", latin, content_type="text/html; charset=latin1"
        )
    rows = read([folder])
    assert [row[URL] for row in rows] == ["https://example.org/a", "https://example.org/b"]
    assert all(str(row[ID]).startswith("urn:uuid:") for row in rows)
    assert "<title>Zürich</title>" in str(rows[1][TEXT])  # charset from the HTTP header
    assert {row[DOMAIN] for row in rows} == {"example.org"}


def test_wet_conversion_records_are_plain_text(folder: Path) -> None:
    with (folder / "crawl.warc.wet.gz").open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for number in range(2):
            record = writer.create_warc_record(
                f"https://example.org/{number}",
                "conversion",
                payload=io.BytesIO(f"Title {number}\nBody text, café.".encode()),
                warc_content_type="text/plain",
            )
            writer.write_record(record)
    plan = plan_inputs([folder], ColumnMapping())
    assert [shard.format for shard in plan.shards] == ["warc"]
    rows = read([folder])
    assert [row[TEXT] for row in rows] == ["Title 0\nBody text, café.", "Title 1\nBody text, café."]
    assert {row[CONTENT_TYPE] for row in rows} == {"text/plain"}


# ---------------------------------------------------------------- content_type in JSONL/Parquet


def test_jsonl_content_type_field_marks_html_rows(folder: Path) -> None:
    records = [
        {
            "id": "p",
            "text": PAGE,
            "url": "https://a.org/x",
            "content_type": "text/html; charset=utf-8",
        },
        {"id": "t", "text": "plain", "lang": "en"},
    ]
    path = folder / "pages.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    rows = read([path])
    assert [row[CONTENT_TYPE] for row in rows] == ["text/html", "text/plain"]
    assert json.loads(str(rows[0][META])) == {}  # content_type is a column, not meta
    assert json.loads(str(rows[1][META])) == {"lang": "en"}


def test_parquet_content_type_column_marks_html_rows(folder: Path) -> None:
    path = folder / "pages.parquet"
    table = pa.table(
        {
            "id": ["p", "t"],
            "text": [PAGE, "plain"],
            "content_type": ["application/xhtml+xml", None],
            "lang": ["fr", "en"],
        }
    )
    pq.write_table(table, path)
    rows = read([path])
    assert [row[CONTENT_TYPE] for row in rows] == ["text/html", "text/plain"]
    assert [row["lang"] for row in rows] == ["fr", "en"]


def test_txt_rows_are_text_plain(folder: Path) -> None:
    (folder / "a.txt").write_text("words")
    [row] = read([folder])
    assert row[CONTENT_TYPE] == "text/plain"
