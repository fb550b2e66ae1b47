"""Multilingual boilerplate phrases and credit lines, as bounded regular expressions.

Two kinds of evidence, both only trusted on short lines (the caller checks the length):

* **phrases**: page chrome that says what it is (newsletter, cookies, share, follow us,
  related articles, read more, back to top, all rights reserved, "Find X on your TV"),
  in en/de/fr/es/it/pt/nl/sv/da/nb/fi/pl. C4 removes lines by six English policy
  phrases; these lists extend the idea to the chrome the issue lists;
* **credits**: photo and agency credits ("Francois Lenoir / Reuters", "Photo: AFP",
  "Al Jazeera and Reuters", "(Source AFP)"), recognised by a list of agencies.

Every pattern is an alternation of literals with at most bounded gaps (``.{0,40}``), so
matching is linear in the line length: no nested quantifiers run on untrusted text.
"""

from __future__ import annotations

import math
import re

import numpy as np

#: Chrome that may appear inside a short line ("Sign up for our weekly newsletter").
_CONTAINED = [
    # newsletters and subscriptions
    r"newsletter",
    r"sign up (?:for|to)\b",
    r"subscribe (?:to|now|for)\b",
    r"email updates",
    r"e-?mail alerts",
    r"nyhetsbrev",
    r"nieuwsbrief",
    r"uutiskirje",
    r"bolet[ií]n (?:de noticias|semanal|informativo)",
    r"inscr[ií]ve?te",
    r"suscr[ií]be(?:te|rse)",
    r"abonnez-vous",
    r"abonnieren sie",
    r"iscriviti",
    r"prenumerera",
    # cookies and policies (C4's list and its translations)
    r"\bcookies?\b",
    r"terms of (?:use|service)",
    r"privacy (?:policy|statement|notice)",
    r"datenschutz",
    r"politique de confidentialit",
    r"mentions l[ée]gales",
    r"pol[ií]tica de (?:privacidad|privacidade|cookies)",
    r"aviso legal",
    r"integritetspolicy",
    r"tietosuojaseloste",
    # rights
    r"all rights reserved",
    r"alle rechte vorbehalten",
    r"tous droits r[ée]serv[ée]s",
    r"todos los derechos reservados",
    r"todos os direitos reservados",
    r"tutti i diritti riservati",
    r"alla r[äa]ttigheter f[öo]rbeh[åa]llna",
    r"alle rettigheder forbeholdes",
    r"kaikki oikeudet pid[äa]tet[äa]{2}n",
    r"wszelkie prawa zastrze[żz]one",
    r"alle rechten voorbehouden",
    r"^(?:copyright|©)",
    # share / follow / related / more
    r"\bshare (?:this|on|via)\b",
    r"follow us",
    r"folgen sie uns",
    r"suivez-nous",
    r"s[ií]guenos",
    r"seguici",
    r"siga-nos",
    r"f[öo]lj oss",
    r"volg ons",
    r"seuraa meit[äa]",
    r"related (?:news|articles?|posts?|stories|content|links|topics|videos?)",
    r"(?:ähnliche|verwandte) (?:artikel|beiträge|themen)",
    r"articles? (?:similaires|connexes|li[ée]s)",
    r"(?:art[ií]culos|noticias) relacionad[ao]s",
    r"relaterade (?:artiklar|inl[äa]gg|nyheter)",
    r"aiheeseen liittyv",
    r"you (?:may|might) also (?:like|be interested)",
    r"(?:das )?k[öo]nnte (?:sie|dich) auch interessieren",
    r"find .{1,40} on your tv",
    r"back to (?:top|home)",
    r"nach oben",
    r"retour en haut",
    r"volver arriba",
    r"till toppen",
    r"skip to (?:main )?(?:content|navigation)",
    r"jump to (?:navigation|search)",
    r"hoppa till",
    r"toggle navigation",
    r"continue reading",
    r"read more\b",
    r"weiterlesen",
    r"lire la suite",
    r"leer m[áa]s",
    r"seguir leyendo",
    r"leia mais",
    r"l[äa]s mer",
    r"lue lis[äa][äa]",
    r"click here",
    r"klicken sie hier",
    r"cliquez ici",
    r"haga clic aqu[ií]",
    r"leave a (?:comment|reply)",
    r"post a comment",
    r"skicka en kommentar",
    r"laisser un commentaire",
    r"deja un comentario",
    r"kommentar schreiben",
    r"(?:older|newer) posts?",
    r"(?:[äa]ldre|nyare) inl[äa]gg",
    r"articles? (?:pr[ée]c[ée]dent|suivant)",
    r"previous (?:post|article|page)",
    r"next (?:post|article|page)",
    r"powered by\b",
    r"posted (?:by|in|on)\b",
    r"filed under",
    r"print (?:this|article)",
    r"javascript",
    r"download (?:the )?(?:flash|adobe)",
    r"t[ée]l[ée]charger flash",
]

