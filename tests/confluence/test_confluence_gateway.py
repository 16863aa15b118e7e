"""Scoped API tokens: the API through Cloud's gateway, page urls on the site."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from ingestor.connectors.base import Item, ListingProblem
from ingestor.connectors.confluence import ConfluenceConnector
from ingestor.connectors.confluence._links import resolve_next

from .fake_confluence import FakeConfluence

Connect = Callable[..., ConfluenceConnector]
SITE = "https://acme.atlassian.net/wiki"
GATEWAY = "https://api.atlassian.com/ex/confluence/3f2a-cloud/wiki"


@pytest.fixture
def gateway() -> Iterator[FakeConfluence]:
    server = FakeConfluence("cloud", gateway_cloud_id="3f2a-cloud").start()
    yield server
    server.stop()


def test_everything_goes_through_the_gateway_and_pages_keep_site_urls(
    gateway: FakeConfluence, connect: Connect
) -> None:
    old = datetime.now(UTC) - timedelta(days=3)
    parent = gateway.add_page("ENG", "Home", modified=old)
    ids = [gateway.add_page("ENG", f"Page {n}", parent=parent, modified=old) for n in range(7)]
    link = '<p><a href="/wiki/spaces/ENG/pages/1">x</a></p>'
    gateway.add_page("ENG", "Linked", body=link, modified=old)
    connector = connect(gateway, base_url=SITE, api_url=gateway.url, page_size=3)
    cursor = connector.start_cursor()
    listed = [e for e in connector.list() if not isinstance(e, ListingProblem)]
    assert len(listed) == 9  # three pages of results, via site-relative next links
    assert len(gateway.calls("v2.space_pages")) == 3
    doc = connector.fetch(Item(ids[0], "1", locator="ENG"))
    assert doc.url == f"{SITE}/spaces/ENG/pages/{ids[0]}/Page+0"
    assert doc.facts["ancestor"] == (parent, "Home")
    linked = connector.fetch(listed[-1])
    assert f'href="{SITE}/spaces/ENG/pages/1"' in linked.body
    gateway.edit(parent)
    changes = connector.list_changes(cursor)
    assert changes is not None and [i.external_id for i in changes.changed] == [parent]
    assert all(
        target.startswith("/ex/confluence/3f2a-cloud/wiki/") for _, target in gateway.requests
    )
    assert gateway.calls("unknown") == []


@pytest.mark.parametrize(
    ("api_root", "site", "link", "expected"),
    [
        # Cloud direct: v2 links carry /wiki, v1 links are below it
        (SITE, None, "/wiki/api/v2/spaces?cursor=a+b/c=", "/wiki/api/v2/spaces?cursor=a+b/c="),
        (SITE, None, "/rest/api/content/search?cursor=x", "/wiki/rest/api/content/search?cursor=x"),
        # the gateway keeps writing site-relative links
        (GATEWAY, SITE, "/wiki/api/v2/spaces/9/pages?cursor=x",
         "/ex/confluence/3f2a-cloud/wiki/api/v2/spaces/9/pages?cursor=x"),
        (GATEWAY, SITE, "/rest/api/content/search?cursor=x",
         "/ex/confluence/3f2a-cloud/wiki/rest/api/content/search?cursor=x"),
        (GATEWAY, SITE, f"{SITE}/api/v2/pages?cursor=x",
         "/ex/confluence/3f2a-cloud/wiki/api/v2/pages?cursor=x"),
        (GATEWAY, SITE, "/ex/confluence/3f2a-cloud/wiki/api/v2/pages?cursor=x",
         "/ex/confluence/3f2a-cloud/wiki/api/v2/pages?cursor=x"),
        # Data Center with and without a context path
        ("https://intra/confluence", None, "/rest/api/content?start=100",
         "/confluence/rest/api/content?start=100"),
        ("https://intra/confluence", None, "/confluence/rest/api/content?start=100",
         "/confluence/rest/api/content?start=100"),
        ("https://intra", None, "rest/api/content?start=5", "/rest/api/content?start=5"),
    ],
)  # fmt: skip
def test_next_links_resolve_below_the_api_root(
    api_root: str, site: str | None, link: str, expected: str
) -> None:
    assert resolve_next(api_root, link, site) == expected


def test_a_next_link_to_another_host_is_refused() -> None:
    with pytest.raises(ValueError, match=r"another site: evil\.example"):
        resolve_next(GATEWAY, "https://evil.example/wiki/api/v2/pages", SITE)
