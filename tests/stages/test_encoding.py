"""Tests for the fix_encoding stage: identical to ftfy.fix_text, with a proven fast path."""

from __future__ import annotations

import gzip
import json
import tarfile
import unicodedata
from collections.abc import Callable

import ftfy
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleanse.schema import ID, REASON, TEXT
from cleanse.stages.encoding import (
    ENCODING_FIXES,
    FixEncoding,
    document_screen_pattern,
    fix_and_count,
    fix_text_fast,
    is_stable_segment,
    needs_fixing,
    segments,
    unsafe_codes,
)
from conftest import make_batch, shared_data

MOJIBAKE_FILES = (
    "in-the-wild",
    "negative",
    "language-names",
    "synthetic",
    "known-failures",
)
CC_TEXT = "dolma-CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz"
OSCAR_LANGS = ("de", "en", "es", "fi", "fr", "sv")

EXAMPLES = [
    pytest.param("Plain ASCII text.\nTwo lines.\n", False, id="ascii"),
    pytest.param("", False, id="empty"),
    pytest.param("Tab\tand form feed\N{FORM FEED}", False, id="tab-form-feed"),
    pytest.param(
        "Caf\N{LATIN SMALL LETTER E WITH ACUTE} cr\N{LATIN SMALL LETTER E WITH GRAVE}me",
        False,
        id="accented",
    ),
    pytest.param("Stra\N{LATIN SMALL LETTER SHARP S}e \N{EURO SIGN}5", False, id="german-euro"),
    pytest.param("\N{CYRILLIC CAPITAL LETTER PE}\N{CYRILLIC SMALL LETTER I}", False, id="cyrillic"),
    pytest.param("\N{CJK UNIFIED IDEOGRAPH-4E2D}\N{CJK UNIFIED IDEOGRAPH-6587}", False, id="cjk"),
    pytest.param("AT&T and Q&A", False, id="bare-ampersand"),
    pytest.param("it\N{RIGHT SINGLE QUOTATION MARK}s", True, id="curly-single"),
    pytest.param(
        "\N{LEFT DOUBLE QUOTATION MARK}hi\N{RIGHT DOUBLE QUOTATION MARK}", True, id="curly-double"
    ),
    pytest.param("fish &amp; chips", True, id="html-entity"),
    pytest.param("<b>fish &amp; chips</b>", True, id="html-entity-after-lt"),
    pytest.param("fish &amp; chips\n<b>x &amp; y</b>\n&lt;", True, id="html-entity-sticky"),
    pytest.param("one\r\ntwo\rthree", True, id="crlf"),
    pytest.param("a\N{LINE SEPARATOR}b", True, id="line-separator"),
    pytest.param("\N{LATIN SMALL LIGATURE FI}sh", True, id="ligature"),
    pytest.param("\N{FULLWIDTH LATIN CAPITAL LETTER A}", True, id="fullwidth"),
    pytest.param("e\N{COMBINING ACUTE ACCENT}", True, id="combining-mark"),
    pytest.param("\N{ANGSTROM SIGN}", True, id="nfc-singleton"),
    pytest.param("\N{HANGUL CHOSEONG KIYEOK}\N{HANGUL JUNGSEONG A}", True, id="hangul-jamo"),
    pytest.param("bell\N{ALERT}", True, id="control-char"),
    pytest.param("zero\N{ZERO WIDTH NO-BREAK SPACE}width", True, id="bom"),
    pytest.param("\N{ESCAPE}[31mred\N{ESCAPE}[0m", True, id="terminal-escape"),
    pytest.param("c1 \x85 \x93quoted\x94", True, id="c1-controls"),
    pytest.param("sch\N{LATIN CAPITAL LETTER A WITH TILDE}\N{PILCROW SIGN}n", True, id="mojibake"),
    pytest.param("The Mona Lisa doesnÃ¢â‚¬â„¢t have eyebrows.", True, id="double-mojibake"),  # noqa: RUF001
    pytest.param("Ã is \N{LATIN SMALL LETTER A WITH GRAVE}", True, id="badness-at-line-start"),
]


def load_mojibake(stem: str) -> list[str]:
    path = shared_data("mojibake-ftfy", f"{stem}.json")
    return [case["original"] for case in json.loads(path.read_text(encoding="utf-8"))]


def load_bbc(limit: int) -> list[str]:
    texts = []
    with tarfile.open(shared_data("bbc-news", "bbc-raw.tar.xz")) as archive:
        for member in archive:
            if not member.isfile() or not member.name.endswith(".txt"):
                continue
            raw = archive.extractfile(member).read()  # type: ignore[union-attr]
            try:
                texts.append(raw.decode("utf-8"))
            except UnicodeDecodeError:
                texts.append(raw.decode("latin-1"))
            if len(texts) == limit:
                break
    return texts


def load_cc_text(limit: int) -> list[str]:
    with gzip.open(shared_data("cc-text", CC_TEXT), "rt", encoding="utf-8") as lines:
        return [json.loads(line)["text"] for _, line in zip(range(limit), lines, strict=False)]