#: Chrome that is the whole line (after trimming punctuation, counts and arrows).
_WHOLE = [
    r"share|tweet|e-?mail|print|comments?|reply|menu|search|home|login|log ?in|log ?out",
    r"sign ?in|sign ?up|register|subscribe|advertisement|advertising|sponsored|tags?",
    r"categories|archives?|recent posts|recent comments|more|next|previous|top",
    r"anzeige|werbung|teilen|drucken|suche|startseite|kommentare?|mehr|zur[üu]ck|weiter",
    r"publicit[ée]|partager|imprimer|rechercher|accueil|commentaires?|connexion|suivant",
    r"publicidad|compartir|imprimir|buscar|inicio|comentarios?|siguiente|anterior",
    r"annons|dela|skriv ut|s[öo]k|hem|startsida|kommentarer|logga in|logga ut|tillbaka",
    r"mainos|jaa|tulosta|haku|etusivu|kommentit|kirjaudu(?: sis[äa][äa]n)?|takaisin",
    r"reklame|del|s[øo]g|forside|pubblicit[àa]|condividi|cerca|stampa|commenti",
]

#: News and photo agencies seen in credit lines (lower case).
_AGENCIES = (
    r"reuters|associated press|ap|afp|agence france-presse|getty(?: images)?|epa|dpa|"
    r"ansa|efe|xinhua|bloomberg|aap|pa|pa media|anadolu(?: agency)?|shutterstock|"
    r"istock(?:photo)?|al jazeera|agencies|wire services|wires|tt|ntb|stt|ritzau|"
    r"kyodo|yonhap|europa press|sipa|belga|apa|keystone|imago|picture alliance|"
    r"ap photo|reuters/[a-z]+|bbc|cnn|upi|tass|ria novosti|dpa-infocom|kna|epd"
)

CONTAINED_RE = re.compile("|".join(_CONTAINED), re.IGNORECASE)
WHOLE_RE = re.compile(rf"(?:{'|'.join(_WHOLE)})", re.IGNORECASE)
#: What is trimmed before a whole-line match: bullets, arrows, counts in brackets.
_TRIM_RE = re.compile(r"[\s\W\d_]+")
#: "Name / Agency", "Photo: Name/AFP", "Foto: dpa", "(Source AFP)", "© Reuters".
CREDIT_RE = re.compile(
    r"^\W{0,3}(?:(?:photo|foto|bild|kuva|image|picture|photograph|source|quelle|fuente|"
    r"k[äa]lla|l[äa]hde|cr[ée]dits?|credit)s?\s{0,2}[:/]\W{0,3}.{0,60}"
    rf"|.{{2,60}}/\s{{0,3}}(?:{_AGENCIES})\b.{{0,30}}|\W{{0,3}}(?:{_AGENCIES})\W{{0,3}})$"
    r"|^\((?:photo|foto|source|quelle|fuente|k[äa]lla|l[äa]hde)\b[^()]{0,60}\)$",
    re.IGNORECASE,
)
#: "Al Jazeera and Reuters", "AP, AFP": agencies joined by connectors and nothing else.
_AGENCY_ONLY_RE = re.compile(
    rf"^(?:\W{{0,3}}(?:{_AGENCIES}|and|with|und|et|y|e|och|og|ja|en)\b\W{{0,3}}){{1,8}}$",
    re.IGNORECASE,
)
_AGENCY_RE = re.compile(rf"\b(?:{_AGENCIES})\b", re.IGNORECASE)


#: The longest core (letters and single spaces) `WHOLE_RE` matches ("kirjaudu sisään").
WHOLE_MAX_CHARS = 15

#: Agencies as words, or a credit keyword anywhere: what every credit pattern needs.
CREDIT_PREFILTER = (
    rf"\b(?:{_AGENCIES})\b|photo|foto|bild|kuva|image|picture|source|quelle|fuente|"
    r"k[äa]lla|l[äa]hde|cr[ée]dit"
)
#: The characters Python's IGNORECASE matches to an ASCII letter besides its two cases.
IGNORECASE_ASCII = {"\u0130": "i", "\u0131": "i", "\u212a": "k", "\u017f": "s"}


