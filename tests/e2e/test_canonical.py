"""A saved web page is cited at its own canonical url, and its relative links resolve against
it (`url_from: canonical`, the default), or not (`url_from: template`)."""

from __future__ import annotations

from ingestor.engine.runner import sync_connectors
from ingestor.engine.sync import SyncOptions

from .conftest import Site

SAVED = """<!doctype html><html><head><meta charset="utf-8">
<title>Refunds | Acme Help</title>
<link rel="stylesheet" href="/assets/site.css">
<link rel="canonical" href="https://help.acme.com/en/articles/42-refunds">
</head><body><nav><a href="/en/">Help home</a></nav><main><h1>Refunds</h1>
<p>Ask within <a href="../articles/7-billing">30 days of billing</a>, see also
<a href="/en/articles/9-invoices">invoices</a> and <a href="#how">how</a>.</p>
<h2 id="how">How</h2><p>Write to <a href="mailto:help@acme.com">us</a>.</p></main></body></html>
"""


def test_a_saved_page_is_cited_at_its_canonical_url_with_its_links(site: Site) -> None:
    site.write("saved/refunds.html", SAVED)
    [report] = sync_connectors(site.config(), options=SyncOptions())
    assert report.created == 1
    page = site.intercom_pages()["saved/refunds.html"]
    assert page["url"] == "https://help.acme.com/en/articles/42-refunds"
    html = page["html"]
    assert 'href="https://help.acme.com/en/articles/7-billing"' in html
    assert 'href="https://help.acme.com/en/articles/9-invoices"' in html
    assert "docs.example.com" not in html  # nothing rewritten under the share's url

    with site.config_path.open("a", encoding="utf-8") as config:
        config.write("    url_from: template\n")
    [again] = sync_connectors(site.config(), options=SyncOptions())
    assert again.updated == 1  # the setting re-read the file
    assert site.intercom_pages()["saved/refunds.html"]["url"] == (
        "https://docs.example.com/saved/refunds.html"
    )
