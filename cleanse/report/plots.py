"""Small inline SVG charts: no JavaScript, no fonts or scripts fetched from anywhere.

Two shapes cover the report: grouped columns over bins (lengths, cluster sizes,
similarities) and horizontal stacked bars of shares (removal per domain). Every
label is escaped; every bar carries a ``<title>`` so hovering shows the exact value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from html import escape
from itertools import pairwise

import numpy as np

# Colour-blind-safe pairs (Okabe-Ito): before/after and line/document removals.
COLOURS = ("#999999", "#0072b2", "#e69f00", "#d55e00", "#009e73")


def length_edges(max_value: int) -> list[int]:
    """Return 1-3-10 bin edges from 0 up to past `max_value`.

    >>> length_edges(250)
    [0, 10, 30, 100, 300]
    """
    edges = [0, 10]
    while edges[-1] <= max_value:
        edges.append(edges[-1] * 3 if str(edges[-1]).startswith("1") else edges[-1] * 10 // 3)
    return edges


def short_number(value: float) -> str:
    """Format a count the way an axis shows it.

    >>> [short_number(v) for v in (7, 1500, 30000, 2_500_000)]
    ['7', '1.5k', '30k', '2.5M']
    """
    for size, suffix in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if abs(value) >= size:
            shown = f"{value / size:.1f}".removesuffix(".0")
            return f"{shown}{suffix}"
    return f"{value:g}"


def bin_counts(values: Iterable[float] | np.ndarray, edges: Sequence[float]) -> list[int]:
    """Count `values` into ``[edges[i], edges[i+1])``; values outside go to the end bins.

    >>> bin_counts([0, 5, 10, 29, 30], [0, 10, 30])
    [2, 3]
    """
    array = values if isinstance(values, np.ndarray) else np.fromiter(values, dtype=float)
    if not array.size:
        return [0] * (len(edges) - 1)
    index = np.clip(np.searchsorted(edges, array, side="right") - 1, 0, len(edges) - 2)
    return [int(c) for c in np.bincount(index, minlength=len(edges) - 1)]


def length_bins(before: Sequence[int], after: Sequence[int]) -> tuple[list[str], list[list[int]]]:
    """Bin document lengths (characters) on a 1-3-10 scale; return labels and counts.

    >>> length_bins([5, 50], [5])
    (['<10', '10-30', '30-100'], [[1, 0, 1], [1, 0, 0]])
    """
    edges = length_edges(max([*before, *after, 1]))
    labels = ["<10"] + [f"{short_number(lo)}-{short_number(hi)}" for lo, hi in pairwise(edges[1:])]
    return labels, [bin_counts(before, edges), bin_counts(after, edges)]


SIZE_EDGES = (2, 3, 4, 5, 10, 20, 50, 100, 1000, 10_000)


def size_bins(sizes: Iterable[int] | np.ndarray) -> tuple[list[str], list[int]]:
    """Bin cluster sizes (2, 3, 4, 5-9, 10-19 ...); return labels and counts.

    >>> size_bins([2, 2, 3, 7, 12])
    (['2', '3', '4', '5-9', '10-19'], [2, 1, 0, 1, 1])
    """
    values = np.asarray(sizes if isinstance(sizes, np.ndarray) else list(sizes), dtype=np.int64)
    top = int(values.max()) if values.size else 2
    edges = [e for e in SIZE_EDGES if e <= top]
    edges.append(next((e for e in SIZE_EDGES if e > top), top + 1))
    labels = []
    for lo, hi in pairwise(edges):
        labels.append(str(lo) if hi - lo == 1 else f"{short_number(lo)}-{short_number(hi - 1)}")
    return labels, bin_counts(values, edges)


def similarity_bins(
    values: Sequence[float] | np.ndarray, *, step: float = 0.05
) -> tuple[list[str], list[int]]:
    """Bin similarities in `step` wide bins from below the smallest one up to 1.

    >>> similarity_bins([0.82, 0.91, 1.0, 1.0])
    (['0.80', '0.85', '0.90', '0.95', '1.00'], [1, 0, 1, 0, 2])
    """
    array = np.asarray(values, dtype=float)
    if not array.size:
        return [], []
    slots = round(1 / step)
    slot = np.clip(np.floor(array / step + 1e-6).astype(int), 0, slots)
    low = int(slot.min())
    counts = np.bincount(slot - low, minlength=slots - low + 1)
    labels = [f"{(low + i) * step:.2f}" for i in range(len(counts))]
    return labels, [int(c) for c in counts]


def column_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    *,
    x_label: str,
    y_label: str,
    width: int = 600,
    height: int = 260,
) -> str:
    """Return an SVG of grouped columns: one group per label, one column per series.

    >>> svg = column_chart(["a", "b"], [("n", [1, 3])], x_label="x", y_label="y")
    >>> svg.startswith("<svg") and svg.count("<rect") == 2
    True
    """
    left, right, top, bottom = 66, 10, 28, 48
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((v for _, values in series for v in values), default=0) or 1
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(y_label)} by {escape(x_label)}" '
        'xmlns="http://www.w3.org/2000/svg">'
    ]
    for tick in (0, 0.5, 1):
        y = top + plot_h * (1 - tick)
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">'
            f"{short_number(round(peak * tick, 1))}</text>"
        )
    groups = max(len(labels), 1)
    group_w = plot_w / groups
    bar_w = max(group_w * 0.8 / max(len(series), 1), 1)
    for g, label in enumerate(labels):
        x0 = left + g * group_w + group_w * 0.1
        for s, (name, values) in enumerate(series):
            value = values[g]
            bar_h = plot_h * value / peak
            x = x0 + s * bar_w
            y = top + plot_h - bar_h
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{bar_h:.1f}" '
                f'fill="{COLOURS[(s + (1 if len(series) == 1 else 0)) % len(COLOURS)]}">'
                f"<title>{escape(name)}, {escape(label)}: {value}</title></rect>"
            )
        if groups <= 12 or g % math.ceil(groups / 12) == 0:
            out.append(
                f'<text x="{left + (g + 0.5) * group_w:.1f}" y="{top + plot_h + 16}" '
                f'class="tick" text-anchor="middle">{escape(label)}</text>'
            )
    out.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 8}" class="axis" '
        f'text-anchor="middle">{escape(x_label)}</text>'
        f'<text x="12" y="{top + plot_h / 2:.1f}" class="axis" text-anchor="middle" '
        f'transform="rotate(-90 12 {top + plot_h / 2:.1f})">{escape(y_label)}</text>'
    )
    if len(series) > 1:
        out.extend(_legend([name for name, _ in series], x=left, y=14))
    out.append("</svg>")
    return "".join(out)


def _legend(names: Sequence[str], *, x: float, y: float, offset: int = 0) -> list[str]:
    out = []
    for i, name in enumerate(names):
        colour = COLOURS[(i + offset) % len(COLOURS)]
        out.append(
            f'<rect x="{x:.1f}" y="{y - 9}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14:.1f}" y="{y}" class="tick">{escape(name)}</text>'
        )
        x += 24 + 7 * len(name)
    return out


def share_bars(
    rows: Sequence[tuple[str, Sequence[float]]],
    series: Sequence[str],
    *,
    width: int = 600,
    label_chars: int = 30,
) -> str:
    """Return an SVG of horizontal stacked bars of shares (0 to 1), one row per label.

    >>> svg = share_bars([("example.com", [0.1, 0.2])], ["lines", "documents"])
    >>> "example.com" in svg and "30.0%" in svg
    True
    """
    row_h, top, label_w, tail_w = 22, 30, 210, 56
    height = top + row_h * len(rows) + 8
    plot_w = width - label_w - tail_w
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        'role="img" aria-label="share removed per domain" xmlns="http://www.w3.org/2000/svg">'
    ]
    out.extend(_legend(series, x=label_w, y=16, offset=2))
    for r, (label, shares) in enumerate(rows):
        y = top + r * row_h
        shown = (
            label
            if len(label) <= label_chars
            else label[: label_chars - 1] + "\N{HORIZONTAL ELLIPSIS}"
        )
        out.append(
            f'<text x="{label_w - 6}" y="{y + 14}" class="tick" text-anchor="end">'
            f"<title>{escape(label)}</title>{escape(shown)}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{plot_w}" height="{row_h - 6}" class="track"/>'
        )
        x = float(label_w)
        for s, share in enumerate(shares):
            bar_w = plot_w * max(0.0, min(1.0, share))
            out.append(
                f'<rect x="{x:.1f}" y="{y + 3}" width="{bar_w:.1f}" height="{row_h - 6}" '
                f'fill="{COLOURS[(s + 2) % len(COLOURS)]}">'
                f"<title>{escape(label)}: {escape(series[s])} {share:.1%}</title></rect>"
            )
            x += bar_w
        out.append(
            f'<text x="{label_w + plot_w + 6}" y="{y + 14}" class="tick">{sum(shares):.1%}</text>'
        )
    out.append("</svg>")
    return "".join(out)