def is_whole_phrase(line: str) -> bool:
    """Return True when `line`, trimmed of punctuation, digits and bullets, is chrome."""
    core = _TRIM_RE.sub(" ", line).strip()
    return bool(core) and WHOLE_RE.fullmatch(core) is not None


def is_phrase(line: str) -> bool:
    """Return True when `line` names itself as page chrome.

    >>> is_phrase("Sign up for our weekly newsletter")
    True
    >>> is_phrase("Find Al Jazeera America on your TV")
    True
    >>> is_phrase("Related News"), is_phrase("Teilen"), is_phrase("» Share (12)")
    (True, True, True)
    >>> is_phrase("NATO said it is prepared to send troops to Turkey.")
    False
    """
    return CONTAINED_RE.search(line) is not None or is_whole_phrase(line)


def is_credit(line: str) -> bool:
    """Return True for a photo or agency credit line.

    >>> is_credit("Francois Lenoir / Reuters"), is_credit("Al Jazeera and Reuters")
    (True, True)
    >>> is_credit("(Source AFP)"), is_credit("Foto: dpa")
    (True, True)
    >>> is_credit("Reuters reported that talks had stalled.")
    False
    """
    text = line.strip()
    if not text or len(text) > 100:
        return False
    if _AGENCY_ONLY_RE.match(text):
        return _AGENCY_RE.search(text) is not None
    if text.endswith((".", "!", "?")):
        return False
    return CREDIT_RE.match(text) is not None


# Prefilters for a whole batch of lines at once, in a compiled loop over their bytes
# (``boilerplate_match.literal_marks``): from each pattern, literals one of which every
# match contains (ASCII letters in any case; a literal whose first or last character is
# an ASCII word character may also require ``\b`` there, as the pattern does, checked
# against ASCII word bytes: where Python's Unicode ``\b`` holds, that one does). A line
# without one cannot match; `re` confirms the few with one. Python's IGNORECASE also
# matches four non-ASCII characters to ASCII letters (`IGNORECASE_ASCII`): a line
# holding one of them is a candidate of every prefilter.


#: Characters that lower-case to a letter whose upper case is another: the Angstrom
#: sign (å), the Ohm sign (ω), capital sharp s (ß).
_OTHER_CASES = "\u212b\u2126\u1e9e"


def variants(char: str) -> set[str]:
    """The characters a literal loop must try for pattern character `char` to see every
    character Python's IGNORECASE matches to it: itself for ASCII (the loop folds ASCII
    capitals; `IGNORECASE_ASCII` aside), else its one-character case mappings."""
    if char.isascii():
        return {char.lower()}
    cases = (char, char.lower(), char.upper(), char.title(), char.casefold())
    others = (other for other in _OTHER_CASES if other.lower() == char.lower())
    return {case for case in (*cases, *others) if len(case) == 1}


#: Most strings a literal option may stand for (a product of character classes).
_MAX_STRINGS = 16


def _best(options: list[list[tuple[str, bool, bool]]]) -> list[tuple[str, bool, bool]]:
    """The option whose shortest literal is longest (then: fewest literals)."""
    options = [o for o in options if o]
    if not options:
        return []
    return max(options, key=lambda o: (min(len(s.encode()) for s, _, _ in o), -len(o)))


def _strings(op, av) -> set[str] | None:
    """The strings one parsed item matches, when there are few (None: too many, or not
    a literal, a class of literals, a group or branch of those, or a short repeat)."""
    from re import _constants as c  # type: ignore[attr-defined]

    if op == c.LITERAL:
        return variants(chr(av))
    if op == c.IN and all(kind == c.LITERAL for kind, _ in av):
        out = set().union(*(variants(chr(value)) for _, value in av))
        return out if len(out) <= _MAX_STRINGS else None
    if op == c.SUBPATTERN:
        return _sequence_strings(av[3])
    if op == c.BRANCH:
        out = set()
        for branch in av[1]:
            strings = _sequence_strings(branch)
            if strings is None:
                return None
            out |= strings
        return out if len(out) <= _MAX_STRINGS else None
    if op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[1] <= 2:
        one = _sequence_strings(av[2])
        if one is None:
            return None
        out, level = set(), {""}
        for count in range(av[1] + 1):
            if count >= av[0]:
                out |= level
            level = {x + y for x in level for y in one}
        return out if len(out) <= _MAX_STRINGS else None
    return None


