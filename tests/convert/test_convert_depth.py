"""Deeply nested HTML (unclosed tags of legacy pages): read whole, never cut silently."""

from __future__ import annotations

import re

import pytest

from ingestor.connectors.base import Document
from ingestor.convert import convert_document, split_page
from ingestor.errors import PageError

URL = "https://intranet.example.com/old/prices.html"


def legacy_page(paragraphs: int) -> Document:
    """FrontPage-style HTML: every paragraph opens a <font> that is never closed, so libxml2
    nests each paragraph inside the one before (two levels a paragraph)."""
    body = "".join(
        f'<p><font face="Arial">Paragraph {n} of the price list. <a href="item{n}.html">item</a>'
        for n in range(paragraphs)
    )
    return Document(
        "old/prices.html", f"<html><body><h1>Prices</h1>{body}</body></html>", "html", url=URL
    )


def numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r"Paragraph (\d+) of", html)]


def test_every_paragraph_of_a_page_of_unclosed_tags_reaches_fin_in_order() -> None:
    page = convert_document(legacy_page(400))  # 800 levels: libxml2 alone stops at 256
    assert numbers(page.html) == list(range(400))
    assert 'href="https://intranet.example.com/old/item399.html"' in page.html
    assert any("levels deep (unclosed tags?)" in warning for warning in page.warnings)
    # the stages that parse the page again (sections) read it whole too
    sections = split_page(page, 35_000)
    assert len(sections) > 1
    assert numbers("".join(section.html for section in sections)) == list(range(400))


def test_text_after_a_deep_block_is_kept() -> None:
    body = "<h1>T</h1>" + "<div>" * 300 + "deep text" + "</div>" * 300 + "<p>After the block.</p>"
    html = convert_document(Document("p.html", body, "html", url=URL)).html
    assert "deep text" in html and "After the block." in html


def test_a_page_nested_beyond_what_the_parser_can_read_fails_naming_it() -> None:
    body = "<h1>T</h1>" + "<span>" * 2_100 + "lost" + "</span>" * 2_100 + "<p>after</p>"
    with pytest.raises(PageError, match=r"'deep\.html'.*more than 2,048 levels deep"):
        convert_document(Document("deep.html", body, "html", url=URL))


def test_ordinary_nesting_is_left_alone() -> None:
    body = "<h1>T</h1>" + "<div>" * 40 + "<p>Nested <b>text</b></p>" + "</div>" * 40
    page = convert_document(Document("p.html", body, "html", url=URL))
    assert "<p>Nested <b>text</b></p>" in page.html and page.warnings == ()
