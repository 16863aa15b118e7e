"""Audience facts and restricted pages of a real DokuWiki: namespaces, and pages its ACL hides
from anonymous readers (a staff namespace, a public corner inside it, a page-level rule)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from ingestor.connectors.base import Document, Item
from ingestor.connectors.dokuwiki import DokuWikiConnector, DokuWikiSettings, _acl
from ingestor.errors import ConnectorError

from . import servers
from .conftest import DokuWikiSite, FaultyProxy, SyncBench

Bench = Callable[[dict[str, Any]], SyncBench]
Proxy = Callable[[str], FaultyProxy]

PAGES = {
    "aud_welcome": "====== Welcome ======\n\nHello.\n",
    "support:login": "====== Login ======\n\nUse your badge.\n",
    "support:secret": "====== Secret ======\n\nStaff only.\n",
    "internal:runbook": "====== Runbook ======\n\nRestart it.\n",
    "internal:hr:leave": "====== Leave ======\n\nAsk HR.\n",
    "internal:public:pricing": "====== Pricing ======\n\nTen euros.\n",
}


def _settings(site: DokuWikiSite, *, login: bool = True, **extra: Any) -> DokuWikiSettings:
    user, password = servers.DW_READER
    credentials = {"username": user, "password": password} if login else {}
    return DokuWikiSettings.model_validate(
        {"name": "aud", "url": site.url, "wiki_url": site.url, **credentials, **extra}
    )


def _fetch_all(wiki: DokuWikiConnector) -> dict[str, Document]:
    items = [item for item in wiki.list() if isinstance(item, Item)]
    return {item.external_id: wiki.fetch(item) for item in items}


def _anonymous_can_read(site: DokuWikiSite, page_id: str) -> bool:
    """Ground truth from outside the connector: does a visitor get the page's raw text?"""
    response = httpx.get(
        site.url + "doku.php", params={"id": page_id, "do": "export_raw"}, timeout=30
    )
    return response.status_code == 200 and PAGES[page_id].split("\n\n")[1] in response.text


@pytest.fixture(scope="module")
def acl_pages(public_acl_dokuwiki: DokuWikiSite) -> Iterator[DokuWikiSite]:
    for page_id, text in PAGES.items():
        public_acl_dokuwiki.admin.put(page_id, text)
    yield public_acl_dokuwiki


def test_facts_and_acl_restrictions_match_what_anonymous_visitors_see(
    acl_pages: DokuWikiSite,
) -> None:
    with DokuWikiConnector(_settings(acl_pages, exclude_namespaces=["wiki"])) as wiki:
        documents = _fetch_all(wiki)
        checks = wiki.anonymous_acl.calls

    assert set(documents) >= set(PAGES)
    reasons = {page_id: documents[page_id].restricted for page_id in PAGES}
    assert reasons == {
        "aud_welcome": None,
        "support:login": None,
        "support:secret": "hidden from anonymous readers by ACL (page support:secret)",
        "internal:runbook": "hidden from anonymous readers by ACL (internal:*)",
        "internal:hr:leave": "hidden from anonymous readers by ACL (internal:*)",
        "internal:public:pricing": None,
    }
    for page_id in PAGES:  # the wiki's own pages agree with every verdict
        assert _anonymous_can_read(acl_pages, page_id) == (reasons[page_id] is None)
    assert "Restart it" in documents["internal:runbook"].body  # fin reads it; visitors cannot

    assert documents["aud_welcome"].facts == {"namespace": ("(root)",)}
    assert documents["support:login"].facts == {"namespace": ("support",)}
    assert documents["internal:hr:leave"].facts == {"namespace": ("internal:hr", "internal")}

    # one wiki.aclCheck per page, plus the namespaces that name the reasons (each asked once):
    # support (for support:secret); internal:hr, internal and the root (for internal:hr:leave)
    assert checks == len(documents) + 4


def test_incremental_runs_check_the_changed_pages(acl_pages: DokuWikiSite) -> None:
    with DokuWikiConnector(_settings(acl_pages, namespaces=["internal:inc"])) as wiki:
        cursor = wiki.start_cursor()
        acl_pages.admin.put("internal:inc:note", "====== Note ======\n\nChanged.\n")
        changes = wiki.list_changes(cursor)
        assert changes is not None
        documents = {item.external_id: wiki.fetch(item) for item in changes.changed}
    assert {page_id: doc.restricted for page_id, doc in documents.items()} == {
        "internal:inc:note": "hidden from anonymous readers by ACL (internal:*)"
    }


def test_every_page_of_a_private_wiki_is_restricted(acl_dokuwiki: DokuWikiSite) -> None:
    acl_dokuwiki.admin.put("aud:page", "====== Page ======\n\nText.\n")
    user, password = servers.DW_ADMIN
    settings = _settings(acl_dokuwiki, login=False, username=user, password=password)
    with DokuWikiConnector(settings) as wiki:
        documents = _fetch_all(wiki)
    assert "aud:page" in documents
    reasons = {doc.restricted for doc in documents.values()}
    assert reasons == {"hidden from anonymous readers by ACL (*: the whole wiki)"}


def test_an_anonymous_connector_asks_nothing(dokuwiki: DokuWikiSite) -> None:
    dokuwiki.admin.put("audanon:page", "====== Page ======\n\nText.\n")
    with DokuWikiConnector(_settings(dokuwiki, login=False, namespaces=["audanon"])) as wiki:
        documents = _fetch_all(wiki)
        checks = wiki.anonymous_acl.calls
    assert [(d.restricted, d.facts) for d in documents.values()] == [
        (None, {"namespace": ("audanon",)})
    ]
    assert checks == 0


def test_a_wiki_without_the_method_fails_the_page(
    acl_pages: DokuWikiSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DokuWiki 2022-07 answers a method it does not know with an empty struct, not a fault
    (seen for ``system.multicall``); a wiki whose API lacks the check must not pass pages."""
    monkeypatch.setattr(_acl, "ACL_CHECK", "wiki.aclCheckNotThere")
    with DokuWikiConnector(_settings(acl_pages, namespaces=["support"])) as wiki:
        item = next(i for i in wiki.list() if isinstance(i, Item))
        with pytest.raises(ConnectorError, match=r"answered \{\} instead of a permission level"):
            wiki.fetch(item)


def test_a_failed_check_fails_the_page_instead_of_passing_it(
    acl_pages: DokuWikiSite, faulty_proxy: Proxy, bench: Bench
) -> None:
    proxy = faulty_proxy(acl_pages.server.url)
    proxy.fault = lambda _method, _path, body: "500" if b"wiki.aclCheck" in body else None
    user, password = servers.DW_READER
    proxied = {
        "type": "dokuwiki",
        "url": acl_pages.url,
        "wiki_url": proxy.url + "/",
        "username": user,
        "password": password,
        "namespaces": ["internal:hr"],
        "max_attempts": 2,
    }
    with DokuWikiConnector(DokuWikiSettings.model_validate({"name": "w", **proxied})) as wiki:
        [item] = [i for i in wiki.list() if isinstance(i, Item)]
        with pytest.raises(ConnectorError, match=r"wiki.aclCheck failed.*HTTP 500"):
            wiki.fetch(item)

    engine_proxy = faulty_proxy(acl_pages.server.url)  # a proxy's client keeps cookies
    engine_proxy.fault = proxy.fault
    sync = bench({**proxied, "wiki_url": engine_proxy.url + "/"})
    report = sync.run()
    assert (report.failed, report.created) == (1, 0)
    assert sync.pages() == {}
