"""split_page with section_bytes: long pages become sections sized for answers, independently
of max_page_bytes (Intercom's limit); a page that fits, or that has nowhere to split, is the
page itself, so its content hash, and what Intercom holds, do not change."""

from __future__ import annotations

import pytest

from ingestor.connectors.base import Document
from ingestor.convert import ConvertedPage, convert_document, split_page
from ingestor.convert._split import HEADINGLESS_FACTOR, TAIL_FRACTION
from ingestor.errors import PageError

HARD = 1_000_000


def page_of(markdown: str) -> ConvertedPage:
    doc = Document("guide.md", markdown, "markdown", url="https://docs.example.com/guide")
    return convert_document(doc)


def guide(sections: int = 4, words: int = 250) -> str:
    body = "# Guide\n\nIntro text.\n\n"
    for i in range(sections):
        body += f"## Step {i}\n\n" + ("alpha " * words) + "\n\n"
    return body


def paragraphs(count: int, words: int = 100) -> str:
    return "\n\n".join(f"Paragraph {i}: " + "beta " * words for i in range(count)) + "\n"


def size(page: ConvertedPage) -> int:
    return len(page.html.encode())


def test_a_page_under_section_bytes_is_the_page_itself() -> None:
    page = page_of(guide())
    assert split_page(page, HARD, section_bytes=size(page)) == [page]
    assert split_page(page, HARD, section_bytes=0) == [page]  # 0: off


def test_a_long_page_splits_at_its_headings_into_deep_linked_sections() -> None:
    page = page_of(guide())  # four steps of about 1.5 KB
    sections = split_page(page, HARD, section_bytes=2_000)
    # the short intro and Step 0 fit 2 000 bytes together: they share the page's own section
    assert [s.external_id for s in sections] == [
        "guide.md",
        "guide.md#step-1",
        "guide.md#step-2",
        "guide.md#step-3",
    ]
    assert "Step 0" in sections[0].html and "Intro text." in sections[0].html
    assert sections[0].title == page.title == "Guide"
    assert sections[1].title == "Guide — Step 1"
    assert sections[1].url == "https://docs.example.com/guide#step-1"
    assert all(size(s) <= 2_000 for s in sections)
    assert len({s.content_hash for s in sections}) == len(sections)


def test_short_neighbouring_sections_share_a_section_while_they_fit() -> None:
    page = page_of(guide(sections=20, words=40))  # a heading every ~260 bytes, 5 KB in all
    sections = split_page(page, HARD, section_bytes=2_000)
    assert 2 < len(sections) < 6  # not one section per heading
    assert all(size(s) <= 2_000 for s in sections)
    text = "".join(s.html for s in sections)
    assert [f"Step {i}<" in text for i in range(20)] == [True] * 20  # nothing lost, in order
    assert text.index("Step 19<") > text.index("Step 0<")
    for section in sections[1:]:  # each is named and deep-linked by its first heading
        first = section.html.split("</h2>", 1)[0].rsplit(">", 1)[-1]
        assert section.title == f"Guide — {first}"
        assert section.url == f"https://docs.example.com/guide#{first.lower().replace(' ', '-')}"


def test_an_edit_to_a_shared_section_leaves_the_sections_before_it_as_they_were() -> None:
    text = guide(sections=20, words=40)
    before = split_page(page_of(text), HARD, section_bytes=2_000)
    edited = text.replace("## Step 17\n\n", "## Step 17\n\nA new sentence about step 17.\n\n")
    after = split_page(page_of(edited), HARD, section_bytes=2_000)
    holder = next(i for i, section in enumerate(after) if "Step 17<" in section.html)
    assert holder > 0 and before[:holder] == after[:holder]  # same ids, titles, hashes
    assert before[holder] != after[holder]  # the edited one is sent again


