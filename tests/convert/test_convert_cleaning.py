"""HTML cleaning: chrome out, article in, broken markup repaired, links and anchors fixed."""

from __future__ import annotations

from ingestor.connectors.base import Document
from ingestor.convert import convert_document
from ingestor.convert._clean import clean_html, github_slug

URL = "https://wiki.example.com/docs/guide/page.html"

WIKI_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Refunds - Help Center</title>
<link rel="stylesheet" href="/s.css"><style>.x{}</style><script>var tracking = 1;</script></head>
<body>
<a class="skip-link" href="#content">Skip to content</a>
<header class="top"><h1>Help Center</h1><nav><a href="/">Home</a> <a href="/faq">FAQ</a></nav>
  <form role="search"><input name="q"><button>Search</button></form></header>
<div class="layout">
  <div class="sidebar"><ul><li><a href="/a">Sidebar link</a></li></ul></div>
  <div id="breadcrumbs">Home / Billing</div>
  <main id="content">
    <article>
      <header><h1>Refunds</h1><p class="byline">Updated in May</p></header>
      <p>Refunds take <strong>5 days</strong>.</p>
      <aside>Note: annual plans are prorated.</aside>
      <div role="navigation">Prev | Next</div>
      <footer>Was this helpful?</footer>
    </article>
  </main>
