"""split_page: oversized pages become sections at headings, deterministically."""

from __future__ import annotations

import pytest

from ingestor.connectors.base import Document
from ingestor.convert import ConvertedPage, convert_document, split_page
from ingestor.errors import PageError


def page_of(markdown: str) -> ConvertedPage:
    doc = Document("guide.md", markdown, "markdown", url="https://docs.example.com/guide")
    return convert_document(doc)


def guide(words: dict[int, str] | None = None) -> str:
    words = words or {}
    body = "# Guide\n\nIntro text.\n\n"
    for i in range(4):
        body += f"## Step {i}\n\n" + (words.get(i, "alpha ") * 250) + "\n\n"
    return body


def size(html: str) -> int:
    return len(html.encode())


def test_a_page_that_fits_is_left_whole() -> None:
    page = page_of(guide())
    assert split_page(page, 1_000_000) == [page]


def test_sections_at_headings_with_ids_titles_deep_links_and_budget() -> None:
    page = page_of(guide())
    sections = split_page(page, 2_000)
    assert [s.external_id for s in sections] == [
        "guide.md",
        "guide.md#step-0",
        "guide.md#step-1",
        "guide.md#step-2",
        "guide.md#step-3",
    ]
    assert sections[0].title == "Guide" and sections[0].url == "https://docs.example.com/guide"
    assert "Intro text." in sections[0].html
    assert sections[2].title == "Guide — Step 1"
    assert sections[2].url == "https://docs.example.com/guide#step-1"
    assert all(size(s.html) <= 2_000 for s in sections)
    text = "".join(s.html for s in sections)
    assert text.count("alpha") == 1000  # nothing lost, nothing repeated


def test_an_edit_to_one_section_changes_only_that_section() -> None:
    before = split_page(page_of(guide()), 2_000)
    after = split_page(page_of(guide({2: "omega "})), 2_000)
    changed = [
        a.external_id
        for a, b in zip(after, before, strict=True)
        if a.content_hash != b.content_hash
    ]
    assert changed == ["guide.md#step-2"]
    assert split_page(page_of(guide()), 2_000) == before  # deterministic


def test_a_big_section_splits_again_at_its_subheadings_then_into_parts() -> None:
    md = "# T\n\n## Big\n\n### One\n\n" + "a " * 600 + "\n\n### Two\n\n" + "b " * 600 + "\n\n"
    md += "## Flat\n\n" + "".join(f"Paragraph {i} " + "c " * 300 + "\n\n" for i in range(4))
    sections = split_page(page_of(md), 1_400)
    ids = [s.external_id for s in sections]
    # the lone "# T" and "## Big" headings lead the first group: no heading-only sections
    assert ids[:2] == ["guide.md", "guide.md#two"], ids
    assert "<h2" in sections[0].html and "a a a" in sections[0].html
    assert "guide.md#flat" in ids and "guide.md#flat-part-2" in ids
    assert any(s.title == "T — Flat (part 2)" for s in sections)
    assert all(size(s.html) <= 1_400 for s in sections)


def test_repeated_heading_names_get_unique_ids() -> None:
    md = "# T\n\n" + "".join("## FAQ\n\n" + "q " * 400 + "\n\n" for _ in range(3))
    ids = [s.external_id for s in split_page(page_of(md), 1_000)]
    assert len(ids) == len(set(ids))


def test_one_block_over_the_budget_is_an_error_not_a_truncation() -> None:
    md = "# T\n\n```\n" + "x = 1\n" * 1000 + "```\n"
    with pytest.raises(PageError, match=r"guide.md: one <pre> alone is .* over max_page_bytes"):
        split_page(page_of(md), 2_000)


def test_in_page_links_follow_their_target_across_sections() -> None:
    # A footnote reference in one section, its note in another; a link within one section.
    html = (
        "<h2 id='usage'>Usage</h2><p>"
        + "word " * 300
        + "<sup><a href='#note-1'>[1]</a></sup> see <a href='#usage'>above</a>.</p>"
        + "<h2 id='notes'>Notes</h2><ol><li id='note-1'>The note. "
        + "word " * 300
        + "</li></ol>"
    )
    doc = Document("faq", html, "html", url="https://wiki.example.com/FAQ")
    page = convert_document(doc)
    budget = 2_000
    usage, notes = split_page(page, budget)
    assert '<a href="https://wiki.example.com/FAQ#note-1">[1]</a>' in usage.html
    assert '<a href="#usage">above</a>' in usage.html
    assert '<li id="note-1">' in notes.html
    assert all(size(section.html) <= budget for section in (usage, notes))
