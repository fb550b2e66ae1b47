"""Turn HTML rows into their main text with trafilatura, under a per-page time limit.

Rows whose ``content_type`` is ``text/html`` (set by the HTML and WARC readers, or by a
``content_type`` field in JSONL/Parquet input) get their ``text`` replaced by
trafilatura's main text, one paragraph per line, and ``content_type`` set to
``text/plain``; their ``title``, ``date`` (ISO ``YYYY-MM-DD``) and ``language`` (ISO
639 code from the page's ``lang`` attribute or ``Content-Language`` meta tag) become
columns, and ``from_html`` is true. Other rows pass untouched (the four columns null),
so the stage is a cheap no-op on text input and may always run first.

Reasons: ``extract_html.too_large`` (the page is longer than `max_chars`),
``extract_html.timeout`` (extraction ran past `time_limit`), ``extract_html.error``
(trafilatura raised; the detail names the exception) and ``extract_html.empty``
(trafilatura found no main text). A rejected row keeps its HTML in ``rejects/``.

trafilatura is called with ``deduplicate=False`` always: its deduplication keeps a
per-process cache across pages, so the same page loses text on a second extraction
(adbar/trafilatura#778); repeated text across pages is ``site_boilerplate``'s and
``exact_dedup``'s job, done deterministically over the whole corpus. The stage adds no
logging handler and changes no trafilatura setting.

Layout tables become paragraphs: trafilatura writes a table row on one line (``| cell |
cell |``) with a cell's paragraphs joined by spaces, so an old page whose article sits in
a table cell came out as one line of thousands of characters, which the line-based stages
after this one (strip_boilerplate, site_boilerplate) can only keep or drop whole. A table
with a block element or a 25-word run of prose in a cell, or with no row of two filled
cells, is layout: each of its cells becomes a paragraph. Data tables keep their rows.

Line breaks of the HTML source inside a paragraph are spaces, as a browser shows them:
trafilatura keeps them, so a hard-wrapped old page came out one source line per line
(fragments the line-based stages judged as junk). ``<br>`` and ``<pre>`` keep theirs.
"""

from __future__ import annotations

import logging
import re
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import ClassVar, Literal

import pyarrow as pa
import pyarrow.compute as pc
from lxml.etree import _Element
from trafilatura import bare_extraction
from trafilatura.utils import load_html
from trafilatura.xml import xmltotxt

from cleanse.schema import CONTENT_TYPE, FROM_HTML, TEXT, URL
from cleanse.stages.base import live_mask, mark_removed, set_column

logger = logging.getLogger(__name__)

EMPTY = "extract_html.empty"
TIMEOUT = "extract_html.timeout"
ERROR = "extract_html.error"
TOO_LARGE = "extract_html.too_large"

TITLE = "title"
DATE = "date"
LANGUAGE = "language"

HTML = "text/html"
PLAIN = "text/plain"

Mode = Literal["balanced", "precision", "recall"]

_HTML_LANG = re.compile(r"""<html\b[^>]*?\blang\s*=\s*["']?\s*([A-Za-z]{2,3})(?![A-Za-z])""", re.I)
_META_LANG = re.compile(
    r"""<meta\b[^>]*?http-equiv\s*=\s*["']?content-language["']?[^>]*?"""
    r"""\bcontent\s*=\s*["']?\s*([A-Za-z]{2,3})(?![A-Za-z])""",
    re.I,
)
#: trafilatura looks for "html" in this many first characters of a page.
_DOCUMENT_PRESCAN = 50
#: Characters of a page searched for its language declaration.
_LANG_PRESCAN = 8192
#: trafilatura's block elements: one inside a table cell makes the table a layout table.
_BLOCKS = frozenset(("p", "head", "list", "quote", "table", "code"))
#: A cell with this many words or more holds running text, not a value: layout table.
_PROSE_CELL_WORDS = 25
#: A run of whitespace holding a line break of the HTML source.
_SOURCE_BREAK = re.compile(r"\s*\n\s*")
#: Elements a browser does not show (what Readability.js's ``_isProbablyVisible`` tests):
#: the ``hidden`` attribute, ``aria-hidden="true"``, an inline ``display: none`` or
#: ``visibility: hidden``.
_HIDDEN = (
    "//body//*[@hidden or @aria-hidden='true'"
    " or contains(translate(@style, 'ADEILNOPSY ', 'adeilnopsy'), 'display:none')"
    " or contains(translate(@style, 'BDEHILNSTVY ', 'bdehilnstvy'), 'visibility:hidden')]"
)
#: A hidden element holding more than this share of the page's text is a page revealed by
#: its scripts (a wrapper hidden until they run), not a hidden extra: it stays.
_HIDDEN_MAX_SHARE = 0.5


