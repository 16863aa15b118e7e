"""Audience facts and restricted pages of a real MediaWiki: namespaces, categories, and pages
anonymous users cannot read (a locked namespace, a private wiki), asked in batches."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from ingestor.connectors.base import Document, Item
from ingestor.connectors.mediawiki import MediaWikiConnector, MediaWikiSettings
from ingestor.errors import ConnectorError

from . import servers
from .conftest import BOT_PASSWORD, FaultyProxy, MediaWikiSite, SyncBench

Bench = Callable[[dict[str, Any]], SyncBench]
Proxy = Callable[[str], FaultyProxy]
INTERNAL_REASON = "not readable by anonymous users (namespace Internal)"


def _settings(site: MediaWikiSite, *, login: bool = True, **extra: Any) -> MediaWikiSettings:
    credentials = {"username": site.bot_name, "password": BOT_PASSWORD} if login else {}
    return MediaWikiSettings.model_validate(
        {
            "name": "aud",
            "url": site.server.url + "/",
            "api_url": site.api_url,
            **credentials,
            **extra,
        }
    )


def _fetch_all(wiki: MediaWikiConnector) -> dict[str, Document]:
    """List everything, then fetch in listing order (as the engine does)."""
    items = [item for item in wiki.list() if isinstance(item, Item)]
    documents = [wiki.fetch(item) for item in items]
    return {str(document.title): document for document in documents}


def _anonymous_can_parse(site: MediaWikiSite, title: str) -> bool:
    """Ground truth from outside the connector: can a visitor without a session read it?"""
    body = httpx.get(
        site.api_url,
        params={"action": "parse", "page": title, "prop": "revid", "format": "json"},
        timeout=30,
    ).json()
    return "parse" in body


@pytest.fixture(scope="module")
def audience_pages(mediawiki: MediaWikiSite) -> Iterator[MediaWikiSite]:
    """Pages outside the main namespace (other tests sync all of it); Pear is the seed's."""
    admin = mediawiki.admin
    admin.edit("Category:Aud hidden tag", "Internal tagging.\n__HIDDENCAT__")
    admin.edit(
        "Project:Aud page FAQ", "Ask us.\n[[Category:Aud support]] [[Category:Aud hidden tag]]"
    )
    admin.edit("Internal:Aud page runbook", "Restart the thing.\n[[Category:Aud ops]]")
    yield mediawiki


def test_facts_and_restrictions_match_what_anonymous_visitors_see(
    audience_pages: MediaWikiSite,
) -> None:
    settings = _settings(
        audience_pages, namespaces=[0, 4, 3000], include_prefixes=["Aud page ", "Pear"]
    )
    with MediaWikiConnector(settings) as wiki:
        documents = _fetch_all(wiki)
        checks = wiki.anonymous_reads.calls

    assert set(documents) == {"Pear", "Test Wiki:Aud page FAQ", "Internal:Aud page runbook"}
    pear = documents["Pear"]
    assert pear.facts == {"namespace": ("(Main)", "0"), "category": ("Fruit",)}
    assert pear.restricted is None

    faq = documents["Test Wiki:Aud page FAQ"]  # the Project namespace, as this wiki names it
    assert faq.facts["namespace"] == ("Project", "Test Wiki", "4")
    assert set(faq.facts["category"]) == {"Aud support", "Aud hidden tag"}  # hidden included
    assert faq.restricted is None

    runbook = documents["Internal:Aud page runbook"]
    assert runbook.facts == {"namespace": ("Internal", "3000"), "category": ("Aud ops",)}
    assert runbook.restricted == INTERNAL_REASON
    assert "Restart the thing" in runbook.body  # the bot reads it; only visitors cannot

    for title, document in documents.items():  # the wiki itself agrees with every verdict
        assert _anonymous_can_parse(audience_pages, title) == (document.restricted is None)
    assert checks == 1  # three pages, one batched check


def test_checks_are_batched_fifty_pages_a_call(mediawiki: MediaWikiSite) -> None:
    pages = [f"Project:Aud batch {n:02d}" for n in range(55)] + ["Internal:Aud batch 55"]
    _import(mediawiki, pages)
    settings = _settings(mediawiki, namespaces=[4, 3000], include_prefixes=["Aud batch"])
    with MediaWikiConnector(settings) as wiki:
        documents = _fetch_all(wiki)
        checks = wiki.anonymous_reads.calls

    assert len(documents) == 56
    restricted = {title for title, doc in documents.items() if doc.restricted}
    assert restricted == {"Internal:Aud batch 55"}
    assert checks == 2  # ceil(56 / 50)

    # fetched in parallel, as the engine does: still two calls, and the same verdicts
    with MediaWikiConnector(settings) as wiki, ThreadPoolExecutor(6) as pool:
        items = [item for item in wiki.list() if isinstance(item, Item)]
        parallel = list(pool.map(wiki.fetch, items))
        assert wiki.anonymous_reads.calls == 2
    assert {str(d.title) for d in parallel if d.restricted} == restricted


