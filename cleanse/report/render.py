"""Turn ReportData into one self-contained HTML page.

No scripts, fonts or images are fetched: the stylesheet is inline, the plots are inline
SVG and navigation is plain anchors. Every string from the data (document text, ids,
urls, config values) goes through :func:`html.escape`; markup in scraped text shows
as text.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape

from cleanse.report import plots
from cleanse.report.data import Cluster, Document, ReportData, TopLine
from cleanse.report.diff import diff_table
from cleanse.report.replay import ShownLine, replay
from cleanse.report.style import CSS

SECTIONS = (
    ("summary", "Summary"),
    ("stages", "Stages"),
    ("boilerplate", "Boilerplate"),
    ("duplicates", "Duplicates"),
    ("plots", "Plots"),
    ("documents", "Documents"),
)


@dataclass(frozen=True, slots=True)
class Shown:
    """How many documents, clusters and members one rendering includes."""

    docs: int
    clusters: int
    members: int
    doc_chars: int

    def smaller(self) -> Shown | None:
        """Return about half as much, or None when already at the minimum."""
        if self.docs <= 1 and self.clusters <= 1 and self.members <= 1 and self.doc_chars <= 2000:
            return None
        return Shown(
            docs=max(1, self.docs // 2),
            clusters=max(1, self.clusters // 2),
            members=max(1, self.members // 2),
            doc_chars=max(2000, self.doc_chars // 2),
        )


def n(value: float) -> str:
    """Format a number with thousands separators.

    >>> n(1234567), n(0.5)
    ('1,234,567', '0.5')
    """
    return f"{value:,}" if isinstance(value, int) else f"{value:,.3g}"


def of(shown: int, total: int, noun: str) -> str:
    """Say how many of how many are shown.

    >>> of(3, 3, "clusters"), of(20, 1500, "clusters")
    ('3 clusters', 'showing 20 of 1,500 clusters')
    """
    return f"{n(total)} {noun}" if shown >= total else f"showing {n(shown)} of {n(total)} {noun}"


def table(
    head: Sequence[str], rows: Iterable[Sequence[str]], *, numeric: Iterable[int] = ()
) -> str:
    """Return an HTML table; cells must already be escaped HTML."""
    right = set(numeric)
    out = ["<table><thead><tr>"]
    out.extend(
        f'<th class="num">{h}</th>' if i in right else f"<th>{h}</th>" for i, h in enumerate(head)
    )
    out.append("</tr></thead><tbody>")
    for row in rows:
        cells = (
            f'<td class="num">{c}</td>' if i in right else f"<td>{c}</td>"
            for i, c in enumerate(row)
        )
        out.append(f"<tr>{''.join(cells)}</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def card(value: str, label: str) -> str:
    return (
        f'<div class="card"><div class="value">{value}</div><div class="label">{label}</div></div>'
    )


def render(data: ReportData, shown: Shown) -> str:
    """Return the whole page."""
    anchors = {doc.id: f"doc-{i + 1}" for i, doc in enumerate(data.documents[: shown.docs])}
    title = f"cleanse report: {data.shown_path.name}"
    body = [
        summary_section(data),
        stages_section(data),
        boilerplate_section(data),
        duplicates_section(data, shown, anchors),
        plots_section(data),
        documents_section(data, shown, anchors),
    ]
    nav = "".join(f'<a href="#{key}">{label}</a>' for key, label in SECTIONS)
    generated = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{escape(title)}</h1>"
        f"<p>{escape(str(data.shown_path))} &middot; report generated {generated}</p></header>"
        f"<nav>{nav}</nav><main>{''.join(body)}</main></body></html>"
    )


def sampling_note(data: ReportData) -> str:
    if not data.sampled:
        return ""
    return (
        '<p class="sampled">Large output: lengths, domains and removed lines come from a sample of '
        f"{n(data.clean_scanned)} of {n(data.clean_total)} kept and {n(data.rejects_scanned)} of "
        f"{n(data.rejects_total)} rejected documents. Totals and per-stage counts are exact.</p>"
    )


def summary_section(data: ReportData) -> str:
    stats, run = data.stats, data.run
    config = run.get("config", {})
    rows_in, rows_clean = stats.get("rows_in", 0), stats.get("rows_clean", 0)
    chars_in, chars_out = stats.get("chars_in", 0), stats.get("chars_out", 0)
    kept_share = f"{chars_out / chars_in:.1%} kept" if chars_in else ""
    cards = [
        card(n(rows_in), "documents in"),
        card(n(rows_clean), "documents kept"),
        card(n(stats.get("rows_rejected", 0)), "documents removed"),
        card(n(chars_in), "characters in"),
        card(n(chars_out), f"characters out {kept_share}"),
        card(f"{stats.get('seconds', 0):.1f} s", "run time"),
    ]
    facts = [
        ("pipeline", " &rarr; ".join(escape(str(s)) for s in config.get("pipeline", []))),
        ("inputs", escape(", ".join(str(i) for i in config.get("inputs", [])))),
        ("started", escape(str(run.get("started", "?")))),
        ("workers", escape(str(config.get("workers", "?")))),
        ("versions", escape(", ".join(f"{k} {v}" for k, v in run.get("versions", {}).items()))),
    ]
    fact_rows = [(f"<b>{k}</b>", v) for k, v in facts]
    pretty = escape(json.dumps(config, indent=2, ensure_ascii=False, default=str))
    return (
        '<section id="summary"><h2>Summary</h2>'
        f'<div class="cards">{"".join(cards)}</div>{sampling_note(data)}'
        f"{table(['', ''], fact_rows)}"
        f'<details><summary>Effective config (run.json)</summary><pre class="config">{pretty}</pre>'
        "</details></section>"
    )


def stages_section(data: ReportData) -> str:
    head = ["stage / reason", "rows in", "rows removed", "chars in", "chars out", "seconds"]
    rows: list[str] = []
    lines_by_stage: dict[str, list[tuple[str, int]]] = {}
    for (stage, reason), count in sorted(data.line_removals.items()):
        lines_by_stage.setdefault(stage, []).append((reason, count))
    for name, stage in data.stats.get("stages", {}).items():
        cells = [
            f"<b>{escape(name)}</b>",
            n(stage.get("rows_in", 0)),
            n(stage.get("rows_removed", 0)),
            n(stage.get("chars_in", 0)),
            n(stage.get("chars_out", 0)),
            f"{stage.get('seconds', 0):.2f}",
        ]
        rows.append("<tr>" + "".join(_cell(c, i) for i, c in enumerate(cells)) + "</tr>")
        for reason, count in stage.get("removed", {}).items():
            rows.append(_sub_row(f"documents: {escape(reason)}", "", n(count)))
        for reason, count in lines_by_stage.pop(name, []):
            rows.append(_sub_row(f"lines: {escape(name)}.{escape(reason)}", "", n(count)))
        for counter, count in stage.get("counters", {}).items():
            rows.append(_sub_row(f"{escape(counter)} (total)", "", n(count)))
    for name, reasons in lines_by_stage.items():  # line removals of stages without stats
        rows.append(f'<tr><td colspan="6"><b>{escape(name)}</b></td></tr>')
        for reason, count in reasons:
            rows.append(_sub_row(f"lines: {escape(name)}.{escape(reason)}", "", n(count)))
    line_note = (
        f"Line counts are over {n(data.clean_scanned)} scanned kept documents "
        f"({n(data.docs_with_removals)} had lines removed)."
    )
    header = "".join(_cell(h, i, tag="th") for i, h in enumerate(head))
    return (
        '<section id="stages"><h2>Stages</h2>'
        '<p class="note">Rows each stage saw and removed (by reason), characters before and '
        f"after it. {line_note}</p>"
        f"<table><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


def _cell(content: str, index: int, *, tag: str = "td") -> str:
    return f'<{tag} class="num">{content}</{tag}>' if index else f"<{tag}>{content}</{tag}>"


def _sub_row(label: str, rows_in: str, count: str) -> str:
    cells = f'<td>{label}</td><td class="num">{rows_in}</td><td class="num">{count}</td>'
    return f'<tr class="reason">{cells}<td></td><td></td><td></td></tr>'


def _lines_table(lines: Sequence[TopLine], label_head: str) -> str:
    rows = ([f"<code>{escape(t.line)}</code>", n(t.count), escape(t.label)] for t in lines)
    return table(["line", "removed", label_head], rows, numeric=[1])


def boilerplate_section(data: ReportData) -> str:
    out = ['<section id="boilerplate"><h2>Boilerplate</h2>']
    out.append("<h3>Most removed lines, per domain</h3>")
    if data.top_lines:
        out.append(
            f'<p class="note">From the <code>removed_lines</code> of {n(data.clean_scanned)} '
            "kept documents: how often each line was removed and by which stage and rule.</p>"
        )
        for domain, lines in data.top_lines.items():
            out.append(f"<h4>{escape(domain)}</h4>{_lines_table(lines, 'stage.reason')}")
    else:
        out.append('<p class="note">No lines were removed from kept documents.</p>')
    out.append("<h3>Learnt site dictionary (<code>boilerplate/</code>)</h3>")
    if data.dictionary:
        out.append(
            f'<p class="note">{of(len(data.dictionary), data.dictionary_domains, "domains")}, '
            f"{n(data.dictionary_lines)} template lines in all; top lines by removals.</p>"
        )
        for domain, lines in data.dictionary.items():
            out.append(f"<h4>{escape(domain)}</h4>{_lines_table(lines, 'seen')}")
    else:
        out.append('<p class="note">site_boilerplate learnt no template lines in this run.</p>')
    out.append("</section>")
    return "".join(out)


def duplicates_section(data: ReportData, shown: Shown, anchors: dict[str, str]) -> str:
    out = ['<section id="duplicates"><h2>Duplicates</h2>']
    total = len(data.cluster_sizes)
    if not total:
        out.append('<p class="note">No duplicate clusters in this run.</p></section>')
        return "".join(out)
    clusters = data.clusters[: shown.clusters]
    out.append(
        f'<p class="note">{of(len(clusters), total, "clusters")} (largest first), '
        f"{n(int(data.cluster_sizes.sum()))} documents in clusters. Each member is diffed against "
        "the document kept in its place; least similar members first.</p>"
    )
    for number, cluster in enumerate(clusters):
        out.append(cluster_block(cluster, shown, anchors, open_=number < 3))
    out.append("</section>")
    return "".join(out)


def _doc_link(doc_id: str, anchors: dict[str, str]) -> str:
    anchor = anchors.get(doc_id)
    label = f"<code>{escape(doc_id)}</code>"
    return f'<a href="#{anchor}">{label}</a>' if anchor else label


def cluster_block(cluster: Cluster, shown: Shown, anchors: dict[str, str], *, open_: bool) -> str:
    members = cluster.members[: shown.members]
    more = cluster.size - 1
    opened = " open" if open_ else ""
    out = [
        f'<details class="cluster" id="cluster-{escape(cluster.cluster_id)}"{opened}>'
        f"<summary>{escape(cluster.kind)} cluster of {n(cluster.size)} documents "
        f'<span class="tag">{escape(cluster.cluster_id)}</span></summary>'
        f"<p>kept: {_doc_link(cluster.kept_id, anchors)}"
        f"{_status_tag(cluster.kept)} &middot; {of(len(members), more, 'removed members')}</p>"
    ]
    kept_text = cluster.kept.text if cluster.kept else ""
    for member in members:
        reason = member.document.reason if member.document else None
        out.append(
            f"<h4>{_doc_link(member.id, anchors)} &middot; similarity {member.similarity:.3f}"
            f" &middot; {escape(reason or member.kind)}</h4>"
        )
        if member.document is None or cluster.kept is None:
            out.append('<p class="note">Text not found in clean/ or rejects/.</p>')
            continue
        out.append(
            diff_table(
                _cut(kept_text, shown.doc_chars),
                _cut(member.document.text, shown.doc_chars),
                left_title=f"kept: {cluster.kept_id}",
                right_title=f"removed: {member.id}",
            )
        )
    out.append("</details>")
    return "".join(out)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit]


def _status_tag(document: Document | None) -> str:
    if document is None:
        return ""
    label = "kept" if document.status == "clean" else f"later removed: {document.reason}"
    return f' <span class="tag {escape(document.status)}">{escape(label)}</span>'


def plots_section(data: ReportData) -> str:
    figures = []
    labels, (before, after) = plots.length_bins(data.lengths_before, data.lengths_after)
    figures.append(
        _figure(
            "Document length before and after",
            plots.column_chart(
                labels,
                [("before (all documents)", before), ("after (kept)", after)],
                x_label="characters",
                y_label="documents",
            ),
        )
    )
    if len(data.cluster_sizes):
        labels, counts = plots.size_bins(data.cluster_sizes)
        figures.append(
            _figure(
                "Duplicate cluster sizes",
                plots.column_chart(
                    labels,
                    [("clusters", counts)],
                    x_label="documents in cluster",
                    y_label="clusters",
                ),
            )
        )
    if len(data.similarities):
        labels, counts = plots.similarity_bins(data.similarities)
        figures.append(
            _figure(
                "Similarity of removed duplicates to the kept document",
                plots.column_chart(
                    labels, [("documents", counts)], x_label="similarity", y_label="documents"
                ),
            )
        )
    if data.domains:
        rows = [(row.domain, row.shares) for row in data.domains]
        chart = plots.share_bars(rows, ["lines removed", "documents removed"])
        shown_domains = of(len(rows), data.domains_total, "domains")
        caption = f"Share of characters removed per domain ({shown_domains})"
        figures.append(_figure(caption, chart))
    note = sampling_note(data)
    body = f'<div class="plots">{"".join(figures)}</div>'
    return f'<section id="plots"><h2>Plots</h2>{note}{body}</section>'


def _figure(caption: str, svg: str) -> str:
    return f"<figure><figcaption>{escape(caption)}</figcaption>{svg}</figure>"


def documents_section(data: ReportData, shown: Shown, anchors: dict[str, str]) -> str:
    documents = data.documents[: shown.docs]
    out = ['<section id="documents"><h2>Documents</h2>']
    if not documents:
        out.append('<p class="note">No documents to show.</p></section>')
        return "".join(out)
    out.append(
        f'<p class="note">{of(len(documents), data.clean_total + data.rejects_total, "documents")}'
        ": the kept documents with the most removed lines, then examples of every rejection "
        "reason. Removed lines are struck through and labelled with the stage and rule "
        "that removed them.</p>"
    )
    index_rows = [
        (
            f'<a href="#{anchors[doc.id]}">{escape(doc.id)}</a>',
            escape(doc.domain or ""),
            escape(doc.status if doc.status == "clean" else f"rejected: {doc.reason}"),
            n(len(doc.removed)),
        )
        for doc in documents
    ]
    out.append(table(["document", "domain", "status", "lines removed"], index_rows, numeric=[3]))
    for doc in documents:
        out.append(document_block(doc, anchors[doc.id], shown.doc_chars))
    out.append("</section>")
    return "".join(out)


def document_block(doc: Document, anchor: str, limit: int) -> str:
    out = [f'<article class="doc" id="{anchor}"><h3>{escape(doc.id)}{_status_tag(doc)}</h3>']
    facts = [escape(x) for x in (doc.url, doc.domain) if x]
    if facts:
        out.append(f'<p class="note">{" &middot; ".join(facts)}</p>')
    if doc.status == "rejected":
        detail = f" ({escape(doc.detail)})" if doc.detail else ""
        out.append(
            f'<p class="banner">Removed whole by <b>{escape(doc.stage or "?")}</b>: '
            f"{escape(doc.reason or '?')}{detail}. The text below is as it was when removed.</p>"
        )
    lines = replay(doc.text, doc.removed)
    out.append(f'<div class="doctext">{render_lines(lines, limit)}</div></article>')
    return "".join(out)


def render_lines(lines: Sequence[ShownLine], limit: int) -> str:
    """Return the document's lines as HTML, removed ones struck through and labelled.

    >>> html = render_lines([ShownLine("<b>hi</b>"), ShownLine("x", "s", "r")], 100)
    >>> for part in html.split("</div>")[:2]:
    ...     print(part)
    <div class="l">&lt;b&gt;hi&lt;/b&gt;
    <div class="l removed"><del>x</del><span class="tag">s &middot; r</span>
    """
    out: list[str] = []
    used = 0
    for position, line in enumerate(lines):
        if used > limit:
            left = sum(len(x.text) + 1 for x in lines[position:])
            out.append(f'<div class="cut">&hellip; {n(left)} more characters not shown</div>')
            break
        used += len(line.text) + 1
        if not line.text.strip():
            out.append('<div class="l gap"></div>')
        elif line.removed:
            label = f"{escape(line.stage or '')} &middot; {escape(line.reason or '')}"
            out.append(
                f'<div class="l removed"><del>{escape(line.text)}</del>'
                f'<span class="tag">{label}</span></div>'
            )
        else:
            out.append(f'<div class="l">{escape(line.text)}</div>')
    return "".join(out)