def load_oscar(limit_per_lang: int) -> list[str]:
    texts = []
    for lang in OSCAR_LANGS:
        path = shared_data("line-quality-oscar", lang, "dev.json.gz")
        with gzip.open(path, "rt", encoding="utf-8") as file:
            docs = json.load(file)
        texts.extend("\n".join(doc["text"]) for doc in docs[:limit_per_lang])
    return texts


def ftfy_fix_and_count(text: str) -> tuple[str, int]:
    """Reference: ftfy.fix_text, counting fix_and_explain steps of changed segments."""
    config = ftfy.TextFixerConfig()
    pieces, count = [], 0
    for segment in segments(text):
        if "<" in segment:
            config = config._replace(unescape_html=False)
        fixed, steps = ftfy.fix_and_explain(segment, config)
        pieces.append(fixed)
        count += len(steps or ()) if fixed != segment else 0
    return "".join(pieces), count


def assert_stage_matches_ftfy(texts: list[str]) -> None:
    out = FixEncoding()(make_batch(texts))
    got = zip(out.column(TEXT).to_pylist(), out.column(ENCODING_FIXES).to_pylist(), strict=True)
    mismatches = []
    for text, (fixed, count) in zip(texts, got, strict=True):
        expected = ftfy.fix_text(text)
        # The reference count costs a second ftfy pass: only texts ftfy changes need it.
        expected_count = ftfy_fix_and_count(text)[1] if expected != text else 0
        if (fixed, count) != (expected, expected_count):
            mismatches.append((text, fixed, count))
    assert mismatches == []


@pytest.mark.parametrize(("text", "unsafe"), EXAMPLES)
def test_fix_text_fast_equals_ftfy(text: str, unsafe: bool) -> None:
    assert fix_text_fast(text) == ftfy.fix_text(text)
    assert fix_and_count(text) == ftfy_fix_and_count(text)
    assert_stage_matches_ftfy([text])


@pytest.mark.parametrize(("text", "unsafe"), EXAMPLES)
def test_needs_fixing_flags_only_risky_text(text: str, unsafe: bool) -> None:
    assert needs_fixing(text) is unsafe


@pytest.mark.parametrize(("text", "unsafe"), EXAMPLES)
def test_screen_passes_every_text_python_flags(text: str, unsafe: bool) -> None:
    screened = pc.match_substring_regex(pa.array([text]), document_screen_pattern())
    assert screened[0].as_py() or not unsafe


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("plain", 0, id="unchanged"),
        pytest.param(
            "sch\N{LATIN CAPITAL LETTER A WITH TILDE}\N{PILCROW SIGN}n", 2, id="encode-decode"
        ),
        pytest.param("a\r\nb\r\nc", 2, id="line-breaks-per-segment"),
        pytest.param("\N{LATIN SMALL LIGATURE FI}sh", 1, id="ligature"),
    ],
)
def test_fix_and_count_counts_explanation_steps(text: str, expected: int) -> None:
    assert fix_and_count(text) == (ftfy.fix_text(text), expected)


def test_segments_follow_fix_text_with_a_short_max_length() -> None:
    assert list(segments("abc\nde", max_decode_length=2)) == ["ab", "c\n", "de"]


def test_unsafe_codes_hold_every_char_a_fixer_changes() -> None:
    safe = "".join(chr(code) for code in range(0x30000) if code not in unsafe_codes())
    safe = "".join(char for char in safe if not 0xD800 <= ord(char) < 0xE000)
    fixers: list[Callable[[str], str]] = [
        ftfy.fixes.fix_c1_controls,
        ftfy.fixes.fix_latin_ligatures,
        ftfy.fixes.fix_character_width,
        ftfy.fixes.uncurl_quotes,
        ftfy.fixes.fix_line_breaks,
        ftfy.fixes.fix_surrogates,
        ftfy.fixes.remove_control_chars,
        ftfy.fixes.remove_terminal_escapes,
        lambda text: unicodedata.normalize("NFC", text),
    ]
    for fixer in fixers:
        assert fixer(safe) == safe


def test_unsafe_codes_hold_second_half_of_every_composition() -> None:
    for code in range(0x30000):
        decomposition = unicodedata.decomposition(chr(code)).split()
        if len(decomposition) == 2 and not decomposition[0].startswith("<"):
            assert int(decomposition[1], 16) in unsafe_codes(), hex(code)


def test_stage_keeps_rows_order_and_columns(make_batch) -> None:
    batch = make_batch(["plain", "sch\N{LATIN CAPITAL LETTER A WITH TILDE}\N{PILCROW SIGN}n", None])
    out = FixEncoding()(batch)
    assert out.select(batch.schema.names).schema.equals(batch.schema)
    assert out.column(ID).equals(batch.column(ID))
    assert out.column(TEXT).to_pylist() == [
        "plain",
        "sch\N{LATIN SMALL LETTER O WITH DIAERESIS}n",
        None,
    ]
    assert out.column(ENCODING_FIXES).to_pylist() == [0, 2, 0]
    assert out.schema.field(ENCODING_FIXES).type == pa.int32()


