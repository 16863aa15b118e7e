"""A real MediaWiki behind a proxy that fails on demand; a private wiki read with a bot password."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from ingestor.connectors.base import Item
from ingestor.connectors.mediawiki import MediaWikiConnector, MediaWikiSettings
from ingestor.errors import ConnectorError

from .conftest import BOT_PASSWORD, FaultyProxy, MediaWikiSite, SyncBench

Bench = Callable[[dict[str, Any]], SyncBench]
Proxy = Callable[[str], FaultyProxy]


@pytest.mark.parametrize("mode", ["incremental", "full"])
@pytest.mark.parametrize("fault", ["500", "hang"])
def test_wiki_failing_mid_listing_deletes_nothing(
    fault: str, mode: str, mediawiki: MediaWikiSite, bench: Bench, faulty_proxy: Proxy
) -> None:
    prefix = f"T/fail-{fault}-{mode}/"
    admin = mediawiki.admin
    for name in ("A", "B", "C", "D"):
        admin.edit(prefix + name, f"Page {name}.")
    proxy = faulty_proxy(mediawiki.server.url)
    sync = bench(
        {
            "type": "mediawiki",
            "url": mediawiki.server.url + "/",
            "api_url": proxy.url + "/api.php",
            "include_prefixes": [prefix],
            "page_size": 1,  # one page per call: the listing needs continuations
            "max_attempts": 2,
            "timeout_seconds": 0.5,
        }
    )
    assert sync.run().created == 4

    admin.delete(prefix + "D")
    # the first listing call answers; its continuation fails (500, or no answer in time):
    # recent changes / log events (incremental) or allpages (full) are cut short
    proxy.fault = lambda _method, path, _body: fault if "continue=" in path else None
    report = sync.run(full=mode == "full")
    assert not report.listing_complete
    assert report.deleted == 0 and report.status != "ok"
    assert any("HTTP 500" in p or "Timeout" in p for p in report.listing_problems)
    assert len(sync.pages()) == 4

    proxy.fault = None
    healed = sync.run()
    assert (healed.deleted, healed.status) == (1, "ok")
    assert len(sync.pages()) == 3


def test_maxlag_answers_are_retried_and_maxlag_is_sent(
    mediawiki: MediaWikiSite, faulty_proxy: Proxy
) -> None:
    page_id = mediawiki.admin.edit("T/maxlag/Page", "Lagging content.")
    proxy = faulty_proxy(mediawiki.server.url)
    lagged: list[str] = []

    def lag_first_parse(_method: str, path: str, _body: bytes) -> str | None:
        if "action=parse" in path and not lagged:
            lagged.append(path)
            return "maxlag"
        return None

    proxy.fault = lag_first_parse
    settings = MediaWikiSettings.model_validate(
        {
            "name": "wiki",
            "url": "https://wiki.example.com/",
            "api_url": proxy.url + "/api.php",
            "maxlag": 3,
        }
    )
    with MediaWikiConnector(settings) as wiki:
        document = wiki.fetch(Item(str(page_id), "1"))
    assert "Lagging content." in document.body
    parses = [p for p in proxy.seen if "action=parse" in p]
    assert len(parses) == 2 and all("maxlag=3" in p for p in parses)


def test_parallel_fetches_are_bounded(mediawiki: MediaWikiSite, faulty_proxy: Proxy) -> None:
    ids = [mediawiki.admin.edit(f"T/parallel/{n}", f"Page {n}.") for n in range(6)]
    proxy = faulty_proxy(mediawiki.server.url)
    proxy.delay = lambda path, _body: 0.1 if "action=parse" in path else 0.0
    settings = MediaWikiSettings.model_validate(
        {
            "name": "wiki",
            "url": "https://wiki.example.com/",
            "api_url": proxy.url + "/api.php",
            "max_parallel_fetches": 2,
        }
    )
    with MediaWikiConnector(settings) as wiki, ThreadPoolExecutor(6) as pool:
        documents = list(pool.map(lambda i: wiki.fetch(Item(str(i), "1")), ids))
    assert len(documents) == 6
    assert 1 <= proxy.max_parallel <= 2


def _private(site: MediaWikiSite, **extra: Any) -> MediaWikiSettings:
    return MediaWikiSettings.model_validate(
        {"name": "private", "url": site.server.url + "/", "api_url": site.api_url, **extra}
    )


def test_private_wiki_is_read_with_a_bot_password(
    private_mediawiki: MediaWikiSite, bench: Bench
) -> None:
    with (
        MediaWikiConnector(_private(private_mediawiki)) as anonymous,
        pytest.raises(ConnectorError, match=r"private.*bot password"),
    ):
        list(anonymous.list())

    sync = bench(
        {
            "type": "mediawiki",
            "url": private_mediawiki.server.url + "/",
            "api_url": private_mediawiki.api_url,
            "username": private_mediawiki.bot_name,
            "password": BOT_PASSWORD,
            "restricted": "customers",  # every page of a private wiki is restricted
        }
    )
    report = sync.run()
    assert (report.status, report.failed) == ("ok", 0)
    titles = {page["title"] for page in sync.pages().values()}
    assert {"Pear", "Apple", "Main Page"} <= titles


def test_lost_session_logs_in_again(private_mediawiki: MediaWikiSite) -> None:
    settings = _private(
        private_mediawiki, username=private_mediawiki.bot_name, password=BOT_PASSWORD
    )
    with MediaWikiConnector(settings) as wiki:
        first = [i for i in wiki.list() if isinstance(i, Item)]
        wiki.api.http.clear_cookies()  # the wiki forgot us (session expired)
        second = [i for i in wiki.list() if isinstance(i, Item)]
    assert first == second and first


def test_wrong_bot_password_fails_clearly_without_the_password(
    private_mediawiki: MediaWikiSite,
) -> None:
    wrong = "wrongbotpassword0123456789abcdefgh"
    settings = _private(private_mediawiki, username=private_mediawiki.bot_name, password=wrong)
    with MediaWikiConnector(settings) as wiki, pytest.raises(ConnectorError) as caught:
        list(wiki.list())
    message = str(caught.value)
    assert "login as 'Admin@fin' failed" in message and wrong not in message
    assert wrong not in repr(settings)


@pytest.mark.parametrize("answer", ["repeated continue", "no batchcomplete"])
def test_a_listing_that_cannot_prove_its_end_deletes_nothing(
    answer: str, mediawiki: MediaWikiSite, bench: Bench, faulty_proxy: Proxy
) -> None:
    prefix = f"T/unproven-{answer.replace(' ', '-')}/"
    for name in ("A", "B", "C"):
        mediawiki.admin.edit(prefix + name, f"Page {name}.")
    proxy = faulty_proxy(mediawiki.server.url)
    sync = bench(
        {
            "type": "mediawiki",
            "url": mediawiki.server.url + "/",
            "api_url": proxy.url + "/api.php",
            "include_prefixes": [prefix],
            "page_size": 1,
        }
    )
    assert sync.run().created == 3
    mediawiki.admin.delete(prefix + "C")

    def rewrite(path: str, _request: bytes, content: bytes) -> bytes:
        body = json.loads(content)
        if "generator=allpages" not in path:
            return content
        if answer == "repeated continue" and "continue" in body:
            body["continue"] = {"gapcontinue": prefix + "A", "continue": "gapcontinue||"}
        if answer == "no batchcomplete":
            body.pop("batchcomplete", None)
        return json.dumps(body).encode()

    proxy.rewrite = rewrite
    report = sync.run(full=True)
    assert not report.listing_complete and report.status != "ok"
    expected = "pagination loop" if answer == "repeated continue" else "batchcomplete"
    assert any(expected in problem for problem in report.listing_problems)
    assert report.deleted == 0 and len(sync.pages()) == 3

    proxy.rewrite = None
    assert (sync.run(full=True).deleted, len(sync.pages())) == (1, 2)


def test_credentials_revoked_mid_run_are_not_tried_once_per_page(
    mediawiki: MediaWikiSite, bench: Bench, faulty_proxy: Proxy
) -> None:
    """The bot password is revoked after the listing: the session is refused, the login
    refused too. Each page fails, but the wiki sees one failed login, not one per page (a
    flood of them throttles the account or blocks the address)."""
    prefix = "T/revoked/"
    for n in range(8):
        mediawiki.admin.edit(f"{prefix}P{n}", f"Page {n}.")
    revoked = threading.Event()

    def revoke_at_first_parse(path: str, body: bytes, answer: bytes) -> bytes:
        if "action=parse" in path:
            revoked.set()
        if not revoked.is_set() or "type=login" in path or "intestactions" in path:
            return answer
        if b"action=login" in body:
            return b'{"login":{"result":"Failed","reason":"Incorrect username or password"}}'
        return b'{"error":{"code":"assertuserfailed","info":"You are no longer logged in"}}'

    proxy = faulty_proxy(mediawiki.server.url)
    proxy.rewrite = revoke_at_first_parse
    sync = bench(
        {
            "type": "mediawiki",
            "url": mediawiki.server.url + "/",
            "api_url": proxy.url + "/api.php",
            "username": mediawiki.bot_name,
            "password": BOT_PASSWORD,
            "include_prefixes": [prefix],
        }
    )
    report = sync.run()
    assert (report.status, report.failed, report.created) == ("partial", 8, 0)
    assert all("login as 'Admin@fin' failed" in f.reason for f in report.failures)
    logins = [target for target in proxy.seen if "type=login" in target]
    assert len(logins) == 2  # the run's login, then the one the wiki refused
    assert sync.pages() == {}