class ExtractionTimeout(BaseException):
    """Raised inside trafilatura by the time limit's signal handler.

    A BaseException, so trafilatura's own ``except Exception`` blocks cannot swallow it.
    """


@dataclass(frozen=True, slots=True)
class Extracted:
    """The main text of a page and what trafilatura found about it."""

    text: str
    title: str | None = None
    date: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class Rejected:
    """Why a page has no main text: a reason constant and a detail."""

    reason: str
    detail: str


def page_language(html: str) -> str | None:
    """Return the page's declared language (lowercase primary subtag), or None.

    >>> page_language('<!DOCTYPE html><html class="x" lang="de-AT"><head>')
    'de'
    >>> page_language('<html><head><meta http-equiv="Content-Language" content="fr">')
    'fr'
    >>> page_language("<html><body>no declaration</body></html>") is None
    True
    """
    head = html[:_LANG_PRESCAN]
    found = _HTML_LANG.search(head) or _META_LANG.search(head)
    return found.group(1).lower() if found else None


def as_document(html: str) -> str:
    """Wrap an HTML fragment in ``<html><body>`` so trafilatura parses it.

    trafilatura refuses a page whose first 50 characters do not say "html" when it
    parses into fewer than two elements ("wrong data type or not valid HTML"): an
    article body stored as a fragment, or the 21 CleanEval pages wrapped in the corpus'
    own ``<text>`` element, would come out empty.

    >>> as_document("<div><p>Body only</p></div>")
    '<html><body><div><p>Body only</p></div></body></html>'
    >>> as_document("<!DOCTYPE html><p>x</p>")
    '<!DOCTYPE html><p>x</p>'
    """
    if "html" in html[:_DOCUMENT_PRESCAN].lower():
        return html
    return f"<html><body>{html}</body></html>"


def is_layout_table(table: _Element) -> bool:
    """Return whether a trafilatura ``<table>`` lays out text rather than holding data.

    A layout table (the article of an old page in one cell, a sidebar beside it, a
    one-column list of links) has a cell with block elements or a paragraph of prose in
    it, or no row with two cells of text. A data table has short values side by side.
    """
    rows = [row for row in table.iter("row") if _owner(row) is table]
    two_cells = False
    for row in rows:
        filled = 0
        for cell in row.iterchildren("cell"):
            if any(child.tag in _BLOCKS for child in cell.iterdescendants()):
                return True
            words = len("".join(cell.itertext()).split())
            if words >= _PROSE_CELL_WORDS:
                return True
            filled += words > 0
        two_cells = two_cells or filled >= 2
    return not two_cells


def _owner(row: _Element) -> _Element | None:
    parent = row.getparent()
    while parent is not None and parent.tag != "table":
        parent = parent.getparent()
    return parent


def unwrap_layout_tables(body: _Element) -> int:
    """Turn layout tables in trafilatura's body into paragraphs, in place; return how many.

    trafilatura writes each table row on one line (``| cell | cell |``) and a cell's
    paragraphs joined by spaces: an article laid out in a table cell becomes one line of
    thousands of characters, which line-based stages cannot judge and a training corpus
    should not get. Each cell of a layout table becomes a paragraph (its own paragraphs
    kept); data tables stay rows.
    """
    layout = [table for table in body.iter("table") if is_layout_table(table)]
    for table in layout:
        for element in [e for e in table.iter("row", "cell") if _owner(e) is table]:
            element.tag = "p" if element.tag == "cell" else "div"
        table.tag = "div"
    return len(layout)


