"""Side-by-side diffs of a duplicate against the document kept in its place.

Lines are aligned with :class:`difflib.SequenceMatcher`; a changed pair of lines is
diffed again word by word, so an edit of three words shows as three highlighted words,
not two different paragraphs. Runs of identical lines are folded to a few lines of
context. Every piece of document text is HTML-escaped here: documents are scraped from
the web and may contain markup meant to run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from html import escape

_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")


def tokens(line: str) -> list[str]:
    """Split a line into words, runs of spaces and single punctuation marks.

    >>> tokens("Hi, you  there")
    ['Hi', ',', ' ', 'you', '  ', 'there']
    """
    return _TOKENS.findall(line)


def word_diff(left: str, right: str) -> tuple[str, str]:
    """Return both lines as HTML with the changed words wrapped in ``<del>``/``<ins>``.

    >>> word_diff("send troops on Thursday", "send troops on Friday")
    ('send troops on <del>Thursday</del>', 'send troops on <ins>Friday</ins>')
    >>> word_diff("<b>", "<i>")
    ('&lt;<del>b</del>&gt;', '&lt;<ins>i</ins>&gt;')
    """
    a, b = tokens(left), tokens(right)
    out_left: list[str] = []
    out_right: list[str] = []
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        old, new = escape("".join(a[a0:a1])), escape("".join(b[b0:b1]))
        if op == "equal":
            out_left.append(old)
            out_right.append(new)
            continue
        if old:
            out_left.append(f"<del>{old}</del>")
        if new:
            out_right.append(f"<ins>{new}</ins>")
    return "".join(out_left), "".join(out_right)


@dataclass(frozen=True, slots=True)
class DiffRow:
    """One row of a side-by-side diff; the cells hold escaped HTML."""

    kind: str  # equal | delete | insert | replace | fold
    left_number: int | None
    left: str
    right_number: int | None
    right: str


def diff_rows(left: str, right: str, *, context: int = 2, max_lines: int = 2000) -> list[DiffRow]:
    """Align the lines of `left` and `right` into side-by-side rows.

    Blank lines are ignored (the kept text and a removed copy may differ in spacing
    only); identical runs longer than ``2 * context`` lines are folded into one
    ``fold`` row. Each side is cut at `max_lines` lines to bound the work.

    >>> rows = diff_rows("a\\nb\\nc", "a\\nB\\nc", context=1)
    >>> [(row.kind, row.left, row.right) for row in rows]
    [('equal', 'a', 'a'), ('replace', '<del>b</del>', '<ins>B</ins>'), ('equal', 'c', 'c')]
    """
    a = [line for line in left.split("\n") if line.strip()][:max_lines]
    b = [line for line in right.split("\n") if line.strip()][:max_lines]
    rows: list[DiffRow] = []
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    opcodes = matcher.get_opcodes()
    for position, (op, a0, a1, b0, b1) in enumerate(opcodes):
        if op == "equal":
            keep_head = context if position > 0 else 0
            keep_tail = context if position < len(opcodes) - 1 else 0
            length = a1 - a0
            if length > keep_head + keep_tail + 1:
                shown = [*range(keep_head), -1, *range(length - keep_tail, length)]
            else:
                shown = list(range(length))
            for offset in shown:
                if offset < 0:
                    hidden = length - keep_head - keep_tail
                    noun = "line" if hidden == 1 else "lines"
                    rows.append(DiffRow("fold", None, f"{hidden} identical {noun}", None, ""))
                    continue
                text = escape(a[a0 + offset])
                rows.append(DiffRow("equal", a0 + offset + 1, text, b0 + offset + 1, text))
            continue
        pairs = min(a1 - a0, b1 - b0) if op == "replace" else 0
        for offset in range(pairs):
            old, new = word_diff(a[a0 + offset], b[b0 + offset])
            rows.append(DiffRow("replace", a0 + offset + 1, old, b0 + offset + 1, new))
        for offset in range(a0 + pairs, a1):
            rows.append(DiffRow("delete", offset + 1, f"<del>{escape(a[offset])}</del>", None, ""))
        for offset in range(b0 + pairs, b1):
            rows.append(DiffRow("insert", None, "", offset + 1, f"<ins>{escape(b[offset])}</ins>"))
    return rows


def diff_table(
    left: str,
    right: str,
    *,
    left_title: str,
    right_title: str,
    context: int = 2,
) -> str:
    """Return a side-by-side diff of two texts as an HTML table (titles are escaped).

    >>> html = diff_table("same", "same", left_title="kept", right_title="copy")
    >>> "Identical text" in html
    True
    """
    if [x for x in left.split("\n") if x.strip()] == [x for x in right.split("\n") if x.strip()]:
        lines = sum(1 for x in left.split("\n") if x.strip())
        return (
            f'<p class="same">Identical text ({lines} non-blank lines): '
            f"{escape(right_title)} matches {escape(left_title)} line for line.</p>"
        )
    out = [
        '<table class="diff"><colgroup><col class="no"><col class="text">'
        '<col class="no"><col class="text"></colgroup>',
        f'<thead><tr><th colspan="2">{escape(left_title)}</th>'
        f'<th colspan="2">{escape(right_title)}</th></tr></thead><tbody>',
    ]
    for row in diff_rows(left, right, context=context):
        if row.kind == "fold":
            out.append(f'<tr class="fold"><td colspan="4">&#8943; {row.left} &#8943;</td></tr>')
            continue
        left_no = "" if row.left_number is None else str(row.left_number)
        right_no = "" if row.right_number is None else str(row.right_number)
        out.append(
            f'<tr class="{row.kind}"><td class="no">{left_no}</td><td>{row.left}</td>'
            f'<td class="no">{right_no}</td><td>{row.right}</td></tr>'
        )
    out.append("</tbody></table>")
    return "".join(out)