def test_incremental_runs_check_the_changed_pages(audience_pages: MediaWikiSite) -> None:
    settings = _settings(audience_pages, namespaces=[3000], include_prefixes=["Aud inc"])
    with MediaWikiConnector(settings) as wiki:
        cursor = wiki.start_cursor()
        audience_pages.admin.edit("Internal:Aud inc note", "Changed since the cursor.")
        changes = wiki.list_changes(cursor)
        assert changes is not None
        documents = [wiki.fetch(item) for item in changes.changed]
        checks = wiki.anonymous_reads.calls
    assert [(d.title, d.restricted) for d in documents] == [
        ("Internal:Aud inc note", INTERNAL_REASON)
    ]
    assert checks == 1


def test_a_page_moved_into_a_locked_namespace_after_its_batch_was_checked_is_restricted(
    mediawiki: MediaWikiSite,
) -> None:
    """The batch check answers for the revisions it saw: a page moved (a new revision) into a
    namespace anonymous users cannot read before its own fetch must not go out as readable."""
    admin = mediawiki.admin
    for name in ("A", "B", "C"):
        admin.edit(f"Project:Aud race {name}", f"Public page {name}.")
    # both namespaces synced: the move keeps the page in scope, but no longer public
    settings = _settings(mediawiki, namespaces=[4, 3000], include_prefixes=["Aud race"])
    with MediaWikiConnector(settings) as wiki:
        items = [item for item in wiki.list() if isinstance(item, Item)]
        assert wiki.fetch(items[0]).restricted is None  # checks A, B and C in one call
        admin.move("Project:Aud race C", "Internal:Aud race C", leave_redirect=False)
        admin.edit("Internal:Aud race C", "Staff only now.")
        moved = wiki.fetch(items[2])
        checks = wiki.anonymous_reads.calls

    assert (moved.title, "Staff only now" in moved.body) == ("Internal:Aud race C", True)
    assert moved.restricted == INTERNAL_REASON
    assert not _anonymous_can_parse(mediawiki, "Internal:Aud race C")
    assert checks == 2  # the batch, then the moved page alone


def test_an_anonymous_connector_asks_nothing(audience_pages: MediaWikiSite) -> None:
    settings = _settings(
        audience_pages, login=False, namespaces=[4], include_prefixes=["Aud page FAQ"]
    )
    with MediaWikiConnector(settings) as wiki:
        documents = _fetch_all(wiki)
        checks = wiki.anonymous_reads.calls
    assert [doc.restricted for doc in documents.values()] == [None]
    assert checks == 0


def test_every_page_of_a_private_wiki_is_restricted(private_mediawiki: MediaWikiSite) -> None:
    with MediaWikiConnector(_settings(private_mediawiki)) as wiki:
        documents = _fetch_all(wiki)
        checks = wiki.anonymous_reads.calls

    assert {"Pear", "Apple", "Main Page"} <= set(documents)
    reasons = {doc.restricted for doc in documents.values()}
    # Main Page is in $wgWhitelistRead, but the API refuses anonymous users everything:
    # it is counted as restricted too (the documented, cautious side of the limit)
    assert reasons == {"not readable by anonymous users (the wiki is private)"}
    assert checks == 1  # the refusal covers the whole wiki


def test_a_failed_check_fails_the_page_instead_of_passing_it(
    audience_pages: MediaWikiSite, faulty_proxy: Proxy, bench: Bench
) -> None:
    proxy = faulty_proxy(audience_pages.server.url)
    proxy.fault = lambda _method, path, _body: "500" if "intestactions" in path else None
    proxied = {
        "type": "mediawiki",
        "url": audience_pages.server.url + "/",
        "api_url": proxy.url + "/api.php",
        "username": audience_pages.bot_name,
        "password": BOT_PASSWORD,
        "namespaces": [3000],
        "include_prefixes": ["Aud page runbook"],
        "max_attempts": 2,
    }
    with MediaWikiConnector(MediaWikiSettings.model_validate({"name": "w", **proxied})) as wiki:
        [item] = [i for i in wiki.list() if isinstance(i, Item)]
        with pytest.raises(ConnectorError, match=r"anonymous reader.*HTTP 500"):
            wiki.fetch(item)

    # a proxy of its own: a proxy's client keeps the cookies of the sessions it forwarded
    engine_proxy = faulty_proxy(audience_pages.server.url)
    engine_proxy.fault = proxy.fault
    sync = bench({**proxied, "api_url": engine_proxy.url + "/api.php"})
    report = sync.run()
    assert (report.failed, report.created) == (1, 0)
    assert sync.pages() == {}


def _import(site: MediaWikiSite, titles: list[str]) -> None:
    """Create pages in one importDump.php run (one php process, not one edit per page)."""
    pages = "".join(
        f"<page><title>{title}</title><revision><timestamp>2024-01-01T00:00:00Z</timestamp>"
        "<contributor><username>Seeder</username></contributor><model>wikitext</model>"
        f'<format>text/x-wiki</format><text xml:space="preserve">Text of {title}.</text>'
        "</revision></page>"
        for title in titles
    )
    dump = (
        '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11">'
        f"{pages}</mediawiki>"
    )
    conf = site.server.env["MW_CONFIG_FILE"]
    script = servers.MW_ROOT / "maintenance" / "importDump.php"
    servers.run_php([str(script), "--conf", conf], env=site.server.env, stdin=dump)
