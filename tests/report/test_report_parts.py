"""The report's pure parts: replaying removed lines, diffs, escaping, size cap, CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from cleanse.cli import main
from cleanse.errors import InputError
from cleanse.report import Limits, build_report, domain_table
from cleanse.report.diff import diff_rows, diff_table
from cleanse.report.render import render_lines
from cleanse.report.replay import RemovedLine, ShownLine, replay
from cleanse.stages.base import nonblank_index
from cleanse.stages.site_boilerplate import line_hash, normalize_line, remove_lines

HOSTILE = '<script>alert(1)</script><img src="https://evil.example/x.png" onerror="alert(2)">'


def strip_stage(text: str, stage: str, drop: set[str]) -> tuple[str, list[RemovedLine]]:
    """A stand-in stage: remove lines in `drop`, collapse blank runs, record the lines."""
    kept, removed = [], []
    lines = text.split("\n")
    for line, at in zip(lines, nonblank_index(lines), strict=True):
        if line.strip() and line.strip() in drop:
            removed.append(RemovedLine(stage, "test", at, line))
        else:
            kept.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n"), removed


words = st.sampled_from(["nav", "share", "body", "text", "footer", "more", "the", "end"])
lines_strategy = st.lists(
    st.one_of(st.just(""), st.lists(words, min_size=1, max_size=3).map(" ".join)),
    min_size=1,
    max_size=25,
)


@given(lines=lines_strategy, first=st.sets(words), second=st.sets(words))
def test_replay_restores_every_nonblank_line_in_order(
    lines: list[str], first: set[str], second: set[str]
) -> None:
    original = "\n".join(lines)
    after_one, removed_one = strip_stage(original, "one", first)
    after_two, removed_two = strip_stage(after_one, "two", second)
    rebuilt = replay(after_two, [*removed_one, *removed_two])
    assert [x.text for x in rebuilt if x.text.strip()] == [x for x in lines if x.strip()]
    labels = {x.text.strip(): x.stage for x in rebuilt if x.removed}
    assert all(labels[line.line.strip()] == "one" for line in removed_one)
    assert not [x for x in rebuilt if not x.removed and x.text.strip() in first | second]


def test_replay_of_site_boilerplate_removals_restores_the_page() -> None:
    page = "Home | News\n\nTitle\n\nShare this\n\nBody text.\n\nCopyright 2015"
    drop = {line_hash(normalize_line(x)) for x in ("Home | News", "Share this", "Copyright 2015")}
    clean, removed = remove_lines(page, drop, max_line_chars=200)
    entries = [RemovedLine("site_boilerplate", "template", at, line) for at, line in removed]
    rebuilt = replay(clean, entries)
    assert "\n".join(x.text for x in rebuilt) == page
    assert [x.text for x in rebuilt if x.removed] == ["Home | News", "Share this", "Copyright 2015"]


def test_replay_survives_bad_indices() -> None:
    rebuilt = replay("a", [RemovedLine("s", "r", 99, "z"), RemovedLine("s", "r", -1, "y")])
    assert sorted(x.text for x in rebuilt if x.text) == ["a", "y", "z"]


def test_diff_marks_changed_words_only() -> None:
    rows = diff_rows("NATO met on Thursday.\nSame line.", "NATO met on Friday.\nSame line.")
    assert rows[0].kind == "replace"
    assert rows[0].left == "NATO met on <del>Thursday</del>."
    assert rows[0].right == "NATO met on <ins>Friday</ins>."
    assert rows[1].kind == "equal"


def test_diff_folds_long_identical_runs() -> None:
    same = "\n".join(f"line {i}" for i in range(50))
    rows = diff_rows(f"{same}\nold end", f"{same}\nnew end", context=2)
    assert [r.kind for r in rows] == ["fold", "equal", "equal", "replace"]
    assert rows[0].left == "48 identical lines"


@pytest.mark.parametrize(
    ("left", "right"),
    [(HOSTILE, "plain"), ("plain", HOSTILE), (HOSTILE + " a", HOSTILE + " b")],
    ids=["left", "right", "both"],
)
def test_diff_escapes_markup(left: str, right: str) -> None:
    html = diff_table(left, right, left_title=HOSTILE, right_title="<b>title</b>")
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html


def test_document_lines_escape_markup() -> None:
    html = render_lines([ShownLine(HOSTILE), ShownLine(HOSTILE, "s<i>", "r<i>")], 10_000)
    assert "<script" not in html and "<img" not in html and "<i>" not in html


def test_domain_table_counts_kept_and_removed(run_output: Path) -> None:
    table = domain_table(run_output)
    rows = {line.split()[0]: line.split()[1:4] for line in table.splitlines()[1:]}
    assert rows["news.example.com"][0] == "4"
    assert int(rows["news.example.com"][1]) + int(rows["news.example.com"][2]) == 4


def test_report_has_no_external_urls_or_scripts(run_output: Path) -> None:
    page = (run_output / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page, re.IGNORECASE)
    assert not re.search(r"<(?:script|link|iframe|object|embed|img)\b", page, re.IGNORECASE)
    assert "@import" not in page and "url(" not in page
    # the hostile page's markup is in the report, as text
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page


def test_report_is_cut_to_max_bytes(run_output: Path, tmp_path: Path) -> None:
    small = tmp_path / "out"
    small.mkdir()
    for name in ("stats.json", "run.json"):
        (small / name).write_bytes((run_output / name).read_bytes())
    for name in ("clean", "rejects", "duplicates", "boilerplate"):
        if (run_output / name).exists():
            (small / name).symlink_to(run_output / name)
    full = len((run_output / "report.html").read_bytes())
    path = build_report(small, max_bytes=full // 2)
    page = path.read_text(encoding="utf-8")
    assert len(page.encode()) <= full // 2
    assert "showing 1 of" in page or "showing 2 of" in page


def test_report_samples_large_tables_and_says_so(run_output: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for name in ("stats.json", "run.json", "clean", "rejects", "duplicates"):
        (out / name).symlink_to(run_output / name)
    page = build_report(out, limits=Limits(scan_rows=2)).read_text(encoding="utf-8")
    assert "Large output" in page and "a sample of 2 of" in page


def test_report_needs_an_output_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no stats\.json"):
        build_report(tmp_path)


def test_cli_report_rebuilds_the_page(run_output: Path) -> None:
    (run_output / "report.html").unlink()
    result = CliRunner().invoke(main, ["report", str(run_output)])
    assert result.exit_code == 0, result.output
    assert (run_output / "report.html").is_file()
    assert "news.example.com" in result.output
    assert result.output.strip().endswith(f"wrote {run_output / 'report.html'}")


def test_report_of_an_empty_run(tmp_path: Path) -> None:
    stats = {"rows_in": 0, "rows_clean": 0, "rows_rejected": 0, "chars_in": 0, "chars_out": 0}
    (tmp_path / "stats.json").write_text(json.dumps({**stats, "seconds": 0.1, "stages": {}}))
    page = build_report(tmp_path).read_text(encoding="utf-8")
    assert "No duplicate clusters in this run." in page
    assert "No documents to show." in page


def test_cli_report_open_launches_the_page(
    run_output: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    monkeypatch.setattr("click.launch", lambda url, **_: opened.append(url) or 0)
    result = CliRunner().invoke(main, ["report", str(run_output), "--open"])
    assert result.exit_code == 0, result.output
    assert opened == [(run_output / "report.html").resolve().as_uri()]


def test_cli_report_refuses_a_folder_without_a_run(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output == (
        f"cleanse: input error: {tmp_path} is not a cleanse output folder (no stats.json)\n"
        "  hint: pass the --output folder of a finished `cleanse run`\n"
    )


def test_cleanse_run_writes_the_report(tmp_path: Path) -> None:
    """The bar: after `cleanse run seeds/ -o out`, out/report.html exists (engine hook)."""
    out = tmp_path / "out"
    seeds = Path(__file__).resolve().parents[2] / "seeds"
    result = CliRunner().invoke(main, ["run", str(seeds), "-o", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "seeds/aljazeera-nato-turkey.txt" in page
