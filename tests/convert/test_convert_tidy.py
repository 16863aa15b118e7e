"""The tidy step: empty leftovers go, in-page links (footnotes, tables of contents) keep working."""

from __future__ import annotations

import lxml.html  # type: ignore[import-untyped,unused-ignore]
import pytest

from ingestor.connectors.base import Document
from ingestor.connectors.fs_links import LINK_BASE
from ingestor.convert import convert_document, split_page
from ingestor.convert._clean import clean_html
from ingestor.errors import PageSkipped

URL = "https://wiki.example.com/docs/page"


def convert_html(body: str) -> str:
    return convert_document(Document(external_id="p", body=body, body_format="html", url=URL)).html


# --- empty leftovers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # a form removed by the cleaner leaves its container
        ("<p>Text</p><div><form><input name=q></form></div>", "<p>Text</p>"),
        ("<p>Text</p>\n<div></div>\n", "<p>Text</p>"),
        # bottom-up: a div holding only empty spans and blank paragraphs goes too
        ("<p>A</p><div><span></span> <p> \n </p><div><b></b></div></div>", "<p>A</p>"),
        # MediaWiki's thumbnail "Enlarge" link, empty once its icon is gone
        (
            '<div><div><a href="/wiki/File:a.png" title="Enlarge"></a></div>The caption</div>',
            "<div>The caption</div>",
        ),
        # Notion to-do items end in an empty div
        (
            "<ul><li><span>☑</span> <span>Print the label</span><div></div></li></ul>",
            "<ul><li><span>☑</span> <span>Print the label</span></li></ul>",
        ),
        # tags the sanitizer would unwrap count as wrappers
        ("<p>A</p><div><font></font><custom-tag> </custom-tag></div>", "<p>A</p>"),
    ],
)
def test_elements_that_show_nothing_are_removed(body: str, expected: str) -> None:
    assert convert_html(body) == expected


def test_the_text_after_a_removed_element_stays() -> None:
    html = convert_html("<p>Before<span></span> after<b><i></i></b>, end</p>")
    assert html == "<p>Before after, end</p>"


def test_an_empty_mediawiki_anchor_span_leaves_the_heading() -> None:
    html = convert_html(
        '<h2><span id="Tarife_im_.C3.9Cberblick"></span>'
        '<span class="mw-headline" id="Tarife_im_Überblick">Tarife im Überblick</span></h2>'
    )
    assert html == '<h2 id="Tarife_im_.C3.9Cberblick"><span>Tarife im Überblick</span></h2>'


def test_whitespace_inside_pre_is_kept_exactly() -> None:
    html = convert_html(
        "<pre><span></span>curl<span> </span>-fsSL<span>  </span>https://x.example"
        "<span>\n</span>sudo<span>\t</span>tee f <span>|</span> b\n</pre>"
    )
    assert html == "<pre>curl -fsSL  https://x.example\nsudo\ttee f <span>|</span> b\n</pre>"


def test_blank_inline_elements_still_separate_words() -> None:
    html = convert_html("<p><b>Hello</b><span> </span><i>world</i><span>\n</span>again</p>")
    assert html == "<p><b>Hello</b> <i>world</i>\nagain</p>"


@pytest.mark.parametrize(
    "body",
    [
        "<table><tbody><tr><td>a</td><th></th></tr></tbody></table>",  # a cell keeps columns
        "<ul><li><br></li></ul>",
        "<div><br></div>",
        "<p><br></p>",
        "<div><hr></div>",
        '<div><span><img src="https://x.example/a.png"></span></div>',
        '<a href="https://x.example/"><img alt="" src="https://x.example/a.png"></a>',
        "<p><q></q></p>",
        "<p>&nbsp;</p>",  # a spacer, like <p><br></p>
    ],
)
def test_structure_images_and_breaks_are_never_removed(body: str) -> None:
    assert convert_html("<p>Text</p>" + body) == "<p>Text</p>" + body


@pytest.mark.parametrize(
    "body",
    [
        "<table><tbody><tr><td></td><th> </th></tr></tbody></table>",
        "<table><tbody><tr><td></td></tr><tr><td></td></tr></tbody></table>",
        "<ul><li></li><li> </li><li></li></ul>",
        "<div><ul></ul></div>",
        "<ol><li><p></p></li></ol>",
        "<h2></h2><h3> <span></span></h3>",
        "<blockquote><p> </p></blockquote>",
        "<dl><dt></dt><dd></dd></dl>",
        "<div><table><colgroup><col></colgroup></table></div>",
        "<table><thead><tr><th>Owner</th><th>Due</th></tr></thead></table>",  # headers, no data
    ],
)
def test_empty_list_items_headings_quotes_and_table_rows_are_removed(body: str) -> None:
    assert convert_html("<p>Text</p>" + body + "<p>End</p>").replace(" ", "") == (
        "<p>Text</p><p>End</p>"
    )


