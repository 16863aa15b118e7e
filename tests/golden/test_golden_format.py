"""The golden machinery itself: exact round trips, readable diffs, updating, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from .golden_files import (
    GoldenPage,
    compare_golden,
    expected_name,
    parse_golden,
    render_golden,
)

SINGLE_LINE = (
    "<div><h1>Shipping FAQ</h1><table><thead><tr><th>Region</th><th>Days</th></tr></thead>"
    "<tbody><tr><td>EU</td><td>3 to 5</td></tr><tr><td>Japan 日本</td><td>2 to 4</td></tr>"
    "<tr><td>United States of America</td><td>5 to 8 business days</td></tr></tbody>"
    "</table><p>Keep\nthis newline.</p><pre><code>a\n\n  b</code></pre><ul><li>one</li>"
    "<li>two<br>three</li></ul><pre>x</pre></div>"
)


def page(html: str, **overrides: object) -> GoldenPage:
    values: dict[str, object] = {
        "external_id": "guides/intro.md",
        "title": 'Intro -- "quoted" ☕',
        "url": "https://docs.example.com/guides/intro",
        "content_hash": "0" * 64,
        "warnings": ("front matter: bad yaml",),
        "html": html,
    }
    values |= overrides
    return GoldenPage(**values)  # type: ignore[arg-type]  # values typed per field above


@pytest.mark.parametrize(
    "html",
    [
        "<h1>Intro</h1>\n<p>Short lines are stored as sent.</p>\n",
        SINGLE_LINE,
        SINGLE_LINE + "\n",
        "<p>" + "long paragraph " * 30 + "</p>\n<p>x</p>",
        "",
        "<pre>only code\n</pre>",
    ],
)
def test_round_trip_gives_back_the_exact_bytes(html: str) -> None:
    original = page(html)
    assert parse_golden(render_golden(original), "x.html") == original


def test_single_line_html_is_stored_one_block_per_line() -> None:
    text = render_golden(page(SINGLE_LINE))
    assert 'layout: "newlines added"' in text
    assert "<tr>\n<td>EU</td><td>3 to 5</td></tr>\n" in text
    assert "<pre><code>a\n\n  b</code></pre>\n<ul>" in text  # <pre> content untouched
    assert max(len(line) for line in text.split("\n")) < 120


def test_header_is_a_valid_html_comment_and_names_the_page() -> None:
    text = render_golden(page("<p>x</p>", title="a --> b -- c"))
    header = text[: text.index("\n-->\n")]
    assert "-->" not in header and "--!>" not in header  # the comment ends where it should
    assert '  external_id: "guides/intro.md"' in text
    assert "pytest tests/golden --update-golden" in text
    assert parse_golden(text, "x.html").title == "a --> b -- c"


def test_expected_names_follow_the_input_path() -> None:
    assert expected_name("guides/intro.md") == "guides/intro.html"
    assert expected_name("Known issues 5e4d.csv") == "Known issues 5e4d.html"
    assert expected_name("Übersicht_der_Tarife.html") == "Übersicht_der_Tarife.html"
    assert expected_name("README") == "README.html"


def test_a_change_fails_with_a_unified_diff_naming_the_file(tmp_path: Path) -> None:
    before = page("<h1>Intro</h1>\n<p>Old text.</p>\n")
    compare_golden(tmp_path, {"guides/intro.md": before}, update=True)
    after = page("<h1>Intro</h1>\n<p>New text.</p>\n")
    result = compare_golden(tmp_path, {"guides/intro.md": after}, update=False)
    [problem] = result.problems
    assert "--- expected/guides/intro.html" in problem
    assert "+++ actual/guides/intro.html" in problem
    assert "-<p>Old text.</p>" in problem and "+<p>New text.</p>" in problem
    assert "--update-golden" in result.report("filesystem")


def test_a_hash_or_title_change_alone_is_a_difference(tmp_path: Path) -> None:
    compare_golden(tmp_path, {"a.md": page("<p>x</p>")}, update=True)
    for changed in (page("<p>x</p>", content_hash="1" * 64), page("<p>x</p>", title="Other")):
        result = compare_golden(tmp_path, {"a.md": changed}, update=False)
        assert len(result.problems) == 1 and "+++ actual/a.html" in result.problems[0]


def test_missing_and_stale_files_are_reported(tmp_path: Path) -> None:
    compare_golden(tmp_path, {"old/gone.md": page("<p>x</p>")}, update=True)
    result = compare_golden(tmp_path, {"new.md": page("<p>y</p>")}, update=False)
    assert result.problems == (
        "expected/new.html: missing (new input page 'guides/intro.md')",
        "expected/old/gone.html: stale (no input page produces it)",
    )


def test_update_writes_changed_files_only_and_removes_stale_ones(tmp_path: Path) -> None:
    first = compare_golden(
        tmp_path, {"a.md": page("<p>a</p>"), "sub/b.md": page("<p>b</p>")}, update=True
    )
    assert first.written == ("a.html", "sub/b.html")
    second = compare_golden(tmp_path, {"a.md": page("<p>A</p>")}, update=True)
    assert second.written == ("a.html",) and second.removed == ("sub/b.html",)
    assert not (tmp_path / "sub").exists()
    assert compare_golden(tmp_path, {"a.md": page("<p>A</p>")}, update=False).problems == ()


def test_a_hand_edited_file_gets_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text("<p>edited by hand</p>\n", encoding="utf-8")
    result = compare_golden(tmp_path, {"a.md": page("<p>a</p>")}, update=False)
    assert result.problems == (
        "expected/a.html: not a golden file (header missing); regenerate it",
    )
