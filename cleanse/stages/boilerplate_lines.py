"""The non-blank lines of a batch of documents, scanned once, as arrays.

`scan` runs the compiled scanner (``boilerplate_kernels.scan_lines``) over the UTF-8 of
every document of a batch at once (one pass over the Arrow buffer, no Python string per
line), then finishes what depends on more than one line:

* each letter run is looked up in a table of every stop word and detection word
  (``boilerplate_tokens.lookup``, from the hashes the scanner keeps as it writes them):
  stop-word density in the document's language, and the language itself
  (``stopwords.detect_language``'s vote, `_languages`);
* a line's repeat key (its lower-cased letter runs joined by spaces, what ``re.sub(r"[\\W\\d_]+",
  " ", line.lower()).strip()`` gives) is only compared within its document: each line
  gets the first line of its document with the same runs (``boilerplate_tokens.first_equal``);
* the phrase and credit patterns run in ``re`` on the few candidate lines only: a
  compiled loop finds in the short lines the literals every match needs
  (``boilerplate_match.literal_marks``), and each line is tried with the phrase
  patterns whose literals it holds; a whole-line phrase needs the line's letter runs to
  be one of the strings that pattern matches (their repeat-key hash).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa

from cleanse.stages import boilerplate_doc_kernels as doc_kernels
from cleanse.stages import boilerplate_kernels as kernels
from cleanse.stages import boilerplate_tokens as token_kernels
from cleanse.stages.boilerplate_chars import TABLES
from cleanse.stages.boilerplate_match import literal_marks
from cleanse.stages.boilerplate_phrases import (
    CONTAINED_RE,
    CONTAINED_RES,
    CREDIT_MARK,
    SPECIAL_MARK,
    WHOLE_MAX_CHARS,
    is_credit,
    is_whole_phrase,
    literal_table,
    whole_cores,
)
from cleanse.stages.stopwords import DETECT_WORDS, LANGUAGES, load_stopwords

#: Phrase and credit matches count only on lines this short: a body sentence may say
#: "newsletter" or "Reuters"; chrome rarely runs past a dozen words.
PHRASE_MAX_WORDS = 12
#: Stop-word density assumed where no language is recognised: jusText's
#: ``stopwords_low`` (0.30), so the other signals decide.
NEUTRAL_STOP_DENSITY = 0.30
#: `stopwords.detect_language` needs this many stop-word hits.
MIN_HITS = 3
_CODES = tuple(LANGUAGES)


@dataclass(frozen=True, slots=True)
class Lines:
    """Every non-blank line of a batch, in document order, and what the rules read.

    `stats` has one row per line (columns named in ``boilerplate_kernels``; stored
    column by column);
    ``doc_starts[d]:doc_starts[d + 1]`` are the lines of document `d`; the letter runs
    of line `i` are ``word_ids[word_starts[i]:word_starts[i + 1]]``, each the index of
    the word in the stop-word lexicon (one past its last word where not in it); and so
    on for the hashing-token CRCs. ``keys[i]``: the first line of the
    document with the same repeat key as line `i`.
    """

    stats: np.ndarray
    doc_starts: np.ndarray
    word_ids: np.ndarray
    word_starts: np.ndarray
    hash_crcs: np.ndarray
    hash_starts: np.ndarray
    stop_density: np.ndarray
    keys: np.ndarray
    phrase: np.ndarray
    credit: np.ndarray
    date: np.ndarray
    #: the scanned texts: their UTF-8 (`data`, `offsets` of every row), the rows scanned
    data: np.ndarray
    offsets: np.ndarray
    rows: np.ndarray
    spans: LineSpans

    def __len__(self) -> int:
        return len(self.stats)

    def column(self, name: int) -> np.ndarray:
        """Return one column of `stats` (``boilerplate_kernels.WORDS``...)."""
        return self.stats[:, name]

    @property
    def doc_of_line(self) -> np.ndarray:
        """The document of each line."""
        sizes = np.diff(self.doc_starts)
        return np.repeat(np.arange(len(sizes)), sizes)


def scan(
    texts: pa.Array | Sequence[str],
    *,
    rows: np.ndarray | None = None,
    split: bool = True,
    doc_of_row: np.ndarray | None = None,
    language: str | None = None,
) -> Lines:
    """Scan the non-blank lines of ``texts[rows]`` (all rows by default).

    `rows` are ascending. `split`: each text is a document to cut into lines; else each
    text is one line and `doc_of_row` (non-decreasing) says which document it belongs
    to (default: one document). `language` (ISO 639-1) applies to every document; None
    detects it per document. Invalid UTF-8 raises ``pyarrow.ArrowInvalid``.
    """
    if not isinstance(texts, pa.Array):
        texts = pa.array(list(texts), type=pa.large_string())
    if not pa.types.is_large_string(texts.type):
        texts = texts.cast(pa.large_string())
    texts.validate(full=True)  # the scanner decodes UTF-8 without checks
    if rows is None:
        rows = np.arange(len(texts), dtype=np.int64)
    rows = np.asarray(rows, dtype=np.int64)
    buffers = texts.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64)[
        texts.offset : texts.offset + len(texts) + 1
    ]
    data = (
        np.frombuffer(buffers[2], dtype=np.uint8)
        if buffers[2] is not None
        else np.zeros(0, np.uint8)
    )
    arguments = (data, offsets, rows, split)
    tables = (TABLES.flags, TABLES.lower, TABLES.expansion_offsets, TABLES.expansion_data)
    stats, words, word_offsets, word_states, hash_crcs, known = kernels.scan_lines(
        *arguments, *tables
    )
    if not known:
        # a character the tables have not seen yet (they hold every ASCII character from
        # the start): look up every character of two bytes or more (their lead bytes,
        # found at numpy's speed), then scan again
        leads = np.flatnonzero(data[offsets[0] : offsets[-1]] >= 0xC0) + offsets[0]
        TABLES.add(kernels.unknown_code_points(data, leads, TABLES.flags))
        tables = (TABLES.flags, TABLES.lower, TABLES.expansion_offsets, TABLES.expansion_data)
        stats, words, word_offsets, word_states, hash_crcs, known = kernels.scan_lines(
            *arguments, *tables
        )
    # column by column from here on (each rule reads a few columns of every line): one
    # copy, instead of a pass over every line's whole row for each column read
    stats = kernels.column_major(stats)
    source = stats[:, kernels.SOURCE]
    if split:
        doc = np.searchsorted(rows, source)
        docs = len(rows)
    else:
        doc_of_row = np.zeros(len(texts), np.int64) if doc_of_row is None else doc_of_row
        doc = np.asarray(doc_of_row, dtype=np.int64)[source]
        docs = int(doc_of_row[-1]) + 1 if len(doc_of_row) else 0
    doc_starts = np.searchsorted(doc, np.arange(docs + 1))
    word_starts = _starts(stats[:, kernels.WORD_TOKENS])
    lexicon = _lexicon()
    word_ids, line_keys = token_kernels.lookup(
        words, word_offsets, word_states, word_starts, lexicon.code_points, lexicon.offsets,
        lexicon.table, lexicon.filter,
    )  # fmt: skip
    languages = _languages(language, docs, word_starts[doc_starts], word_ids)
    spans = LineSpans(buffers[2] or pa.py_buffer(b""), stats)
    short = _short(data, stats, line_keys)
    return Lines(
        stats=stats,
        doc_starts=doc_starts,
        word_ids=word_ids,
        word_starts=word_starts,
        hash_crcs=hash_crcs,
        hash_starts=_starts(stats[:, kernels.HASH_TOKENS]),
        stop_density=_stop_density(stats, doc, word_ids, word_starts, languages),
        keys=token_kernels.first_equal(doc_starts, line_keys, words, word_offsets, word_starts),
        phrase=_phrases(spans, short),
        credit=_credits(spans, short),
        date=stats[:, kernels.DATE] > 0,
        data=data,
        offsets=offsets,
        rows=rows,
        spans=spans,
    )


def _starts(counts: np.ndarray) -> np.ndarray:
    """Return ``[0, cumsum(counts)...]``: where each line's items start, and the end."""
    out = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out