def test_section_bytes_and_max_page_bytes_apply_independently() -> None:
    page = page_of(guide(sections=20, words=40))
    by_limit = split_page(page, 2_000)  # Intercom's limit: one section per heading, never packed
    assert len(by_limit) == 21 and all(size(s) <= 2_000 for s in by_limit)  # intro + 20
    by_sections = split_page(page, HARD, section_bytes=2_000)
    assert len(by_sections) < len(by_limit)
    assert split_page(page, 2_000, section_bytes=HARD) == by_limit
    assert split_page(page, 2_000, section_bytes=2_000) == by_limit  # not under the limit


def test_a_page_without_headings_is_kept_whole_until_much_longer() -> None:
    page = page_of(paragraphs(20))  # about 11 KB, no heading
    assert split_page(page, HARD, section_bytes=size(page) // 2) == [page]
    budget = size(page) // (HEADINGLESS_FACTOR * 2)
    parts = split_page(page, HARD, section_bytes=budget)
    assert len(parts) >= 2
    assert all(size(p) <= budget * HEADINGLESS_FACTOR for p in parts)
    assert parts[1].external_id == "guide.md#section" and parts[1].title.endswith(" — part 2")


def test_a_block_over_section_bytes_is_a_section_of_its_own_not_an_error() -> None:
    text = "# Guide\n\n## Small\n\n" + "a short section of its own. " * 12
    text += "\n\n## Table\n\n| a | b |\n|---|---|\n"
    text += "".join(f"| row {i} | {'gamma ' * 20} |\n" for i in range(200))
    page = page_of(text)
    sections = split_page(page, HARD, section_bytes=2_000)
    assert [s.external_id for s in sections] == ["guide.md", "guide.md#table"]
    with pytest.raises(PageError, match="max_page_bytes"):
        split_page(page, 2_000)  # over Intercom's limit it still cannot be sent


def test_what_leads_an_oversized_section_opens_its_first_section() -> None:
    """A banner image before a release too long for one section is not a page of its own (a
    page holding only an image, or a release heading and "GitHub release", answers nothing)."""
    text = "# Guide\n\n![Banner](banner.png)\n\n## Release 2\n\nGitHub release\n\n"
    text += "### Changed\n\n" + "alpha " * 250 + "\n\n### Fixed\n\n" + "beta " * 250 + "\n\n"
    text += "## Release 1\n\n" + "gamma " * 100 + "\n"
    sections = split_page(page_of(text), HARD, section_bytes=2_000)
    assert [s.external_id for s in sections] == ["guide.md", "guide.md#fixed", "guide.md#release-1"]
    first = sections[0].html
    assert "Banner" in first and "Release 2<" in first and "Changed<" in first and "alpha" in first
    assert all(size(s) <= 2_000 for s in sections)


def test_a_tiny_lead_opens_an_oversized_section_even_past_section_bytes() -> None:
    """A release's heading and its one line before a section too long to share is no page of
    its own even when the two together are over section_bytes (within max_page_bytes)."""
    text = "# Guide\n\n" + "intro words " * 150 + "\n\n## v2.14.0b1\n\nGitHub release\n\n"
    text += "### What's Changed\n\n" + "delta " * 330 + "\n\n## v2.13.0\n\n" + "eps " * 150
    sections = split_page(page_of(text), HARD, section_bytes=2_000)
    assert [s.external_id for s in sections] == [
        "guide.md", "guide.md#v2140b1", "guide.md#v2130"
    ]  # fmt: skip
    release = sections[1]
    assert release.title == "Guide — v2.14.0b1"
    assert "GitHub release" in release.html and "delta" in release.html
    assert 2_000 < size(release) < 2_000 + 2_000 // TAIL_FRACTION


def test_a_tiny_tail_ends_the_section_before_it() -> None:
    """A release's "New contributors" list after a section it cannot share with is no page of
    its own either."""
    text = "# Guide\n\n" + "intro words " * 75 + "\n\n## v2\n\n### Changed\n\n" + "alpha " * 330
    text += "\n\n### New contributors\n\n@someone made a first contribution\n\n"
    text += "## v1\n\n" + "beta " * 300
    sections = split_page(page_of(text), HARD, section_bytes=2_000)
    assert [s.external_id for s in sections] == ["guide.md", "guide.md#v2", "guide.md#v1"]
    assert "alpha" in sections[1].html and "@someone" in sections[1].html


def test_a_section_starting_at_a_sub_heading_is_named_with_its_parent() -> None:
    """Five sections titled "Pydantic — Fixes" tell a customer nothing: each is named with the
    release it belongs to; the page title is not said twice."""
    text = "# Pydantic\n\n" + "intro " * 300
    for release in ("v2", "v1"):
        text += f"\n\n## {release}\n\n" + "words " * 300
        text += "\n\n### Fixes\n\n" + f"{release}fix " * 300
    text += "\n\n# Pydantic\n\n" + "outro " * 300
    titles = [s.title for s in split_page(page_of(text), HARD, section_bytes=2_000)]
    assert titles == [
        "Pydantic", "Pydantic — v2", "Pydantic — v2 — Fixes", "Pydantic — v1",
        "Pydantic — v1 — Fixes", "Pydantic",
    ]  # fmt: skip


def test_a_subtitle_set_as_a_heading_is_left_out_of_section_titles() -> None:
    standfirst = "A long standfirst that a news site sets as a heading above its article text"
    text = f"# News\n\n## {standfirst} and more\n\n" + "story " * 400
    text += "\n\n### About the author\n\n" + "bio " * 400
    titles = [s.title for s in split_page(page_of(text), HARD, section_bytes=2_000)]
    assert titles[-1] == "News — About the author"


def test_a_footer_after_a_heading_less_run_never_stands_alone() -> None:
    """Whatever the budget, a copyright line is never a section of its own, and the parts of a
    run without headings are of about even size (a page just over the budget is two halves,
    not the page and its last line)."""
    page = page_of(paragraphs(20) + "\nCopyright 2015, Example Inc.\n")
    for section_bytes in range(size(page) // 16, size(page) // 4, 97):
        parts = split_page(page, HARD, section_bytes=section_bytes)
        assert len(parts) >= 2, section_bytes
        assert not any(p.html.startswith("<p>Copyright") for p in parts), section_bytes
        sizes = [size(p) for p in parts]
        assert max(sizes) < 2 * min(sizes), (section_bytes, sizes)
        assert max(sizes) <= section_bytes * HEADINGLESS_FACTOR, (section_bytes, sizes)
    one_block = page_of("delta " * 2_000 + "\n\nCopyright 2015, Example Inc.\n")
    just_over = (size(one_block) - 10) // HEADINGLESS_FACTOR
    assert split_page(one_block, HARD, section_bytes=just_over) == [one_block]


def test_a_table_row_count_stays_with_its_table() -> None:
    """A database page is a table too long for a part and its "N rows." line: one page, not
    the table and a page that says "200 rows."."""
    text = "# Tracker\n\n| date | ran |\n|---|---|\n"
    text += "".join(f"| day {i} | {'yes ' * 20} |\n" for i in range(200)) + "\n200 rows.\n"
    page = page_of(text)
    assert split_page(page, HARD, section_bytes=2_000) == [page]


def test_the_parts_of_a_run_led_by_a_heading_are_numbered() -> None:
    """The second part of a run whose only heading is the page's h1 is "part 2" with an id of
    its own, not a second section named and deep-linked like the heading (nor "Guide — Guide")."""
    page = page_of("# Guide\n\n" + paragraphs(20))
    parts = split_page(page, HARD, section_bytes=size(page) // (HEADINGLESS_FACTOR * 2))
    assert len(parts) >= 2
    assert parts[1].title == "Guide — part 2"
    assert parts[1].external_id == "guide.md#guide-part-2"
    assert parts[1].url == "https://docs.example.com/guide#guide-part-2"
