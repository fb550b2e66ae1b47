"""Shingles and signatures: bit-identical to datasketch.MinHash (issue 4)."""

from __future__ import annotations

import gzip
import json
import tarfile

import numpy as np
import pyarrow as pa
import pytest
from datasketch import LeanMinHash, MinHash, MinHashLSH
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleanse.dedup.params import MinHashParams, choose_lsh
from cleanse.dedup.shingles import normalize_text, shingle_hash32, shingles
from cleanse.dedup.signatures import compute_signatures, compute_sketches
from conftest import shared_data

EDGE_CASES = [
    "The cat sat on the mat today, and again.",
    "Too short",
    "",
    "a b c d e",
    "   Leading and trailing   spaces   and\ttabs\nand new lines here  ",
    "Straße ΟΔΟΣ ναι ﬁnal Ｆｕｌｌｗｉｄｔｈ 12.5%",  # noqa: RUF001 - width and Greek on purpose
    "東京都の天気は晴れです。明日も晴れるでしょう",
    "ภาษาไทยไม่มีช่องว่างระหว่างคำ",
    "Emoji 😀 and symbols ©®™ between words only here",
    "x " * 20,
]


def datasketch_signature(text: str, params: MinHashParams) -> np.ndarray:
    minhash = MinHash(
        num_perm=params.num_perm, seed=params.seed, hashfunc=shingle_hash32, scheme=params.scheme
    )
    grams = shingles(text, ngram=params.ngram, char_ngram=params.char_ngram)
    if grams:
        minhash.update_batch(grams)
    return minhash.hashvalues


def bbc_texts(limit: int) -> list[str]:
    texts = []
    with tarfile.open(shared_data("bbc-news", "bbc-raw.tar.xz")) as archive:
        for member in archive:
            if member.isfile() and member.name.endswith(".txt"):
                texts.append(archive.extractfile(member).read().decode("latin-1"))
                if len(texts) == limit:
                    break
    return texts


@pytest.mark.parametrize("scheme", ["affine32", "legacy"])
@pytest.mark.parametrize("seed", [1, 7])
def test_edge_cases_bit_identical_to_datasketch(scheme: str, seed: int) -> None:
    params = MinHashParams(scheme=scheme, seed=seed, num_perm=64)
    signatures, counts = compute_signatures(pa.array(EDGE_CASES), params)
    for row, text in enumerate(EDGE_CASES):
        expected = datasketch_signature(text, params)
        assert counts[row] == len(shingles(text))
        np.testing.assert_array_equal(signatures[row].astype(np.uint64), expected.astype(np.uint64))


@pytest.mark.shared_data
def test_real_news_bit_identical_to_datasketch() -> None:
    texts = bbc_texts(150)
    params = MinHashParams()
    signatures, _ = compute_signatures(pa.array(texts), params)
    for row, text in enumerate(texts):
        np.testing.assert_array_equal(signatures[row], datasketch_signature(text, params))


@pytest.mark.shared_data
def test_crawled_text_bit_identical_to_datasketch() -> None:
    path = shared_data("cc-text", "dolma-CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz")
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        texts = [json.loads(line)["text"] for _, line in zip(range(60), handle, strict=False)]
    params = MinHashParams(num_perm=32)
    signatures, _ = compute_signatures(pa.array(texts), params)
    for row, text in enumerate(texts):
        np.testing.assert_array_equal(signatures[row], datasketch_signature(text, params))


@pytest.mark.parametrize("scheme", ["affine32", "legacy"])
def test_documents_larger_than_the_kernels_first_buffers(scheme: str) -> None:
    """The compiled loops start with 1024-word, 4096-byte scratch buffers and grow them."""
    words = " ".join(f"w{i}" for i in range(5000))
    chars = "東京都の天気は晴れです" * 700
    params = MinHashParams(num_perm=16, scheme=scheme)
    texts = ["short one here", words, "z y", chars]
    signatures, counts = compute_signatures(pa.array(texts), params)
    assert counts[1] == 5000 - 4
    assert counts[3] == len(chars) - 4
    for row in (1, 3):
        np.testing.assert_array_equal(signatures[row], datasketch_signature(texts[row], params))


def test_signatures_do_not_depend_on_batch_boundaries() -> None:
    texts = [f"document number {i} with some shared words in it" for i in range(40)]
    params = MinHashParams(num_perm=32)
    whole, _ = compute_signatures(pa.array(texts), params)
    parts = [compute_signatures(pa.array(texts[i : i + 7]), params)[0] for i in range(0, 40, 7)]
    np.testing.assert_array_equal(whole, np.concatenate(parts))


def test_short_docs_policy_never_gives_all_max_signature() -> None:
    params = MinHashParams(num_perm=16)
    signatures, counts = compute_signatures(pa.array(["one two", "three four"]), params)
    assert counts.tolist() == [1, 1]
    assert not np.array_equal(signatures[0], signatures[1])
    _skipped, counts = compute_signatures(pa.array(["one two"]), params, short_docs="skip")
    assert counts.tolist() == [0]


