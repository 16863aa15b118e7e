"""A real DokuWiki synced into the Intercom emulator; its incremental listing; ACL login; faults."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from ingestor.connectors.base import Incremental, Item
from ingestor.connectors.dokuwiki import DokuWikiConnector, DokuWikiSettings
from ingestor.errors import ConnectorError

from . import servers
from .conftest import DokuWikiSite, FaultyProxy, SyncBench

Bench = Callable[[dict[str, Any]], SyncBench]
Proxy = Callable[[str], FaultyProxy]

LOGIN_PAGE = """====== Logging in ======

Use your **badge**. See [[support:missing]] and [[wiki:syntax|the syntax]].

<code python>
print("badge")
</code>

<code json response.json>
{"badge": "ok"}
</code>

{{wiki:dokuwiki-128.png?64|Logo}} [[sync:faq?do=edit|Edit the FAQ]]

  * Ünïcödé ☃
"""


def dokuwiki_connector(site: DokuWikiSite, **extra: Any) -> dict[str, Any]:
    return {"type": "dokuwiki", "url": site.url, "wiki_url": site.url, **extra}


def test_initial_sync_edit_and_delete(dokuwiki: DokuWikiSite, bench: Bench) -> None:
    admin = dokuwiki.admin
    admin.put("sync:login", LOGIN_PAGE)
    admin.put("sync:faq", "====== FAQ ======\n\nAsk us.\n")
    admin.put("sync:team:about", "====== About ======\n\nWho we are.\n")
    admin.put("sync:drafts:idea", "====== Idea ======\n\nNot ready.\n")
    sync = bench(
        dokuwiki_connector(dokuwiki, namespaces=["sync"], exclude_namespaces=["sync:drafts"])
    )
    report = sync.run()
    assert (report.created, report.failed, report.status) == (3, 0, "ok")

    pages = sync.pages()
    assert set(pages) == {"sync:login", "sync:faq", "sync:team:about"}
    login = pages["sync:login"]
    assert login["title"] == "Logging in"
    assert login["url"] == f"{dokuwiki.url}doku.php?id=sync:login"
    html = login["html"]
    assert "<strong>badge</strong>" in html and "Ünïcödé ☃" in html
    assert "<pre" in html and "print" in html
    assert f'href="{dokuwiki.url}doku.php?id=wiki:syntax"' in html  # absolute, at the wiki
    assert "missing" in html and "wikilink2" not in html and "support:missing" not in html
    # a named code block keeps its name, not its "Download Snippet" link; no links to actions
    assert "<p><code>response.json</code></p>" in html and '"badge": "ok"' in html
    assert "export_code" not in html and "Download Snippet" not in html
    assert "Edit the FAQ" in html and "do=edit" not in html and "detail.php" not in html
    # the image is the full media file, which the wiki serves without a resize token
    logo = f'src="{dokuwiki.url}lib/exe/fetch.php?media=wiki:dokuwiki-128.png"'
    assert logo in html and 'width="64"' in html
    image = httpx.get(f"{dokuwiki.url}lib/exe/fetch.php?media=wiki:dokuwiki-128.png")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"

    assert sync.run().unchanged == 3  # nothing changed: no fetch, no upload
    writes = sync.write_calls()
    admin.put("sync:faq", "====== FAQ ======\n\nAsk us anything.\n")
    edited = sync.run()
    assert (edited.updated, edited.created, edited.deleted) == (1, 0, 0)
    assert sync.write_calls() - writes == 1
    assert "anything" in sync.pages()["sync:faq"]["html"]

    admin.put("sync:team:about", "")  # an empty text deletes a DokuWiki page
    removed = sync.run()
    assert (removed.deleted, removed.status) == (1, "ok")
    assert set(sync.pages()) == {"sync:login", "sync:faq"}


@pytest.fixture
def connector(dokuwiki: DokuWikiSite) -> Iterator[DokuWikiConnector]:
    settings = DokuWikiSettings.model_validate(
        {"name": "dw", "url": dokuwiki.url, "wiki_url": dokuwiki.url, "namespaces": ["inc"]}
    )
    with DokuWikiConnector(settings) as wiki:
        yield wiki


def test_list_changes_since_the_cursor(
    dokuwiki: DokuWikiSite, connector: DokuWikiConnector
) -> None:
    assert isinstance(connector, Incremental)
    admin = dokuwiki.admin
    for name in ("a", "b", "c"):
        admin.put(f"inc:{name}", f"====== {name} ======\n\nFirst.\n")
    cursor = connector.start_cursor()
    admin.put("inc:a", "====== a ======\n\nSecond.\n")
    admin.put("inc:new", "====== new ======\n\nNew page.\n")
    admin.put("inc:b", "")
    admin.put("elsewhere:page", "====== out ======\n\nOut of scope.\n")

    changes = connector.list_changes(cursor)
    assert changes is not None
    changed = {item.external_id: item for item in changes.changed}
    assert {"inc:a", "inc:new"} <= set(changed) and "elsewhere:page" not in changed
    assert changes.deleted == ["inc:b"]
    listed = {i.external_id: i.version for i in connector.list() if isinstance(i, Item)}
    assert {k: v.version for k, v in changed.items()}.items() <= listed.items()
    assert changes.cursor.startswith("dw1:")

    assert connector.list_changes("dw1:1000000000") is None  # older than recent_days
    assert connector.list_changes("mw1:2026-01-01T00:00:00Z") is None


def test_acl_wiki_needs_login(acl_dokuwiki: DokuWikiSite, bench: Bench) -> None:
    acl_dokuwiki.admin.put("private:secret", "====== Secret ======\n\nStaff only.\n")
    anonymous = DokuWikiSettings.model_validate(
        {"name": "dw", "url": acl_dokuwiki.url, "wiki_url": acl_dokuwiki.url}
    )
    with DokuWikiConnector(anonymous) as wiki, pytest.raises(ConnectorError, match="needs a login"):
        list(wiki.list())

    user, password = servers.DW_ADMIN
    sync = bench(
        dokuwiki_connector(
            acl_dokuwiki,
            namespaces=["private"],
            username=user,
            password=password,
            restricted="customers",  # every page of a login-only wiki is restricted
        )
    )
    report = sync.run()
    assert (report.created, report.status) == (1, "ok")
    assert "Staff only." in sync.pages()["private:secret"]["html"]


def test_acl_wiki_wrong_password_and_lost_session(acl_dokuwiki: DokuWikiSite) -> None:
    user, password = servers.DW_ADMIN
    base = {"name": "dw", "url": acl_dokuwiki.url, "wiki_url": acl_dokuwiki.url}
    wrong = DokuWikiSettings.model_validate({**base, "username": user, "password": "nope-123"})
    with DokuWikiConnector(wrong) as wiki, pytest.raises(ConnectorError) as caught:
        list(wiki.list())
    assert "login as 'admin' failed" in str(caught.value) and "nope-123" not in str(caught.value)

    right = DokuWikiSettings.model_validate({**base, "username": user, "password": password})
    with DokuWikiConnector(right) as wiki:
        first = list(wiki.list())
        wiki.rpc.http.clear_cookies()  # session gone: the next call is refused, then logs in
        assert list(wiki.list()) == first and first


@pytest.mark.parametrize("mode", ["incremental", "full"])
@pytest.mark.parametrize("fault", ["500", "hang"])
def test_wiki_failing_mid_listing_deletes_nothing(
    fault: str, mode: str, dokuwiki: DokuWikiSite, bench: Bench, faulty_proxy: Proxy
) -> None:
    first_ns, second_ns = f"fail{fault}{mode}a", f"fail{fault}{mode}b"
    for ns in (first_ns, second_ns):
        for name in ("x", "y"):
            dokuwiki.admin.put(f"{ns}:{name}", f"====== {name} ======\n\nText.\n")
    proxy = faulty_proxy(dokuwiki.server.url)
    sync = bench(
        {
            **dokuwiki_connector(dokuwiki, namespaces=[first_ns, second_ns]),
            "xmlrpc_url": proxy.url + "/lib/exe/xmlrpc.php",
            "max_attempts": 2,
            "timeout_seconds": 0.5,
        }
    )
    assert sync.run().created == 4

    dokuwiki.admin.put(f"{first_ns}:x", "")
    dokuwiki.admin.put(f"{second_ns}:y", "====== y ======\n\nEdited.\n")
    # full: the first namespace lists, the second fails (500, or no answer in time);
    # incremental: recent changes answer, re-reading the edited page fails
    failing = second_ns.encode() if mode == "full" else b"wiki.getPageInfo"
    proxy.fault = lambda _m, _p, body: fault if failing in body else None
    report = sync.run(full=mode == "full")
    assert not report.listing_complete and report.deleted == 0
    assert len(sync.pages()) == 4

    proxy.fault = None
    healed = sync.run()
    assert (healed.deleted, healed.updated, healed.status) == (1, 1, "ok")
    assert len(sync.pages()) == 3


def test_a_page_list_entry_without_an_id_deletes_nothing(
    dokuwiki: DokuWikiSite, bench: Bench, faulty_proxy: Proxy
) -> None:
    for name in ("x", "y", "z"):
        dokuwiki.admin.put(f"noid:{name}", f"====== {name} ======\n\nText.\n")
    proxy = faulty_proxy(dokuwiki.server.url)
    sync = bench(
        {
            **dokuwiki_connector(dokuwiki, namespaces=["noid"]),
            "xmlrpc_url": proxy.url + "/lib/exe/xmlrpc.php",
        }
    )
    assert sync.run().created == 3

    def unnamed_first_entry(_path: str, request: bytes, content: bytes) -> bytes:
        if b"dokuwiki.getPagelist" not in request:
            return content
        return content.replace(b"<name>id</name>", b"<name>pageid</name>", 1)

    proxy.rewrite = unnamed_first_entry  # a page the answer no longer names
    report = sync.run(full=True)
    assert not report.listing_complete and report.status != "ok"
    assert any("without a page id" in p for p in report.listing_problems)
    assert report.deleted == 0 and len(sync.pages()) == 3


def test_a_user_removed_mid_run_is_not_logged_in_once_per_page(
    acl_dokuwiki: DokuWikiSite, faulty_proxy: Proxy
) -> None:
    """The wiki forgets the session and the user is gone: every page fails, with one failed
    login sent to the wiki rather than one per page."""
    users = acl_dokuwiki.server.directory / "conf" / "users.auth.php"
    before = users.read_text(encoding="utf-8")
    hashed = servers.run_php(["-r", "echo password_hash('leaver-pass-1', PASSWORD_BCRYPT);"])
    users.write_text(before + f"leaver:{hashed}:Leaver:leaver@example.com:user\n", "utf-8")
    for n in range(5):
        acl_dokuwiki.admin.put(f"revoke:page{n}", f"====== Page {n} ======\n\nText {n}.\n")
    logins: list[bytes] = []

    def count_logins(_target: str, body: bytes, answer: bytes) -> bytes:
        if b"<methodName>dokuwiki.login</methodName>" in body:
            logins.append(answer)
        return answer

    proxy = faulty_proxy(acl_dokuwiki.server.url)
    proxy.rewrite = count_logins
    settings = DokuWikiSettings.model_validate(
        {
            "name": "dw",
            "url": acl_dokuwiki.url,
            "wiki_url": proxy.url + "/",
            "username": "leaver",
            "password": "leaver-pass-1",
            "namespaces": ["revoke"],
        }
    )
    try:
        with DokuWikiConnector(settings) as wiki:
            items = [item for item in wiki.list() if isinstance(item, Item)]
            users.write_text(before, encoding="utf-8")  # the user is removed
            wiki.rpc.http.clear_cookies()  # and the wiki forgot the session
            proxy.forget_cookies()
            for item in items:
                with pytest.raises(ConnectorError, match="login as 'leaver' failed"):
                    wiki.fetch(item)
    finally:
        users.write_text(before, encoding="utf-8")
    assert len(items) == 5
    assert len(logins) == 2  # the run's login, then the refused one
