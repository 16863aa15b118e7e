"""Defence in depth in conversion: void elements, control characters, urls (issue 10, point 5)."""

from __future__ import annotations

import re

import pytest

from ingestor.connectors.base import Document
from ingestor.convert import convert_document, split_page
from ingestor.convert._clean import VOID_ELEMENTS

URL = "https://docs.example.com/guide"
CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def html_page(body: str, **fields: str) -> Document:
    return Document("guide.html", body, "html", url=fields.pop("url", URL), **fields)


# -- void elements ---------------------------------------------------------------------------


def test_embed_no_longer_swallows_the_rest_of_the_page() -> None:
    page = convert_document(html_page("<p>a</p><embed src=m.pdf><p>KEEP</p>"))
    assert page.html == "<p>a</p><p>KEEP</p>"


@pytest.mark.parametrize("tag", VOID_ELEMENTS)
@pytest.mark.parametrize("whole", [False, True], ids=["fragment", "whole-page"])
def test_no_void_element_holds_what_follows_it(tag: str, whole: bool) -> None:
    body = (
        f"<h2>Intro</h2><p>first</p><{tag} src=x.bin><p>KEEP one</p>"
        "<p>KEEP two <b>bold</b></p><p>x<" + tag + ">y</p><ul><li>END</li></ul>"
    )
    if whole:
        body = f"<html><head><title>T</title></head><body><main>{body}</main></body></html>"
    html = convert_document(html_page(body)).html
    kept = re.sub(r"<[^>]*>", "", html)
    assert kept.index("first") < kept.index("KEEP one") < kept.index("KEEP two")
    assert "bold" in kept and "xy" in kept and kept.rstrip().endswith("END")
    assert "<p>KEEP one</p>" in html  # a block again, not text inside a void element


def test_obsolete_image_becomes_an_img_with_a_resolved_src() -> None:
    html = convert_document(html_page("<p>see <image src=pic.png alt=P> here</p>")).html
    assert html == '<p>see <img alt="P" src="https://docs.example.com/pic.png"> here</p>'


def test_a_wbr_in_a_split_page_keeps_its_paragraph_together() -> None:
    body = "# T\n\n" + "".join(f"## S{i}\n\nlong<wbr>word {'w ' * 300}\n\n" for i in range(3))
    page = convert_document(Document("g.md", body, "markdown", url=URL))
    sections = split_page(page, 1_500)
    assert len(sections) == 3
    assert all("</wbr>" not in s.html and s.html.count("<p>") == 1 for s in sections[1:])


# -- control characters ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "dirty",
    [
        "<p>A\x01B\x1b[31mC</p>",
        "<p>A&#1;B&#x1b;[31mC</p>",
        "<p>A&#x0001;B&#27;[31mC\x7f\x85</p>",
    ],
)
def test_control_characters_leave_text_the_same_way(dirty: str) -> None:
    clean = convert_document(html_page("<p>AB[31mC</p>"))
    page = convert_document(html_page(dirty))
    assert page.html == clean.html == "<p>AB[31mC</p>"
    assert page.content_hash == clean.content_hash


def test_control_characters_in_attributes_no_longer_fail_the_page() -> None:
    body = (
        '<p><a href="https://x.example/a\x01b" title="t\x1bx">link</a>'
        '<img src="/i\x02.png" alt="a&#1;lt" width="1"></p>'
    )
    page = convert_document(html_page(body))
    assert not CONTROLS.search(page.html)
    assert 'href="https://x.example/ab"' in page.html and 'title="tx"' in page.html
    assert 'alt="alt"' in page.html


@pytest.mark.parametrize("body_format", ["markdown", "text"])
def test_control_characters_leave_markdown_and_text(body_format: str) -> None:
    doc = Document("n.md", "Hello\x01 wo\x1brld\x9b &#1;x\n", body_format, url=URL)  # type: ignore[arg-type]
    page = convert_document(doc)
    assert not CONTROLS.search(page.html)
    assert "Hello world" in page.html


def test_titles_lose_controls_and_bidi_overrides_but_keep_their_words() -> None:
    page = convert_document(
        html_page("<p>x</p>", title="Invoice\x01 \u202efdp.exe\u202c\u2028 2024\x1b[0m")
    )
    assert page.title == "Invoice fdp.exe 2024[0m"
    # a title of only control characters falls through to the next source of a title
    page = convert_document(html_page("<h1>Real</h1>", title="\x01\u202e"))
    assert page.title == "Real"


