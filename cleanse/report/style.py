"""The report's stylesheet, inlined into the page (no fonts or files fetched)."""

from __future__ import annotations

CSS = """
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg-soft: #f6f8fa;
  --del: #ffebe9; --del-strong: #ffcecb; --ins: #dafbe1; --ins-strong: #aceebb;
  --accent: #0072b2; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #fff; line-height: 1.45;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; }
header { padding: 18px 28px 10px; border-bottom: 1px solid var(--line); }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 2px 0; color: var(--muted); }
nav { position: sticky; top: 0; z-index: 2; background: #fff; padding: 8px 28px;
  border-bottom: 1px solid var(--line); }
nav a { margin-right: 18px; color: var(--accent); text-decoration: none; font-weight: 600; }
main { padding: 0 28px 40px; max-width: 1400px; }
section { margin-top: 26px; }
section, article.doc, details.cluster { scroll-margin-top: 48px; }
h2 { font-size: 18px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
h4 { font-size: 14px; margin: 14px 0 4px; }
.note { color: var(--muted); font-size: 13px; }
.sampled { background: #fff8c5; border: 1px solid #d4a72c; padding: 6px 10px;
  border-radius: 6px; display: inline-block; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; min-width: 170px;
  background: var(--bg-soft); }
.card .value { font-size: 22px; font-weight: 600; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase;
  letter-spacing: .04em; }
table { border-collapse: collapse; margin: 6px 0 12px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: left;
  vertical-align: top; }
th { background: var(--bg-soft); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.reason td { color: var(--muted); border-bottom-style: dotted; }
tr.reason td:first-child { padding-left: 26px; }
td.line { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px;
  white-space: pre-wrap; word-break: break-word; max-width: 760px; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 12.5px; }
pre.config { background: var(--bg-soft); padding: 10px; border-radius: 6px; overflow: auto;
  max-height: 420px; }
.tag { display: inline-block; font-size: 11px; padding: 0 6px; border-radius: 10px;
  background: #ddf4ff; color: #0550ae; white-space: nowrap; margin-left: 6px;
  font-family: system-ui, sans-serif; }
.tag.rejected { background: var(--del-strong); color: #82071e; }
.tag.clean { background: var(--ins); color: #116329; }
.plots { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 18px; }
figure { margin: 0; }
figcaption { font-weight: 600; margin-bottom: 4px; }
svg.chart { max-width: 100%; height: auto; font-family: system-ui, sans-serif; }
svg .grid { stroke: #e5e7eb; }
svg .tick { font-size: 11px; fill: #444; }
svg .axis { font-size: 12px; fill: #222; }
svg .track { fill: #f1f3f5; }
details.cluster { border: 1px solid var(--line); border-radius: 8px; margin: 10px 0;
  padding: 6px 12px; }
details.cluster > summary { cursor: pointer; font-weight: 600; }
table.diff { width: 100%; table-layout: fixed; font-family: ui-monospace, SFMono-Regular,
  Menlo, Consolas, monospace; font-size: 12px; }
table.diff col.no { width: 44px; }
table.diff td { white-space: pre-wrap; word-break: break-word; padding: 2px 6px; }
table.diff td.no { color: var(--muted); text-align: right; user-select: none; }
table.diff tr.delete td:nth-child(2),
table.diff tr.replace td:nth-child(2) { background: var(--del); }
table.diff tr.insert td:nth-child(4),
table.diff tr.replace td:nth-child(4) { background: var(--ins); }
table.diff tr.fold td { text-align: center; color: var(--muted); background: var(--bg-soft); }
table.diff del { background: var(--del-strong); text-decoration: line-through; }
table.diff ins { background: var(--ins-strong); text-decoration: none; }
p.same { color: #116329; }
article.doc { border: 1px solid var(--line); border-radius: 8px; margin: 14px 0;
  padding: 8px 14px; }
article.doc:target { outline: 3px solid var(--accent); }
article.doc h3 { margin-top: 4px; word-break: break-all; }
.doctext { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 12.5px; border-left: 3px solid var(--line); padding-left: 10px; }
.doctext .l { white-space: pre-wrap; word-break: break-word; min-height: 1.2em; }
.doctext .l.gap { min-height: .6em; }
.doctext .l.removed { background: var(--del); }
.doctext .l.removed del { color: #82071e; text-decoration-thickness: 1px; }
.doctext .cut { color: var(--muted); font-style: italic; }
.banner { background: var(--del); border: 1px solid var(--del-strong); border-radius: 6px;
  padding: 6px 10px; margin: 6px 0; }
"""