def _sequence_strings(items) -> set[str] | None:
    """`_strings` of a sequence of items."""
    out = {""}
    for op, av in items:
        strings = _strings(op, av)
        if strings is None:
            return None
        out = {x + y for x in out for y in strings}
        if len(out) > _MAX_STRINGS:
            return None
    return out


def _required(items, left: bool, right: bool) -> list[tuple[str, bool, bool]]:
    """Literals ``(text, \\b before, \\b after)`` one of which every match of the
    parsed sequence `items` contains; `left`/`right`: a ``\\b`` surrounds the sequence.

    The options: every run of consecutive items with few strings (a window of them, at
    most `_MAX_STRINGS` strings in all), and what each group or branch requires."""
    from re import _constants as c  # type: ignore[attr-defined]

    items = list(items)
    boundary = [op == c.AT and av == c.AT_BOUNDARY for op, av in items]
    atoms = [_strings(op, av) for op, av in items]
    options: list[list[tuple[str, bool, bool]]] = []
    for i, (op, av) in enumerate(items):
        before = (i == 0 and left) or (i > 0 and boundary[i - 1])
        after = (i == len(items) - 1 and right) or (i + 1 < len(items) and boundary[i + 1])
        if atoms[i] is not None:
            # windows of atoms starting here
            texts = {""}
            for j in range(i, len(items)):
                if atoms[j] is None:
                    break
                texts = {x + y for x in texts for y in atoms[j]}
                if len(texts) > _MAX_STRINGS:
                    break
                end = (j == len(items) - 1 and right) or (j + 1 < len(items) and boundary[j + 1])
                options.append([(text, before, end) for text in sorted(texts)])
        elif op == c.SUBPATTERN:
            options.append(_required(av[3], before, after))
        elif op == c.BRANCH:
            branches = [_required(branch, before, after) for branch in av[1]]
            if all(branches):
                options.append([literal for branch in branches for literal in branch])
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] >= 1:
            options.append(_required(av[2], False, False))
    return _best(options)


def _word_char(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char == "_")


def required_literals(pattern: str) -> list[tuple[bytes, bool, bool]]:
    """Literals (UTF-8, ASCII capitals lowered; ``\\b`` before, ``\\b`` after) one of
    which every match of `pattern` (IGNORECASE) contains; raises if a branch has none
    of two bytes or more."""
    from re import _constants as c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]

    parsed = list(_parser.parse(pattern, re.IGNORECASE))
    branches = parsed[0][1][1] if len(parsed) == 1 and parsed[0][0] == c.BRANCH else [parsed]
    out = []
    for branch in branches:
        found = _required(branch, False, False)
        if not found or min(len(s.encode()) for s, _, _ in found) < 2:
            msg = f"no literal of two bytes or more in a branch of {pattern!r}"
            raise ValueError(msg)
        for text, before, after in found:
            lowered = bytes(b | 0x20 if 0x41 <= b <= 0x5A else b for b in text.encode())
            out.append((lowered, before and _word_char(text[0]), after and _word_char(text[-1])))
    return list(dict.fromkeys(out))


def _expand(items) -> set[str]:
    """Every string the parsed sequence `items` (no unbounded repeat) matches, in the
    case the pattern is written in."""
    from re import _constants as c  # type: ignore[attr-defined]

    out = {""}
    for op, av in items:
        if op == c.LITERAL:
            options = {chr(av)}
        elif op == c.IN:
            options = set()
            for kind, value in av:
                if kind != c.LITERAL:
                    msg = f"cannot expand {kind} in a character class"
                    raise ValueError(msg)
                options.add(chr(value))
        elif op == c.SUBPATTERN:
            options = _expand(av[3])
        elif op == c.BRANCH:
            options = set().union(*(_expand(branch) for branch in av[1]))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[1] <= 4:
            one = _expand(av[2])
            options, level = set(), {""}
            for count in range(av[1] + 1):
                if count >= av[0]:
                    options |= level
                level = {a + b for a in level for b in one}
        else:
            msg = f"cannot expand {op}"
            raise ValueError(msg)
        out = {a + b for a in out for b in options}
    return out


def whole_cores() -> set[str]:
    """Every string `WHOLE_RE` matches (lower case, as written): a line is a whole-line
    phrase only if its trimmed core, lower-cased, is one of them (or it holds one of
    the characters of `IGNORECASE_ASCII`)."""
    from re import _parser  # type: ignore[attr-defined]

    return _expand(_parser.parse(WHOLE_RE.pattern, re.IGNORECASE))


