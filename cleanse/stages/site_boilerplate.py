"""Learn each site's template lines from the corpus and remove them everywhere on it.

A line (normalised: case-folded, digits folded to 0, whitespace collapsed) that occurs
in many documents of one ``domain`` is that site's chrome: navigation, footer, promo,
"Related News" header. Thresholds are relative to the domain's document count, so a
footer on 40 of 50 pages goes and a quote repeated in two articles stays. Documents
without a url form one corpus-wide group with stricter thresholds. Identical documents
count once, so a page crawled twice does not make its own lines look like a template
(exact duplicates are exact_dedup's job, later in the pipeline).

Collect emits, per live document, one row per distinct short line (domain, document
hash, line hash, the line itself: the dictionary shows one spelling of it) plus one row
for the document itself; no text body crosses the barrier. The learnt dictionary is
written to ``boilerplate/`` for review and can be fed to a later run with
``dictionary = "OLD_OUT/boilerplate"``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import xxhash

from cleanse.schema import BOILERPLATE_SCHEMA, DOMAIN, REMOVED_LINES, REMOVED_LINES_FIELD, TEXT
from cleanse.stages.base import (
    add_removed_lines,
    live_mask,
    mark_removed,
    nonblank_index,
    set_column,
)

EMPTY = "site_boilerplate.empty"
TEMPLATE = "template"  # the per-line reason recorded in removed_lines
LINES_REMOVED = "site_lines_removed"
CHARS_REMOVED = "site_chars_removed"

DOC = "doc_hash"
LINE_HASH = "line_hash"
LINE = "line"
KEY_SCHEMA = pa.schema(
    [
        pa.field(DOMAIN, pa.string()),
        pa.field(DOC, pa.uint64()),
        pa.field(LINE_HASH, pa.uint64()),
        pa.field(LINE, pa.string()),
    ]
)
TEMPLATE_SCHEMA = pa.schema([pa.field(DOMAIN, pa.string()), pa.field(LINE_HASH, pa.uint64())])

NO_DOMAIN = ""
_DIGITS = re.compile(r"\d+")
_BLANK_RUNS = re.compile(r"\n{3,}")


def normalize_line(line: str) -> str:
    """Return a line as site mining compares it: case-folded, digits as 0, one space.

    >>> normalize_line("  © 2015  Al Jazeera America, LLC ")
    '© 0 al jazeera america, llc'
    """
    return _DIGITS.sub("0", " ".join(line.casefold().split()))


def line_hash(normalized: str) -> int:
    """Return the 64-bit hash of a normalised line (never 0: 0 marks document rows)."""
    return xxhash.xxh3_64_intdigest(normalized.encode("utf-8")) or 1


def remove_lines(
    text: str, drop: frozenset[int] | set[int], *, max_line_chars: int
) -> tuple[str, list[tuple[int, str]]]:
    """Remove lines whose normalised hash is in `drop`.

    Return the new text and the removed lines as (position among non-blank lines,
    line). Blank lines left in a run by the removal collapse to one paragraph break.

    >>> drop = {line_hash(normalize_line("Share this"))}
    >>> remove_lines("Title\\n\\nShare this\\n\\nBody.", drop, max_line_chars=200)
    ('Title\\n\\nBody.', [(1, 'Share this')])
    """
    if not drop:
        return text, []
    kept: list[str] = []
    removed: list[tuple[int, str]] = []
    lines = text.split("\n")
    for line, at in zip(lines, nonblank_index(lines), strict=True):
        stripped = line.strip()
        short = stripped and len(stripped) <= max_line_chars
        if short and line_hash(normalize_line(stripped)) in drop:
            removed.append((at, line))
            continue
        kept.append(line)
    if not removed:
        return text, []
    return _BLANK_RUNS.sub("\n\n", "\n".join(kept)).strip("\n"), removed


def document_keys(
    text: str, *, max_line_chars: int, removed: Iterable[str] = ()
) -> tuple[int, dict[int, str]]:
    """Return (document hash, {line hash: the line as first seen}) of its short lines.

    `removed` are lines earlier stages took out of the document: they count as its lines.
    The hash is of `text` alone.
    """
    lines: dict[int, str] = {}
    for line in itertools.chain(text.split("\n"), removed):
        stripped = line.strip()
        if stripped and len(stripped) <= max_line_chars:
            lines.setdefault(line_hash(normalize_line(stripped)), stripped)
    return xxhash.xxh3_64_intdigest(text.encode("utf-8")), lines


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteBoilerplate:
    """Remove lines that repeat across many documents of the same site.

    Args:
        min_docs: A line must occur in at least this many distinct documents of a
            domain to count as template. 3 (default): a quote repeated in two articles
            stays, a footer seen three times on a small site goes.
        min_share: ... and in at least this share of the domain's distinct documents.
            0.25 (default): navigation and footers sit on nearly every page; a story's
            recurring phrase rarely reaches a quarter of a site.
        max_line_chars: Longer lines are never template (they are content, or CCNet-style
            wrapped paragraphs). 200 (default) covers cookie and copyright notices.
        corpus_min_docs: For documents without a url (one corpus-wide group): minimum
            distinct documents. 20 (default): stricter, since unrelated sources mix.
        corpus_min_share: ... and minimum share of those documents. 0.005 (default).
        dictionary: A ``boilerplate/`` folder (or an output folder holding one) from an
            earlier run; its lines are removed too, so a new crawl of known sites is
            cleaned with what was learnt before.
    """

    name: ClassVar[str] = "site_boilerplate"
    reasons: ClassVar[tuple[str, ...]] = (EMPTY,)
    columns: ClassVar[tuple[pa.Field, ...]] = (
        pa.field(LINES_REMOVED, pa.int32()),
        pa.field(CHARS_REMOVED, pa.int64()),
        REMOVED_LINES_FIELD,
    )
    counters: ClassVar[tuple[str, ...]] = (LINES_REMOVED, CHARS_REMOVED)

    min_docs: int = 3
    min_share: float = 0.25
    max_line_chars: int = 200
    corpus_min_docs: int = 20
    corpus_min_share: float = 0.005
    dictionary: str | None = None

    def __post_init__(self) -> None:
        for option in ("min_docs", "corpus_min_docs", "max_line_chars"):
            value = getattr(self, option)
            if value < 1:
                raise ValueError(f"{option} must be >= 1 (got {value})")
        for option in ("min_share", "corpus_min_share"):
            value = getattr(self, option)
            if not 0 <= value <= 1:
                raise ValueError(f"{option} must be in [0, 1] (got {value})")
        if self.dictionary is not None and not dictionary_folder(self.dictionary).exists():
            raise ValueError(f"dictionary {self.dictionary} has no boilerplate/ parts")

    def collect(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """Emit one row per document and per distinct short line of each live document.

        Lines an earlier stage already removed from a page (its ``removed_lines``) count
        as occurring on it: strip_boilerplate may drop a nav line from long articles and
        keep it on short briefs, and the site's template is what the pages carried.
        """
        live = batch.filter(live_mask(batch))
        domains: list[str | None] = []
        docs: list[int] = []
        hashes: list[int] = []
        lines: list[str | None] = []
        texts = live.column(TEXT).to_pylist()
        index = live.schema.get_field_index(REMOVED_LINES)
        earlier = live.column(index).to_pylist() if index >= 0 else [None] * live.num_rows
        for domain, text, spans in zip(
            live.column(DOMAIN).to_pylist(), texts, earlier, strict=True
        ):
            doc, found = document_keys(
                text or "",
                max_line_chars=self.max_line_chars,
                removed=(span["line"] for span in spans or ()),
            )
            domains.append(domain)
            docs.append(doc)
            hashes.append(0)
            lines.append(None)
            for hashed, line in found.items():
                domains.append(domain)
                docs.append(doc)
                hashes.append(hashed)
                lines.append(line)
        return pa.RecordBatch.from_arrays(
            [
                pa.array(domains, pa.string()),
                pa.array(docs, pa.uint64()),
                pa.array(hashes, pa.uint64()),
                pa.array(lines, pa.string()),
            ],
            schema=KEY_SCHEMA,
        )

    def aggregate(self, keys: Iterable[pa.RecordBatch], *, workdir: Path) -> SiteTemplates:
        """Count distinct documents per (domain, line); keep lines above the thresholds."""
        table = pa.Table.from_batches(list(keys), schema=KEY_SCHEMA)
        # joins never match null keys: the url-less group is "" until the end
        table = table.set_column(0, DOMAIN, pc.fill_null(table.column(DOMAIN), NO_DOMAIN))
        is_doc = pc.equal(table.column(LINE_HASH), pa.scalar(0, pa.uint64()))
        docs = table.filter(is_doc)
        lines = table.filter(pc.invert(is_doc))
        distinct_docs = (
            docs.group_by([DOMAIN, DOC])
            .aggregate([])
            .group_by([DOMAIN])
            .aggregate([(DOC, "count")])
        ).rename_columns([DOMAIN, "domain_docs"])
        all_rows = lines.group_by([DOMAIN, LINE_HASH]).aggregate([(DOC, "count")])
        all_rows = all_rows.rename_columns([DOMAIN, LINE_HASH, "removed_count"])
        distinct = (
            lines.group_by([DOMAIN, DOC, LINE_HASH])
            .aggregate([(LINE, "min")])
            .group_by([DOMAIN, LINE_HASH])
            .aggregate([(f"{LINE}_min", "min"), (DOC, "count")])
        ).rename_columns([DOMAIN, LINE_HASH, LINE, "doc_count"])
        counted = distinct.join(distinct_docs, DOMAIN, join_type="left outer").join(
            all_rows, [DOMAIN, LINE_HASH], join_type="left outer"
        )
        has_domain = pc.not_equal(counted.column(DOMAIN), NO_DOMAIN)
        doc_count = counted.column("doc_count")
        domain_docs = counted.column("domain_docs").cast(pa.float64())
        min_docs = pc.if_else(has_domain, self.min_docs, self.corpus_min_docs)
        min_share = pc.if_else(has_domain, self.min_share, self.corpus_min_share)
        keep = pc.and_(
            pc.greater_equal(doc_count, min_docs),
            pc.greater_equal(doc_count.cast(pa.float64()), pc.multiply(min_share, domain_docs)),
        )
        learnt = counted.filter(keep)
        if self.dictionary is not None:
            known = read_dictionary(self.dictionary)
            known = known.set_column(0, DOMAIN, pc.fill_null(known.column(DOMAIN), NO_DOMAIN))
            learnt = merge_dictionary(learnt, counted, known)
        return finish_templates(learnt, max_line_chars=self.max_line_chars)


def finish_templates(learnt: pa.Table, *, max_line_chars: int) -> SiteTemplates:
    """Turn the learnt lines into the aggregate: "" back to a null domain, sorted."""
    domain_or_null = pc.if_else(
        pc.equal(learnt.column(DOMAIN), NO_DOMAIN),
        pa.scalar(None, pa.string()),
        learnt.column(DOMAIN),
    )
    learnt = learnt.set_column(learnt.schema.get_field_index(DOMAIN), DOMAIN, domain_or_null)
    learnt = learnt.sort_by(
        [(DOMAIN, "ascending"), ("doc_count", "descending"), (LINE, "ascending")]
    )
    return SiteTemplates(templates=learnt, max_line_chars=max_line_chars)


def dictionary_folder(path: str) -> Path:
    """Return the boilerplate/ folder a `dictionary` option points at."""
    folder = Path(path)
    return folder / "boilerplate" if (folder / "boilerplate").is_dir() else folder


def read_dictionary(path: str) -> pa.Table:
    """Read an earlier run's boilerplate dictionary as (domain, line_hash, line)."""
    table = pq.read_table(dictionary_folder(path), columns=[DOMAIN, LINE])
    normalized = [normalize_line(line) for line in table.column(LINE).to_pylist()]
    return pa.table(
        {
            DOMAIN: table.column(DOMAIN).cast(pa.string()),
            LINE_HASH: pa.array([line_hash(n) for n in normalized], pa.uint64()),
            LINE: pa.array(normalized, pa.string()),
        }
    )


