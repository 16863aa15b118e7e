"""Title precedence, and the content hash: blind to invisible edits, sensitive to visible ones."""

from __future__ import annotations

import pytest

from ingestor.connectors.base import BodyFormat, Document
from ingestor.convert import ConvertedPage, convert_document
from ingestor.convert._canonical import canonical_html, content_hash
from ingestor.convert._title import choose_title, normalize_title

URL = "https://wiki.example.com/kb/refunds"


def page(
    body: str,
    *,
    body_format: BodyFormat = "html",
    url: str | None = URL,
    title: str | None = None,
    fallback: str | None = None,
) -> ConvertedPage:
    return convert_document(
        Document(
            external_id="kb/refunds",
            body=body,
            body_format=body_format,
            url=url,
            title=title,
            fallback_title=fallback,
        )
    )


# -- titles ------------------------------------------------------------------------------------


def test_title_precedence_order() -> None:
    full = dict(
        external_id="id",
        document_title="Doc",
        front_matter_title="Matter",
        first_h1="H1",
        head_title="Head",
        fallback_title="Fallback",
    )
    assert choose_title(**full) == ("Doc", "document")
    order = ["document_title", "front_matter_title", "first_h1", "head_title", "fallback_title"]
    expected = ["front_matter", "h1", "head_title", "fallback", "external_id"]
    for drop, source in zip(order, expected, strict=True):
        full[drop] = "   "  # blank counts as missing
        assert choose_title(**full)[1] == source
    assert choose_title(external_id="kb/a") == ("kb/a", "external_id")


def test_titles_are_stripped_and_collapsed() -> None:
    assert normalize_title("  Reset\n   your\tpassword  ") == "Reset your password"
    assert normalize_title(" \n ") is None
    assert normalize_title(None) is None


def test_title_from_first_h1_of_the_article_and_the_h1_stays_in_the_body() -> None:
    converted = page(
        "<html><head><title>Head title</title></head><body><header><h1>Site</h1></header>"
        "<main><h1></h1><h1>  Refunds\n policy </h1><p>text</p><h1>Second</h1></main></body></html>"
    )
    assert converted.title == "Refunds policy"
    assert "Refunds\n policy" in converted.html  # kept in the body (documented decision)


def test_title_from_head_then_fallback_then_external_id() -> None:
    assert page("<title> Head </title><p>x</p>").title == "Head"
    assert page("<p>x</p>", fallback="Readable name").title == "Readable name"
    assert page("<p>x</p>").title == "kb/refunds"
    assert page("<h1>H</h1>", title="  Source  title ").title == "Source title"


# -- hash stability ------------------------------------------------------------------------------

BASE_HTML = (
    '<main><h1 id="top">Refunds</h1><p>Refunds take <b>5 days</b>. See <a href="/kb/billing" '
    'title="Billing">billing</a>.</p><ul><li>One</li><li>Two</li></ul>'
    "<pre><code>a  =  1\n  b</code></pre><table><tr><td>x</td><td>y</td></tr></table></main>"
)


@pytest.mark.parametrize(
    "variant",
    [
        # re-indented, re-wrapped, blank lines, trailing spaces
        """<main>
            <h1 id="top">Refunds</h1>

            <p>Refunds   take <b>5 days</b>.
               See <a href="/kb/billing" title="Billing">billing</a>.   </p>
            <ul>
              <li>One</li>
              <li>  Two  </li>
            </ul>
<pre><code>a  =  1\n  b</code></pre>
            <table>
              <tr> <td> x </td> <td>y</td> </tr>
            </table>
        </main>""",
        # attribute order and quoting
        BASE_HTML.replace('href="/kb/billing" title="Billing"', "title='Billing' href=/kb/billing"),
        # chrome, comments, scripts and classes that do not show
        BASE_HTML.replace("<main>", '<nav>menu</nav><main class="x"><!-- note -->').replace(
            "</main>", "<script>track()</script></main><footer>foot</footer>"
        ),
        # entities for the same characters
        BASE_HTML.replace("Refunds take", "Refunds&#32;take").replace("One", "&#79;ne"),
        # windows line endings
        BASE_HTML.replace("</p>", "</p>\r\n"),
    ],
)
def test_hash_ignores_invisible_edits(variant: str) -> None:
    assert page(variant).content_hash == page(BASE_HTML).content_hash


def test_markdown_hash_ignores_reflowed_paragraphs() -> None:
    one = page("# T\n\nA long line of text.\n\n- a\n- b\n", body_format="markdown")
    two = page("# T\n\n\nA long\nline   of text.   \n\n\n- a\n- b\n\n\n", body_format="markdown")
    assert one.content_hash == two.content_hash


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("5 days", "6 days"),  # text
        ("5 days", "5days"),  # a visible space
        ('href="/kb/billing"', 'href="/kb/billing2"'),  # link target
        ("<b>5 days</b>", "<i>5 days</i>"),  # structure
        ("<li>Two</li>", "<li>Two</li><li>Three</li>"),
        ("a  =  1", "a = 1"),  # whitespace inside <pre> shows
        ('id="top"', 'id="top2"'),  # deep-link anchor
        ('title="Billing"', 'title="Invoices"'),  # tooltip text
        ("<td>y</td>", "<td>y</td><td></td>"),  # an empty cell changes the table
    ],
)
def test_hash_changes_for_visible_edits(old: str, new: str) -> None:
    assert old in BASE_HTML
    assert page(BASE_HTML.replace(old, new)).content_hash != page(BASE_HTML).content_hash


def test_hash_changes_for_title_and_url() -> None:
    base = page(BASE_HTML)
    assert page(BASE_HTML, title="Other").content_hash != base.content_hash
    assert page(BASE_HTML, url=URL + "-v2").content_hash != base.content_hash
    assert page(BASE_HTML, url=None).content_hash != base.content_hash


def test_hash_is_deterministic_hex() -> None:
    digest = content_hash("T", None, "<p>x</p>")
    assert digest == content_hash("T", None, "<p>x</p>")
    assert len(digest) == 64 and int(digest, 16) >= 0
    # the parts cannot run into each other
    assert content_hash("a", "b", "<p>c</p>") != content_hash("ab", None, "<p>c</p>")


def test_canonical_form() -> None:
    assert canonical_html("<p>  a \n b </p>\n\n<p>c</p>") == "<p>a b</p><p>c</p>"
    assert canonical_html("<p>a <b>b</b> c</p>") == "<p>a <b>b</b> c</p>"
    assert canonical_html("<pre>  x\n   y  </pre> <p> z </p>") == "<pre>  x\n   y  </pre><p>z</p>"
    assert canonical_html("a<br>\n b") == "a<br>b"
