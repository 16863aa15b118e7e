"""convert_document end to end, its errors, to_markdown, and the public surface."""

from __future__ import annotations

import pickle
from typing import Any, cast

import pytest

import ingestor.convert as convert_api
from ingestor.connectors.base import Document
from ingestor.convert import ConvertedPage, convert_document, to_markdown
from ingestor.errors import PageError, PageSkipped, SyncError


def test_public_api() -> None:
    assert sorted(convert_api.__all__) == [
        "ConvertedPage",
        "SECTION_SEPARATOR",
        "broken_targets",
        "convert_document",
        "require_text",
        "split_page",
        "text_beyond_title",
        "to_markdown",
        "without_dead_links",
    ]


def test_a_wiki_page_end_to_end() -> None:
    page = convert_document(
        Document(
            external_id="kb/Refunds.html",
            body=(
                "<html><head><title>Refunds | Wiki</title></head><body><nav>Home</nav>"
                "<main><h1>Refunds</h1><p>See <a href='billing.html'>billing</a>.</p>"
                "<script>x()</script></main></body></html>"
            ),
            body_format="html",
            url="https://wiki.example.com/kb/Refunds.html",
            metadata={"path": "kb/Refunds.html"},
        )
    )
    assert page == ConvertedPage(
        external_id="kb/Refunds.html",
        title="Refunds",
        url="https://wiki.example.com/kb/Refunds.html",
        html='<h1>Refunds</h1><p>See <a href="https://wiki.example.com/kb/billing.html">'
        "billing</a>.</p>",
        content_hash=page.content_hash,
        warnings=(),
    )


def test_conversion_is_pure_and_repeatable() -> None:
    doc = Document(external_id="a", body="# A\n\ntext [x](y.md)", body_format="markdown")
    assert convert_document(doc) == convert_document(doc)


@pytest.mark.parametrize(
    "body",
    [
        "",
        "   \n ",
        "<!-- nothing -->",
        "<script>only()</script>",
        "<nav>menu</nav><footer>f</footer>",
        "<html><head><title>T</title></head><body>  </body></html>",
        "<p> &nbsp; </p>",
    ],
)
def test_nothing_left_is_a_page_error_naming_the_page(body: str) -> None:
    with pytest.raises(PageSkipped, match=r"page 'kb/empty\.html': nothing left after cleaning"):
        convert_document(Document(external_id="kb/empty.html", body=body, body_format="html"))


def test_an_image_alone_is_content() -> None:
    page = convert_document(
        Document(external_id="i", body='<img src="https://x.example/a.png">', body_format="html")
    )
    assert page.html == '<img src="https://x.example/a.png">'


def test_unknown_body_format_is_a_page_error() -> None:
    doc = Document(external_id="x", body="x", body_format=cast(Any, "pdf"))
    with pytest.raises(PageError, match=r"page 'x': unknown body_format 'pdf'"):
        convert_document(doc)


def test_page_error_is_per_page_not_fatal() -> None:
    assert issubclass(PageError, SyncError)


def test_odd_characters_do_not_crash() -> None:
    body = "<p>nul\x00 control\x01\x1f surrogate-free \ufffd emoji \U0001f600 rtl \u202e</p>"
    page = convert_document(Document(external_id="odd", body=body, body_format="html"))
    assert "emoji \U0001f600" in page.html


def test_converted_pages_cross_process_boundaries() -> None:
    # the engine converts in a process pool: pages and documents must pickle
    doc = Document(external_id="p", body="<p>x</p>", body_format="html", metadata={"path": "p"})
    page = convert_document(doc)
    assert pickle.loads(pickle.dumps(page)) == page
    assert pickle.loads(pickle.dumps(doc)) == doc


def test_warnings_are_collected() -> None:
    page = convert_document(
        Document(
            external_id="w.md",
            body="---\ntitle: [broken\n---\n[rel](other.md)\n",
            body_format="markdown",
        )
    )
    assert len(page.warnings) == 2
    assert page.warnings[0].startswith("front matter ignored")
    assert page.warnings[1] == "1 relative link(s) left relative: the page has no url"


def test_to_markdown_is_normalized() -> None:
    html = (
        "<h1>Title</h1><p>Text with <strong>bold</strong>, <a href='https://x.example'>a link</a>"
        "<br>and a break.   </p>\n\n\n<ul><li>one</li><li>two</li></ul>"
        "<pre><code>code  block</code></pre><table><tr><th>A</th></tr><tr><td>1</td></tr></table>"
    )
    markdown = to_markdown(html)
    assert markdown.startswith("# Title\n\nText with **bold**, [a link](https://x.example)\\\n")
    assert "- one\n- two" in markdown
    assert "```\ncode  block\n```" in markdown
    assert "| A |" in markdown
    assert "\n\n\n" not in markdown
    assert all(line == line.rstrip() for line in markdown.splitlines())
    assert markdown.endswith("\n") and not markdown.endswith("\n\n")


def test_to_markdown_edge_inputs() -> None:
    assert to_markdown("") == ""
    assert to_markdown("https://example.com/looks/like/a/url") == (
        "https://example.com/looks/like/a/url\n"
    )
    assert to_markdown("plain.txt") == "plain.txt\n"
