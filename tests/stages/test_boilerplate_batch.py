"""strip_boilerplate's batch path (compiled scan, whole-batch arrays) equals the scalar
definition (``boilerplate_reference``) exactly, on generated hostile text and real data."""

from __future__ import annotations

import gzip
import json
import re

import boilerplate_reference as reference
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleanse.stages import boilerplate_doc_kernels as doc_kernels
from cleanse.stages import boilerplate_kernels as kernels
from cleanse.stages import boilerplate_phrases as phrases
from cleanse.stages.boilerplate import (
    StripBoilerplate,
    classify_lines,
    strip,
    strip_batch,
    strip_texts,
)
from cleanse.stages.boilerplate_lines import scan
from cleanse.stages.boilerplate_model import (
    line_features,
    load_scorer,
    recurrence_inputs,
    shape_inputs,
)
from conftest import make_batch, shared_data

# 60 examples per property in the suite; ``scripts/fuzz.py``'s profile runs many more
_examples = settings.default.max_examples
CHECK = settings(
    max_examples=_examples if _examples > 100 else 60,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)

# Pieces of lines that exercise every rule of the scalar definition: scripts and cases
# (final sigma, dotless i, Kelvin sign, long s), digits of other scripts, dates, links,
# closers, ellipses, glued words, phrases, credits, spaces and separators of all kinds.
PIECES = [
    "Share", "Related News", "Sign up for our newsletter", "Reuters", "AFP", "Foto: dpa",
    "(Source AFP)", "Al Jazeera and Reuters", "the", "und", "och", "der", "de", "la", "és",
    "İstanbul", "ΟΔΟΣ", "Σ", "ΑΣ'Α", "ſhare", "\u212aeystone", "ß", "ǅ", "①", "٣٤", "Ⅻ",  # noqa: RUF001
    "²", "½", "12.05.2020", "10:30", "3/4/99", "1.5", "2019", "a1b2", "www.Example.COM",
    "http://x.org/a.html", "https://y.de", "a@b", ".fi", ".htmlx", "menuHome", "aBcDe",
    "...", "…", "»", "”", "'", ")", "*", "e\u0301", "中文字符中文字符中文字符", "ไทย",
    "😀", "\u200b", "_", "x_y", "NATO", "CAPS LOCK", "Log-in", "Läs mer", "©", "-", "•",
    "|", "\t", "Kommentare (12)", "Ⅸ.", "?!", ". . .", "A.B.C.", "Mr.Smith",
]  # fmt: skip
SEPARATORS = [" ", "  ", "\u00a0", "\u3000", ". ", "! ", "?' ", ", ", "-", "/", "", ": "]
BREAKS = ["\n", "\n\n", "\r\n", "\r", "\u2028", "\x1c", "\x85", "\n \n", "\x0b"]

pieces = st.one_of(st.sampled_from(PIECES), st.text(max_size=12))
lines = st.lists(st.tuples(pieces, st.sampled_from(SEPARATORS)), min_size=1, max_size=14).map(
    lambda parts: "".join(p + s for p, s in parts)
)
documents = st.lists(lines, min_size=1, max_size=12)


def nonblank(doc: list[str]) -> list[str]:
    return [line.strip() for line in doc if line.strip()]


def shape(texts: list[str]) -> np.ndarray:
    """The compiled ``SHAPE_FEATURES`` of one document's stripped lines."""
    return shape_inputs(scan(texts, split=False))


def reference_strip(text: str) -> tuple[str, list[tuple[int, str]]]:
    """The previous ``strip``: classify the non-blank lines, rebuild the text."""
    all_lines = text.splitlines()
    positions = [i for i, line in enumerate(all_lines) if line.strip()]
    texts = [all_lines[i].strip() for i in positions]
    if not texts:
        return text, []
    features = reference.line_features(texts)
    scorer = load_scorer()
    reasons = reference.line_reasons(
        texts, features, reference.scores(scorer, texts, features), scorer.threshold
    )
    gone = {p: r for p, r in zip(positions, reasons, strict=True) if r is not None}
    if not gone:
        return text, []
    kept: list[str] = []
    gap = False
    for i, line in enumerate(all_lines):
        if not line.strip():
            gap = True
        elif i not in gone:
            if gap and kept:
                kept.append("")
            kept.append(line)
            gap = False
    return "\n".join(kept), sorted(gone.items())