def join_source_lines(body: _Element) -> int:
    """Join the source's line breaks inside paragraphs, in place; return how many.

    trafilatura keeps the newlines of the HTML source inside a text node: an old page
    whose paragraphs are hard-wrapped at 70 characters (CleanEval has many) came out as
    one line per source line, fragments like "of the Serbian Chemical Society was
    founded three years after the", which line-based stages then judge one by one as
    short junk. In HTML a newline in text is a space: each run of whitespace holding a
    newline becomes one space, outside ``<code>`` (trafilatura's ``<pre>``), where line
    breaks are content. Breaks the page asks for (``<br>``, trafilatura's ``<lb/>``) and
    block boundaries stay.
    """
    joined = 0
    stack: list[tuple[_Element, bool]] = [(body, False)]
    while stack:
        element, in_code = stack.pop()
        inside = in_code or element.tag == "code"
        if not inside and element.text and "\n" in element.text:
            element.text, count = _SOURCE_BREAK.subn(" ", element.text)
            joined += count
        if not in_code and element.tail and "\n" in element.tail:
            element.tail, count = _SOURCE_BREAK.subn(" ", element.tail)
            joined += count
        stack.extend((child, inside) for child in element)
    return joined


def drop_hidden(tree: _Element) -> int:
    """Remove the elements of `tree` a browser does not show (`_HIDDEN`), in place;
    return how many. Their tails (text after them, shown) stay.

    >>> from lxml import html
    >>> tree = html.fromstring("<html><body><p>Shown</p><p hidden>Not shown</p>tail"
    ...                        "<div style='DISPLAY: none'>Menu</div><p>" + "Text " * 9
    ...                        + "</p></body></html>")
    >>> drop_hidden(tree), " ".join(tree.itertext()).split()[:3]
    (2, ['Shown', 'tail', 'Text'])
    """
    hidden = tree.xpath(_HIDDEN)
    # outermost only: a hidden element inside another goes with it
    outer = []
    chosen = set()
    for element in hidden:
        if not any(ancestor in chosen for ancestor in element.iterancestors()):
            outer.append(element)
            chosen.add(element)
    if not outer:
        return 0
    total = len("".join(tree.itertext()).split())
    outer = [e for e in outer if len("".join(e.itertext()).split()) <= _HIDDEN_MAX_SHARE * total]
    for element in outer:
        element.drop_tree()
    return len(outer)


def extract_page(
    html: str,
    *,
    url: str | None = None,
    mode: Mode = "balanced",
    comments: bool = False,
    tables: bool = True,
    fallback: bool = True,
) -> Extracted | None:
    """Return the main text of `html` (one paragraph per line) and metadata, or None.

    None means trafilatura found no main text. Exceptions from trafilatura propagate.

    >>> page = ("<html lang='en'><head><title>A day</title></head><body><nav>Home</nav>"
    ...         "<article><p>" + "It was a long day, and then it rained. " * 8 + "</p>"
    ...         "<p>Nobody minded the rain.</p></article></body></html>")
    >>> result = extract_page(page)
    >>> result.text.splitlines()[1], result.title, result.language
    ('Nobody minded the rain.', 'A day', 'en')
    """
    page: str | _Element = as_document(html)
    tree = load_html(page)
    if tree is not None:
        drop_hidden(tree)
        page = tree
    document = bare_extraction(
        page,
        url=url,
        fast=not fallback,
        favor_precision=mode == "precision",
        favor_recall=mode == "recall",
        include_comments=comments,
        include_tables=tables,
        deduplicate=False,
        with_metadata=True,
    )
    if document is None or isinstance(document, dict):
        return None
    text = document.text or ""
    if document.body is not None and (
        # both in place; the text is rendered again when either changed the body
        join_source_lines(document.body) + unwrap_layout_tables(document.body)
    ):
        text = xmltotxt(document.body, False)
    text = text.strip()
    if comments and document.commentsbody is not None:
        # bare_extraction keeps comments apart; extract() appends them after the text
        join_source_lines(document.commentsbody)
        text = f"{text}\n{xmltotxt(document.commentsbody, False).strip()}".strip()
    if not text:
        return None
    return Extracted(
        text=text,
        title=document.title or None,
        date=document.date or None,
        language=page_language(html),
    )