def merge_dictionary(learnt: pa.Table, counted: pa.Table, known: pa.Table) -> pa.Table:
    """Add an earlier dictionary's lines to the learnt ones, with this corpus' counts."""
    have = {
        (d, h)
        for d, h in zip(
            learnt.column(DOMAIN).to_pylist(), learnt.column(LINE_HASH).to_pylist(), strict=True
        )
    }
    counts = {
        (d, h): (c, r)
        for d, h, c, r in zip(
            counted.column(DOMAIN).to_pylist(),
            counted.column(LINE_HASH).to_pylist(),
            counted.column("doc_count").to_pylist(),
            counted.column("removed_count").to_pylist(),
            strict=True,
        )
    }
    extra: dict[str, list[Any]] = {name: [] for name in learnt.column_names}
    for domain, hashed, line in zip(
        known.column(DOMAIN).to_pylist(),
        known.column(LINE_HASH).to_pylist(),
        known.column(LINE).to_pylist(),
        strict=True,
    ):
        if (domain, hashed) in have:
            continue
        have.add((domain, hashed))
        doc_count, removed = counts.get((domain, hashed), (0, 0))
        row = {
            DOMAIN: domain,
            LINE_HASH: hashed,
            LINE: line,
            "doc_count": doc_count,
            "domain_docs": None,
            "removed_count": removed,
        }
        for name in extra:
            extra[name].append(row[name])
    return pa.concat_tables([learnt, pa.table(extra, schema=learnt.schema)])


