"""Load what the report shows from an output folder, sampling the large tables.

``stats.json`` and ``run.json`` give exact totals. ``clean/`` and ``rejects/`` can be
far larger than a page: up to `scan_rows` rows of each are read, from row groups spread
evenly over the parts (every part's row groups hold consecutive batches of one shard),
and the report says when it sampled. ``duplicates/`` holds ids and scores only and is
read whole; the texts of the clusters shown are then looked up by id.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cleanse.errors import InputError
from cleanse.report.replay import RemovedLine
from cleanse.report.tables import column_values, count_rows, parts, read_rows, sample_tables
from cleanse.schema import DOMAIN, ID, REJECT_DETAIL, REJECT_REASON, REMOVED_LINES, STAGE, TEXT, URL

logger = logging.getLogger(__name__)

NO_DOMAIN = "(no domain)"
DOCUMENT_COLUMNS = (ID, TEXT, URL, DOMAIN, STAGE, REJECT_REASON, REJECT_DETAIL, REMOVED_LINES)
STAGING_SUFFIX = ".cleanse-partial"
# Bound the line counter on corpora with millions of distinct removed lines.
MAX_DISTINCT_LINES = 500_000


@dataclass(frozen=True, slots=True)
class Limits:
    """How much of a large output the report shows.

    Args:
        max_docs: Documents in the per-document view. 40 (default): the documents
            with the most removed lines plus examples of every rejection reason.
        max_clusters: Duplicate clusters shown with diffs, largest first. 20 (default).
        max_members: Members diffed per cluster, least similar first. 6 (default).
        max_doc_chars: Characters of one document shown before cutting. 20,000
            (default): a long article, not a book.
        max_domains: Domains in the per-domain tables and plot. 20 (default).
        max_lines: Top removed lines shown per domain. 10 (default).
        scan_rows: Rows of ``clean/`` and of ``rejects/`` read for lengths, domains and
            removed lines. 200,000 (default) reads in seconds.
    """

    max_docs: int = 40
    max_clusters: int = 20
    max_members: int = 6
    max_doc_chars: int = 20_000
    max_domains: int = 20
    max_lines: int = 10
    scan_rows: int = 200_000


@dataclass(frozen=True, slots=True)
class Document:
    """A document for the per-document view: kept (with removed lines) or rejected."""

    id: str
    status: str  # clean | rejected
    text: str
    url: str | None = None
    domain: str | None = None
    stage: str | None = None
    reason: str | None = None
    detail: str | None = None
    removed: tuple[RemovedLine, ...] = ()


@dataclass(frozen=True, slots=True)
class Member:
    """A document of a duplicate cluster other than the kept one."""

    id: str
    similarity: float
    kind: str
    document: Document | None


@dataclass(frozen=True, slots=True)
class Cluster:
    """A duplicate cluster: its kept document and (some of) its members."""

    cluster_id: str
    kind: str
    size: int
    kept_id: str
    kept: Document | None
    members: tuple[Member, ...]


@dataclass(slots=True)
class DomainRow:
    """Documents and characters of one domain (over the scanned rows)."""

    domain: str
    docs_clean: int = 0
    docs_rejected: int = 0
    chars_kept: int = 0
    chars_lines: int = 0  # removed as lines from kept documents
    chars_rejected: int = 0  # in rejected documents

    @property
    def chars_before(self) -> int:
        return self.chars_kept + self.chars_lines + self.chars_rejected

    @property
    def shares(self) -> tuple[float, float]:
        total = self.chars_before or 1
        return self.chars_lines / total, self.chars_rejected / total


@dataclass(frozen=True, slots=True)
class TopLine:
    """A removed line and how often it was removed."""

    line: str
    count: int
    label: str  # "stage.reason" or "dictionary: in N docs"


@dataclass(slots=True)
class ReportData:
    """Everything the page shows; the renderer only formats it."""

    output: Path  # the folder read (may be a run's staging folder)
    shown_path: Path  # the folder the report is about, as the reader knows it
    stats: dict[str, Any]
    run: dict[str, Any]
    limits: Limits
    clean_total: int = 0
    clean_scanned: int = 0
    rejects_total: int = 0
    rejects_scanned: int = 0
    lengths_before: list[int] = field(default_factory=list)
    lengths_after: list[int] = field(default_factory=list)
    line_removals: Counter[tuple[str, str]] = field(default_factory=Counter)
    docs_with_removals: int = 0
    top_lines: dict[str, list[TopLine]] = field(default_factory=dict)
    dictionary: dict[str, list[TopLine]] = field(default_factory=dict)
    dictionary_lines: int = 0
    dictionary_domains: int = 0
    domains: list[DomainRow] = field(default_factory=list)
    domains_total: int = 0
    cluster_sizes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    similarities: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    clusters: list[Cluster] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)

    @property
    def sampled(self) -> bool:
        return self.clean_scanned < self.clean_total or self.rejects_scanned < self.rejects_total


def final_path(output: Path) -> Path:
    """Return where `output` will live: a run's staging folder is renamed to OUT.

    The engine builds ``.OUT.cleanse-partial`` beside ``OUT`` (see
    ``cleanse.engine.output``), and the report is written before that rename.

    >>> final_path(Path("/data/.out.cleanse-partial")).as_posix()
    '/data/out'
    >>> final_path(Path("/data/out")).as_posix()
    '/data/out'
    """
    name = output.name
    if name.startswith(".") and name.endswith(STAGING_SUFFIX):
        return output.with_name(name[1 : -len(STAGING_SUFFIX)])
    return output


def stable_key(text: str) -> int:
    """Return a hash of `text` that is the same in every process and run.

    >>> stable_key("a") == stable_key("a") != stable_key("b")
    True
    """
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


def read_json(path: Path) -> dict[str, Any]:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def load(output: Path, limits: Limits) -> ReportData:
    """Read an output folder (finished, or a run's staging folder) into ReportData."""
    if not (output / "stats.json").is_file():
        msg = (
            f"input error: {output} is not a cleanse output folder (no stats.json)\n"
            "  hint: pass the --output folder of a finished `cleanse run`"
        )
        raise InputError(msg)
    data = ReportData(
        output=output,
        shown_path=final_path(output.absolute()),
        stats=read_json(output / "stats.json"),
        run=read_json(output / "run.json"),
        limits=limits,
    )
    domains: dict[str, DomainRow] = {}
    candidates = _scan_clean(output, data, domains)
    examples = _scan_rejects(output, data, domains)
    ranked = sorted(domains.values(), key=lambda row: (-row.chars_before, row.domain))
    data.domains_total = len(ranked)
    data.domains = ranked[: limits.max_domains]
    _load_dictionary(output, data)
    _load_clusters(output, data)
    data.documents = _choose_documents(candidates, examples, limits.max_docs)
    return data


def _domain(domains: dict[str, DomainRow], name: str | None) -> DomainRow:
    key = name or NO_DOMAIN
    row = domains.get(key)
    if row is None:
        row = domains[key] = DomainRow(domain=key)
    return row


def _scan_clean(output: Path, data: ReportData, domains: dict[str, DomainRow]) -> list[Document]:
    """Count lengths, domains and removed lines; keep the documents most worth showing."""
    paths = parts(output / "clean")
    data.clean_total = count_rows(paths)
    limit = data.limits.max_docs
    heap: list[tuple[int, int, str, Document]] = []
    lines: Counter[tuple[str, str, str]] = Counter()
    columns = [ID, TEXT, URL, DOMAIN, REMOVED_LINES]
    for table in sample_tables(paths, columns, data.limits.scan_rows):
        data.clean_scanned += table.num_rows
        rows = zip(
            column_values(table, ID),
            column_values(table, TEXT),
            column_values(table, URL),
            column_values(table, DOMAIN),
            column_values(table, REMOVED_LINES),
            strict=True,
        )
        for doc_id, text, url, domain, removed_rows in rows:
            removed = tuple(RemovedLine.from_row(r) for r in removed_rows or ())
            after = len(text or "")
            removed_chars = sum(len(r.line) + 1 for r in removed)
            data.lengths_after.append(after)
            data.lengths_before.append(after + removed_chars)
            row = _domain(domains, domain)
            row.docs_clean += 1
            row.chars_kept += after
            row.chars_lines += removed_chars
            if removed:
                data.docs_with_removals += 1
            for r in removed:
                data.line_removals[(r.stage, r.reason)] += 1
                lines[(row.domain, f"{r.stage}.{r.reason}", r.line.strip())] += 1
            if len(lines) > MAX_DISTINCT_LINES:
                lines = Counter(dict(lines.most_common(MAX_DISTINCT_LINES // 5)))
            score = (len(removed), -stable_key(doc_id))
            if limit and (len(heap) < limit or score > heap[0][:2]):
                document = Document(
                    id=doc_id,
                    status="clean",
                    text=text or "",
                    url=url,
                    domain=domain,
                    removed=removed,
                )
                entry = (*score, doc_id, document)
                if len(heap) < limit:
                    heapq.heappush(heap, entry)
                else:
                    heapq.heapreplace(heap, entry)
    per_domain: dict[str, list[TopLine]] = defaultdict(list)
    for (domain, label, line), count in lines.most_common():
        if len(per_domain[domain]) < data.limits.max_lines:
            per_domain[domain].append(TopLine(line=line, count=count, label=label))
    order = sorted(per_domain, key=lambda d: (-sum(t.count for t in per_domain[d]), d))
    data.top_lines = {d: per_domain[d] for d in order[: data.limits.max_domains]}
    return [entry[3] for entry in sorted(heap, reverse=True)]


def _scan_rejects(
    output: Path, data: ReportData, domains: dict[str, DomainRow]
) -> dict[str, list[Document]]:
    """Count rejected documents per domain; keep a few examples of every reason."""
    paths = parts(output / "rejects")
    data.rejects_total = count_rows(paths)
    per_reason = max(1, data.limits.max_docs // 4)
    examples: dict[str, list[tuple[int, Document]]] = defaultdict(list)
    columns = [ID, STAGE, REJECT_REASON, REJECT_DETAIL, TEXT, URL, DOMAIN]
    for table in sample_tables(paths, columns, data.limits.scan_rows):
        data.rejects_scanned += table.num_rows
        rows = zip(*(column_values(table, name) for name in columns), strict=True)
        for doc_id, stage, reason, detail, text, url, domain in rows:
            size = len(text or "")
            data.lengths_before.append(size)
            row = _domain(domains, domain)
            row.docs_rejected += 1
            row.chars_rejected += size
            kept = examples[reason]
            key = stable_key(doc_id)
            if len(kept) < per_reason or key < kept[-1][0]:
                document = Document(
                    id=doc_id,
                    status="rejected",
                    text=text or "",
                    url=url,
                    domain=domain,
                    stage=stage,
                    reason=reason,
                    detail=detail,
                )
                kept.append((key, document))
                kept.sort(key=lambda pair: pair[0])
                del kept[per_reason:]
    return {reason: [doc for _, doc in kept] for reason, kept in sorted(examples.items())}


def _choose_documents(
    candidates: list[Document], examples: dict[str, list[Document]], limit: int
) -> list[Document]:
    """Take rejected examples round-robin over reasons (up to a third), then clean ones."""
    rejected: list[Document] = []
    budget = limit // 3 if candidates else limit
    queues = [list(docs) for docs in examples.values()]
    while len(rejected) < budget and any(queues):
        for queue in queues:
            if queue and len(rejected) < budget:
                rejected.append(queue.pop(0))
    clean = candidates[: limit - len(rejected)]
    return [*clean, *rejected]


def _load_dictionary(output: Path, data: ReportData) -> None:
    paths = parts(output / "boilerplate")
    if not paths:
        return
    table = pq.read_table(paths, columns=[DOMAIN, "line", "doc_count", "removed_count"])
    data.dictionary_lines = table.num_rows
    if not table.num_rows:
        return
    table = table.sort_by([("removed_count", "descending"), ("doc_count", "descending")])
    per_domain: dict[str, list[TopLine]] = defaultdict(list)
    totals: Counter[str] = Counter()
    for row in table.to_pylist():
        domain = row[DOMAIN] or NO_DOMAIN
        totals[domain] += row["removed_count"]
        if len(per_domain[domain]) < data.limits.max_lines:
            label = f"in {row['doc_count']} documents"
            per_domain[domain].append(TopLine(row["line"], row["removed_count"], label))
    data.dictionary_domains = len(per_domain)
    order = sorted(per_domain, key=lambda d: (-totals[d], d))[: data.limits.max_domains]
    data.dictionary = {d: per_domain[d] for d in order}


def _load_clusters(output: Path, data: ReportData) -> None:
    paths = parts(output / "duplicates")
    if not paths:
        return
    table = pq.read_table(paths, columns=["cluster_id", ID, "kept_id", "similarity", "kind"])
    if not table.num_rows:
        return
    sizes = table.group_by("cluster_id").aggregate([(ID, "count")])
    size_of = dict(
        zip(
            sizes.column("cluster_id").to_pylist(),
            sizes.column(f"{ID}_count").to_pylist(),
            strict=True,
        )
    )
    data.cluster_sizes = sizes.column(f"{ID}_count").to_numpy()
    not_kept = pc.not_equal(table.column(ID), table.column("kept_id"))
    data.similarities = table.filter(not_kept).column("similarity").to_numpy()
    chosen = sorted(size_of, key=lambda c: (-size_of[c], c))[: data.limits.max_clusters]
    rows = table.filter(pc.is_in(table.column("cluster_id"), pa.array(chosen))).to_pylist()
    by_cluster: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_cluster[row["cluster_id"]].append(row)
    wanted: set[str] = set()
    picked: dict[str, list[dict[str, Any]]] = {}
    for cluster_id in chosen:
        members = [r for r in by_cluster[cluster_id] if r[ID] != r["kept_id"]]
        members.sort(key=lambda r: (r["similarity"], r[ID]))
        picked[cluster_id] = members[: data.limits.max_members]
        wanted.add(by_cluster[cluster_id][0]["kept_id"])
        wanted.update(r[ID] for r in picked[cluster_id])
    documents = lookup_documents(output, wanted)
    for cluster_id in chosen:
        first = by_cluster[cluster_id][0]
        members = tuple(
            Member(r[ID], float(r["similarity"]), r["kind"], documents.get(r[ID]))
            for r in picked[cluster_id]
        )
        data.clusters.append(
            Cluster(
                cluster_id=cluster_id,
                kind=first["kind"],
                size=size_of[cluster_id],
                kept_id=first["kept_id"],
                kept=documents.get(first["kept_id"]),
                members=members,
            )
        )


def lookup_documents(output: Path, ids: set[str]) -> dict[str, Document]:
    """Return the clean or rejected row of each id (a kept doc may be removed later).

    Looking up a few documents in a large output costs a scan of its ids (see
    :func:`read_rows`), not of its text.
    """
    found: dict[str, Document] = {}
    for kind in ("rejects", "clean"):
        for row in read_rows(parts(output / kind), ids, DOCUMENT_COLUMNS):
            found[row[ID]] = Document(
                id=row[ID],
                status="clean" if kind == "clean" else "rejected",
                text=row.get(TEXT) or "",
                url=row.get(URL),
                domain=row.get(DOMAIN),
                stage=row.get(STAGE),
                reason=row.get(REJECT_REASON),
                detail=row.get(REJECT_DETAIL),
                removed=tuple(RemovedLine.from_row(r) for r in row.get(REMOVED_LINES) or ()),
            )
    return found
