"""The report of a real run, opened in headless Chromium.

The run is the default pipeline on ``seeds/`` plus near-copies of its article on two
sites and a pair of pages made of markup (see ``conftest.corpus_rows``). The browser
records console messages, uncaught errors, failed loads and every request, so "no
errors" and "no network" are checked in the page, not guessed from the HTML.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

from cleanse.report.replay import RemovedLine

SEED = "seeds/aljazeera-nato-turkey.txt"


def text_of(browser, selector: str) -> list[str]:
    query = json.dumps(selector)
    return browser.evaluate(f"[...document.querySelectorAll({query})].map(e => e.innerText)")


def test_harness_sees_console_errors_and_failed_loads(browser, tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text(
        '<!doctype html><img src="missing.png"><script>console.error("boom"); nope();</script>'
    )
    load = browser.load(page.as_uri())
    assert "error: boom" in load.errors
    assert any("nope is not defined" in e for e in load.errors)
    assert any("missing.png" in url for url in load.requests)


def test_report_loads_without_errors_or_requests(
    browser, run_output: Path, artifacts: Path
) -> None:
    url = (run_output / "report.html").as_uri()
    load = browser.load(url)
    assert load.errors == []
    assert load.console == []
    assert load.requests == [url]
    shot = browser.screenshot(artifacts / "report.png")
    assert shot.stat().st_size > 20_000
    browser.screenshot(artifacts / "report-duplicates.png", selector="#duplicates")
    browser.screenshot(artifacts / "report-documents.png", selector="#documents")


def test_report_shows_the_run_counts(browser, run_output: Path) -> None:
    stats = json.loads((run_output / "stats.json").read_text())
    browser.load((run_output / "report.html").as_uri())
    cards = text_of(browser, "#summary .card")
    assert f"{stats['rows_in']:,}\nDOCUMENTS IN" in cards
    assert f"{stats['rows_clean']:,}\nDOCUMENTS KEPT" in cards
    assert f"{stats['rows_rejected']:,}\nDOCUMENTS REMOVED" in cards
    stages = browser.evaluate("document.querySelector('#stages table').innerText")
    for name, stage in stats["stages"].items():
        assert name in stages
        for reason, count in stage["removed"].items():
            assert f"documents: {reason}\t\t{count}" in stages
    plots = text_of(browser, "#plots figcaption")
    assert len(plots) == 4


def test_report_shows_the_seed_cluster_with_a_word_diff(browser, run_output: Path) -> None:
    browser.load((run_output / "report.html").as_uri())
    summaries = text_of(browser, "details.cluster > summary")
    assert any(s.startswith("exact cluster of") for s in summaries)
    assert any(s.startswith("near cluster of") for s in summaries)
    kept = text_of(browser, "details.cluster > p")
    assert any(p.startswith(f"kept: {SEED}") for p in kept)
    # wire-0 is the article with "Thursday" edited to "Friday"
    diff = browser.evaluate(
        "(() => { const h = [...document.querySelectorAll('details.cluster h4')]"
        ".find(e => e.innerText.startsWith('wire-0'));"
        " const t = h.nextElementSibling;"
        " return [...t.querySelectorAll('del')].map(e => e.innerText).concat("
        "   ['|'], [...t.querySelectorAll('ins')].map(e => e.innerText)); })()"
    )
    assert diff == ["Thursday", "|", "Friday"]
    copies = text_of(browser, "details.cluster p.same")
    assert any("aljazeera-nato-turkey.copy.txt matches" in p for p in copies)


def test_report_strikes_removed_lines_with_their_stage(browser, run_output: Path) -> None:
    browser.load((run_output / "report.html").as_uri())
    removed = browser.evaluate(
        "[...document.querySelectorAll('article.doc .l.removed')]"
        ".map(e => [e.closest('article').querySelector('h3').firstChild.textContent.trim(),"
        " e.querySelector('del').innerText, e.querySelector('.tag').innerText])"
    )
    assert [
        "brief-0-0",
        "Home | World | Politics | Business | Tech | Sport",
        "site_boilerplate · template",
    ] in removed
    dictionary = browser.evaluate("document.querySelector('#boilerplate').innerText")
    assert "mirror.example.net" in dictionary
    assert "Follow Mirror Net on social media for more stories" in dictionary


def test_report_shows_the_seed_boilerplate_lines(browser, run_output: Path) -> None:
    clean = pq.read_table(run_output / "clean").to_pylist()
    seed = next(row for row in clean if row["id"] == SEED)
    lines = [RemovedLine.from_row(r) for r in seed.get("removed_lines") or ()]
    assert {
        "Francois Lenoir / Reuters",
        "Related News",
        "Find Al Jazeera America on your TV",
        "Sign up for our weekly newsletter",
    } <= {x.line for x in lines}
    browser.load((run_output / "report.html").as_uri())
    shown = browser.evaluate(
        "(() => { const a = [...document.querySelectorAll('article.doc')]"
        f".find(e => e.querySelector('h3').firstChild.textContent.trim() === {json.dumps(SEED)});"
        " return [...a.querySelectorAll('.l.removed')].map(e => "
        " [e.querySelector('del').innerText, e.querySelector('.tag').innerText]); })()"
    )
    assert sorted(shown) == sorted([x.line, f"{x.stage} · {x.reason}"] for x in lines)


def test_hostile_text_is_shown_not_run(browser, run_output: Path) -> None:
    load = browser.load((run_output / "report.html").as_uri())
    assert browser.evaluate("window.__pwned === undefined")
    assert browser.evaluate("document.querySelectorAll('script, img').length") == 0
    headings = text_of(browser, "h1")
    assert not any("INJECTED" in h for h in headings)
    body = browser.evaluate("document.body.innerText")
    assert '<img src="x.png" onerror="window.__pwned = 2">' in body
    assert not any("x.png" in url for url in load.requests)
