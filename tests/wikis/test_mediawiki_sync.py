"""A real MediaWiki synced into the Intercom emulator through the real engine and YAML config."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ingestor.connectors.base import Item
from ingestor.connectors.mediawiki import MediaWikiConnector, MediaWikiSettings
from ingestor.errors import ConnectorError, PageSkipped

from .conftest import MediaWikiSite, SyncBench

Bench = Callable[[dict[str, Any]], SyncBench]


def mediawiki_connector(site: MediaWikiSite, **extra: Any) -> dict[str, Any]:
    return {
        "type": "mediawiki",
        "url": site.server.url + "/",
        "api_url": site.api_url,
        **extra,
    }


def test_initial_sync_sends_rendered_clean_pages_in_scope(
    mediawiki: MediaWikiSite, bench: Bench
) -> None:
    sync = bench(
        mediawiki_connector(
            mediawiki,
            namespaces=[0, 12],
            exclude_prefixes=["Drafts/", "T/"],
            exclude_categories=["Internal"],
        )
    )
    report = sync.run()
    assert (report.status, report.failed, report.deleted) == ("ok", 0, 0)

    pages = sync.pages()
    by_title = {page["title"]: page for page in pages.values()}
    # redirects (Pyrus), excluded prefix/category, Talk/Template/Category namespaces: not synced
    assert set(by_title) == {"Main Page", "Pear", "Apple", "Help:Getting started"}
    admin = mediawiki.admin
    pear = by_title["Pear"]
    assert pear["external_id"] == str(admin.page_id("Pear"))
    assert pear["url"] == f"{mediawiki.server.url}/index.php/Pear"
    html = pear["html"]
    assert "<b>pear</b>" in html or "<strong>pear</strong>" in html
    assert "Plant in spring." in html and "Conference" in html
    # links point at the wiki, absolutely
    assert f'href="{mediawiki.server.url}/index.php/Apple"' in html
    # TOC, navbox, edit links and red links are gone; the red link's text stays
    for chrome in ("Fruit navigation", "toc", "editsection", "redlink", "action=edit"):
        assert chrome not in html
    assert "Missing page" in html
    assert "Ünïcödé ☃" in by_title["Apple"]["html"]
    assert "<pre>" in by_title["Apple"]["html"]

    again = sync.run()
    assert (again.unchanged, again.created, again.updated) == (4, 0, 0)


def test_live_edit_reuploads_only_that_page(mediawiki: MediaWikiSite, bench: Bench) -> None:
    admin = mediawiki.admin
    for name in ("One", "Two", "Three"):
        admin.edit(f"T/edit/{name}", f"Page {name}, first version.")
    sync = bench(mediawiki_connector(mediawiki, include_prefixes=["T/edit/"]))
    first = sync.run()
    assert first.created == 3
    writes = sync.write_calls()

    two = admin.edit("T/edit/Two", "Page Two, '''second''' version.")
    report = sync.run()
    assert (report.updated, report.created, report.unchanged, report.deleted) == (1, 0, 2, 0)
    assert sync.write_calls() - writes == 1
    assert "second" in sync.pages()[str(two)]["html"]


def test_deleted_page_is_deleted_in_intercom(mediawiki: MediaWikiSite, bench: Bench) -> None:
    admin = mediawiki.admin
    ids = {name: admin.edit(f"T/delete/{name}", f"Page {name}.") for name in ("A", "B", "C")}
    sync = bench(mediawiki_connector(mediawiki, include_prefixes=["T/delete/"]))
    assert sync.run().created == 3

    admin.delete("T/delete/B")
    report = sync.run()
    assert (report.deleted, report.status) == (1, "ok")
    assert set(sync.pages()) == {str(ids["A"]), str(ids["C"])}


def test_moved_page_keeps_its_id_with_new_title_and_url(
    mediawiki: MediaWikiSite, bench: Bench
) -> None:
    admin = mediawiki.admin
    moved = admin.edit("T/move/Old name", "A page that will move.")
    admin.edit("T/move/Stays", "A page that stays.")
    sync = bench(mediawiki_connector(mediawiki, include_prefixes=["T/move/"]))
    assert sync.run().created == 2

    admin.move("T/move/Old name", "T/move/New name")  # leaves a redirect behind
    report = sync.run()
    assert (report.updated, report.created, report.deleted) == (1, 0, 0)
    pages = sync.pages()
    assert len(pages) == 2  # the redirect left at the old title is not a page of its own
    page = pages[str(moved)]
    assert page["title"] == "T/move/New name"
    assert page["url"] == f"{mediawiki.server.url}/index.php/T/move/New_name"


def test_a_page_made_a_redirect_after_listing_is_skipped_not_sent_as_a_stub(
    mediawiki: MediaWikiSite, bench: Bench
) -> None:
    admin = mediawiki.admin
    admin.edit("T/redir/Target", "The real content.")
    source = admin.edit("T/redir/Source", "Content that will move into Target.")
    settings = MediaWikiSettings.model_validate(
        mediawiki_connector(mediawiki, include_prefixes=["T/redir/"]) | {"name": "w"}
    )
    with MediaWikiConnector(settings) as wiki:
        items = {i.external_id: i for i in wiki.list() if isinstance(i, Item)}
        admin.edit("T/redir/Source", "#REDIRECT [[T/redir/Target]]")
        with pytest.raises(PageSkipped, match="now a redirect to T/redir/Target"):
            wiki.fetch(items[str(source)])

    sync = bench(mediawiki_connector(mediawiki, include_prefixes=["T/redir/"]))
    assert sync.run().created == 1  # listed without the redirect
    assert [p["title"] for p in sync.pages().values()] == ["T/redir/Target"]


def test_a_page_that_left_the_scope_after_listing_is_not_sent(mediawiki: MediaWikiSite) -> None:
    """Moved out of the synced title prefix, or put in an excluded category, between the
    listing and its fetch: what the page holds now is not sent."""
    admin = mediawiki.admin
    moved = admin.edit("T/scope/Moved", "Will move to drafts.")
    tagged = admin.edit("T/scope/Tagged", "Will be tagged internal.")
    stays = admin.edit("T/scope/Stays", "Stays in scope.")
    settings = MediaWikiSettings.model_validate(
        mediawiki_connector(
            mediawiki, include_prefixes=["T/scope/"], exclude_categories=["Scope internal"]
        )
        | {"name": "w"}
    )
    with MediaWikiConnector(settings) as wiki:
        items = {i.external_id: i for i in wiki.list() if isinstance(i, Item)}
        admin.move("T/scope/Moved", "Drafts/scope moved", leave_redirect=False)
        admin.edit("T/scope/Tagged", "Now internal.\n[[Category:Scope internal]]")
        with pytest.raises(ConnectorError, match="outside the synced namespaces and title"):
            wiki.fetch(items[str(moved)])
        with pytest.raises(ConnectorError, match="outside the category filters"):
            wiki.fetch(items[str(tagged)])
        assert wiki.fetch(items[str(stays)]).title == "T/scope/Stays"
        # the next listing leaves both out
        assert {i.external_id for i in wiki.list() if isinstance(i, Item)} == {str(stays)}


def test_red_links_are_reported_as_broken_links(mediawiki: MediaWikiSite, bench: Bench) -> None:
    admin = mediawiki.admin
    admin.edit("T/red/Exists", "I exist.")
    page = admin.edit("T/red/Linker", "See [[T/red/Exists]] and [[T/red/Nowhere yet]].")
    sync = bench(mediawiki_connector(mediawiki, include_prefixes=["T/red/"]))
    report = sync.run()
    assert (str(page), "T/red/Nowhere yet") in report.broken_links
    assert all(missing != "T/red/Exists" for _, missing in report.broken_links)
    html = sync.pages()[str(page)]["html"]
    assert "Nowhere yet" in html and "redlink" not in html  # kept as text, no edit link