#: `literal_table` flags: which prefilter a literal serves, and its ``\\b``.
CONTAINED_MARK, CREDIT_MARK, SPECIAL_MARK = 1, 2, 4
_LEFT_BOUNDARY, _RIGHT_BOUNDARY = 8, 16


#: Rough frequencies (%) of characters in text (English letters; a space; anything else
#: 1): a literal is keyed by its rarest gram, so that few places are tried.
_FREQUENCY = dict(zip(b" etaoinshrdlcumwfgypbvkjxqz", (
    18, 12.7, 9.1, 8.2, 7.5, 7.0, 6.7, 6.3, 6.1, 6.0, 4.3, 4.0, 2.8, 2.8, 2.4, 2.4, 2.2, 2.0,
    2.0, 1.9, 1.5, 1.0, 0.8, 0.15, 0.15, 0.1, 0.07,
), strict=True))  # fmt: skip


def _commonness(gram: bytes) -> float:
    return sum(math.log(_FREQUENCY.get(b, 1.0)) for b in gram)


def literal_table() -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """The literals of the contained-phrase and credit prefilters for
    ``boilerplate_match.literal_marks``, and the index in `_CONTAINED` of the pattern
    each literal comes from (-1 for a credit literal).

    Each literal is keyed by one gram: its rarest four bytes (by English letter
    frequency), or its three or two bytes when that short. The arguments: bit sets of
    the two-byte literals (those without ``\\b`` before them, and those with), of the
    16-bit hashes of the three- and four-byte grams, each literal's key (ascending),
    their bytes (by offsets), their flags (``*_MARK``, ``\\b`` before and after), where
    the keyed gram ends in each (counted from the literal's start: bytes before it + 1
    + gram length - 1, so that ``end - lit_at`` is where the literal starts).
    """
    from cleanse.stages.boilerplate_match import GRAM_MULTIPLIER, PAIR_KEY, QUAD_KEY, TRIGRAM_KEY

    entries = []
    for index, pattern in enumerate(_CONTAINED):
        for text, before, after in required_literals(pattern):
            entries.append((text, before, after, CONTAINED_MARK, index))
    for text, before, after in required_literals(CREDIT_PREFILTER):
        entries.append((text, before, after, CREDIT_MARK, -1))
    keys, ends = [], []
    for text, *_ in entries:
        size = min(len(text), 4)
        start = min(range(len(text) - size + 1), key=lambda o: _commonness(text[o : o + size]))
        gram = int.from_bytes(text[start : start + size], "big")
        if size == 2:
            keys.append(PAIR_KEY | gram)
        else:
            hashed = ((gram * GRAM_MULTIPLIER) & 0xFFFFFFFF) >> 16
            keys.append((QUAD_KEY if size == 4 else TRIGRAM_KEY) | hashed)
        ends.append(start + size - 1)
    order = sorted(range(len(entries)), key=keys.__getitem__)
    pair_bits, bounded_pair_bits, trigram_bits, quad_bits = (
        np.zeros(1 << 10, np.uint64) for _ in range(4)
    )
    for entry, key in zip(entries, keys, strict=True):
        if key >= PAIR_KEY:
            # a pair after a word byte can only start a literal not asking for \b
            bits = bounded_pair_bits if entry[1] else pair_bits
        else:
            bits = trigram_bits if key >= TRIGRAM_KEY else quad_bits
        bits[(key & 0xFFFF) >> 6] |= np.uint64(1) << np.uint64(key & 63)
    data = np.frombuffer(b"".join(entries[i][0] for i in order), dtype=np.uint8).copy()
    offsets = np.concatenate([[0], np.cumsum([len(entries[i][0]) for i in order])])
    flags = [
        entries[i][3] | (_LEFT_BOUNDARY if entries[i][1] else 0)
        | (_RIGHT_BOUNDARY if entries[i][2] else 0)
        for i in order
    ]  # fmt: skip
    arguments = (
        pair_bits, bounded_pair_bits, trigram_bits, quad_bits,
        np.array([keys[i] for i in order], dtype=np.int64), data, offsets.astype(np.int64),
        np.array(flags, dtype=np.int64), np.array([ends[i] for i in order], dtype=np.int64),
    )  # fmt: skip
    return arguments, np.array([entries[i][4] for i in order], dtype=np.int64)


#: Each pattern of `CONTAINED_RE` alone: a line matches `CONTAINED_RE` exactly when
#: one of them matches it.
CONTAINED_RES = tuple(re.compile(pattern, re.IGNORECASE) for pattern in _CONTAINED)
