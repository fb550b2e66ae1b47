"""site_boilerplate: per-domain template lines learnt at the barrier, removed everywhere."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from cleanse.io.writers import write_table
from cleanse.schema import REASON, REMOVED_LINES, TEXT, conform, document_schema
from cleanse.stages.site_boilerplate import (
    CHARS_REMOVED,
    EMPTY,
    LINES_REMOVED,
    SiteBoilerplate,
    normalize_line,
)
from conftest import make_batch

ARTICLES = [
    "The council approved the new budget after a long debate on Tuesday evening.",
    "Rain is expected across the north of the country for most of the weekend.",
    "The museum reopened its doors to visitors after two years of restoration work.",
    "Local farmers say the harvest was the best they have seen in a decade.",
    "A new bridge over the river will cut travel times for thousands of commuters.",
    "The school board voted to extend the library's opening hours next term.",
]

HEADLINES = [
    "Budget passes",
    "Wet weekend ahead",
    "Museum reopens",
    "Record harvest",
    "New bridge",
    "Library hours",
    "Storm warning",
    "Election called",
]


def page(i: int, *, year: int = 2015) -> str:
    return "\n".join(
        [
            "Home | World | Sport | Weather",
            "",
            HEADLINES[i],
            "",
            ARTICLES[i % len(ARTICLES)],
            "",
            "Share this story",
            f"© {year} Example Courier. All rights reserved.",
        ]
    )


def run(stage: SiteBoilerplate, batch: pa.RecordBatch, tmp_path: Path):
    batch = conform(batch, document_schema(audit=stage.columns))
    aggregate = stage.aggregate([stage.collect(batch)], workdir=tmp_path)
    return aggregate.stage()(batch), aggregate


def test_template_lines_of_a_site_go_article_stays(tmp_path: Path) -> None:
    texts = [page(i, year=2010 + i) for i in range(6)]
    batch = make_batch(texts, domains=["courier.example"] * 6)
    out, aggregate = run(SiteBoilerplate(), batch, tmp_path)
    first = out.column(TEXT).to_pylist()[0]
    assert first == f"{HEADLINES[0]}\n\n{ARTICLES[0]}"
    assert out.column(LINES_REMOVED).to_pylist() == [3] * 6
    assert out.column(CHARS_REMOVED).to_pylist()[0] == len(texts[0]) - len(first)
    assert out.column(REMOVED_LINES).to_pylist()[0] == [
        {"stage": "site_boilerplate", "reason": "template", "index": i, "line": line}
        for i, line in [
            (0, "Home | World | Sport | Weather"),
            (3, "Share this story"),
            (4, "© 2010 Example Courier. All rights reserved."),
        ]
    ]
    lines = {r["line"]: r for r in aggregate.outputs()["boilerplate"].to_pylist()}
    assert set(lines) == {
        "Home | World | Sport | Weather",
        "Share this story",
        "© 2010 Example Courier. All rights reserved.",
    }
    assert all(r["doc_count"] == 6 and r["removed_count"] == 6 for r in lines.values())


def test_quote_in_two_articles_stays(tmp_path: Path) -> None:
    quote = "“We will not back down,” the minister said."
    texts = [f"{ARTICLES[i]}\n{quote}" if i < 2 else ARTICLES[i] for i in range(6)]
    out, aggregate = run(SiteBoilerplate(), make_batch(texts, domains=["a.example"] * 6), tmp_path)
    assert out.column(TEXT).to_pylist() == texts
    assert aggregate.outputs()["boilerplate"].num_rows == 0


def test_other_sites_are_untouched(tmp_path: Path) -> None:
    texts = [page(i) for i in range(4)] + [page(7)]
    domains = ["a.example"] * 4 + ["b.example"]
    out, _ = run(SiteBoilerplate(), make_batch(texts, domains=domains), tmp_path)
    assert out.column(TEXT).to_pylist()[4] == texts[4]


def test_identical_pages_count_once(tmp_path: Path) -> None:
    texts = [page(1)] * 5
    out, aggregate = run(SiteBoilerplate(), make_batch(texts, domains=["a.example"] * 5), tmp_path)
    assert out.column(TEXT).to_pylist() == texts
    assert aggregate.outputs()["boilerplate"].num_rows == 0


def test_page_of_nothing_but_template_is_rejected(tmp_path: Path) -> None:
    texts = [page(i) for i in range(5)] + ["Home | World | Sport | Weather\nShare this story"]
    out, _ = run(SiteBoilerplate(), make_batch(texts, domains=["a.example"] * 6), tmp_path)
    assert out.column(REASON).to_pylist() == [None] * 5 + [EMPTY]


def test_corpus_wide_group_needs_more_documents(tmp_path: Path) -> None:
    texts = [page(i) for i in range(6)]
    strict, _ = run(SiteBoilerplate(), make_batch(texts), tmp_path)
    assert strict.column(TEXT).to_pylist() == texts
    loose, _ = run(SiteBoilerplate(corpus_min_docs=5), make_batch(texts), tmp_path)
    assert loose.column(LINES_REMOVED).to_pylist() == [3] * 6


def test_dictionary_from_an_earlier_run_is_reused(tmp_path: Path) -> None:
    texts = [page(i) for i in range(6)]
    _, aggregate = run(SiteBoilerplate(), make_batch(texts, domains=["a.example"] * 6), tmp_path)
    old = tmp_path / "old"
    write_table(aggregate.outputs()["boilerplate"], old / "boilerplate")
    # a new crawl of one page: too few pages to learn anything by itself
    stage = SiteBoilerplate(dictionary=str(old))
    out, again = run(stage, make_batch([page(7)], domains=["a.example"]), tmp_path)
    assert out.column(TEXT).to_pylist() == [f"{HEADLINES[7]}\n\n{ARTICLES[7 % 6]}"]
    assert again.summary()["template_lines"] == 3


def test_normalize_line_folds_case_digits_space() -> None:
    assert normalize_line("  Posted 3 HOURS  ago ") == normalize_line("posted 12 hours ago")