</div>
<aside class="related">Related articles</aside>
<footer class="page"><p>Copyright ACME</p></footer>
<div class="cookie-banner">We use cookies</div>
</body></html>"""


def test_chrome_is_removed_and_the_article_kept() -> None:
    cleaned = clean_html(WIKI_PAGE, base_url=URL)
    html = cleaned.html
    for chrome in ("Skip to content", "Help Center", "Home", "Search", "Sidebar link",
                   "Billing", "Prev | Next", "Related articles", "Copyright", "cookies",
                   "tracking"):  # fmt: skip
        assert chrome not in html, chrome
    for content in ("Refunds", "Updated in May", "5 days", "annual plans are prorated",
                    "Was this helpful?"):  # fmt: skip
        assert content in html, content  # an article's own header, aside and footer stay
    assert cleaned.head_title == "Refunds - Help Center"
    assert cleaned.first_h1 == "Refunds"  # the site header's h1 went with the chrome


def test_without_main_or_article_the_body_is_cleaned() -> None:
    cleaned = clean_html(
        "<html><body><header><p>Site</p></header><nav>menu</nav><p>Body text</p>"
        "<footer>foot</footer></body></html>"
    )
    assert "Body text" in cleaned.html
    assert "Site" not in cleaned.html and "menu" not in cleaned.html and "foot" not in cleaned.html


def test_single_article_is_taken_but_several_are_not() -> None:
    one = clean_html("<body><div>outside</div><article><p>inside</p></article></body>")
    assert "inside" in one.html and "outside" not in one.html
    two = clean_html("<body><div>intro</div><article>a</article><article>b</article></body>")
    assert "intro" in two.html and "a" in two.html and "b" in two.html


def test_empty_main_falls_back_to_the_body() -> None:
    cleaned = clean_html("<body><main><script>render()</script></main><p>static text</p></body>")
    assert "static text" in cleaned.html


def test_hidden_and_role_chrome_removed_unless_it_wraps_the_content() -> None:
    cleaned = clean_html(
        '<body><div hidden>secret</div><p style="DISPLAY: none">invisible</p>'
        '<div role="banner">banner</div><div class="nav menu-x"><main><p>kept</p></main></div>'
        "</body>"
    )
    assert "secret" not in cleaned.html and "invisible" not in cleaned.html
    assert "banner" not in cleaned.html
    assert "kept" in cleaned.html  # class "nav" on the wrapper of <main> does not remove it


def test_broken_html_is_repaired() -> None:
    page = convert_document(
        Document(
            external_id="broken",
            body="<div><p>one<p>two <b>bold <i>both</b> italic?</div></div></span><ul><li>a<li>b",
            body_format="html",
        )
    )
    assert page.html.count("<p>") == 2
    assert "<li>a</li>" in page.html and "<li>b</li>" in page.html
    assert "one" in page.html and "italic?" in page.html


def test_fragments_and_xml_declarations_parse() -> None:
    assert "x" in clean_html('<?xml version="1.0" encoding="utf-8"?><html><p>x</p></html>').html
    assert clean_html("just text").html.strip() == "just text"
    assert clean_html("").html == ""
    assert clean_html("   <!-- only a comment -->  ").html == ""


def test_tables_code_lists_and_details_are_kept() -> None:
    body = (
        "<h2>Limits</h2><table><caption>Plans</caption><thead><tr><th scope=col>Plan</th>"
        '<th colspan="2">Seats</th></tr></thead><tbody><tr><td rowspan="2">Pro</td><td>5</td>'
        "<td>10</td></tr></tbody></table>"
        "<pre><code>  indented = True\n    deeper()</code></pre>"
        "<dl><dt>Term</dt><dd>Definition</dd></dl><ol start=3><li>three</li></ol>"
        "<blockquote><p>quoted</p></blockquote><details><summary>More</summary>hidden</details>"
        '<p><img src="https://cdn.example/a.png" alt="Diagram" width="10"></p>'
    )
    html = convert_document(Document(external_id="t", body=body, body_format="html")).html
    for fragment in (
        "<caption>Plans</caption>",
        '<th colspan="2">Seats</th>',
        '<td rowspan="2">Pro</td>',
        "<pre><code>  indented = True\n    deeper()</code></pre>",
        "<dl><dt>Term</dt><dd>Definition</dd></dl>",
        '<ol start="3">',
        "<blockquote>",
        "<details><summary>More</summary>hidden</details>",
        '<img alt="Diagram" src="https://cdn.example/a.png" width="10">',
    ):
        assert fragment in html, fragment


def test_relative_links_are_made_absolute_against_the_url() -> None:
    cleaned = clean_html(
        '<p><a href="other.html">o</a> <a href="../up/">u</a> <a href="/root">r</a> '
        '<a href="//cdn.example/x">p</a> <a href="#frag">f</a> <a href="?q=1">q</a> '
        '<img src="img/a.png" alt="a"> <a href="https://abs.example/">a</a></p>'
        '<h2 id="frag">F</h2>',
        base_url=URL,
    )
    html = cleaned.html
    assert 'href="https://wiki.example.com/docs/guide/other.html"' in html
    assert 'href="https://wiki.example.com/docs/up/"' in html
    assert 'href="https://wiki.example.com/root"' in html
    assert 'href="https://cdn.example/x"' in html
    assert 'href="#frag"' in html
    assert 'href="https://wiki.example.com/docs/guide/page.html?q=1"' in html
    assert 'src="https://wiki.example.com/docs/guide/img/a.png"' in html
    assert 'href="https://abs.example/"' in html
    assert cleaned.warnings == ()


def test_base_href_is_honoured() -> None:
    cleaned = clean_html(
        '<html><head><base href="/kb/"></head><body><a href="x.html">x</a></body></html>',
        base_url="https://wiki.example.com/a/b",
    )
    assert 'href="https://wiki.example.com/kb/x.html"' in cleaned.html


def test_without_a_url_relative_links_stay_and_are_reported() -> None:
    cleaned = clean_html('<p><a href="other.html">o</a> <a href="#f">f</a></p>')
    assert 'href="other.html"' in cleaned.html
    assert cleaned.warnings == ("1 relative link(s) left relative: the page has no url",)


def test_broken_urls_lose_their_href_not_their_text() -> None:
    cleaned = clean_html('<p><a href="//[broken">text</a></p>', base_url=URL)
    assert "text" in cleaned.html
    assert "broken" not in cleaned.html.replace("text", "")


def test_heading_anchors_are_hoisted_onto_headings() -> None:
    cleaned = clean_html(
        '<h2><span class="mw-headline" id="Setup">Setup</span>'
        '<span class="mw-editsection">[edit]</span></h2><h3><a name="old-style"></a>Old</h3>'
        '<h4 id="own">Own</h4>'
    )
    assert '<h2 id="Setup">' in cleaned.html
    assert "[edit]" not in cleaned.html
    assert '<h3 id="old-style">' in cleaned.html
    assert '<h4 id="own">' in cleaned.html


def test_markdown_headings_get_github_slugs() -> None:
    cleaned = clean_html(
        "<h1>Install &amp; Run!</h1><h2>Install &amp; Run!</h2><h2>Ünïcode Title</h2><h3>?!</h3>",
        heading_ids=True,
    )
    assert '<h1 id="install--run">' in cleaned.html
    assert '<h2 id="install--run-1">' in cleaned.html
    assert '<h2 id="ünïcode-title">' in cleaned.html
    assert "<h3>?!</h3>" in cleaned.html
    assert github_slug("  Hello World ") == "hello-world"


def test_unknown_containers_do_not_glue_text_together() -> None:
    html = convert_document(
        Document(
            external_id="c",
            body="<section>alpha</section><section>beta</section><center>gamma</center>"
            "<custom-el>delta</custom-el><menu><li>item</li></menu>",
            body_format="html",
        )
    ).html
    assert "<div>alpha</div><div>beta</div><div>gamma</div>" in html
    assert "delta" in html
    assert "<ul><li>item</li></ul>" in html


def test_attributes_are_sorted() -> None:
    cleaned = clean_html('<p><img title="t" src="https://x.example/a.png" alt="a"></p>')
    assert '<img alt="a" src="https://x.example/a.png" title="t">' in cleaned.html
