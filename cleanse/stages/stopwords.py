"""Stop-word lists per language, read from the jusText package's data files.

jusText (Pomikálek 2011) ships frequent-word lists for about 100 languages, built from
Wikipedia. ``strip_boilerplate`` uses them to measure how much a line reads like running
text (stop-word density, jusText's main signal). The files are read directly, without
importing ``justext`` (whose import pulls ``lxml.html.clean``, a separate package since
lxml 5.2), so the only requirement is that the ``justext`` distribution is installed; it
comes with trafilatura.
"""

from __future__ import annotations

import importlib.util
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from itertools import islice
from pathlib import Path

#: ISO 639-1 code -> jusText list name, for the languages auto-detection considers.
#: Regional and constructed variants (Simple_English, Low_Saxon, Volapuk, ...) are left
#: out: they share most words with a bigger neighbour and would only split its votes.
LANGUAGES: Mapping[str, str] = {
    "af": "Afrikaans",
    "ar": "Arabic",
    "bg": "Bulgarian",
    "ca": "Catalan",
    "cs": "Czech",
    "cy": "Welsh",
    "da": "Danish",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "eo": "Esperanto",
    "es": "Spanish",
    "et": "Estonian",
    "eu": "Basque",
    "fa": "Persian",
    "fi": "Finnish",
    "fr": "French",
    "ga": "Irish",
    "gl": "Galician",
    "he": "Hebrew",
    "hi": "Hindi",
    "hr": "Croatian",
    "hu": "Hungarian",
    "id": "Indonesian",
    "is": "Icelandic",
    "it": "Italian",
    "ko": "Korean",
    "la": "Latin",
    "lt": "Lithuanian",
    "lv": "Latvian",
    "mk": "Macedonian",
    "ms": "Malay",
    "nb": "Norwegian_Bokmal",
    "nl": "Dutch",
    "nn": "Norwegian_Nynorsk",
    "pl": "Polish",
    "pt": "Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "sk": "Slovak",
    "sl": "Slovenian",
    "sq": "Albanian",
    "sr": "Serbian",
    "sv": "Swedish",
    "sw": "Swahili",
    "tl": "Tagalog",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "ur": "Urdu",
    "vi": "Vietnamese",
}

#: Letters only: digits and underscores are never stop words.
WORD_RE = re.compile(r"[^\W\d_]+")

#: Detection reads at most this many words: enough to separate languages, cheap on long docs.
DETECT_WORDS = 400
#: Detection votes with the most frequent words of each list only (the files are ordered
#: by frequency): list sizes differ 25-fold (Finnish 7,317, Spanish 304), and whole lists
#: would let the longest one win on any text.
DETECT_TOP = 150


@dataclass(frozen=True, slots=True)
class StopWords:
    """Every list, plus an inverted index word -> languages for detection."""

    lists: Mapping[str, frozenset[str]]
    index: Mapping[str, tuple[str, ...]]


def _stoplist_dir() -> Path | None:
    spec = importlib.util.find_spec("justext")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "stoplists"
    return path if path.is_dir() else None


@cache
def load_stopwords() -> StopWords:
    """Load the jusText lists (once per process); empty when jusText is not installed."""
    directory = _stoplist_dir()
    lists: dict[str, frozenset[str]] = {}
    index: dict[str, list[str]] = {}
    if directory is not None:
        for code, name in LANGUAGES.items():
            path = directory / f"{name}.txt"
            if not path.is_file():
                continue
            words = [w.lower() for w in path.read_text(encoding="utf-8").split()]
            lists[code] = frozenset(words)
            for word in dict.fromkeys(words[:DETECT_TOP]):
                index.setdefault(word, []).append(code)
    return StopWords(lists=lists, index={w: tuple(c) for w, c in index.items()})


def stopword_set(language: str) -> frozenset[str]:
    """Return the stop words of `language` (ISO 639-1), empty when unknown.

    >>> "the" in stopword_set("en"), "och" in stopword_set("sv"), len(stopword_set("xx"))
    (True, True, 0)
    """
    return load_stopwords().lists.get(language, frozenset())


def detect_language(words: Iterable[str], *, min_hits: int = 3) -> str | None:
    """Return the language whose stop words cover most of `words` (lower case), or None.

    Stop-word voting is crude but enough here: only the density of stop words matters,
    and close languages (sv/da/nb) give close densities. None when fewer than `min_hits`
    words are stop words of any language (code, lists of names, other scripts).

    >>> detect_language("det är en bra dag och vi går till stranden".split())
    'sv'
    >>> detect_language("the cat sat on the mat in the sun".split())
    'en'
    >>> detect_language(["xyzzy"]) is None
    True
    """
    index = load_stopwords().index
    votes: Counter[str] = Counter()
    for word, count in Counter(islice(words, DETECT_WORDS)).items():
        for language in index.get(word, ()):
            votes[language] += count
    if not votes:
        return None
    language, hits = votes.most_common(1)[0]
    return language if hits >= min_hits else None
