"""Tests for the fix_encoding stage: identical to ftfy.fix_text, with a proven fast path.

Every equivalence test runs for both presets; the examples and the properties also run
for two mixed configurations that turn on what the presets leave off (NFKC, NFD, HTML
always or never unescaped, quotes uncurled with C1 controls kept...).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import json
import tarfile
import unicodedata
from collections.abc import Callable
from typing import Any

import ftfy
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cleanse.config import load_config
from cleanse.errors import ConfigError
from cleanse.schema import ID, REASON, TEXT
from cleanse.stages import registry
from cleanse.stages.encoding import (
    ENCODING_FIXES,
    OPTIONS,
    PRESETS,
    FixEncoding,
    fix_and_count,
    fix_text_fast,
    needs_fixing,
)
from cleanse.stages.encoding_screen import normalization_unsafe_codes, screen, segments
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

# Stage options -> the configuration under test.
CONFIGS: dict[str, dict[str, Any]] = {
    "encoding": {},
    "ftfy": {"preset": "ftfy"},
    "mixed-nfkc": {
        "unescape_html": True,
        "fix_c1_controls": False,
        "uncurl_quotes": True,
        "fix_line_breaks": True,
        "normalization": "NFKC",
    },
    "mixed-nfd": {
        "preset": "ftfy",
        "unescape_html": False,
        "fix_encoding": False,
        "fix_character_width": False,
        "remove_control_chars": False,
        "normalization": "NFD",
    },
}
PRESET_NAMES = ("encoding", "ftfy")
presets = pytest.mark.parametrize("preset", PRESET_NAMES)
configs = pytest.mark.parametrize("name", CONFIGS)

ALL, FTFY = PRESET_NAMES, ("ftfy",)
# (text, the presets under which ftfy may change it)
EXAMPLES = [
    pytest.param("Plain ASCII text.\nTwo lines.\n", (), id="ascii"),
    pytest.param("", (), id="empty"),
    pytest.param("Tab\tand form feed\N{FORM FEED}", (), id="tab-form-feed"),
    pytest.param(
        "Caf\N{LATIN SMALL LETTER E WITH ACUTE} cr\N{LATIN SMALL LETTER E WITH GRAVE}me",
        (),
        id="accented",
    ),
    pytest.param("Stra\N{LATIN SMALL LETTER SHARP S}e \N{EURO SIGN}5", (), id="german-euro"),
    pytest.param("\N{CYRILLIC CAPITAL LETTER PE}\N{CYRILLIC SMALL LETTER I}", (), id="cyrillic"),
    pytest.param("\N{CJK UNIFIED IDEOGRAPH-4E2D}\N{CJK UNIFIED IDEOGRAPH-6587}", (), id="cjk"),
    pytest.param("AT&T and Q&A", (), id="bare-ampersand"),
    pytest.param("it\N{RIGHT SINGLE QUOTATION MARK}s", FTFY, id="curly-single"),
    pytest.param(
        "\N{LEFT DOUBLE QUOTATION MARK}hi\N{RIGHT DOUBLE QUOTATION MARK}", FTFY, id="curly-double"
    ),
    pytest.param(
        "\N{CJK UNIFIED IDEOGRAPH-4E2D}\N{FULLWIDTH COMMA}\N{CJK UNIFIED IDEOGRAPH-6587}"
        "\N{FULLWIDTH EXCLAMATION MARK}",
        FTFY,
        id="cjk-fullwidth-punctuation",
    ),
    pytest.param("fish &amp; chips", ALL, id="html-entity"),
    pytest.param("<b>fish &amp; chips</b>", ALL, id="html-entity-after-lt"),
    pytest.param("fish &amp; chips\n<b>x &amp; y</b>\n&lt;", ALL, id="html-entity-sticky"),
    pytest.param("one\r\ntwo\rthree", FTFY, id="crlf"),
    pytest.param("a\N{LINE SEPARATOR}b", FTFY, id="line-separator"),
    pytest.param("\N{LATIN SMALL LIGATURE FI}sh", FTFY, id="ligature"),
    pytest.param("\N{FULLWIDTH LATIN CAPITAL LETTER A}", FTFY, id="fullwidth"),
    pytest.param("e\N{COMBINING ACUTE ACCENT}", FTFY, id="combining-mark"),
    pytest.param("\N{ANGSTROM SIGN}", FTFY, id="nfc-singleton"),
    pytest.param("\N{HANGUL CHOSEONG KIYEOK}\N{HANGUL JUNGSEONG A}", FTFY, id="hangul-jamo"),
    pytest.param("bell\N{ALERT}", ALL, id="control-char"),
    pytest.param("zero\N{ZERO WIDTH NO-BREAK SPACE}width", ALL, id="bom"),
    pytest.param("\N{ESCAPE}[31mred\N{ESCAPE}[0m", ALL, id="terminal-escape"),
    pytest.param("c1 \x85 \x93quoted\x94", ALL, id="c1-controls"),
    pytest.param("sch\N{LATIN CAPITAL LETTER A WITH TILDE}\N{PILCROW SIGN}n", ALL, id="mojibake"),
    pytest.param("The Mona Lisa doesnÃ¢â‚¬â„¢t have eyebrows.", ALL, id="double-mojibake"),  # noqa: RUF001
    pytest.param("Ã is \N{LATIN SMALL LETTER A WITH GRAVE}", ALL, id="badness-at-line-start"),
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


def load_chardet(chars_per_file: int | None) -> list[str]:
    """Return each chardet file decoded with its labelled codec (CJK, Cyrillic, Greek...)
    and the same text as UTF-8 read as Windows-1252: real text and its commonest mojibake.
    """
    folder = shared_data("encoding-chardet")
    with (folder / "labels.csv").open(encoding="utf-8") as file:
        labels = {row["file"]: row["label_dir"] for row in csv.DictReader(file)}
    texts = []
    with tarfile.open(folder / "files.tar.xz") as archive:
        for member in sorted(archive.getmembers(), key=lambda m: m.name):
            label = labels.get(member.name)
            if not member.isfile() or label is None:
                continue
            raw = archive.extractfile(member).read()  # type: ignore[union-attr]
            try:
                codec = codecs.lookup(label).name
            except LookupError:  # "windows-1251-russian": the codec, then the language
                codec = codecs.lookup(label.rsplit("-", 1)[0]).name
            text = raw.decode(codec, errors="replace")[:chars_per_file]
            texts += [text, text.encode("utf-8").decode("sloppy-windows-1252")]
    return texts


def ftfy_fix_and_count(text: str, config: ftfy.TextFixerConfig) -> tuple[str, int]:
    """Reference: ftfy.fix_text, counting fix_and_explain steps of changed segments."""
    pieces, count = [], 0
    for segment in segments(text):
        if config.unescape_html == "auto" and "<" in segment:
            config = config._replace(unescape_html=False)
        fixed, steps = ftfy.fix_and_explain(segment, config)
        pieces.append(fixed)
        count += len(steps or ()) if fixed != segment else 0
    return "".join(pieces), count


def assert_stage_matches_ftfy(texts: list[str], name: str) -> None:
    stage = FixEncoding(**CONFIGS[name])
    out = stage(make_batch(texts))
    got = zip(out.column(TEXT).to_pylist(), out.column(ENCODING_FIXES).to_pylist(), strict=True)
    mismatches = []
    for text, (fixed, count) in zip(texts, got, strict=True):
        expected = ftfy.fix_text(text, config=stage.config)
        # The reference count costs a second ftfy pass: only texts ftfy changes need it.
        expected_count = ftfy_fix_and_count(text, stage.config)[1] if expected != text else 0
        if (fixed, count) != (expected, expected_count):
            mismatches.append((text, fixed, count))
    assert mismatches == []


def config_of(name: str) -> ftfy.TextFixerConfig:
    return FixEncoding(**CONFIGS[name]).config


@configs
@pytest.mark.parametrize(("text", "changed_by"), EXAMPLES)
def test_fix_text_fast_equals_ftfy(name: str, text: str, changed_by: tuple[str, ...]) -> None:
    config = config_of(name)
    assert fix_text_fast(text, config) == ftfy.fix_text(text, config=config)
    assert fix_and_count(text, config) == ftfy_fix_and_count(text, config)
    assert_stage_matches_ftfy([text], name)


@presets
@pytest.mark.parametrize(("text", "changed_by"), EXAMPLES)
def test_needs_fixing_flags_only_risky_text(
    preset: str, text: str, changed_by: tuple[str, ...]
) -> None:
    assert needs_fixing(text, PRESETS[preset]) is (preset in changed_by)


@presets
@pytest.mark.parametrize(("text", "changed_by"), EXAMPLES)
def test_screen_passes_every_text_python_flags(
    preset: str, text: str, changed_by: tuple[str, ...]
) -> None:
    pattern = screen(PRESETS[preset]).pattern
    screened = pc.match_substring_regex(pa.array([text]), pattern)
    assert screened[0].as_py() or preset not in changed_by


def test_encoding_preset_keeps_what_ftfy_defaults_reformat() -> None:
    quoted = "\N{LEFT DOUBLE QUOTATION MARK}It\N{RIGHT SINGLE QUOTATION MARK}s"
    quoted += "\N{RIGHT DOUBLE QUOTATION MARK}"
    cjk = "\N{CJK UNIFIED IDEOGRAPH-4E2D}\N{FULLWIDTH COMMA}"
    text = f"{quoted} \N{LATIN SMALL LIGATURE FI}ne\r\n{cjk}e\N{COMBINING ACUTE ACCENT} caf"
    mojibake = "\N{LATIN CAPITAL LETTER A WITH TILDE}\N{COPYRIGHT SIGN}"
    assert fix_text_fast(text + mojibake) == text + "\N{LATIN SMALL LETTER E WITH ACUTE}"
    assert fix_text_fast(text + mojibake, PRESETS["ftfy"]) == '"It\'s" fine\n中,é café'


@pytest.mark.parametrize(
    ("text", "preset", "expected"),
    [
        pytest.param("plain", "ftfy", 0, id="unchanged"),
        pytest.param(
            "sch\N{LATIN CAPITAL LETTER A WITH TILDE}\N{PILCROW SIGN}n",
            "ftfy",
            2,
            id="encode-decode",
        ),
        pytest.param("a\r\nb\r\nc", "ftfy", 2, id="line-breaks-per-segment"),
        pytest.param("a\r\nb\r\nc", "encoding", 0, id="line-breaks-kept"),
        pytest.param("\N{LATIN SMALL LIGATURE FI}sh", "ftfy", 1, id="ligature"),
        pytest.param("\N{LATIN SMALL LIGATURE FI}sh", "encoding", 0, id="ligature-kept"),
        pytest.param("bell\N{ALERT}\nfish &amp; chips", "encoding", 2, id="control-and-entity"),
    ],
)
def test_fix_and_count_counts_explanation_steps(text: str, preset: str, expected: int) -> None:
    config = PRESETS[preset]
    assert fix_and_count(text, config) == (ftfy.fix_text(text, config=config), expected)


def test_segments_follow_fix_text_with_a_short_max_length() -> None:
    assert list(segments("abc\nde", max_decode_length=2)) == ["ab", "c\n", "de"]


@configs
def test_unsafe_codes_hold_every_char_an_enabled_fixer_changes(name: str) -> None:
    config = config_of(name)
    unsafe = screen(config).unsafe
    safe = "".join(chr(code) for code in range(0x30000) if code not in unsafe)
    safe = "".join(char for char in safe if not 0xD800 <= ord(char) < 0xE000)
    # Every fixer ftfy has but the HTML one and fix_encoding's helpers (bytes, mojibake).
    not_per_character = ("unescape_html", "restore_byte_a0", "replace_lossy_sequences")
    not_per_character += ("decode_inconsistent_utf8",)
    fixers: list[Callable[[str], str]] = [
        fixer
        for name, fixer in ftfy.FIXERS.items()
        if name not in not_per_character and getattr(config, name)
    ]
    if config.normalization:
        fixers.append(lambda text: unicodedata.normalize(config.normalization, text))
    for fixer in fixers:
        assert fixer(safe) == safe


def test_encoding_preset_screens_only_what_its_fixers_touch() -> None:
    unsafe = screen(PRESETS["encoding"]).unsafe
    kept = "\N{RIGHT SINGLE QUOTATION MARK}\N{LATIN SMALL LIGATURE FI}\N{FULLWIDTH COMMA}\r"
    kept += "\N{LINE SEPARATOR}\N{COMBINING ACUTE ACCENT}\N{ANGSTROM SIGN}"
    assert not {ord(char) for char in kept} & unsafe
    assert {0x7, 0x1B, 0x85, 0xFEFF} <= unsafe
    assert not screen(PRESETS["encoding"]).quotes
    assert screen(PRESETS["ftfy"]).quotes


@pytest.mark.parametrize("form", ["NFC", "NFKC"])
def test_unsafe_codes_hold_second_half_of_every_composition(form: str) -> None:
    unsafe = normalization_unsafe_codes(form)
    for code in range(0x30000):
        decomposition = unicodedata.decomposition(chr(code)).split()
        if len(decomposition) == 2 and not decomposition[0].startswith("<"):
            assert int(decomposition[1], 16) in unsafe, hex(code)


def test_stage_options_build_the_ftfy_config() -> None:
    assert FixEncoding().config == PRESETS["encoding"]
    assert FixEncoding(preset="ftfy").config == ftfy.TextFixerConfig()
    assert PRESETS["encoding"] == ftfy.TextFixerConfig(
        fix_latin_ligatures=False,
        fix_character_width=False,
        uncurl_quotes=False,
        fix_line_breaks=False,
        normalization=None,
    )
    stage = FixEncoding(preset="ftfy", uncurl_quotes=False, normalization="none")
    assert stage.config == ftfy.TextFixerConfig(uncurl_quotes=False, normalization=None)
    assert FixEncoding(unescape_html=False, normalization="NFKC").config == PRESETS[
        "encoding"
    ]._replace(unescape_html=False, normalization="NFKC")


def test_stage_options_are_set_from_config(tmp_path) -> None:
    sets = ["fix_encoding.preset=ftfy", "fix_encoding.uncurl_quotes=false"]
    config = load_config(inputs=("x",), output=str(tmp_path / "out"), sets=sets)
    stage = next(s for s in config.build_stages() if s.name == "fix_encoding")
    assert stage.config == ftfy.TextFixerConfig(uncurl_quotes=False)
    assert config.to_dict()["stages"]["fix_encoding"]["preset"] == "ftfy"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param({"preset": "strict"}, "must be one of 'encoding', 'ftfy'", id="preset"),
        pytest.param({"uncurl_quotes": "yes"}, "must be true or false", id="toggle"),
        pytest.param({"normalization": "NFX"}, "must be one of", id="normalization"),
        pytest.param({"unescape_html": "always"}, "must be", id="unescape-html"),
        pytest.param({"explain": False}, "is not an option", id="explain"),
    ],
)
def test_stage_options_reject_bad_values(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        registry.build("fix_encoding", options)


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


@presets
@pytest.mark.parametrize(
    "text",
    [
        pytest.param("x" * 1_000_001 + "it\N{RIGHT SINGLE QUOTATION MARK}s\n", id="break-at-end"),
        pytest.param("x" * 999_999 + "Ã©\N{RIGHT SINGLE QUOTATION MARK}", id="no-break"),
    ],
)
def test_stage_splits_lines_longer_than_max_decode_length(preset: str, text: str) -> None:
    assert_stage_matches_ftfy([text, "short\N{RIGHT SINGLE QUOTATION MARK}\n"], preset)


def test_stage_declares_its_counter_as_its_column() -> None:
    assert FixEncoding.counters == tuple(field.name for field in FixEncoding.columns)
    assert FixEncoding.name == "fix_encoding"
    assert FixEncoding.reasons == ()


def test_stage_on_empty_batch(make_batch) -> None:
    out = FixEncoding()(make_batch([]))
    assert out.num_rows == 0
    assert out.column(ENCODING_FIXES).type == pa.int32()


@pytest.mark.shared_data
@presets
@pytest.mark.parametrize("stem", MOJIBAKE_FILES)
def test_matches_ftfy_on_mojibake_cases(preset: str, stem: str) -> None:
    originals = load_mojibake(stem)
    config = PRESETS[preset]
    expected = [ftfy.fix_text(text, config=config) for text in originals]
    assert [fix_text_fast(text, config) for text in originals] == expected
    assert_stage_matches_ftfy(originals, preset)


@pytest.mark.shared_data
@presets
@pytest.mark.parametrize(
    "load",
    [
        pytest.param(lambda: load_bbc(200), id="bbc-news"),
        pytest.param(lambda: load_cc_text(120), id="cc-text"),
        pytest.param(lambda: load_oscar(15), id="line-quality-oscar"),
        pytest.param(lambda: load_chardet(2000), id="encoding-chardet"),
    ],
)
def test_matches_ftfy_on_real_text(preset: str, load: Callable[[], list[str]]) -> None:
    assert_stage_matches_ftfy(load(), preset)


@pytest.mark.slow
@pytest.mark.shared_data
@presets
@pytest.mark.parametrize(
    "load",
    [
        pytest.param(lambda: load_bbc(3000), id="bbc-news"),
        pytest.param(lambda: load_cc_text(1000), id="cc-text"),
        pytest.param(lambda: load_oscar(1000), id="line-quality-oscar"),
        pytest.param(lambda: load_chardet(None), id="encoding-chardet"),
    ],
)
def test_matches_ftfy_on_all_real_text(preset: str, load: Callable[[], list[str]]) -> None:
    assert_stage_matches_ftfy(load(), preset)


# Characters that take part in ftfy's fixes, to make hypothesis hit them often.
RISKY = (
    "".join(map(chr, range(0x80, 0x180)))
    + "ÂÃÎÐØÙâ€™œ˜šžŸ¢£©®°²³´·»¿×÷ŒœŠ–—‘’‚“”„†‡•…‰‹›™√∂≠≤≥≈"  # noqa: RUF001
    + "ВГРСЂЃЉЊЋЏђѓєїјљњћџвЂ"
    + "ΒΓΞΟΆάέ"
    + "\N{COMBINING ACUTE ACCENT}\N{COMBINING CEDILLA}\N{ANGSTROM SIGN}"
    + "\N{HANGUL CHOSEONG KIYEOK}\N{HANGUL JUNGSEONG A}\N{HANGUL JONGSEONG KIYEOK}가"
    + "\N{LATIN SMALL LIGATURE FI}\N{FULLWIDTH LATIN CAPITAL LETTER A}\N{IDEOGRAPHIC SPACE}"
    + "\N{FULLWIDTH COMMA}\N{SUPERSCRIPT TWO}\N{MICRO SIGN}"
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


@configs
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=risky_texts)
def test_fix_text_fast_equals_ftfy_on_random_text(name: str, text: str) -> None:
    config = config_of(name)
    assert fix_text_fast(text, config) == ftfy.fix_text(text, config=config)
    assert fix_and_count(text, config) == ftfy_fix_and_count(text, config)


@configs
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(risky_texts, max_size=8))
def test_stage_equals_ftfy_on_random_batches(name: str, texts: list[str]) -> None:
    assert_stage_matches_ftfy(texts, name)


@configs
@settings(max_examples=200, deadline=None)
@given(text=risky_texts)
def test_unscreened_text_is_stable(name: str, text: str) -> None:
    config = config_of(name)
    screened = pc.match_substring_regex(pa.array([text]), screen(config).pattern)
    if not screened[0].as_py():
        assert not needs_fixing(text, config)
        assert ftfy.fix_text(text, config=config) == text


TOGGLES = [name for name in OPTIONS if name not in ("unescape_html", "normalization")]
any_options = st.fixed_dictionaries(
    {
        "preset": st.sampled_from(PRESET_NAMES),
        "unescape_html": st.sampled_from([None, True, False, "auto"]),
        "normalization": st.sampled_from([None, "none", "NFC", "NFD", "NFKC", "NFKD"]),
        **{name: st.sampled_from([None, True, False]) for name in TOGGLES},
    }
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(options=any_options, texts=st.lists(risky_texts, min_size=1, max_size=4))
# Every character fixer off: the screen's character class is empty (was "[]", not a regex).
@example(
    options={
        "preset": "encoding",
        "remove_terminal_escapes": False,
        "fix_c1_controls": False,
        "remove_control_chars": False,
    },
    texts=["", "caf\u00c3\u00a9 x\x1b[31m"],
)
def test_stage_equals_ftfy_under_any_options(options: dict[str, Any], texts: list[str]) -> None:
    stage = FixEncoding(**options)
    out = stage(make_batch(texts)).column(TEXT).to_pylist()
    assert out == [ftfy.fix_text(text, config=stage.config) for text in texts]
    for text in texts:
        assert fix_and_count(text, stage.config) == ftfy_fix_and_count(text, stage.config)
