"""The run report: one self-contained HTML page a person reads instead of logs.

``build_report(output)`` reads a cleanse output folder (``stats.json``, ``run.json``,
``clean/``, ``rejects/``, ``duplicates/``, ``boilerplate/``) and writes
``output/report.html``: the summary, removals per stage and reason, the most removed
boilerplate lines per domain, the largest duplicate clusters with side-by-side diffs,
plots, and a per-document view with removed lines struck through. Large outputs are
sampled, and the page is cut down until it fits `max_bytes`; it says what it left out.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq

from cleanse.report.data import NO_DOMAIN, Limits, load
from cleanse.report.render import Shown, render
from cleanse.report.tables import parts
from cleanse.schema import DOMAIN

__all__ = ["REPORT_NAME", "Limits", "build_report", "domain_table"]

logger = logging.getLogger(__name__)

REPORT_NAME = "report.html"
# 5 MB opens instantly in any browser and is fine as an e-mail attachment or CI artefact.
DEFAULT_MAX_BYTES = 5_000_000


def build_report(
    output: Path | str,
    *,
    limits: Limits | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Path:
    """Write ``output/report.html`` from the output folder `output` and return its path.

    Args:
        output: A cleanse output folder, or a run's staging folder before it is moved
            into place (only ``stats.json`` is required).
        limits: How many documents, clusters and rows to read and show; see
            :class:`Limits` for the defaults.
        max_bytes: Upper bound on the page size. 5,000,000 (default). When the page is
            larger, it is rendered again with half the documents, clusters and members
            until it fits (or cannot shrink further, which is logged).

    Raises:
        InputError: `output` has no ``stats.json``.
    """
    output = Path(output)
    limits = limits or Limits()
    data = load(output, limits)
    shown: Shown | None = Shown(
        docs=limits.max_docs,
        clusters=limits.max_clusters,
        members=limits.max_members,
        doc_chars=limits.max_doc_chars,
    )
    page = ""
    while shown is not None:
        page = render(data, shown)
        size = len(page.encode("utf-8"))
        if size <= max_bytes:
            break
        logger.info("report: %d bytes is over %d; showing less", size, max_bytes)
        shown = shown.smaller()
    else:
        logger.warning("report: %d bytes even at its smallest (max_bytes %d)", size, max_bytes)
    path = output / REPORT_NAME
    tmp = output / f".{REPORT_NAME}.tmp"
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)
    return path


def domain_table(output: Path | str, *, top: int = 10) -> str:
    """Return the top domains by input documents as a text table (for the CLI).

    Reads only the ``domain`` column of ``clean/`` and ``rejects/``.
    """
    output = Path(output)
    kept: Counter[str] = Counter()
    removed: Counter[str] = Counter()
    for name, counter in (("clean", kept), ("rejects", removed)):
        for path in parts(output / name):
            column = pq.read_table(path, columns=[DOMAIN]).column(DOMAIN)
            for value in column.value_counts().to_pylist():
                counter[value["values"] or NO_DOMAIN] += value["counts"]
    total = kept + removed
    if not total:
        return "no documents"
    width = max(len("domain"), *(len(d) for d, _ in total.most_common(top)))
    lines = [f"{'domain':<{width}}{'docs in':>10}{'kept':>10}{'removed':>10}{'removed %':>11}"]
    for domain, count in total.most_common(top):
        share = removed[domain] / count
        lines.append(
            f"{domain:<{width}}{count:>10}{kept[domain]:>10}{removed[domain]:>10}{share:>11.1%}"
        )
    if len(total) > top:
        lines.append(f"... and {len(total) - top} more domains")
    return "\n".join(lines)