@cache
def _warn_no_time_limit(thread: str) -> None:
    logger.warning(
        "extract_html runs in thread %s, not the main thread: no per-page time limit "
        "(signals reach only the main thread); run it in worker processes to keep one",
        thread,
    )


@contextmanager
def time_limit(seconds: float) -> Iterator[bool]:
    """Raise `ExtractionTimeout` in the block after `seconds` (SIGALRM, main thread only).

    Yields whether the limit is armed: outside the main thread, or where the platform
    has no ``setitimer``, the block runs without one. A timer armed by the caller
    before is restored, less the time spent here. The signal interrupts Python code
    only: a single long call into C (lxml parsing a huge page) ends before it fires,
    which is why pages are also capped by size.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "setitimer"
    ):
        _warn_no_time_limit(threading.current_thread().name)
        yield False
        return

    def expire(signum: int, frame: object) -> None:
        raise ExtractionTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    started = time.monotonic()
    outer, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer > 0:
            left = outer - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3))


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtractHtml:
    """Replace the HTML of text/html rows by trafilatura's main text; mark pages without one.

    Adds ``title``, ``date`` and ``language`` (strings, null for rows that were not
    HTML) and ``from_html`` (true, null for those rows) and sets ``content_type`` to
    ``text/plain`` on every row it extracted.

    Args:
        mode: trafilatura's trade-off: "balanced" (default, trafilatura's own default),
            "precision" (``favor_precision=True``) or "recall" (``favor_recall=True``).
            Balanced because the stage is the first of a pipeline whose boilerplate
            stages clean what it keeps: extracting with precision drops real text no
            later stage can bring back, while the extra lines balanced keeps are mostly
            what strip_boilerplate removes. Measured end to end (``benchmarks/html.md``,
            the default pipeline less dedup) the three average the same over the seven
            sets (within 0.002); balanced is never the worst on a set, precision loses
            the non-article sets (cleaneval, readability) and recall the article sets
            (aeb, l3s-gn1). Extraction alone, precision is best on news articles.
        comments: Keep the page's user comments (appended after the text). False
            (default): a training corpus wants the authored document, not its comment
            thread (short, repetitive, often spam); trafilatura's own default (True)
            keeps them. Of the gold sets only Dragnet counts comments as main text (there
            True is worth +0.054 end to end) and it costs the others (aeb -0.008,
            cleanportaleval -0.017, l3s-gn1 -0.005, readability -0.005), whose pages carry
            the same kind of substantial reader comments: no rule on the comments
            themselves separates the sets (``benchmarks/html.md``).
        tables: Keep text in ``<table>`` elements. True (default): trafilatura's
            default; tables on article pages hold data the article refers to, and
            layout tables of old pages hold the article itself (CleanEval).
        fallback: When trafilatura's own extraction looks poor, compare with its
            readability and jusText fallbacks. True (default, trafilatura's default);
            False is about twice as fast and loses a little recall.
        time_limit: Seconds one page may take before it is marked
            ``extract_html.timeout``. 10 (default): real pages take 5-50 ms (the
            slowest of the 2,000 development pages under 1 s), so only a hostile or
            broken page reaches it. Needs the main thread (worker processes have it).
        max_chars: Pages longer than this (characters of HTML) are marked
            ``extract_html.too_large`` without parsing. 10,000,000 (default): 20x the
            largest development page, and small enough that lxml parses it in about a
            second.
    """

    name: ClassVar[str] = "extract_html"
    reasons: ClassVar[tuple[str, ...]] = (TOO_LARGE, TIMEOUT, ERROR, EMPTY)
    columns: ClassVar[tuple[pa.Field, ...]] = (
        pa.field(TITLE, pa.string()),
        pa.field(DATE, pa.string()),
        pa.field(LANGUAGE, pa.string()),
        pa.field(FROM_HTML, pa.bool_()),
    )
    counters: ClassVar[tuple[str, ...]] = ()

    mode: Mode = "balanced"
    comments: bool = False
    tables: bool = True
    fallback: bool = True
    time_limit: float = 10.0
    max_chars: int = 10_000_000

    def __post_init__(self) -> None:
        if self.mode not in ("balanced", "precision", "recall"):
            msg = f'mode must be "balanced", "precision" or "recall" (got {self.mode!r})'
            raise ValueError(msg)
        if not self.time_limit > 0:
            msg = f"time_limit must be > 0 seconds (got {self.time_limit})"
            raise ValueError(msg)
        if self.max_chars < 1:
            msg = f"max_chars must be >= 1 (got {self.max_chars})"
            raise ValueError(msg)

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        size = batch.num_rows
        todo = pc.and_(live_mask(batch), self._is_html(batch)).to_pylist()
        texts = batch.column(TEXT).to_pylist()
        urls = batch.column(URL).to_pylist()
        content_types = batch.column(CONTENT_TYPE).to_pylist()
        titles: list[str | None] = [None] * size
        dates: list[str | None] = [None] * size
        languages: list[str | None] = [None] * size
        from_html: list[bool | None] = [None] * size
        reasons: dict[str, list[bool]] = {reason: [False] * size for reason in self.reasons}
        details: list[str | None] = [None] * size
        for i in range(size):
            html = texts[i]
            if not todo[i] or html is None:
                continue
            extracted = self._extract(html, urls[i])
            if isinstance(extracted, Rejected):
                reasons[extracted.reason][i] = True
                details[i] = extracted.detail
                continue
            texts[i] = extracted.text
            content_types[i] = PLAIN
            titles[i], dates[i], languages[i] = extracted.title, extracted.date, extracted.language
            from_html[i] = True
        batch = set_column(batch, TEXT, pa.array(texts, pa.string()))
        batch = set_column(batch, CONTENT_TYPE, pa.array(content_types, pa.string()))
        batch = set_column(batch, TITLE, pa.array(titles, pa.string()))
        batch = set_column(batch, DATE, pa.array(dates, pa.string()))
        batch = set_column(batch, LANGUAGE, pa.array(languages, pa.string()))
        batch = set_column(batch, FROM_HTML, pa.array(from_html, pa.bool_()))
        detail_array = pa.array(details, pa.string())
        for reason, mask in reasons.items():
            if any(mask):
                batch = mark_removed(batch, pa.array(mask, pa.bool_()), reason, detail_array)
        return batch

    @staticmethod
    def _is_html(batch: pa.RecordBatch) -> pa.BooleanArray:
        index = batch.schema.get_field_index(CONTENT_TYPE)
        if index < 0:
            return pa.array([False] * batch.num_rows, pa.bool_())
        return pc.fill_null(pc.equal(batch.column(index), HTML), False)

    def _extract(self, html: str, url: str | None) -> Extracted | Rejected:
        """Return the main text of one page, or why there is none."""
        if len(html) > self.max_chars:
            detail = f"{len(html)} characters of HTML, more than {self.max_chars}"
            return Rejected(TOO_LARGE, detail)
        try:
            with time_limit(self.time_limit):
                extracted = extract_page(
                    html,
                    url=url,
                    mode=self.mode,
                    comments=self.comments,
                    tables=self.tables,
                    fallback=self.fallback,
                )
        except ExtractionTimeout:
            return Rejected(TIMEOUT, f"extraction took longer than {self.time_limit} s")
        except Exception as err:  # trafilatura and lxml raise many types on bad pages
            text = " ".join(str(err).split())[:200]
            return Rejected(ERROR, f"trafilatura raised {type(err).__name__}: {text}")
        if extracted is None:
            return Rejected(EMPTY, f"trafilatura found no main text in {len(html)} characters")
        return extracted


__all__ = [
    "DATE",
    "EMPTY",
    "ERROR",
    "FROM_HTML",
    "LANGUAGE",
    "TIMEOUT",
    "TITLE",
    "TOO_LARGE",
    "ExtractHtml",
    "Extracted",
    "ExtractionTimeout",
    "extract_page",
    "is_layout_table",
    "page_language",
    "time_limit",
    "unwrap_layout_tables",
]
