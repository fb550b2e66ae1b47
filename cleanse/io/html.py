"""Read HTML pages: bytes -> str with the page's own charset, and .html files -> rows.

Decoding order (`decode_html`): a byte-order mark; UTF-8 when the bytes are valid UTF-8
(a legacy-encoded page with non-ASCII text is practically never valid UTF-8, while
pages whose template declares iso-8859-1 around UTF-8 content are common in crawls);
the charset declared by the HTTP ``Content-Type`` header (WARC responses), else by a
``<meta charset>`` or ``<meta http-equiv="Content-Type">`` in the first `PRESCAN_BYTES`
(WHATWG's prescan looks at 1024; real pages put the tag after long scripts), if the
bytes decode with it; charset_normalizer's guess (`guess_encoding`, biased to cp1252 as
browsers are); else the declared charset or cp1252 with replacement characters. Labels
map as WHATWG maps them: ``iso-8859-1``, ``latin1`` and ``ascii`` mean windows-1252; a
``utf-16`` label on ASCII-compatible bytes means UTF-8.
"""

from __future__ import annotations

import codecs
import gzip
import re
import zlib
from collections.abc import Callable, Iterable, Iterator

from cleanse.io.decoding import BYTE_ORDER_MARKS, Decoded, decode_unicode, guess_encoding
from cleanse.io.rows import BINARY, EMPTY, HTML, PLAIN, TOO_LARGE, TRUNCATED, Row

#: Bytes of a page searched for a ``<meta>`` charset declaration.
PRESCAN_BYTES = 8192
#: A page (after decompression) larger than this is quarantined as ``read.too_large``
#: without being held in memory: 64 MiB is far above any real article page (the largest
#: of the 2,000 labelled pages in the development data is under 2 MB) and caps what a
#: gzip bomb can cost a worker.
MAX_PAGE_BYTES = 64 << 20

_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:+-]+)""", re.IGNORECASE
)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:+-]+)""", re.IGNORECASE)
# WHATWG Encoding Standard: labels browsers decode as windows-1252.
_WINDOWS_1252_LABELS = frozenset(
    {
        "ascii",
        "us-ascii",
        "iso-8859-1",
        "iso8859-1",
        "latin1",
        "latin-1",
        "l1",
        "iso_8859-1",
        "cp819",
        "ibm819",
        "windows-1252",
        "cp1252",
        "x-cp1252",
        "iso-ir-100",
        "csisolatin1",
    }
)
_HTML_TYPES = ("text/html", "application/xhtml+xml")


def media_type(content_type: str | None) -> str | None:
    """Return the lowercase media type of a Content-Type value, without parameters.

    >>> media_type("Text/HTML; charset=ISO-8859-1")
    'text/html'
    >>> media_type(None) is None
    True
    """
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


def is_html_type(content_type: str | None) -> bool:
    """Return True for an HTML media type (``text/html``, ``application/xhtml+xml``).

    >>> is_html_type("application/xhtml+xml; charset=utf-8"), is_html_type("text/plain")
    (True, False)
    """
    return media_type(content_type) in _HTML_TYPES


def normalize_content_type(value: str | None) -> str:
    """Return the ``content_type`` column value for an input value: text/html or text/plain.

    >>> normalize_content_type("text/html; charset=utf-8"), normalize_content_type(None)
    ('text/html', 'text/plain')
    """
    return HTML if is_html_type(value) else PLAIN


def charset_label(label: str | None) -> str | None:
    """Return the Python codec for a declared charset label, or None if unknown.

    >>> charset_label("ISO-8859-1"), charset_label("Shift_JIS"), charset_label("x-nonsense")
    ('cp1252', 'shift_jis', None)
    """
    if not label:
        return None
    lowered = label.strip().strip("\"'").lower()
    if lowered in _WINDOWS_1252_LABELS:
        return "cp1252"
    if lowered in ("x-user-defined", "replacement"):
        return None
    try:
        name = codecs.lookup(lowered).name
    except LookupError:
        return None
    # A page that says utf-16 in an ASCII <meta> is not utf-16 (WHATWG): its bytes are.
    return "utf-8" if name.startswith(("utf-16", "utf-32")) else name