def test_an_empty_row_goes_but_an_empty_cell_in_a_full_row_stays() -> None:
    html = convert_html(
        "<table><tr><th>Plan</th><th>Seats</th></tr><tr><td></td><td></td></tr>"
        "<tr><td>Pro</td><td></td></tr></table>"
    )
    assert html == (
        "<table><tbody><tr><th>Plan</th><th>Seats</th></tr>"
        "<tr><td>Pro</td><td></td></tr></tbody></table>"
    )


def test_a_page_of_empty_wrappers_is_still_refused() -> None:
    assert clean_html("<div><span> </span><p></p></div>").html.strip() == ""
    with pytest.raises(PageSkipped, match="nothing left"):
        convert_html("<div><span> </span><p></p></div>")


# --- in-page links and their targets ----------------------------------------------------------

MEDIAWIKI_FOOTNOTE = (
    "<ol><li>Approve the request."
    '<sup id="cite_ref-sso_1-0" class="reference"><a href="#cite_note-sso-1">[1]</a></sup>'
    "</li></ol>"
    '<h2><span class="mw-headline" id="References">References</span></h2>'
    '<div class="reflist"><ol class="references"><li id="cite_note-sso-1">'
    '<span class="mw-cite-backlink"><a href="#cite_ref-sso_1-0">↑</a></span> '
    '<span class="reference-text">SSO opens the identity provider.</span></li></ol></div>'
)


def test_mediawiki_footnotes_keep_both_ends() -> None:
    html = convert_html(MEDIAWIKI_FOOTNOTE)
    assert '<sup id="cite_ref-sso_1-0"><a href="#cite_note-sso-1">[1]</a></sup>' in html
    assert '<li id="cite_note-sso-1"><span><a href="#cite_ref-sso_1-0">↑</a></span>' in html
    assert '<h2 id="References"><span>References</span></h2>' in html


def test_dokuwiki_footnotes_link_anchor_to_anchor() -> None:
    html = convert_html(
        '<p>Valid 30 minutes.<sup><a href="#fn__1" id="fnt__1" class="fn_top">1)</a></sup></p>'
        '<div class="footnotes"><div class="fn"><sup>'
        '<a href="#fnt__1" id="fn__1" class="fn_bot">1)</a></sup> SSO expires sooner.</div></div>'
    )
    assert '<a href="#fn__1" id="fnt__1">1)</a>' in html
    assert '<a href="#fnt__1" id="fn__1">1)</a>' in html


def test_ids_no_link_targets_are_dropped_but_heading_ids_stay() -> None:
    html = convert_html(
        '<h2 id="setup">Setup</h2><p id="intro">Intro</p><div id="content"><p>Body</p></div>'
    )
    assert html == '<h2 id="setup">Setup</h2><p>Intro</p><div><p>Body</p></div>'


@pytest.mark.parametrize("href", ["#nowhere", "#", " #gone ", "#Setup"])
def test_links_to_ids_not_in_the_page_are_unwrapped(href: str) -> None:
    html = convert_html(f'<h2 id="setup">Setup</h2><p>See <a href="{href}">below</a>.</p>')
    assert html == '<h2 id="setup">Setup</h2><p>See below.</p>'


def test_named_anchors_are_targets_and_stay_as_they_are() -> None:
    html = convert_html(
        '<p><a href="#old">Jump</a></p><p><a name="old"></a>Old style target</p>'
        '<p><a name="unused">kept too</a></p>'
    )
    assert '<a href="#old">Jump</a>' in html
    assert '<p><a name="old"></a>Old style target</p>' in html
    assert '<a name="unused">kept too</a>' in html


def test_an_empty_target_is_not_an_empty_leftover() -> None:
    html = convert_html('<p><a href="#here">go</a></p><span id="here"></span><p>Here.</p>')
    assert '<span id="here"></span>' in html


def test_percent_encoded_fragments_match_their_decoded_id() -> None:
    html = convert_html('<p><a href="#K%C3%BCndigung">Kündigung</a></p><p id="Kündigung">x</p>')
    assert '<a href="#K%C3%BCndigung">Kündigung</a>' in html
    assert '<p id="Kündigung">x</p>' in html