def assert_features_equal_the_reference(texts: list[str]) -> None:
    """The compiled line and shape features and hashing tokens of `texts` (one document)
    are the scalar reference's."""
    assert np.array_equal(line_features(texts), reference.line_features(texts))
    assert np.array_equal(shape(texts), reference.shape_features(texts))
    lines = scan(texts, split=False)
    assert np.array_equal(recurrence_inputs(lines), reference.recurrence_features(texts))
    tokens = reference.hashing_tokens(texts)
    starts = lines.hash_starts
    assert [lines.hash_crcs[starts[i] : starts[i + 1]].tolist() for i in range(len(lines))] == [
        tokens[source] for source in lines.column(kernels.SOURCE).tolist()
    ]


@CHECK
@given(doc=documents)
def test_line_features_equal_the_scalar_definition(doc: list[str]) -> None:
    texts = nonblank(doc)
    if texts:
        assert_features_equal_the_reference(texts)


@CHECK
@given(doc=documents)
def test_decisions_equal_the_scalar_definition(doc: list[str]) -> None:
    texts = nonblank(doc)
    if not texts:
        return
    features = reference.line_features(texts)
    scorer = load_scorer()
    expected = reference.line_reasons(
        texts, features, reference.scores(scorer, texts, features), scorer.threshold
    )
    verdicts = classify_lines(doc)
    assert [v.reason for v, line in zip(verdicts, doc, strict=True) if line.strip()] == expected


@CHECK
@given(docs=st.lists(st.tuples(documents, st.sampled_from(BREAKS)), min_size=1, max_size=5))
def test_strip_equals_the_scalar_definition_in_any_batch(
    docs: list[tuple[list[str], str]],
) -> None:
    texts = [line_break.join(doc) for doc, line_break in docs]
    together = strip_texts(texts)
    for text, (result, _) in zip(texts, together, strict=True):
        assert (result.text, result.removed) == reference_strip(text)
        assert strip(text) == result


def test_strip_batch_leaves_other_rows_and_nulls_alone() -> None:
    texts = ["Share\nA real sentence that the reader came for, with words.", None, "Menu", ""]
    done = strip_batch(pa.array(texts, pa.string()), rows=np.array([0, 3]))
    assert done.texts.to_pylist() == [strip(texts[0]).text, None, "Menu", ""]
    assert done.lines_removed.tolist() == [1, 0, 0, 0]
    assert done.chars_removed.tolist() == [5, 0, 0, 0]
    assert done.removed == [[(0, "phrase", "Share")], [], [], []]


def test_stage_reads_sliced_batches() -> None:
    texts = ["Menu\nFirst story, a sentence of plain words.", "Share\nTitle\n\nBody text.", None]
    batch = make_batch(["Sign up for our newsletter", *texts])
    whole = StripBoilerplate()(batch).slice(1).to_pylist()
    assert StripBoilerplate()(batch.slice(1)).to_pylist() == whole


@pytest.mark.parametrize("size", [*range(1, 140), 255, 256, 1000, 4099, 9001])
def test_pairwise_sum_is_numpys(size: int) -> None:
    values = np.random.default_rng(size).random(size) * 1e3
    assert doc_kernels.pairwise_sum(values, 0, size) == values.sum()
    assert doc_kernels.pairwise_sum(values, 0, size) / size == values.mean()


