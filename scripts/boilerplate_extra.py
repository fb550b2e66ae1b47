"""Extra training documents for the line scorer: whole-page text lines of real HTML pages
with gold main text, each line labelled by whether it is in the gold text.

    python scripts/boilerplate_extra.py [--data ../shared/data] [--sets dragnet,l3s-gn1]

line-quality-oscar's documents are whole-page crawl text (Common Crawl WET-like: every
visible text block of a page on its own line, menus and footers included). This module
turns each page of a ``wceb/*`` set (read in place, never copied) into such lines
(`page_lines`: block-level elements and ``<br>`` end a line, scripts, styles and the head
dropped, whitespace collapsed) and labels each (`label_lines`): content when most of its
word 4-grams are in the gold text (a short line: when it is a whole gold line or, three
words, a gold 3-gram), noise when (almost) none are, and unsure lines are dropped.
``train_boilerplate.py --extra`` adds these documents to the training folds only.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import lxml.html
from lxml import etree

REPO = Path(__file__).resolve().parent.parent
for path in (REPO, REPO / "scripts"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from eval_boilerplate import DEFAULT_DATA, LabelledDoc  # noqa: E402
from eval_html import _read_members as read_members  # noqa: E402

from cleanse.io.html import decode_html  # noqa: E402

SETS = ("dragnet", "l3s-gn1", "cleaneval", "cleanportaleval", "readability")
#: content when at least this share of a line's 4-grams is in the gold text, noise when
#: at most `NOISE_MAX`; lines in between are dropped (unsure)
CONTENT_MIN = 0.8
NOISE_MAX = 0.1

BLOCK = frozenset(
    (  # noqa: SIM905
        "address article aside blockquote body br caption center dd details dialog dir div dl "
        "dt fieldset figcaption figure footer form frame h1 h2 h3 h4 h5 h6 header hr html "
        "iframe legend li main menu nav noframes ol option p pre section select summary table "
        "tbody td textarea tfoot th thead title tr ul"
    ).split()
)
DROP = frozenset("script style noscript template head svg math object embed".split())  # noqa: SIM905
_WORD = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")


def page_lines(html: str) -> list[str]:
    """The visible text of a page, one line per block (whitespace collapsed, no blanks)."""
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return []
    lines: list[str] = []
    buffer: list[str] = []

    def flush() -> None:
        text = _SPACE.sub(" ", "".join(buffer)).strip()
        buffer.clear()
        if text:
            lines.append(text)

    def walk(element: etree._Element) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        tag = tag.lower()
        if not isinstance(element.tag, str) or tag in DROP:
            if element.tail:
                buffer.append(element.tail)
            return
        block = tag in BLOCK
        if block:
            flush()
        if element.text:
            buffer.append(element.text)
        for child in element:
            walk(child)
        if block:
            flush()
        if element.tail:
            buffer.append(element.tail)

    walk(root)
    flush()
    return lines


def _tokens(text: str) -> list[str]:
    return [t.lower() for t in _WORD.findall(text)]


def _grams(tokens: Sequence[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def label_lines(lines: Sequence[str], gold: str) -> tuple[list[str], list[bool]]:
    """Keep the lines sure to be content (False) or noise (True) against `gold`."""
    gold_lines = [_tokens(line) for line in gold.splitlines()]
    gold_tokens = [t for line in gold_lines for t in line]
    whole = {tuple(line) for line in gold_lines if line}
    grams = {n: _grams(gold_tokens, n) for n in (1, 2, 3, 4)}
    out, noise = [], []
    for line in lines:
        tokens = _tokens(line)
        n = len(tokens)
        if n >= 4:
            own = [tuple(tokens[i : i + 4]) for i in range(n - 3)]
            share = sum(g in grams[4] for g in own) / len(own)
            flag = True if share <= NOISE_MAX else False if share >= CONTENT_MIN else None
        elif n == 0:
            flag = None if not gold_tokens else True
        elif tuple(tokens) in whole or (n == 3 and tuple(tokens) in grams[3]):
            flag = False
        elif tuple(tokens) in grams[n]:
            flag = None
        else:
            flag = True
        if flag is not None:
            out.append(line)
            noise.append(flag)
    return out, noise


def load_extra(
    data: Path = DEFAULT_DATA, sets: Iterable[str] = ("dragnet", "l3s-gn1")
) -> list[LabelledDoc]:
    """Labelled whole-page documents of the named ``wceb`` sets (sorted ids; pages whose
    gold is near-empty or that yield no content or no noise line are skipped)."""
    docs = []
    for name in sets:
        folder = data / "wceb" / name
        if not folder.exists():
            continue
        with gzip.open(folder / "gold.jsonl.gz", "rt", encoding="utf-8") as handle:
            gold = [json.loads(line) for line in handle if line.strip()]
        pages = read_members(folder / "pages.tar.xz", {item["html_file"] for item in gold})
        for item in sorted(gold, key=lambda item: item["id"]):
            if len(_tokens(item["gold_text"])) < 20:
                continue
            lines, noise = label_lines(
                page_lines(decode_html(pages[item["html_file"]]).text), item["gold_text"]
            )
            if any(noise) and not all(noise):
                docs.append(LabelledDoc(f"x-{name}", "extra", lines, noise))
    return docs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sets", default="dragnet,l3s-gn1")
    parser.add_argument("--show", type=int, default=0, help="print the first N documents")
    args = parser.parse_args(argv)
    for name in args.sets.split(","):
        docs = load_extra(args.data, [name])
        lines = sum(len(d.lines) for d in docs)
        noise = sum(sum(d.noise) for d in docs)
        print(f"{name}: {len(docs)} docs, {lines} lines, noise share {noise / max(lines, 1):.3f}")
        for doc in docs[: args.show]:
            for line, flag in zip(doc.lines, doc.noise, strict=True):
                print("N" if flag else "C", line[:140])
            print("----")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