def test_a_link_to_nowhere_that_is_a_target_keeps_its_anchor() -> None:
    html = convert_html('<p><a href="#gone" id="back">note</a></p><p><a href="#back">up</a></p>')
    assert html == '<p><a id="back">note</a></p><p><a href="#back">up</a></p>'


def test_a_repeated_id_stays_on_its_first_element_only() -> None:
    html = convert_html('<p><a href="#n">n</a></p><p id="n">first</p><p id="n">second</p>')
    assert html.count('id="n"') == 1
    assert '<p id="n">first</p>' in html


def test_targeted_ids_cannot_carry_markup_or_handlers() -> None:
    html = convert_html(
        "<p><a href='#x\" onclick=\"alert(1)'>go</a></p><p id='x\" onclick=\"alert(1)'>t</p>"
    )
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    assert [sorted(e.attrib) for e in root.iter("a", "p")] == [[], ["href"], ["id"]]
    assert root.find("p[2]").get("id") == 'x" onclick="alert(1)'  # a value, not an attribute


def test_markdown_links_to_headings_work_and_others_are_unwrapped() -> None:
    page = convert_document(
        Document(
            external_id="g.md",
            body="See [install](#install) and [gone](#gone).\n\n## Install\n\nText.\n",
            body_format="markdown",
            url=URL,
        )
    )
    assert page.html.startswith('<p>See <a href="#install">install</a> and gone.</p>')
    assert '<h2 id="install">Install</h2>' in page.html


class _Share:
    """A file share's resolver: every .md under the share is a page at docs.example.com."""

    def page(self, url: str) -> tuple[str, str] | None:
        name = url.removeprefix(LINK_BASE)
        return (name, f"https://docs.example.com/{name[:-3]}") if name.endswith(".md") else None

    def asset(self, url: str) -> str | None:
        return None


def test_in_page_links_survive_the_file_share_link_rewrite() -> None:
    page = convert_document(
        Document(
            external_id="a.md",
            body='Read [b](b.md#top) and the [note](#note).\n\n<p id="note">Note.</p>\n',
            body_format="markdown",
            url="https://docs.example.com/a",
            link_base=f"{LINK_BASE}a.md",
            links=_Share(),
        )
    )
    assert '<a href="https://docs.example.com/b#top">b</a>' in page.html
    assert '<a href="#note">note</a>' in page.html
    assert '<p id="note">Note.</p>' in page.html
    assert page.linked_pages == ("b.md",)


def test_split_sections_are_still_anchored_at_heading_ids() -> None:
    body = "<h1>Guide</h1><p>Intro.</p>" + "".join(
        f'<h2 id="step-{i}">Step {i}</h2><p id="p{i}">{"word " * 300}</p>'
        f'<p><a href="#p{i}">back</a></p>'
        for i in range(3)
    )
    page = convert_document(Document(external_id="g", body=body, body_format="html", url=URL))
    sections = split_page(page, 2_500)
    assert [s.url for s in sections[1:]] == [f"{URL}#step-{i}" for i in range(3)]
    assert f'<p id="p1">{"word " * 300}'.rstrip() in sections[2].html


# --- permalink marks --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # a blog's "#" after the heading text (V8's blog)
        (
            '<h2 id="apis">Two standard APIs <a href="#apis" class="bookmark">#</a></h2><p>x</p>',
            '<h2 id="apis">Two standard APIs </h2><p>x</p>',
        ),
        # Sphinx's pilcrow, also on a full URL to the heading
        (
            '<h2 id="s">Sharing<a class="headerlink" href="https://x.org/p#s">¶</a></h2><p>x</p>',
            '<h2 id="s">Sharing</h2><p>x</p>',
        ),
        # an icon-only anchor before the text (GitHub's rendered READMEs): its id, which other
        # links target, moves to the heading
        (
            '<h2><a id="install" class="anchor" href="#install"><img src="https://x.org/l.png">'
            '</a>Install</h2><p>see <a href="#install">above</a></p>',
            '<h2 id="install">Install</h2><p>see <a href="#install">above</a></p>',
        ),
    ],
)
def test_permalink_marks_leave_headings(body: str, expected: str) -> None:
    assert convert_html(body) == expected


def test_heading_links_with_words_stay_and_the_title_has_no_mark() -> None:
    body = (
        '<h1>Evolve<a class="headerlink" href="#evolve">¶</a></h1>'
        '<h2 id="faq"><a href="#faq">FAQ</a> <a href="#faq">🔗</a></h2><p>Text</p>'
    )
    page = convert_document(Document(external_id="p", body=body, body_format="html", url=URL))
    assert page.title == "Evolve"
    assert '<h2 id="faq"><a href="#faq">FAQ</a> </h2>' in page.html
