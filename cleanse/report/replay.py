"""Rebuild a document as it was before the line-removing stages, from its clean text.

Stages only remove lines (and collapse the blank runs left behind), and each records
the lines it removed in ``removed_lines`` with their position among the non-blank lines
of its input. Re-inserting them in reverse stage order gives back every earlier text,
with each line labelled by the stage and reason that removed it. Blank lines are
approximate: where they were before a collapse is not recorded, so a document whose
lines are separated by blank lines gets blank lines around re-inserted lines too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RemovedLine:
    """One ``removed_lines`` entry: which stage removed `line`, why, and where."""

    stage: str
    reason: str
    index: int
    line: str

    @classmethod
    def from_row(cls, row: Mapping[str, object]) -> RemovedLine:
        """Build from a ``removed_lines`` struct as pyarrow's ``to_pylist`` gives it."""
        index = row.get("index")
        return cls(
            stage=str(row.get("stage") or "?"),
            reason=str(row.get("reason") or "?"),
            index=int(index) if isinstance(index, int) else -1,
            line=str(row.get("line") or ""),
        )


@dataclass(frozen=True, slots=True)
class ShownLine:
    """A line of the rebuilt document; `stage` and `reason` are set for removed lines."""

    text: str
    stage: str | None = None
    reason: str | None = None

    @property
    def removed(self) -> bool:
        return self.stage is not None


def is_paragraph_style(lines: Sequence[str]) -> bool:
    """Return True when most non-blank lines are separated by a blank line.

    >>> is_paragraph_style(["Title", "", "Body.", "", "More."])
    True
    >>> is_paragraph_style(["Title", "Body.", "More."])
    False
    """
    breaks = blank_breaks = 0
    previous_blank = False
    seen = False
    for line in lines:
        if not line.strip():
            previous_blank = True
            continue
        if seen:
            breaks += 1
            blank_breaks += previous_blank
        seen = True
        previous_blank = False
    return breaks > 0 and blank_breaks * 2 >= breaks


def _insert(lines: list[ShownLine], at: int, new: ShownLine, *, paragraphs: bool) -> None:
    """Insert `new` so that it becomes the `at`-th non-blank line of `lines`."""
    seen = 0
    position = len(lines)
    for i, line in enumerate(lines):
        if line.text.strip():
            if seen == at:
                position = i
                break
            seen += 1
    if position == len(lines):
        # past the end (or a bad index): append after the last line
        while lines and not lines[-1].text.strip():
            lines.pop()
        if paragraphs and lines:
            lines.append(ShownLine(""))
        lines.append(new)
        return
    block = [new]
    if paragraphs:
        if position > 0 and lines[position - 1].text.strip():
            block.insert(0, ShownLine(""))
        block.append(ShownLine(""))
    lines[position:position] = block


def replay(text: str, removed: Iterable[RemovedLine]) -> list[ShownLine]:
    """Return the lines of `text` with the removed lines put back where they were.

    Stages are undone in reverse order of their first entry (the pipeline order, as
    ``add_removed_lines`` appends); within a stage, lines go back by ascending index.

    >>> rebuilt = replay("Title\\n\\nBody.", [RemovedLine("site", "template", 1, "Share")])
    >>> [(line.text, line.stage) for line in rebuilt]
    [('Title', None), ('', None), ('Share', 'site'), ('', None), ('Body.', None)]
    >>> rebuilt = replay("b", [RemovedLine("s1", "r", 0, "a"), RemovedLine("s2", "r", 1, "c")])
    >>> [line.text for line in rebuilt]
    ['a', 'b', 'c']
    """
    entries = list(removed)
    raw = text.split("\n") if text else []
    paragraphs = is_paragraph_style(raw)
    lines = [ShownLine(line) for line in raw]
    stages = list(dict.fromkeys(entry.stage for entry in entries))
    for stage in reversed(stages):
        mine = sorted((e for e in entries if e.stage == stage), key=lambda e: e.index)
        for entry in mine:
            shown = ShownLine(entry.line, stage=entry.stage, reason=entry.reason)
            _insert(lines, entry.index, shown, paragraphs=paragraphs)
    return lines
