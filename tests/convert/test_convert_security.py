"""XSS vectors: nothing executable or tracking reaches Intercom, whatever the source format."""

from __future__ import annotations

import re

import pytest

from ingestor.connectors.base import Document
from ingestor.convert import convert_document
from ingestor.convert._sanitize import sanitize_html

URL = "https://wiki.example.com/docs/page"


def convert_html(body: str, *, url: str | None = URL) -> str:
    return convert_document(Document(external_id="p", body=body, body_format="html", url=url)).html


def convert_markdown(body: str) -> str:
    return convert_document(
        Document(external_id="p.md", body=body, body_format="markdown", url=URL)
    ).html


FORBIDDEN_TAGS = re.compile(
    r"<(script|svg|iframe|object|embed|style|form|input|button|math|base|meta|link|template)\b",
    re.I,
)
URL_ATTRIBUTE = re.compile(r"\s(?:href|src|action|formaction|xlink:href)\s*=\s*\"([^\"]*)\"", re.I)


def assert_inert(html: str) -> None:
    """No dangerous tag, no handler, no style/class, and only http(s)/mailto/relative urls."""
    assert not FORBIDDEN_TAGS.search(html), f"forbidden tag survived in {html!r}"
    for tag in re.findall(r"<[^>]*>", html):
        assert not re.search(r"\son\w+\s*=", tag, re.I), f"event handler survived: {tag!r}"
        assert not re.search(r"\s(?:style|class|srcdoc|ping|target)\s*=", tag, re.I), tag
    for url in URL_ATTRIBUTE.findall(html):
        scheme = re.match(r"\s*([a-z][a-z0-9+.-]*):", url, re.I)
        assert scheme is None or scheme.group(1).lower() in {"http", "https", "mailto"}, url


XSS_HTML = [
    "<p>ok</p><script>alert(1)</script>",
    "<p>ok</p><SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<p>ok<img src="x.png" onerror="alert(1)"></p>',
    "<p>ok<img src=x onerror=alert(1)//></p>",
    '<p><a href="javascript:alert(1)">ok</a></p>',
    '<p><a href="JaVaScRiPt:alert(1)">ok</a></p>',
    '<p><a href=" javascript:alert(1)">ok</a></p>',
    '<p><a href="jav&#x09;ascript:alert(1)">ok</a></p>',
    '<p><a href="java\tscript:alert(1)">ok</a></p>',
    '<p><a href="&#106;avascript:alert(1)">ok</a></p>',
    '<p><a href="vbscript:msgbox(1)">ok</a></p>',
    '<p><a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">ok</a></p>',
    '<p>ok<img src="data:image/png;base64,iVBORw0KGgo="></p>',
    '<p>ok</p><svg onload="alert(1)"><script>alert(1)</script></svg>',
    '<p>ok</p><svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    '<p>ok</p><svg><animate onbegin="alert(1)" attributeName="x"/></svg>',
    "<p>ok</p><math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<p>ok</p><iframe src="https://evil.example"></iframe>',
    '<p>ok</p><iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<p>ok</p><object data="evil.swf"></object><embed src="evil.swf">',
    '<p style="background:url(javascript:alert(1))" class="x" id="y">ok</p>',
    '<p>ok</p><form action="https://evil.example"><input name=a><button>go</button></form>',
    "<p>ok</p><style>p{background:url(javascript:alert(1))}</style>",
    '<p>ok</p><meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<p>ok</p><base href="javascript:alert(1)//">',
    '<p>ok</p><link rel="stylesheet" href="https://evil.example/x.css">',
    '<p>ok</p><noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<p>ok</p><template><script>alert(1)</script></template>",
    '<details open ontoggle="alert(1)"><summary>ok</summary>x</details>',
    "<p>ok</p><!--<script>alert(1)</script>-->",
    "<p>ok</p><?php echo 1; ?>",
    '<div onclick="alert(1)" onmouseover="alert(1)"><p>ok</p></div>',
    '<p>ok</p><a href="https://x.example" target="_blank" ping="https://evil.example">l</a>',
]


@pytest.mark.parametrize("body", XSS_HTML)
def test_html_vectors_are_neutralized(body: str) -> None:
    html = convert_html(body)
    assert_inert(html)
    assert "ok" in html  # the harmless text survives


@pytest.mark.parametrize(
    "body",
    [
        "ok <script>alert(1)</script>",
        "ok\n\n<img src=x onerror=alert(1)>",
        "[ok](javascript:alert(1))",
        "[ok](JAVASCRIPT:alert(1))",
        "ok ![x](data:image/png;base64,iVBORw0KGgo=)",
        "ok <a href='javascript:alert(1)'>x</a>",
        "ok\n\n<div onmouseover='alert(1)'>hover</div>",
        "<svg><script>alert(1)</script></svg>\n\nok",
        "[ok](vbscript:msgbox)",
        "ok <iframe src=https://evil.example></iframe>",
    ],
)
def test_markdown_vectors_are_neutralized(body: str) -> None:
    html = convert_markdown(body)
    assert_inert(html)
    assert "ok" in html


@pytest.mark.parametrize(
    "href", ["jav&#x09;ascript:alert(1)", "java\nscript:alert(1)", "java&#13;script:alert(1)"]
)
def test_a_scheme_split_by_tabs_or_newlines_is_read_as_browsers_read_it(href: str) -> None:
    # browsers drop tabs and newlines from urls: this is javascript:, not a relative link
    assert convert_html(f'<p><a href="{href}">ok</a></p>') == "<p><a>ok</a></p>"
    assert (
        convert_html('<p><a href="/help/re\tfunds">r</a></p>')
        == '<p><a href="https://wiki.example.com/help/refunds">r</a></p>'
    )


def test_an_xhtml_internal_subset_is_neither_expanded_nor_shown() -> None:
    page = (
        '<?xml version="1.0"?>\n<!DOCTYPE html [\n<!ENTITY xxe SYSTEM "file:///etc/passwd">\n'
        '<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">\n]>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml"><body><p>X &xxe; Y &b; Z</p></body></html>'
    )
    assert convert_html(page) == "<p>X &amp;xxe; Y &amp;b; Z</p>"


def test_allowed_schemes_and_fragments_survive() -> None:
    html = convert_html(
        '<p><a href="https://a.example/x">a</a> <a href="http://b.example">b</a> '
        '<a href="mailto:help@example.com">m</a> <a href="#usage">f</a></p>'
        '<h2 id="usage">Usage</h2>'
    )
    assert 'href="https://a.example/x"' in html
    assert 'href="http://b.example"' in html
    assert 'href="mailto:help@example.com"' in html
    assert 'href="#usage"' in html


def test_sanitizer_is_the_boundary_on_its_own() -> None:
    # sanitize_html must be safe even when handed raw, uncleaned HTML
    raw = (
        '<p onclick="x()">a</p><script>alert(1)</script><img src="javascript:alert(1)">'
        '<a href="data:text/html,x">l</a><h2 id="keep" class="drop">h</h2><span id="s">s</span>'
    )
    html = sanitize_html(raw)
    assert_inert(html)
    assert '<h2 id="keep">' in html
    assert '<span id="s">s</span>' in html  # inert; the cleaner decides which ids stay


def test_text_bodies_are_escaped() -> None:
    page = convert_document(
        Document(
            external_id="t.txt",
            body="<script>alert(1)</script>\n<b>not bold</b>",
            body_format="text",
        )
    )
    assert "<script" not in page.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.html
    assert "&lt;b&gt;not bold&lt;/b&gt;" in page.html
