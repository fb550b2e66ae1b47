"""Derive the demo variants in seeds/derived/ from the seed article.

    python scripts/make_seeds.py            # rewrite seeds/derived/
    python scripts/make_seeds.py --check    # exit 1 if seeds/derived/ is stale

Each variant exercises one stage of the default pipeline on ``cleanse run seeds/``:

- ``*.copy.txt``      an exact copy (exact_dedup removes it);
- ``*.mojibake.txt``  the article's UTF-8 bytes read as Windows-1252 (as browsers
                      do, bytes 0x81/0x8D/0x8F/0x90/0x9D kept as C1 controls), the commonest
                      mojibake on the web (fix_encoding repairs it, then it is an exact
                      duplicate of the original);
- ``*.repost.txt``    the article re-posted by another site: other chrome at head and
                      tail (nav, share and cookie lines, a footer), the Al Jazeera
                      chrome gone, a few words changed (strip_boilerplate removes the
                      chrome, near_dedup removes the near-copy).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import ftfy.bad_codecs  # noqa: F401 - registers "sloppy-windows-1252"

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SEED = SEEDS / "aljazeera-nato-turkey.txt"
DERIVED = SEEDS / "derived"

REPOST_HEAD = [
    "Home | World | Europe | Middle East | Business | Sport",
    "Share on Facebook",
    "Share on Twitter",
    "",
]
REPOST_TAIL = [
    "",
    "Read more:",
    "Follow us on Twitter and Facebook",
    "We use cookies to improve your experience. By continuing you accept our cookie policy.",
    "© 2015 The Daily Courier. All rights reserved.",
]
# a re-post edits a few words, as syndication desks do
REPOST_EDITS = [
    ("NATO said it is prepared", "NATO says it is prepared"),
    ("are meeting Thursday in Brussels", "will meet on Thursday in Brussels"),
    ("Concern has also been raised", "Concern has been raised"),
]


def article_body(text: str) -> list[str]:
    """Return the seed's lines from the headline to the agency sign-off."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("NATO chief"))
    end = next(i for i, line in enumerate(lines) if line == "Al Jazeera and Reuters")
    return lines[start : end + 1]


def variants(seed: str) -> dict[str, str]:
    """Return {file name: content} of every derived variant."""
    repost = "\n".join(REPOST_HEAD + article_body(seed) + REPOST_TAIL) + "\n"
    for old, new in REPOST_EDITS:
        assert old in repost, old
        repost = repost.replace(old, new)
    return {
        "aljazeera-nato-turkey.copy.txt": seed,
        "aljazeera-nato-turkey.mojibake.txt": seed.encode("utf-8").decode("sloppy-windows-1252"),
        "aljazeera-nato-turkey.repost.txt": repost,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check seeds/derived/")
    args = parser.parse_args()
    seed = SEED.read_text(encoding="utf-8")
    stale = []
    for name, content in variants(seed).items():
        path = DERIVED / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != content:
                stale.append(name)
            continue
        DERIVED.mkdir(exist_ok=True)
        path.write_text(content, encoding="utf-8")
        print(f"wrote {path.relative_to(SEEDS.parent)}")
    if stale:
        print("stale: " + ", ".join(stale) + " (run python scripts/make_seeds.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