def declared_charset(data: bytes, header: str | None = None) -> str | None:
    """Return the codec declared by an HTTP header, else by a ``<meta>`` tag, else None.

    >>> declared_charset(b'<html><head><meta charset="windows-1251">')
    'cp1251'
    >>> declared_charset(b"<p>x</p>", "text/html; charset=ISO-8859-2")
    'iso8859-2'
    """
    if header:
        found = _HEADER_CHARSET.search(header)
        codec = charset_label(found.group(1)) if found else None
        if codec:
            return codec
    found_meta = _META_CHARSET.search(data[:PRESCAN_BYTES])
    if found_meta:
        return charset_label(found_meta.group(1).decode("ascii", "replace"))
    return None


def decode_html(data: bytes, *, header: str | None = None) -> Decoded:
    """Decode a page: byte-order mark, UTF-8, declared charset, guess, cp1252 (see above).

    ``problem`` says why the page needed a guess or replacement characters; a page whose
    declared charset fits, or that is valid UTF-8, has none.

    >>> decode_html(b'<meta charset="iso-8859-1"><p>Caf\\xe9</p>').text
    '<meta charset="iso-8859-1"><p>Café</p>'
    >>> decode_html("<p>Привет, как дела? Всё хорошо.</p>".encode("cp1251")).encoding
    'cp1251'
    """
    unicode = decode_unicode(data)
    if isinstance(unicode, Decoded):
        return unicode
    where = unicode
    declared = declared_charset(data, header)
    if declared is not None:
        try:
            return Decoded(data.decode(declared), declared)
        except UnicodeDecodeError:
            pass
    said = f", declared {declared}" if declared else ""
    guessed = guess_encoding(data)
    if guessed is not None:
        return Decoded(
            data.decode(guessed, errors="replace"), guessed, f"not UTF-8 ({where}{said})"
        )
    codec = declared or "cp1252"
    problem = f"not UTF-8 ({where}{said}), no encoding fits; decoded as {codec} with replacements"
    return Decoded(data.decode(codec, errors="replace"), codec, problem)


def read_limited(path: str, max_bytes: int) -> bytes | None:
    """Return the bytes of `path` (gunzipped for ``.gz``), or None past `max_bytes`.

    Raises:
        EOFError, OSError, zlib.error: a ``.gz`` file is truncated or corrupt.
    """
    if path.lower().endswith(".gz"):
        with gzip.open(path, "rb") as stream:
            data = stream.read(max_bytes + 1)
    else:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    return None if len(data) > max_bytes else data


def html_rows(
    paths: Iterable[str], labels: Iterable[str], note: Callable[[str, str], None]
) -> Iterator[Row]:
    """Yield one row per .html/.htm(.gz) file: the decoded page, content_type text/html."""
    for path, label in zip(paths, labels, strict=True):
        try:
            data = read_limited(path, MAX_PAGE_BYTES)
        except (EOFError, OSError, zlib.error) as err:
            detail = f"{label}: compressed page is damaged ({err})"
            yield Row(label, "", label, label, reason=TRUNCATED, detail=detail, content_type=HTML)
            continue
        if data is None:
            detail = f"{label}: page is larger than {MAX_PAGE_BYTES} bytes"
            yield Row(label, None, label, label, reason=TOO_LARGE, detail=detail, content_type=HTML)
            continue
        if not data.strip():
            detail = f"{label}: file is empty"
            yield Row(label, "", label, label, reason=EMPTY, detail=detail, content_type=HTML)
            continue
        if b"\x00" in data[:PRESCAN_BYTES] and not data.startswith(
            tuple(mark for mark, _ in BYTE_ORDER_MARKS)
        ):
            detail = f"{label}: not text: NUL bytes without a UTF-16/32 mark"
            yield Row(label, None, label, label, reason=BINARY, detail=detail, content_type=HTML)
            continue
        decoded = decode_html(data)
        if decoded.problem is not None:
            note("encoding", f"{label}: {decoded.problem}; decoded as {decoded.encoding}")
        yield Row(label, decoded.text, label, label, content_type=HTML)
