"""Every kind of bad input, one test each: what the reader keeps, quarantines or refuses."""

from __future__ import annotations

import gzip
import json
import logging
import random
import zlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from cleanse.errors import InputError
from cleanse.io.readers import (
    BINARY,
    CORRUPT_FILE,
    EMPTY,
    INVALID_UTF8,
    MALFORMED_JSON,
    MISSING_TEXT,
    TRUNCATED,
    ColumnMapping,
    plan_inputs,
    read_shard,
)
from cleanse.schema import DETAIL, ID, META, REASON, TEXT


def read(path: Path, mapping: ColumnMapping | None = None) -> list[dict[str, object]]:
    mapping = mapping or ColumnMapping()
    plan = plan_inputs([path], mapping)
    rows: list[dict[str, object]] = []
    for shard in plan.shards:
        for batch in read_shard(shard, mapping, plan.schema(), batch_size=2):
            rows.extend(batch.to_pylist())
    return rows


def outcome(row: dict[str, object]) -> tuple[object, object, object]:
    return row[ID], row[REASON], row[DETAIL]


@pytest.fixture(name="folder")
def folder_fixture(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    return folder


def test_txt_with_invalid_utf8_is_decoded_and_kept(
    folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (folder / "latin1.txt").write_bytes("Prix : 15 € le café à Zürich.".encode("cp1252"))
    with caplog.at_level(logging.WARNING):
        rows = read(folder / "latin1.txt")
    assert rows[0][TEXT] == "Prix : 15 € le café à Zürich."
    assert rows[0][REASON] is None
    assert caplog.messages == [
        "encoding: in/latin1.txt: not UTF-8 (byte 0x80 at offset 10); decoded as cp1252"
        " (later ones in this shard are not logged)"
    ]


def test_txt_that_no_encoding_fits_is_binary(folder: Path) -> None:
    junk = bytes(byte for byte in random.Random(0).randbytes(4000) if byte)
    (folder / "junk.txt").write_bytes(junk)
    assert [outcome(row) for row in read(folder / "junk.txt")] == [
        (
            "in/junk.txt",
            BINARY,
            "in/junk.txt: not text: invalid UTF-8 (byte 0xcd at offset 0)"
            " and no other encoding fits",
        )
    ]


def test_txt_with_nul_bytes_and_no_mark_is_binary(folder: Path) -> None:
    (folder / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    rows = read(folder / "image.txt")
    assert [outcome(row) for row in rows] == [
        (
            "in/image.txt",
            BINARY,
            "in/image.txt: not text: NUL bytes and invalid UTF-8 (byte 0x89 at offset 0),"
            " no UTF-16/32 mark",
        )
    ]
    assert rows[0][TEXT] is None


def test_nul_characters_are_removed_from_kept_text(
    folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (folder / "padded.txt").write_bytes(b"real text\x00\x00 here")
    with caplog.at_level(logging.WARNING):
        rows = read(folder / "padded.txt")
    assert (rows[0][TEXT], rows[0][REASON]) == ("real text here", None)
    assert caplog.messages == [
        "nul: in/padded.txt: NUL characters removed (later ones in this shard are not logged)"
    ]


def test_nul_escape_in_jsonl_is_removed(folder: Path) -> None:
    (folder / "a.jsonl").write_text('{"text": "a\\u0000b"}\n{"text": "\\u0000"}\n')
    rows = read(folder / "a.jsonl")
    assert [(row[TEXT], row[REASON]) for row in rows] == [("ab", None), ("", EMPTY)]


def test_empty_txt_file(folder: Path) -> None:
    (folder / "empty.txt").write_bytes(b"")
    rows = read(folder / "empty.txt")
    assert [outcome(row) for row in rows] == [
        ("in/empty.txt", EMPTY, "in/empty.txt: file is empty")
    ]
    assert rows[0][TEXT] == ""


def test_whitespace_only_txt_file(folder: Path) -> None:
    (folder / "blank.txt").write_text(" \n\t\N{NO-BREAK SPACE}\n")
    assert [outcome(row) for row in read(folder / "blank.txt")] == [
        ("in/blank.txt", EMPTY, "in/blank.txt: text is whitespace only")
    ]


def test_empty_jsonl_file_has_no_rows(folder: Path) -> None:
    (folder / "empty.jsonl").write_bytes(b"")
    assert read(folder / "empty.jsonl") == []


def test_empty_documents_in_jsonl(folder: Path) -> None:
    (folder / "a.jsonl").write_text('{"text": ""}\n{"text": "  \\n"}\n{"text": "ok"}\n')
    assert [outcome(row) for row in read(folder / "a.jsonl")] == [
        ("in/a.jsonl:1", EMPTY, "in/a.jsonl line 1: text is empty"),
        ("in/a.jsonl:2", EMPTY, "in/a.jsonl line 2: text is whitespace only"),
        ("in/a.jsonl:3", None, None),
    ]


def test_malformed_jsonl_line_in_the_middle(folder: Path, caplog: pytest.LogCaptureFixture) -> None:
    lines = ['{"text": "one"}', '{"text" "two", "x": 1}', "[1, 2]", '{"text": "four"}']
    (folder / "a.jsonl").write_text("\n".join(lines) + "\n")
    with caplog.at_level(logging.WARNING):
        rows = read(folder / "a.jsonl")
    assert [outcome(row) for row in rows] == [
        ("in/a.jsonl:1", None, None),
        (
            "in/a.jsonl:2",
            MALFORMED_JSON,
            "in/a.jsonl line 2: Expecting ':' delimiter: line 1 column 9",
        ),
        (
            "in/a.jsonl:3",
            MALFORMED_JSON,
            "in/a.jsonl line 3: expected a JSON object, found an array",
        ),
        ("in/a.jsonl:4", None, None),
    ]
    assert rows[1][TEXT] == '{"text" "two", "x": 1}'
    assert rows[1][META] is None
    assert caplog.messages == [
        "read.malformed_json: in/a.jsonl line 2: Expecting ':' delimiter: line 1 column 9"
        " (later ones in this shard are not logged)"
    ]


def test_invalid_utf8_in_a_jsonl_line(folder: Path) -> None:
    (folder / "a.jsonl").write_bytes(b'{"text": "ok"}\n{"text": "caf\xe9"}\n')
    rows = read(folder / "a.jsonl")
    assert [outcome(row) for row in rows] == [
        ("in/a.jsonl:1", None, None),
        (
            "in/a.jsonl:2",
            INVALID_UTF8,
            "in/a.jsonl line 2: invalid UTF-8 (byte 0xe9 at offset 13 of the line)",
        ),
    ]
    assert rows[1][TEXT] == '{"text": "caf\N{REPLACEMENT CHARACTER}"}'


def test_lone_surrogate_escape_is_replaced(folder: Path) -> None:
    (folder / "a.jsonl").write_text('{"text": "a\\ud800b", "k": "\\udfff"}\n')
    rows = read(folder / "a.jsonl")
    assert rows[0][TEXT] == "a\N{REPLACEMENT CHARACTER}b"
    assert json.loads(str(rows[0][META])) == {"k": "\udfff"}


def test_missing_text_field_on_the_first_record_is_an_input_error(folder: Path) -> None:
    (folder / "part-3.jsonl").write_text('not json\n{"body": "b", "url": "http://x.org/"}\n')
    with pytest.raises(InputError) as caught:
        read(folder / "part-3.jsonl")
    assert str(caught.value) == (
        'input error: in/part-3.jsonl line 2: no "text" field; present: "body", "url"\n'
        '  hint: set input.text_column = "body" in the config, or --set input.text_column=body'
    )


def test_non_string_text_on_the_first_record_is_an_input_error(folder: Path) -> None:
    (folder / "a.jsonl").write_text('{"text": {"en": "x"}, "content": "y"}\n')
    with pytest.raises(InputError) as caught:
        read(folder / "a.jsonl")
    assert str(caught.value) == (
        'input error: in/a.jsonl line 1: "text" is not a string; present: "text", "content"\n'
        '  hint: set input.text_column = "content" in the config,'
        " or --set input.text_column=content"
    )


def test_missing_id_column_on_the_first_record_is_an_input_error(folder: Path) -> None:
    (folder / "a.jsonl").write_text('{"text": "x", "id": 1}\n')
    with pytest.raises(InputError) as caught:
        read(folder / "a.jsonl", ColumnMapping(id_column="doc_id"))
    assert str(caught.value) == (
        'input error: in/a.jsonl line 1: no "doc_id" field (input.id_column);'
        ' present: "text", "id"\n'
        "  hint: set input.id_column to one of the present fields, or leave it unset"
    )


def test_missing_text_on_a_later_record_is_quarantined(folder: Path) -> None:
    lines = ['{"text": "one"}', '{"body": "two", "id": "b"}', '{"text": 3}', '{"text": null}']
    (folder / "a.jsonl").write_text("\n".join(lines) + "\n")
    rows = read(folder / "a.jsonl")
    assert [outcome(row) for row in rows] == [
        ("in/a.jsonl:1", None, None),
        ("b", MISSING_TEXT, 'in/a.jsonl line 2: no "text" field'),
        ("in/a.jsonl:3", MISSING_TEXT, 'in/a.jsonl line 3: "text" is a number'),
        ("in/a.jsonl:4", MISSING_TEXT, 'in/a.jsonl line 4: "text" is null'),
    ]
    assert rows[1][TEXT] == '{"body": "two", "id": "b"}'
    assert rows[1][META] == '{"body":"two"}'


def many_lines(count: int) -> bytes:
    words = random.Random(1).choices(
        ["alpha", "beta", "gamma", "delta", "omega", "pi"], k=count * 12
    )
    return b"".join(
        json.dumps({"text": " ".join(words[i * 12 : (i + 1) * 12])}).encode() + b"\n"
        for i in range(count)
    )


def test_truncated_gzip_keeps_rows_before_the_cut(folder: Path) -> None:
    data = gzip.compress(many_lines(3000))
    cut = data[: len(data) * 2 // 3]
    (folder / "a.jsonl.gz").write_bytes(cut)
    intact = zlib.decompressobj(wbits=31).decompress(cut).count(b"\n")
    assert intact > 1000
    rows = read(folder / "a.jsonl.gz")
    assert len(rows) == intact + 1
    assert all(row[REASON] is None for row in rows[:-1])
    assert outcome(rows[-1]) == (
        f"in/a.jsonl.gz:{intact + 1}",
        TRUNCATED,
        f"in/a.jsonl.gz: compressed stream is truncated after line {intact}"
        " (Compressed file ended before the end-of-stream marker was reached)",
    )
    assert rows[-1][TEXT] == ""


def test_corrupt_gzip_is_quarantined_as_truncated(folder: Path) -> None:
    (folder / "a.jsonl.gz").write_bytes(b"this is not gzip at all")
    assert [outcome(row) for row in read(folder / "a.jsonl.gz")] == [
        (
            "in/a.jsonl.gz:1",
            TRUNCATED,
            "in/a.jsonl.gz: compressed stream is corrupt after line 0 (Not a gzipped file (b'th'))",
        )
    ]


def test_truncated_zstd_keeps_rows_before_the_cut(folder: Path) -> None:
    data = zstandard.ZstdCompressor().compress(many_lines(6000))
    cut = data[: len(data) * 2 // 3]
    (folder / "a.jsonl.zst").write_bytes(cut)
    intact = zstandard.ZstdDecompressor().decompressobj().decompress(cut).count(b"\n")
    assert intact > 1000
    rows = read(folder / "a.jsonl.zst")
    assert len(rows) == intact + 1
    assert all(row[REASON] is None for row in rows[:-1])
    assert outcome(rows[-1]) == (
        f"in/a.jsonl.zst:{intact + 1}",
        TRUNCATED,
        f"in/a.jsonl.zst: compressed stream is truncated after line {intact}"
        " (the stream ends inside a zstd frame)",
    )


def test_corrupt_parquet_is_one_quarantined_row(folder: Path) -> None:
    pq.write_table(pa.table({"text": ["a", "b"]}), folder / "good.parquet")
    data = (folder / "good.parquet").read_bytes()
    (folder / "bad.parquet").write_bytes(data[:-3])
    rows = read(folder)
    assert [outcome(row) for row in rows] == [
        (
            "in/bad.parquet",
            CORRUPT_FILE,
            "in/bad.parquet: cannot open as Parquet (Parquet magic bytes not found in footer."
            " Either the file is corrupted or this is not a parquet file.)",
        ),
        ("in/good.parquet:0", None, None),
        ("in/good.parquet:1", None, None),
    ]


def test_parquet_null_and_empty_text(folder: Path) -> None:
    pq.write_table(pa.table({"text": ["a", None, " ", ""]}), folder / "t.parquet")
    assert [outcome(row) for row in read(folder / "t.parquet")] == [
        ("in/t.parquet:0", None, None),
        ("in/t.parquet:1", MISSING_TEXT, 'in/t.parquet row 1: "text" is null'),
        ("in/t.parquet:2", EMPTY, "in/t.parquet row 2: text is whitespace only"),
        ("in/t.parquet:3", EMPTY, "in/t.parquet row 3: text is empty"),
    ]


def test_ten_megabyte_line_without_newline(folder: Path) -> None:
    text = "word " * 2_000_000
    (folder / "big.jsonl").write_text(json.dumps({"text": text}))
    rows = read(folder / "big.jsonl")
    assert [(row[ID], len(str(row[TEXT]))) for row in rows] == [("in/big.jsonl:1", len(text))]
