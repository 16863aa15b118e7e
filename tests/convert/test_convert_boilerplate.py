"""Boilerplate removal for whole web pages: menus, tag clouds and share bars go, prose stays."""

from __future__ import annotations

from ingestor.connectors.base import Document
from ingestor.convert import convert_document
from ingestor.convert._boilerplate import is_whole_document

URL = "https://www.example.com/blog/post.html"
PROSE = (
    "Refunds are issued to the original payment method within five business days of the "
    "request, and the customer receives an email once the money is on its way."
)


def convert(body: str) -> str:
    return convert_document(Document(external_id="p", body=body, body_format="html", url=URL)).html


def page(inner: str) -> str:
    return f"<!DOCTYPE html><html><head><title>T</title></head><body>{inner}</body></html>"


def links(*labels: str) -> str:
    return "".join(f'<li><a href="/{label}">{label}</a></li>' for label in labels)


def test_only_whole_documents_are_pruned() -> None:
    assert is_whole_document("<html><body class='x'><p>a</p></body></html>")
    assert not is_whole_document("<p>a fragment from a wiki</p><ul><li>x</li></ul>")
    menu = f"<ul>{links('alpha', 'beta', 'gamma', 'delta')}</ul>"
    # a connector's cleaned fragment keeps its link lists (they are the page's content)
    assert "alpha" in convert(f"<p>{PROSE}</p>{menu}")
    assert "alpha" not in convert(page(f"<div><p>{PROSE}</p></div>{menu}"))


def test_link_menus_and_tag_clouds_go_without_telltale_names() -> None:
    html = convert(
        page(
            f"<div><ol>{links('accounting', 'advocacy', 'agpl', 'android', 'apache')}</ol>"
            '<div><a href="/a">Home</a> | <a href="/b">About</a> | <a href="/c">Jobs</a></div>'
            f"<div><h1>Refund policy</h1><p>{PROSE}</p><p>{PROSE}</p></div></div>"
        )
    )
    assert "Refund policy" in html and "original payment method" in html
    for chrome in ("accounting", "advocacy", "Home", "Jobs"):
        assert chrome not in html


def test_prose_with_many_links_is_kept() -> None:
    words = ["In", "fact", "the", "views", "posted", "over", "the", "last", "years", "escalated"]
    linked = " ".join(f'<a href="/{n}">{word}</a>' for n, word in enumerate(words))
    html = convert(page(f"<div><p>{PROSE} {linked}, as many noticed.</p><p>{PROSE}</p></div>"))
    assert "escalated" in html and "as many noticed" in html


def test_boilerplate_class_and_id_words_go_unless_they_say_content() -> None:
    html = convert(
        page(
            f'<div class="post-content"><p>{PROSE}</p>'
            '<p class="comments">Submit comments on this post</p>'
            '<div class="share-buttons">Share this on Twitter</div>'
            '<div id="related-posts"><p>Other news you may like</p></div></div>'
            '<div class="article-footer-and-more"><p>Kept: the name also says article</p></div>'
        )
    )
    assert "original payment method" in html
    assert "Kept: the name also says article" in html
    for chrome in ("Submit comments", "Share this", "Other news"):
        assert chrome not in html


def test_code_highlighting_spans_named_comment_are_kept() -> None:
    html = convert(
        page(
            f'<p>{PROSE}</p><pre><code><span class="token comment">// add.c</span>\n'
            "int add(int x, int y);</code></pre>"
        )
    )
    assert "// add.c" in html


def test_a_page_that_is_a_list_of_links_keeps_it() -> None:
    # an index page: the links are the content, so the half-of-the-page guard keeps them
    names = [f"document-{n}" for n in range(12)]
    html = convert(page(f"<h1>Index</h1><ul>{links(*names)}</ul>"))
    assert all(name in html for name in names)


def test_nothing_holding_the_article_is_removed() -> None:
    html = convert(
        page(
            f'<div class="sidebar-layout"><main><p>{PROSE}</p></main></div>'
            f'<div id="header-wrap"><article><p>{PROSE} Second.</p></article></div>'
        )
    )
    assert "original payment method" in html
