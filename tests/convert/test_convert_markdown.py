"""Markdown and plain text rendering, and YAML front matter."""

from __future__ import annotations

import pytest

from ingestor.connectors.base import Document
from ingestor.convert import convert_document
from ingestor.convert._markdown import markdown_to_html, split_front_matter, text_to_html


def test_commonmark_with_tables_and_strikethrough() -> None:
    html = markdown_to_html(
        "# Title\n\nSome *em* and **strong** and ~~gone~~ and `code`.\n\n"
        "| Plan | Seats |\n|:-----|------:|\n| Pro | 5 |\n\n"
        "```python\nprint('hi')\n```\n\n- a\n- b\n\n1. one\n\n> quote\n"
    )
    assert "<h1>Title</h1>" in html
    assert "<em>em</em>" in html and "<strong>strong</strong>" in html
    assert "<s>gone</s>" in html and "<code>code</code>" in html
    assert "<table>" in html and '<th style="text-align: left">Plan</th>' in html
    assert "<pre><code class=\"language-python\">print('hi')\n</code></pre>" in html
    assert "<ul>" in html and "<ol>" in html and "<blockquote>" in html


@pytest.mark.parametrize(
    "markdown",
    [
        "| a | b |\n|---|---|\n| 1 | 2 |\n",
        "a | b\n--|--\n1 | 2\n",
        "| single |\n| :---: |\n| x |\n",
        "> | a | b |\n> |---|---|\n> | 1 | 2 |\n",
        "- item\n\n  | a | b |\n  | - | - |\n  | 1 | 2 |\n",
    ],
)
def test_tables_are_found_however_they_are_written(markdown: str) -> None:
    assert "<table>" in markdown_to_html(markdown)


def test_pipes_without_a_table_render_as_text() -> None:
    assert markdown_to_html("a | b\n\nc || d\n") == "<p>a | b</p>\n<p>c || d</p>\n"


def test_front_matter_title_and_url() -> None:
    matter = split_front_matter(
        "---\ntitle: Reset your password\nurl: https://help.example.com/reset\ntags: [a]\n---\n"
        "# Body\n"
    )
    assert matter.title == "Reset your password"
    assert matter.url == "https://help.example.com/reset"
    assert matter.body == "# Body\n"
    assert matter.warnings == ()


def test_front_matter_variants() -> None:
    assert split_front_matter("---\n---\nbody").body == "body"
    assert split_front_matter("---\ntitle: x\n...\nbody").title == "x"
    assert split_front_matter("---  \ntitle: 2024\n---\n").title == "2024"
    assert split_front_matter("---\ntitle: 2024-05-01\n---\n").title == "2024-05-01"
    no_matter = split_front_matter("# Title\n---\ntitle: x\n---\n")
    assert no_matter.title is None and no_matter.body.startswith("# Title")
    unclosed = split_front_matter("---\ntitle: x\nno end")
    assert unclosed.title is None and unclosed.body == "---\ntitle: x\nno end"


def test_broken_front_matter_is_a_warning_not_a_crash() -> None:
    matter = split_front_matter("---\ntitle: [unclosed\nurl: x\n---\nBody text\n")
    assert matter.title is None
    assert matter.body == "Body text\n"
    assert len(matter.warnings) == 1
    assert matter.warnings[0].startswith("front matter ignored: invalid YAML at line")


def test_non_mapping_front_matter_stays_markdown() -> None:
    # "---", a line, "---" is also a thematic break and a setext heading
    matter = split_front_matter("---\nJust a heading\n---\nText\n")
    assert matter.body == "---\nJust a heading\n---\nText\n"
    assert matter.warnings == ("front matter ignored: expected a mapping of keys, got a str",)


def test_bad_front_matter_values_are_ignored_with_warnings() -> None:
    matter = split_front_matter("---\ntitle: [a, b]\nurl: javascript:alert(1)\n---\n")
    assert matter.title is None and matter.url is None
    assert matter.warnings == (
        "front matter title ignored: expected text, got a list",
        "front matter url ignored: not an absolute http(s) URL: 'javascript:alert(1)'; "
        "the page keeps its own url",
    )


def test_front_matter_through_convert_document() -> None:
    page = convert_document(
        Document(
            external_id="guides/reset.md",
            body="\ufeff---\r\ntitle: From matter\r\nurl: https://help.example.com/reset\r\n---\r\n"
            "# From h1\r\n\r\nSee [billing](../billing.md).\r\n",
            body_format="markdown",
            url="https://files.example.com/guides/reset.md",
            fallback_title="Reset",
        )
    )
    assert page.title == "From matter"
    assert page.url == "https://help.example.com/reset"  # the author's url beats the template
    assert 'href="https://help.example.com/billing.md"' in page.html
    assert '<h1 id="from-h1">From h1</h1>' in page.html
    assert "title:" not in page.html


def test_document_title_beats_front_matter_title() -> None:
    page = convert_document(
        Document(
            external_id="x.md",
            body="---\ntitle: Matter\n---\ntext",
            body_format="markdown",
            title="Wiki title",
        )
    )
    assert page.title == "Wiki title"


def test_broken_front_matter_page_still_converts() -> None:
    page = convert_document(
        Document(
            external_id="b.md", body="---\n: : :\n  - [\n---\nStill here\n", body_format="markdown"
        )
    )
    assert "Still here" in page.html
    assert page.warnings and "front matter ignored" in page.warnings[0]


def test_plain_text_paragraphs_and_line_breaks() -> None:
    html = text_to_html("Line one\nLine two\n\n\n  \nSecond paragraph & <more>\n")
    assert html == "<p>Line one<br>\nLine two</p>\n<p>Second paragraph &amp; &lt;more&gt;</p>"
    assert text_to_html("\n\n") == ""


def test_text_document_keeps_crlf_line_breaks() -> None:
    page = convert_document(
        Document(
            external_id="n.txt", body="a\r\nb\r\n\r\nc", body_format="text", fallback_title="N"
        )
    )
    assert page.html == "<p>a<br>\nb</p>\n<p>c</p>"
    assert page.title == "N"


def test_footnotes_link_to_their_text_and_survive_conversion() -> None:
    from ingestor.connectors.base import Document
    from ingestor.convert import convert_document

    source = "# Limits\n\nUploads are capped[^cap].\n\n[^cap]: 25 MB per file.\n"
    html = convert_document(
        Document(external_id="a", body=source, body_format="markdown", url="https://x/a")
    ).html
    assert '<sup><a href="#cap">1</a></sup>' in html
    assert '<div id="cap">' in html and "25 MB per file." in html