def test_prefilters_see_every_case_python_matches() -> None:
    # Python's IGNORECASE matches a pattern character to these characters. The literal
    # loop folds ASCII capitals only and tries the other characters' `variants` (a line
    # with one of `IGNORECASE_ASCII` is a candidate whatever it holds); a whole-line
    # phrase is looked for by its lower-cased letters.
    literal = {ch for p in (*phrases._CONTAINED, phrases.CREDIT_PREFILTER) for ch in p}
    whole = {ch for core in phrases.whole_cores() for ch in core}
    cased = [
        chr(c)
        for c in range(0x110000)
        if not 0xD800 <= c < 0xE000 and (chr(c).lower() != chr(c) or chr(c).upper() != chr(c))
    ]
    for letter in sorted(literal | whole):
        pattern = re.compile(re.escape(letter), re.IGNORECASE)
        matching = [
            ch for ch in cased if pattern.fullmatch(ch) and ch not in phrases.IGNORECASE_ASCII
        ]
        if letter in literal:
            tried = phrases.variants(letter)
            assert all((ch.isascii() and ch.lower() in tried) or ch in tried for ch in matching), (
                letter,
                matching,
            )
        if letter in whole:
            assert all(ch.lower() == letter for ch in matching), (letter, matching)


def test_phrase_prefilters_miss_no_match() -> None:
    # every way of writing a phrase or credit: any case, the characters Python's
    # IGNORECASE matches to ASCII letters, word and non-word characters around it
    rng = np.random.default_rng(7)
    seeds = [
        *sorted(phrases.whole_cores()),
        *(lit.decode() for p in phrases._CONTAINED for lit, _, _ in phrases.required_literals(p)),
        "sign up for", "boletín semanal", "cookies", "política de cookies", "© 2020",
        "alla rättigheter förbehållna", "kaikki oikeudet pidätetään", "share this", "síguenos",
        "ähnliche artikel", "you might also like", "find Al Jazeera on your tv", "läs mer",
        "äldre inlägg", "article précédent", "télécharger flash", "photo: x", "foto: dpa",
        "(source afp)", "källa: tt", "lähde: stt", "crédit: x", "x / reuters", "ap, afp",
        "al jazeera and reuters", "getty images", "reuters/x", "ap photo", "pa media",
    ]  # fmt: skip
    odd = "".join(phrases.IGNORECASE_ASCII)  # dotted and dotless i, Kelvin sign, long s
    swaps = {"i": odd[:2] + "I", "s": odd[3] + "S", "k": odd[2] + "K", "e": "ÉE", "a": "ÄA"}
    around = ["", "x", "é", "_", "1", " ", "»", "- ", "a ", "Über ", ".", "/", "é ", "(12)"]
    lines = []
    for _ in range(4000):
        text = "".join(
            ch.upper()
            if r < 0.3
            else rng.choice(list(swaps[ch]))
            if r < 0.4 and ch in swaps
            else ch
            for ch, r in zip(seeds[rng.integers(len(seeds))], rng.random(100), strict=False)
        )
        line = f"{rng.choice(around)}{text}{rng.choice(around)}".strip()
        lines.append(line or "x")
    got = scan(lines, split=False)
    short = got.column(kernels.WORDS) <= 12
    pairs = list(zip(short, lines, strict=True))
    assert got.phrase.tolist() == [s and phrases.is_phrase(t) for s, t in pairs]
    assert got.credit.tolist() == [s and phrases.is_credit(t) for s, t in pairs]


def test_whole_phrase_bound_is_the_pattern_width() -> None:
    from re import _parser  # type: ignore[attr-defined]

    width = _parser.parse(phrases.WHOLE_RE.pattern, re.IGNORECASE).getwidth()
    assert width[1] == phrases.WHOLE_MAX_CHARS


@pytest.mark.shared_data
@pytest.mark.slow
def test_real_documents_equal_the_scalar_definition() -> None:
    docs = []
    for path in sorted(shared_data("line-quality-oscar").glob("*/dev.json.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            docs += [list(item["text"]) for item in json.load(handle)[:12]]
    for path in sorted(shared_data("cc-text").glob("dolma-*.jsonl.gz"))[:2]:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            docs += [json.loads(line)["text"].splitlines() for line in list(handle)[:25]]
    for doc in docs:
        texts = nonblank(doc)
        if texts:
            assert_features_equal_the_reference(texts)
    texts = ["\n".join(doc) for doc in docs]
    for text, (result, _) in zip(texts, strip_texts(texts), strict=True):
        assert (result.text, result.removed) == reference_strip(text)
