"""Learn each site's template lines from the corpus and remove them everywhere on it.

A line (normalised: lower case, digits folded to 0, whitespace collapsed; see
``site_lines``) that occurs
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

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cleanse.schema import BOILERPLATE_SCHEMA, DOMAIN, REMOVED_LINES, REMOVED_LINES_FIELD, TEXT
from cleanse.stages.base import (
    add_removed_lines,
    live_mask,
    mark_removed,
    nonblank_index,
    set_column,
)
from cleanse.stages.site_lines import (
    batch_lines,
    first_of_each,
    normalize_lines,
    strings_hash,
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
_BLANK_RUNS = re.compile(r"\n{3,}")


def normalize_line(line: str) -> str:
    """Return a line as site mining compares it: lower case, digits as 0, one space.

    >>> normalize_line("  © 2015  Al Jazeera America, LLC ")
    '© 0 al jazeera america, llc'
    """
    return normalize_lines(pa.array([line], pa.string()))[0].as_py()


def line_hash(normalized: str) -> int:
    """Return the 64-bit hash of a normalised line (never 0: 0 marks document rows)."""
    return int(strings_hash(pa.array([normalized], pa.string()))[0])


def drop_positions(text: str, positions: Iterable[int]) -> tuple[str, list[tuple[int, str]]]:
    """Remove the lines at `positions` (indices among ``text.split("\\n")``).

    Return the new text and the removed lines as (position among non-blank lines,
    line). Blank lines left in a run by the removal collapse to one paragraph break.
    """
    drop = set(positions)
    if not drop:
        return text, []
    kept: list[str] = []
    removed: list[tuple[int, str]] = []
    lines = text.split("\n")
    for i, (line, at) in enumerate(zip(lines, nonblank_index(lines), strict=True)):
        if i in drop:
            removed.append((at, line))
        else:
            kept.append(line)
    return _BLANK_RUNS.sub("\n\n", "\n".join(kept)).strip("\n"), removed


def remove_lines(
    text: str, drop: frozenset[int] | set[int], *, max_line_chars: int
) -> tuple[str, list[tuple[int, str]]]:
    """Remove lines whose normalised hash is in `drop` (see `drop_positions`).

    >>> drop = {line_hash(normalize_line("Share this"))}
    >>> remove_lines("Title\\n\\nShare this\\n\\nBody.", drop, max_line_chars=200)
    ('Title\\n\\nBody.', [(1, 'Share this')])
    """
    if not drop:
        return text, []
    lines = batch_lines(pa.array([text], pa.string()), max_line_chars=max_line_chars)
    hit = np.isin(lines.hashes, np.fromiter(drop, dtype=np.uint64, count=len(drop)))
    return drop_positions(text, lines.position[hit].tolist())


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
        keep it on short briefs, and the site's template is what the pages carried. A
        line's row carries it as first seen on the page (text first, then removed lines).
        """
        live = batch.filter(live_mask(batch))
        found = batch_lines(live.column(TEXT), max_line_chars=self.max_line_chars)
        doc, hashes, stripped = found.doc, found.hashes, found.stripped
        index = live.schema.get_field_index(REMOVED_LINES)
        if index >= 0:
            spans = live.column(index)
            earlier = batch_lines(
                pc.struct_field(spans.flatten(), "line"), max_line_chars=self.max_line_chars
            )
            owner = np.asarray(pc.list_parent_indices(spans), dtype=np.int64)[earlier.doc]
            doc = np.concatenate([doc, owner])
            hashes = np.concatenate([hashes, earlier.hashes])
            stripped = pa.concat_arrays([stripped, earlier.stripped])
        first = first_of_each(doc, hashes)
        line_docs = pa.array(doc[first])
        domains = live.column(DOMAIN).cast(pa.string())
        doc_hashes = pa.array(strings_hash(live.column(TEXT)), pa.uint64())
        return pa.RecordBatch.from_arrays(
            [
                pa.concat_arrays([domains, domains.take(line_docs)]),
                pa.concat_arrays([doc_hashes, doc_hashes.take(line_docs)]),
                pa.array(np.concatenate([np.zeros(live.num_rows, np.uint64), hashes[first]])),
                pa.concat_arrays(
                    [pa.nulls(live.num_rows, pa.string()), stripped.take(pa.array(first))]
                ),
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
    normalized = normalize_lines(table.column(LINE).combine_chunks().cast(pa.string()))
    return pa.table(
        {
            DOMAIN: table.column(DOMAIN).cast(pa.string()),
            LINE_HASH: pa.array(strings_hash(normalized), pa.uint64()),
            LINE: normalized,
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
        n = batch.num_rows
        texts = batch.column(TEXT)
        hit_rows, hit_positions = self._template_lines(batch)
        new_texts: list[str] = []
        lines_removed = np.zeros(n, dtype=np.int32)
        chars_removed = np.zeros(n, dtype=np.int64)
        emptied = np.zeros(n, dtype=bool)
        gone_rows: list[int] = []  # every removed line: its row, index and text
        gone_index: list[int] = []
        gone_lines: list[str] = []
        for row, positions in zip(hit_rows, hit_positions, strict=True):  # rows ascending
            text = texts[row].as_py()
            new, removed = drop_positions(text, positions)
            new_texts.append(new)
            lines_removed[row] = len(removed)
            chars_removed[row] = len(text) - len(new)
            emptied[row] = not new.strip()
            gone_rows += [row] * len(removed)
            gone_index += [at for at, _ in removed]
            gone_lines += [line for _, line in removed]
        batch = set_column(batch, LINES_REMOVED, pa.array(lines_removed))
        batch = set_column(batch, CHARS_REMOVED, pa.array(chars_removed))
        if hit_rows:
            changed = np.zeros(n, dtype=bool)
            changed[hit_rows] = True
            new = pc.replace_with_mask(texts, pa.array(changed), pa.array(new_texts, pa.string()))
            batch = set_column(batch, TEXT, new)
        if hit_rows or REMOVED_LINES not in batch.schema.names:
            batch = add_removed_lines(
                batch,
                self.name,
                np.array(gone_rows, dtype=np.int64),
                np.array(gone_index, dtype=np.int64),
                pa.array([TEMPLATE] * len(gone_rows), pa.string()),
                pa.array(gone_lines, pa.string()),
            )
        return mark_removed(batch, pa.array(emptied), EMPTY)

    def _template_lines(self, batch: pa.RecordBatch) -> tuple[list[int], list[list[int]]]:
        """Return the live rows with template lines of their domain, and their positions."""
        template_domains = self.templates.column(DOMAIN)
        known = pc.unique(template_domains)
        code = pc.index_in(batch.column(DOMAIN), value_set=known, skip_nulls=False)
        rows = np.flatnonzero(
            np.asarray(pc.and_(pc.is_valid(code), live_mask(batch)).fill_null(False))
        )
        if not len(rows):
            return [], []
        lines = batch_lines(
            batch.column(TEXT).take(pa.array(rows)), max_line_chars=self.max_line_chars
        )
        hashes = np.asarray(self.templates.column(LINE_HASH), dtype=np.uint64)
        hit = np.flatnonzero(np.isin(lines.hashes, hashes))
        if not len(hit):
            return [], []
        # the hash matched a template of some domain; keep it where it is the row's own
        template_codes = np.asarray(
            pc.index_in(template_domains, value_set=known, skip_nulls=False), dtype=np.int64
        )
        own = set(zip(template_codes.tolist(), hashes.tolist(), strict=True))
        row_codes = np.asarray(code.fill_null(-1), dtype=np.int64)[rows]
        found: dict[int, list[int]] = {}
        for line in hit.tolist():
            local = int(lines.doc[line])
            if (int(row_codes[local]), int(lines.hashes[line])) in own:
                found.setdefault(int(rows[local]), []).append(int(lines.position[line]))
        return list(found), list(found.values())