def test_normalisation_folds_case_punctuation_digits_and_width() -> None:
    assert normalize_text("Hello, WORLD!! 2024") == normalize_text("hello world 1999")
    assert normalize_text("ＡＢＣ\N{NO-BREAK SPACE}def") == "abc def"  # noqa: RUF001 - width and Greek on purpose
    assert normalize_text("STRASSE") == normalize_text("Straße")


def test_lean_minhash_and_lsh_accept_our_signatures() -> None:
    params = MinHashParams()
    texts = ["the quick brown fox jumps over the lazy dog " * 3, "completely different text " * 4]
    signatures, _ = compute_signatures(pa.array(texts), params)
    lsh_params = choose_lsh(0.8, params.num_perm)
    index = MinHashLSH(
        threshold=0.8, num_perm=128, params=(lsh_params.num_bands, lsh_params.rows_per_band)
    )
    for row, signature in enumerate(signatures):
        lean = LeanMinHash(seed=params.seed, hashvalues=signature, scheme=params.scheme)
        index.insert(f"doc-{row}", lean)
    query = MinHash(num_perm=128, hashfunc=shingle_hash32)
    query.update_batch(shingles(texts[0]))
    assert index.query(query) == ["doc-0"]


def test_lsh_params_match_datasketch() -> None:
    lsh = choose_lsh(0.8, 128)
    index = MinHashLSH(threshold=0.8, num_perm=128)
    assert (lsh.num_bands, lsh.rows_per_band) == (index.b, index.r)
    assert 0 < lsh.false_positive < 0.1
    assert 0 < lsh.false_negative < 0.1


@pytest.mark.parametrize("threshold", [0.5, 0.7, 0.8, 0.9])
@pytest.mark.parametrize("weights", [(0.5, 0.5), (0.05, 0.95)])
def test_split_and_probabilities_match_datasketch(threshold: float, weights: tuple) -> None:
    from datasketch.lsh import (
        _false_negative_probability,
        _false_positive_probability,
        _optimal_param,
    )

    lsh = choose_lsh(
        threshold, 128, false_positive_weight=weights[0], false_negative_weight=weights[1]
    )
    bands, rows = _optimal_param(threshold, 128, *weights)
    assert (lsh.num_bands, lsh.rows_per_band) == (bands, rows)
    assert lsh.false_positive == pytest.approx(
        _false_positive_probability(threshold, bands, rows), abs=1e-9
    )
    assert lsh.false_negative == pytest.approx(
        _false_negative_probability(threshold, bands, rows), abs=1e-9
    )


def test_bulk_sets_equal_scalar_reference() -> None:
    """Tokens are cut before normalising; the shingle sets must not notice."""
    texts = [
        *EDGE_CASES,
        "a=\N{COMBINING LONG SOLIDUS OVERLAY}b c d e f g h",
        "l\N{RIGHT SINGLE QUOTATION MARK}homme d\N{RIGHT SINGLE QUOTATION MARK}etat x y z w",
        "word\N{NO-BREAK SPACE}word \N{EM DASH} \N{EM DASH} more words here now",
        "\N{COMBINING ACUTE ACCENT}start with a mark and go on",
        # A token that normalises to two words next to an empty one (trailing ":").
        "0\x800:",
        # Character mode rebuilt from tokens: ASCII, punctuation and digits in between.
        "東京 2024年、ABC会社の<発表>です。 x=y 続きは明日",
        "ภาษาไทย ABC ไม่มี ช่องว่าง",
        "東京",
        "a < b <= c => d",
    ]
    for short_docs in ("whole", "skip"):
        sketches = compute_sketches(
            pa.array(texts), MinHashParams(num_perm=8), short_docs=short_docs
        )
        for row, text in enumerate(texts):
            grams = shingles(text, short_docs=short_docs)
            expected = sorted({shingle_hash32(gram) for gram in grams})
            lo, hi = sketches.set_offsets[row], sketches.set_offsets[row + 1]
            assert sketches.set_values[lo:hi].tolist() == expected, text
            assert sketches.counts[row] == len(grams), text


# Characters where the compiled path could drift from the scalar reference: ASCII
# cut points, ``<=>`` (compose with U+0338), width and case folds, digits of other
# scripts, marks, scripts without spaces, Unicode spaces and punctuation.
_TRICKY = (
    "ab Z09 \t\n.,:;!?<=>-'\"/"
    "\u0338\u0301ßςΣéÉ\uff21\uff11\u0663\u00a0\u2003\u2014\u2019"
    "東京都の天気晴れカタ\u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22\ufb01😀"
)


@pytest.mark.fuzz
@given(
    texts=st.lists(st.text(alphabet=_TRICKY, max_size=80), min_size=1, max_size=6),
    ngram=st.integers(1, 6),
)
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
def test_any_text_sets_and_counts_equal_scalar_reference(texts: list[str], ngram: int) -> None:
    params = MinHashParams(num_perm=4, ngram=ngram, char_ngram=ngram)
    sketches = compute_sketches(pa.array(texts), params)
    for row, text in enumerate(texts):
        grams = shingles(text, ngram=ngram, char_ngram=ngram)
        lo, hi = sketches.set_offsets[row], sketches.set_offsets[row + 1]
        assert sketches.set_values[lo:hi].tolist() == sorted({shingle_hash32(g) for g in grams})
        assert sketches.counts[row] == len(grams)
