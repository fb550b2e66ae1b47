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

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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

# Prefilters for a whole batch of lines at once, in RE2 (pyarrow): each matches every line
# its `re` pattern matches, and more; `re` then confirms the few candidates. RE2 is
# given the same patterns with two changes that can only add matches: no ``\b`` in
# the phrase patterns, and the four characters Python's IGNORECASE matches to an ASCII
# letter where RE2's case folding does not are replaced by that letter first (every
# other character Python matches case-insensitively, RE2 matches too; a test checks
# both claims). The credit patterns keep ``\b``: each sits next to an ASCII letter,
# and RE2's ASCII word boundary holds wherever Python's Unicode one does there.
_RE2_FOLDS = {"\u0130": "i", "\u0131": "i", "\u212a": "k", "\u017f": "s"}
CONTAINED_PREFILTER = "|".join(pattern.replace(r"\b", "") for pattern in _CONTAINED)
#: A whole-line phrase anywhere in the line, any characters where its core has a space.
WHOLE_PREFILTER = "|".join(p.replace(" ?", " ").replace(" ", "(?s:.*)") for p in _WHOLE)
#: Agencies as words, or a credit keyword anywhere: what every credit pattern needs.
CREDIT_PREFILTER = (
    rf"\b(?:{_AGENCIES})\b|photo|foto|bild|kuva|image|picture|source|quelle|fuente|"
    r"k[äa]lla|l[äa]hde|cr[ée]dit"
)


def fold(lines: pa.Array) -> pa.Array:
    """Return `lines` ready for `prefilter`: what Python's case folding alone maps to an
    ASCII letter, replaced by that letter."""
    for char, letter in _RE2_FOLDS.items():
        lines = pc.replace_substring(lines, char, letter)
    return lines


def prefilter(folded: pa.Array, pattern: str) -> np.ndarray:
    """Return True for each of the `fold`-ed lines RE2 `pattern` matches (any case)."""
    found = pc.match_substring_regex(folded, pattern, ignore_case=True)
    return found.to_numpy(zero_copy_only=False)


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
