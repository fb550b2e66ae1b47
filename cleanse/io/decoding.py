"""Turn the bytes of a ``.txt`` document into text, or say why they are not text."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

import charset_normalizer

# UTF-32LE's mark starts with UTF-16LE's, so it is tried first.
BYTE_ORDER_MARKS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# charset_normalizer alone misreads short Western text: bbc-news sport/199.txt (one 0xA3
# pound sign in 2,653 bytes) comes back as cp932, a French sentence as cp1250. Two
# corrections, measured on the 202 non-UTF-8 files of encoding-chardet (192 right with
# or without them) plus that BBC file and short French and German cp1252 samples (fixed):
# 1. prefer cp1252, the web's usual legacy encoding (WHATWG maps latin-1 to it), when a
#    candidate covering it is as clean (chaos within CP1252_CHAOS_MARGIN) and about as
#    coherent (within CP1252_COHERENCE_MARGIN) as the best guess;
# 2. below THIN_EVIDENCE_BYTES non-ASCII bytes, do not trust a guess with coherence 0.
CP1252_CHAOS_MARGIN = 0.01
CP1252_COHERENCE_MARGIN = 0.05
THIN_EVIDENCE_BYTES = 32


@dataclass(frozen=True, slots=True)
class Decoded:
    """The text of a document (None when the bytes are not text), with how it was read.

    Attributes:
        text: The decoded text, or None for binary data.
        encoding: The codec used ("utf-8", "utf-16", "cp1252", ...); None for binary.
        problem: Why the bytes were not plain UTF-8 (a guessed encoding), or why they
            are not text; None for UTF-8 or a byte-order-marked Unicode file.
    """

    text: str | None
    encoding: str | None
    problem: str | None = None


def decode_unicode(data: bytes) -> Decoded | str:
    """Decode by byte-order mark, else as UTF-8; else say where UTF-8 fails.

    >>> decode_unicode(b"\\xff\\xfeh\\x00i\\x00").text
    'hi'
    >>> decode_unicode(b"caf\\xe9")
    'byte 0xe9 at offset 3'
    """
    for mark, codec in BYTE_ORDER_MARKS:
        if data.startswith(mark):
            try:
                return Decoded(data.decode(codec), codec)
            except UnicodeDecodeError:
                break
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as err:
        where = f"byte 0x{data[err.start]:02x} at offset {err.start}"
    return where


def decode_document(data: bytes) -> Decoded:
    """Decode a document: byte-order mark, else UTF-8, else the best guessed encoding.

    Bytes with NUL bytes that are neither UTF-8 nor marked UTF-16/32 are binary.

    >>> decode_document("caf\\N{LATIN SMALL LETTER E WITH ACUTE}".encode())
    Decoded(text='café', encoding='utf-8', problem=None)
    >>> decode_document(b"\\x89PNG\\r\\n\\x1a\\n\\x00\\x00\\x00\\rIHDR").text is None
    True
    """
    unicode = decode_unicode(data)
    if isinstance(unicode, Decoded):
        return unicode
    where = unicode
    if b"\x00" in data:
        return Decoded(None, None, f"NUL bytes and invalid UTF-8 ({where}), no UTF-16/32 mark")
    encoding = guess_encoding(data)
    if encoding is None:
        return Decoded(None, None, f"invalid UTF-8 ({where}) and no other encoding fits")
    return Decoded(data.decode(encoding, errors="replace"), encoding, f"not UTF-8 ({where})")


def guess_encoding(data: bytes) -> str | None:
    """Return charset_normalizer's guess for `data`, corrected towards cp1252 (see above).

    >>> guess_encoding(b"A \\xa315.8m signing from Parma, who joined Chelsea last season.")
    'cp1252'
    """
    results = charset_normalizer.from_bytes(data)
    best = results.best()
    if best is None:
        return None
    for match in results:
        if (
            "cp1252" in match.could_be_from_charset
            and match.chaos <= best.chaos + CP1252_CHAOS_MARGIN
            and match.coherence >= best.coherence - CP1252_COHERENCE_MARGIN
        ):
            return "cp1252"
    non_ascii = len(data) - len(data.translate(None, bytes(range(128, 256))))
    if best.coherence == 0 and non_ascii < THIN_EVIDENCE_BYTES:
        coherent = [
            match for match in results if match.coherence > 0 and match.chaos <= best.chaos + 0.1
        ]
        if coherent:
            return str(max(coherent, key=lambda match: match.coherence).encoding)
    return str(best.encoding)
