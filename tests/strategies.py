"""Hypothesis strategies shared by the property tests."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import strategies as st

from conftest import make_batch

# Lines a scraped page is made of: prose, chrome, mojibake, odd Unicode.
CHROME = [
    "Share on Facebook",
    "Sign up for our weekly newsletter",
    "Related News",
    "© 2015 Example News. All rights reserved.",
    "Home | World | Sport",
    "Read more",
    "Francois Lenoir / Reuters",
]
PROSE = [
    "The council approved the new budget after a long debate on Tuesday evening.",
    "Rain is expected across the north of the country for most of the weekend.",
    "Die Regierung hat am Dienstag einen neuen Haushalt beschlossen, sagte ein Sprecher.",
    "El museo reabrió sus puertas a los visitantes tras dos años de restauración.",
]
ODD = [
    "cafÃ© au lait",  # mojibake
    "\N{LEFT DOUBLE QUOTATION MARK}quoted\N{RIGHT DOUBLE QUOTATION MARK}"
    " text\N{RIGHT SINGLE QUOTATION MARK}s",
    "e\N{COMBINING ACUTE ACCENT}t\N{LATIN SMALL LIGATURE FI}",
    "&amp; &lt;tag&gt;",
    "\N{NO-BREAK SPACE}\t \N{ZERO WIDTH SPACE}",
    "",
]

lines = st.one_of(
    st.sampled_from(CHROME + PROSE + ODD),
    st.text(max_size=80),
)
texts = st.lists(lines, max_size=12).map("\n".join)


@st.composite
def batches(draw: st.DrawFn, max_rows: int = 8) -> pa.RecordBatch:
    """A pipeline batch of generated documents with unique ids and a few domains."""
    docs = draw(st.lists(texts, min_size=1, max_size=max_rows))
    domains = draw(
        st.lists(
            st.sampled_from([None, "a.example", "b.example"]),
            min_size=len(docs),
            max_size=len(docs),
        )
    )
    ids = [f"doc-{i:03d}" for i in range(len(docs))]
    return make_batch(docs, ids=ids, domains=domains)