@dataclass(frozen=True, slots=True)
class _Lexicon:
    """Every stop word and detection word, as code points, with what each one is."""

    code_points: np.ndarray
    offsets: np.ndarray
    #: bit i: a stop word of ``LANGUAGES``' i-th language (and 0 for a word not listed,
    #: one past the last word: what ``boilerplate_tokens.lookup`` gives it)
    stop_masks: np.ndarray
    #: the detection words are the first ``detect_count`` words; detection word `w`'s
    #: languages are ``lang_index[lang_offsets[w]:lang_offsets[w + 1]]``
    detect_count: int
    #: bit i: a detection word of ``LANGUAGES``' i-th language (and 0 after the last one)
    detect_masks: np.ndarray
    lang_offsets: np.ndarray
    lang_index: np.ndarray
    #: ``boilerplate_tokens.index`` of the words, and ``boilerplate_tokens.filter_bits``
    table: np.ndarray
    filter: np.ndarray


@cache
def _lexicon() -> _Lexicon:
    stopwords = load_stopwords()
    masks: dict[str, int] = {}
    for bit, code in enumerate(_CODES):
        for word in stopwords.lists.get(code, ()):
            masks[word] = masks.get(word, 0) | (1 << bit)
    if len(_CODES) > 64:
        msg = "strip_boilerplate: language detection takes at most 64 languages"
        raise ValueError(msg)
    detect = list(stopwords.index)
    # detection words first: whether a word votes is whether its index is below their count
    words = list(dict.fromkeys([*detect, *masks]))
    sizes = [len(stopwords.index[w]) for w in detect]
    code_points = np.array([ord(c) for w in words for c in w], dtype=np.int32)
    offsets = np.concatenate([[0], np.cumsum([len(w) for w in words])]).astype(np.int64)
    return _Lexicon(
        code_points=code_points,
        offsets=offsets,
        stop_masks=np.array([*(masks.get(w, 0) for w in words), 0], dtype=np.uint64),
        detect_count=len(detect),
        # each word lists a language once (``load_stopwords``): a bit each
        detect_masks=np.array(
            [*(sum(1 << _CODES.index(c) for c in stopwords.index[w]) for w in detect), 0],
            dtype=np.uint64,
        ),
        lang_offsets=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
        lang_index=np.array(
            [_CODES.index(c) for w in detect for c in stopwords.index[w]], dtype=np.int64
        ),
        table=token_kernels.index(code_points, offsets),
        filter=token_kernels.filter_bits(code_points, offsets),
    )