def test_stage_skips_rows_marked_for_removal(make_batch) -> None:
    mojibake = "sch\N{LATIN CAPITAL LETTER A WITH TILDE}\N{PILCROW SIGN}n"
    batch = make_batch([mojibake, mojibake])
    reasons = pa.array(["earlier.stage", None], type=pa.string())
    batch = batch.set_column(batch.schema.get_field_index(REASON), REASON, reasons)
    out = FixEncoding()(batch)
    assert out.column(TEXT).to_pylist() == [mojibake, ftfy.fix_text(mojibake)]
    assert out.column(ENCODING_FIXES).to_pylist() == [0, 2]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("x" * 1_000_001 + "it\N{RIGHT SINGLE QUOTATION MARK}s\n", id="break-at-end"),
        pytest.param("x" * 999_999 + "Ã©\N{RIGHT SINGLE QUOTATION MARK}", id="no-break"),
    ],
)
def test_stage_splits_lines_longer_than_max_decode_length(text: str) -> None:
    assert_stage_matches_ftfy([text, "short\N{RIGHT SINGLE QUOTATION MARK}\n"])


def test_stage_declares_its_counter_as_its_column() -> None:
    assert FixEncoding.counters == tuple(field.name for field in FixEncoding.columns)
    assert FixEncoding.name == "fix_encoding"
    assert FixEncoding.reasons == ()


def test_stage_on_empty_batch(make_batch) -> None:
    out = FixEncoding()(make_batch([]))
    assert out.num_rows == 0
    assert out.column(ENCODING_FIXES).type == pa.int32()


@pytest.mark.shared_data
@pytest.mark.parametrize("stem", MOJIBAKE_FILES)
def test_matches_ftfy_on_mojibake_cases(stem: str) -> None:
    originals = load_mojibake(stem)
    assert [fix_text_fast(text) for text in originals] == [ftfy.fix_text(t) for t in originals]
    assert_stage_matches_ftfy(originals)


@pytest.mark.shared_data
@pytest.mark.parametrize(
    "load",
    [
        pytest.param(lambda: load_bbc(200), id="bbc-news"),
        pytest.param(lambda: load_cc_text(120), id="cc-text"),
        pytest.param(lambda: load_oscar(15), id="line-quality-oscar"),
    ],
)
def test_matches_ftfy_on_real_text(load: Callable[[], list[str]]) -> None:
    assert_stage_matches_ftfy(load())


@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.parametrize(
    "load",
    [
        pytest.param(lambda: load_bbc(3000), id="bbc-news"),
        pytest.param(lambda: load_cc_text(1000), id="cc-text"),
        pytest.param(lambda: load_oscar(1000), id="line-quality-oscar"),
    ],
)
def test_matches_ftfy_on_all_real_text(load: Callable[[], list[str]]) -> None:
    assert_stage_matches_ftfy(load())


# Characters that take part in ftfy's fixes, to make hypothesis hit them often.
RISKY = (
    "".join(map(chr, range(0x80, 0x180)))
    + "ÂÃÎÐØÙâ€™œ˜šžŸ¢£©®°²³´·»¿×÷ŒœŠ–—‘’‚“”„†‡•…‰‹›™√∂≠≤≥≈"  # noqa: RUF001
    + "ВГРСЂЃЉЊЋЏђѓєїјљњћџвЂ"
    + "ΒΓΞΟΆάέ"
    + "\N{COMBINING ACUTE ACCENT}\N{COMBINING CEDILLA}\N{ANGSTROM SIGN}"
    + "\N{HANGUL CHOSEONG KIYEOK}\N{HANGUL JUNGSEONG A}\N{HANGUL JONGSEONG KIYEOK}가"
    + "\N{LATIN SMALL LIGATURE FI}\N{FULLWIDTH LATIN CAPITAL LETTER A}\N{IDEOGRAPHIC SPACE}"
    + "\r\n\t\x00\x1b[m\N{LINE SEPARATOR}\N{ZERO WIDTH NO-BREAK SPACE}\ufffd"
    + "&;#<ampltx0123 a?"
)
risky_texts = st.lists(
    st.one_of(
        st.sampled_from(RISKY),
        st.characters(exclude_categories=("Cs",)),
        st.sampled_from(["&amp;", "&eacute;", "&#x2019;", "Ã©", "Ã ", "â€œ", "Â ", "\n"]),
    ),
    max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=risky_texts)
def test_fix_text_fast_equals_ftfy_on_random_text(text: str) -> None:
    assert fix_text_fast(text) == ftfy.fix_text(text)
    assert fix_and_count(text) == ftfy_fix_and_count(text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(risky_texts, max_size=8))
def test_stage_equals_ftfy_on_random_batches(texts: list[str]) -> None:
    assert_stage_matches_ftfy(texts)


@settings(max_examples=200, deadline=None)
@given(text=risky_texts)
def test_unscreened_text_is_stable(text: str) -> None:
    screened = pc.match_substring_regex(pa.array([text]), document_screen_pattern())
    if not screened[0].as_py():
        assert all(is_stable_segment(segment) for segment in segments(text))
        assert ftfy.fix_text(text) == text