@dataclass(frozen=True, slots=True)
class SiteTemplates:
    """The aggregate: template lines per domain (null domain = corpus-wide)."""

    templates: pa.Table
    max_line_chars: int

    def stage(self) -> RemoveSiteBoilerplate:
        return RemoveSiteBoilerplate(
            templates=self.templates.select([DOMAIN, LINE_HASH]).cast(TEMPLATE_SCHEMA),
            max_line_chars=self.max_line_chars,
        )

    def outputs(self) -> Mapping[str, pa.Table]:
        t = self.templates
        table = pa.table(
            {
                DOMAIN: t.column(DOMAIN),
                "line": t.column(LINE),
                "doc_count": t.column("doc_count").cast(pa.int64()),
                "removed_count": pc.fill_null(t.column("removed_count"), 0).cast(pa.int64()),
            }
        )
        return {"boilerplate": table.cast(BOILERPLATE_SCHEMA)}

    def summary(self) -> Mapping[str, Any]:
        domains = self.templates.column(DOMAIN)
        return {
            "template_lines": self.templates.num_rows,
            "domains_with_templates": len(pc.unique(domains.drop_null())),
            "corpus_wide_lines": int(pc.sum(pc.is_null(domains)).as_py() or 0),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoveSiteBoilerplate:
    """Remove each document's lines that are template lines of its domain."""

    name: ClassVar[str] = "site_boilerplate"
    reasons: ClassVar[tuple[str, ...]] = (EMPTY,)
    columns: ClassVar[tuple[pa.Field, ...]] = SiteBoilerplate.columns
    counters: ClassVar[tuple[str, ...]] = SiteBoilerplate.counters

    templates: pa.Table
    max_line_chars: int

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        domains = batch.column(DOMAIN)
        relevant = self.templates.filter(
            pc.or_kleene(
                pc.is_in(self.templates.column(DOMAIN), value_set=pc.unique(domains.drop_null())),
                pc.is_null(self.templates.column(DOMAIN)),
            )
        )
        by_domain: dict[str | None, set[int]] = {}
        for domain, hashed in zip(
            relevant.column(DOMAIN).to_pylist(), relevant.column(LINE_HASH).to_pylist(), strict=True
        ):
            by_domain.setdefault(domain, set()).add(hashed)
        texts = batch.column(TEXT).to_pylist()
        live = live_mask(batch).to_pylist()
        new_texts, lines_removed, chars_removed, emptied = [], [], [], []
        spans: list[list[tuple[int, str, str]]] = []
        for text, domain, ok in zip(texts, domains.to_pylist(), live, strict=True):
            drop = by_domain.get(domain, set())
            removed: list[tuple[int, str]] = []
            new = text
            if ok and text and drop:
                new, removed = remove_lines(text, drop, max_line_chars=self.max_line_chars)
            new_texts.append(new)
            lines_removed.append(len(removed))
            chars_removed.append(len(text or "") - len(new or ""))
            spans.append([(at, TEMPLATE, line) for at, line in removed])
            emptied.append(bool(ok and removed and not (new or "").strip()))
        batch = set_column(batch, TEXT, pa.array(new_texts, pa.string()))
        batch = set_column(batch, LINES_REMOVED, pa.array(lines_removed, pa.int32()))
        batch = set_column(batch, CHARS_REMOVED, pa.array(chars_removed, pa.int64()))
        batch = add_removed_lines(batch, self.name, spans)
        return mark_removed(batch, pa.array(emptied), EMPTY)