def _languages(
    language: str | None,
    docs: int,
    word_doc_starts: np.ndarray,
    word_ids: np.ndarray,
) -> list[str | None]:
    """Return each document's language: `language`, or `stopwords.detect_language`'s."""
    if language is not None or not docs:
        return [language] * docs
    lexicon = _lexicon()
    best, votes = doc_kernels.detect_languages(
        word_doc_starts, word_ids, lexicon.detect_count, lexicon.detect_masks,
        lexicon.lang_offsets, lexicon.lang_index, len(_CODES), DETECT_WORDS,
    )  # fmt: skip
    return [
        _CODES[b] if b >= 0 and v >= MIN_HITS else None for b, v in zip(best, votes, strict=True)
    ]


def _stop_density(
    stats: np.ndarray,
    doc: np.ndarray,
    word_ids: np.ndarray,
    word_starts: np.ndarray,
    languages: list[str | None],
) -> np.ndarray:
    """Share of each line's letter runs in its document language's stop-word list."""
    tokens = stats[:, kernels.WORD_TOKENS]
    lists = load_stopwords().lists
    which = np.array(
        [_CODES.index(c) if c is not None and lists.get(c) else -1 for c in languages],
        dtype=np.int64,
    )
    line_language = which[doc]
    hits = token_kernels.stop_hits(word_ids, word_starts, line_language, _lexicon().stop_masks)
    density = np.divide(hits, tokens, out=np.zeros(len(stats)), where=tokens > 0)
    return np.where(line_language >= 0, density, NEUTRAL_STOP_DENSITY)


@dataclass(frozen=True, slots=True)
class LineSpans:
    """The text of the lines, taken from the scanned UTF-8 `buffer` by their byte spans."""

    buffer: pa.Buffer
    stats: np.ndarray

    def texts(self, indices: np.ndarray, *, raw: bool = False) -> pa.Array:
        """The stripped (`raw`: as they were) texts of lines `indices`, as Arrow strings."""
        start, stop = (
            (kernels.RAW_BYTE_START, kernels.RAW_BYTE_STOP)
            if raw
            else (kernels.BYTE_START, kernels.BYTE_STOP)
        )
        count = len(self.stats)
        # one string per line, and one per gap between lines: line i is string 2i + 1
        offsets = np.empty(2 * count + 1, dtype=np.int64)
        offsets[0] = self.stats[0, start] if count else 0
        offsets[1::2] = self.stats[:, start]
        offsets[2::2] = self.stats[:, stop]
        every = pa.Array.from_buffers(
            pa.large_string(), 2 * count, [None, pa.py_buffer(offsets), self.buffer]
        )
        return every.take(pa.array(2 * np.asarray(indices, dtype=np.int64) + 1))

    def matches(self, candidates: np.ndarray, test) -> np.ndarray:
        """Return `test(line)` for the `candidates` lines, False elsewhere."""
        out = np.zeros(len(self.stats), dtype=bool)
        rows = np.flatnonzero(candidates)
        out[rows] = [test(line) for line in self.texts(rows).to_pylist()]
        return out