def test_bidi_controls_stay_in_bodies() -> None:
    page = convert_document(html_page("<p>\u2067\u05e9\u05dc\u05d5\u05dd\u2069 ok</p>"))
    assert "\u2067" in page.html  # right-to-left writing uses them legitimately


# -- urls ------------------------------------------------------------------------------------

HOSTILE_ID = 'a" onmouseover="alert(1)'


def test_section_urls_and_in_page_links_are_percent_encoded() -> None:
    words = "word " * 400
    body = (
        f"<h1>T</h1><p><a href='#{HOSTILE_ID}'>jump</a> {words}</p>"
        f"<h2 id='{HOSTILE_ID}'>Evil</h2><p>{words}</p>"
        f"<h2 id='b c<d>%41'>Odd</h2><p>{words}</p>"
    )
    page = convert_document(html_page(body))
    sections = split_page(page, 3_000)
    urls = [s.url for s in sections]
    assert urls == [
        URL,
        URL + "#a%22%20onmouseover=%22alert(1)",
        URL + "#b%20c%3Cd%3E%2541",
    ]
    first = sections[0].html
    assert 'href="https://docs.example.com/guide#a%22%20onmouseover=%22alert(1)"' in first
    for section in sections:
        assert section.url is not None and not re.search(r"[\s\"<>]", section.url)


@pytest.mark.parametrize(
    ("front_url", "expected", "warned"),
    [
        ('https://help.example.com/a"b<c>', "https://help.example.com/a%22b%3Cc%3E", False),
        ("https://help.example.com/a b", URL, True),
        ("https://help.example.com/été", "https://help.example.com/été", False),
        ("/relative/page", URL, True),
        ("http://", URL, True),
        ("https:///no-host", URL, True),
        ("javascript:alert(1)", URL, True),
        ("ftp://files.example.com/x", URL, True),
    ],
)
def test_front_matter_url_must_be_absolute_http(
    front_url: str, expected: str, warned: bool
) -> None:
    quoted = front_url.replace('"', '\\"')
    doc = Document("g.md", f'---\nurl: "{quoted}"\n---\n# G\n\nText\n', "markdown", url=URL)
    page = convert_document(doc)
    assert page.url == expected
    assert (
        any("front matter url ignored" in w and "keeps its own url" in w for w in page.warnings)
        is warned
    )


def test_document_urls_from_connectors_are_encoded_too() -> None:
    page = convert_document(html_page("<p>x</p>", url='https://docs.example.com/a b"<c>'))
    assert page.url == "https://docs.example.com/a%20b%22%3Cc%3E"


class OtherPages:
    """The connector's link resolver: every page of the source has a url with a quote in it."""

    def page(self, url: str) -> tuple[str, str] | None:
        return ("other.html", 'https://help.example.com/o"ther')

    def asset(self, url: str) -> str | None:
        return None


def test_link_rewriting_keeps_escaped_text_escaped_and_encodes_urls() -> None:
    doc = Document(
        "index.html",
        'x &lt;img src=x onerror=alert(1)&gt; <a href="other.html#a b">other</a>',
        "html",
        url="https://help.example.com/index",
        link_base="https://share.example.com/",
        links=OtherPages(),
    )
    page = convert_document(doc)
    assert page.html == (
        'x &lt;img src=x onerror=alert(1)&gt; <a href="https://help.example.com/o%22ther#a%20b">'
        "other</a>"
    )
    assert page.linked_pages == ("other.html",)


def test_a_split_page_keeps_its_loose_leading_and_trailing_text() -> None:
    words = "word " * 400
    for body in (
        f"LEADING text<h2>A</h2><p>{words}</p><h2>B</h2><p>{words}</p>",
        f"<div>LEADING text<h2>A</h2><p>{words}</p><h2>B</h2><p>{words}</p></div>TRAILING",
    ):
        page = convert_document(html_page(body))
        sections = split_page(page, 2_500)
        assert [s.url for s in sections] == [URL, URL + "#a", URL + "#b"]
        assert sections[0].html == "<p>LEADING text</p>"  # the intro, like any text before h2
        if "TRAILING" in body:
            assert sections[-1].html.endswith("<p>TRAILING</p>")
