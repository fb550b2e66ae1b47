"""scripts/boilerplate_extra.py: whole-page lines of the HTML sets, labelled by their gold."""

from __future__ import annotations

import pytest

from conftest import script_module, shared_data

extra = script_module("boilerplate_extra")

GOLD = (
    "The council voted on Tuesday to repair the old bridge before winter comes.\n"
    "Work starts in May."
)


def test_lines_are_labelled_by_their_share_of_gold_four_grams() -> None:
    lines = [
        "The council voted on Tuesday to repair the old bridge before winter comes.",
        "Sign up for our newsletter and get the news every morning",
        "Work starts in May.",
        "Home",
        "the old bridge before winter and a brand new road for the town",  # half in gold
    ]
    kept, noise = extra.label_lines(lines, GOLD)
    assert dict(zip(kept, noise, strict=True)) == {
        lines[0]: False,
        lines[1]: True,
        lines[2]: False,
        lines[3]: True,
    }


def test_page_lines_are_the_visible_blocks() -> None:
    page = (
        "<html><head><title>t</title><script>var x = 1;</script></head><body>"
        "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        "<p>First   paragraph\n of text.</p><div>Footer <b>bold</b></div></body></html>"
    )
    lines = extra.page_lines(page)
    assert "First paragraph of text." in lines
    assert not any("var x" in line for line in lines)
    assert any("Footer bold" in line for line in lines)


@pytest.mark.shared_data
def test_readability_pages_give_both_classes() -> None:
    docs = extra.load_extra(shared_data(), ["readability"])
    assert len(docs) > 30
    lines = sum(len(d.lines) for d in docs)
    noise = sum(sum(d.noise) for d in docs)
    assert 0.05 < noise / lines < 0.95