def _short(data: np.ndarray, stats: np.ndarray, line_keys: np.ndarray) -> _Short:
    """The lines of at most `PHRASE_MAX_WORDS` words and what prefilters their phrase
    and credit patterns: the literals they contain, and whether their letter runs are a
    whole-line phrase."""
    rows = np.flatnonzero(stats[:, kernels.WORDS] <= PHRASE_MAX_WORDS)
    arguments, pattern_of = _literals()
    marks, hit_rows, hit_literals = literal_marks(
        data, stats[rows, kernels.BYTE_START], stats[rows, kernels.BYTE_STOP], *arguments
    )
    # the contained-phrase patterns whose literals each line holds, once each
    patterns = pattern_of[hit_literals]
    pairs = np.unique(rows[hit_rows[patterns >= 0]] * len(CONTAINED_RES) + patterns[patterns >= 0])
    core = stats[rows, kernels.CORE]
    # `is_whole_phrase` trims a line to its letter runs (the repeat key's, before they
    # are lower-cased) and matches them whole: only lines whose lower-cased runs are one
    # of the strings `WHOLE_RE` matches can (and those with a character Python's
    # IGNORECASE matches to an ASCII letter while its lower case differs)
    whole = (
        (core > 0)
        & (core <= WHOLE_MAX_CHARS)
        & (((marks & SPECIAL_MARK) != 0) | np.isin(line_keys[rows], _whole_keys()))
    )
    return _Short(rows, marks, whole, pairs // len(CONTAINED_RES), pairs % len(CONTAINED_RES))


@dataclass(frozen=True, slots=True)
class _Short:
    """`_short`: the short lines, their ``literal_marks``, whether they may be whole-line
    phrases."""

    rows: np.ndarray
    marks: np.ndarray
    whole: np.ndarray
    #: (line, index in ``CONTAINED_RES``) of each contained-phrase pattern a line holds a
    #: literal of, ascending
    pattern_lines: np.ndarray
    patterns: np.ndarray


@cache
def _literals() -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    return literal_table()


@cache
def _whole_keys() -> np.ndarray:
    """The repeat-key hashes (``boilerplate_tokens.lookup``'s `line_keys`) of the strings
    `WHOLE_RE` matches, as letter runs split at spaces."""
    cores = sorted(whole_cores())
    runs = [core.split(" ") for core in cores]
    words = [run for core in runs for run in core]
    values = np.array([ord(c) for w in words for c in w], dtype=np.int32)
    offsets = np.concatenate([[0], np.cumsum([len(w) for w in words])]).astype(np.int64)
    states = []
    for w in words:
        h = int(token_kernels.FNV_BASIS)
        for c in w:
            h = ((h ^ ord(c)) * int(token_kernels.FNV_PRIME)) & 0xFFFFFFFFFFFFFFFF
        states.append(h)
    line_starts = np.concatenate([[0], np.cumsum([len(r) for r in runs])]).astype(np.int64)
    lexicon = _lexicon()
    _, keys = token_kernels.lookup(
        values, offsets, np.array(states, dtype=np.uint64), line_starts, lexicon.code_points,
        lexicon.offsets, lexicon.table, lexicon.filter,
    )  # fmt: skip
    return np.unique(keys)


def _phrases(lines: LineSpans, short: _Short) -> np.ndarray:
    """``is_phrase`` of each short line (False for longer ones)."""
    size = len(lines.stats)
    found = np.zeros(size, dtype=bool)
    # `CONTAINED_RE` matches where one of its patterns does: each line is tried with the
    # patterns it holds a literal of; a line with a character that defeats the literals,
    # with all of them
    special = short.rows[(short.marks & SPECIAL_MARK) != 0]
    found[special] = [
        CONTAINED_RE.search(line) is not None for line in lines.texts(special).to_pylist()
    ]
    tried, first = np.unique(short.pattern_lines, return_index=True)
    bounds = np.append(first, len(short.patterns)).tolist()
    patterns = short.patterns.tolist()
    texts = lines.texts(tried).to_pylist()
    found[tried] |= np.array(
        [
            any(CONTAINED_RES[p].search(line) is not None for p in patterns[a:b])
            for line, a, b in zip(texts, bounds[:-1], bounds[1:], strict=True)
        ],
        dtype=bool,
    )
    whole = np.zeros(size, dtype=bool)
    whole[short.rows[short.whole]] = True
    return found | lines.matches(whole & ~found, is_whole_phrase)


def _credits(lines: LineSpans, short: _Short) -> np.ndarray:
    """``is_credit`` of each short line (False for longer ones)."""
    candidates = np.zeros(len(lines.stats), dtype=bool)
    candidates[short.rows[(short.marks & (CREDIT_MARK | SPECIAL_MARK)) != 0]] = True
    return lines.matches(candidates, is_credit)
