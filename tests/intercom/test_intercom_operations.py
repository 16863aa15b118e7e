"""IntercomClient: the ten operations, their wire format and typed results (MockTransport)."""

from __future__ import annotations

import json

import httpx
import pytest

from ingestor.errors import ConfigError, PageError
from ingestor.intercom import (
    REGION_BASE_URLS,
    ContentImportSource,
    ExternalPage,
    IntercomClient,
    PageUpdate,
    PageUpsert,
)

from .intercom_fakes import BASE_URL, TOKEN, FakeIntercom


def body(request: httpx.Request) -> dict[str, object]:
    data = json.loads(request.content)
    assert isinstance(data, dict)
    return data


def test_every_request_carries_auth_version_and_accept(
    client: IntercomClient, fake: FakeIntercom
) -> None:
    list(client.list_sources())
    request = fake.requests[-1]
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Intercom-Version"] == "2.14"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["User-Agent"].startswith("fin-ingestor/")
    assert str(request.url) == f"{BASE_URL}/ai/content_import_sources"


def test_source_lifecycle(client: IntercomClient, fake: FakeIntercom) -> None:
    created = client.create_source("https://wiki.example/")
    assert isinstance(created, ContentImportSource)
    assert (created.url, created.status, created.sync_behavior) == (
        "https://wiki.example/",
        "active",
        "api",
    )
    assert body(fake.requests[-1]) == {
        "sync_behavior": "api",
        "url": "https://wiki.example/",
        "status": "active",
    }

    assert client.get_source(created.id) == created
    assert fake.requests[-1].url.path == f"/ai/content_import_sources/{created.id}"

    updated = client.update_source(created.id, url="https://wiki.example/v2", status="deactivated")
    assert (updated.url, updated.status) == ("https://wiki.example/v2", "deactivated")
    put = fake.requests[-1]
    assert put.method == "PUT"
    assert body(put) == {
        "sync_behavior": "api",
        "url": "https://wiki.example/v2",
        "status": "deactivated",
    }
    client.update_source(created.id, url="https://wiki.example/v3")
    assert body(fake.requests[-1]) == {"sync_behavior": "api", "url": "https://wiki.example/v3"}

    assert [s.id for s in client.list_sources()] == [created.id]
    client.delete_source(created.id)
    assert fake.requests[-1].method == "DELETE"
    assert list(client.list_sources()) == []


def test_page_lifecycle(client: IntercomClient, fake: FakeIntercom) -> None:
    source = client.create_source("https://files.example/")
    page = client.upsert_page(
        PageUpsert(
            source_id=source.id,
            external_id="guides/intro.md",
            title="Intro",
            html="<p>Hello</p>",
            url="https://files.example/guides/intro",
            ai_agent_availability=False,
            ai_copilot_availability=False,
        )
    )
    assert isinstance(page, ExternalPage)
    sent = body(fake.requests[-1])
    # Both flags are sent even when false (omitted they would not change on update).
    assert sent == {
        "title": "Intro",
        "html": "<p>Hello</p>",
        "locale": "en",
        "source_id": source.id,
        "external_id": "guides/intro.md",
        "ai_agent_availability": False,
        "ai_copilot_availability": False,
        "url": "https://files.example/guides/intro",
    }
    assert (page.source_id, page.external_id, page.title) == (source.id, "guides/intro.md", "Intro")

    again = client.upsert_page(
        PageUpsert(
            source_id=source.id,
            external_id="guides/intro.md",
            title="Intro v2",
            html="<p>Hi</p>",
            url=None,
            ai_agent_availability=True,
            ai_copilot_availability=True,
        )
    )
    assert again.id == page.id
    assert (again.ai_agent_availability, again.ai_copilot_availability) == (True, True)
    assert "url" not in body(fake.requests[-1])

    assert client.get_page(page.id).title == "Intro v2"
    put = client.update_page(
        page.id,
        PageUpdate(
            title="Put",
            html="<p>put</p>",
            url="https://files.example/put",
            source_id=source.id,
            external_id="guides/intro.md",
            fin_availability=True,
        ),
    )
    assert put.title == "Put"
    assert body(fake.requests[-1])["fin_availability"] is True
    assert fake.requests[-1].method == "PUT"

    assert [p.id for p in client.list_pages()] == [page.id]
    deleted = client.delete_page(page.id)
    assert deleted.id == page.id
    assert list(client.list_pages()) == []


def test_page_writes_send_these_exact_bytes(client: IntercomClient, fake: FakeIntercom) -> None:
    """The wire format of both page writes, key order and raw UTF-8 included."""
    source = client.create_source("https://files.example/")
    page = client.upsert_page(
        PageUpsert(
            source_id=source.id,
            external_id="ä.md",
            title="Ä",
            html="<p>é</p>",
            url=None,
            ai_agent_availability=True,
            ai_copilot_availability=False,
            locale="de",
        )
    )
    assert (
        fake.requests[-1].content
        == (
            '{"title": "Ä", "html": "<p>é</p>", "locale": "de", '
            f'"source_id": {source.id}, "external_id": "ä.md", '
            '"ai_agent_availability": true, "ai_copilot_availability": false}'
        ).encode()
    )
    assert fake.requests[-1].headers["content-type"] == "application/json"
    client.update_page(
        page.id,
        PageUpdate(
            source_id=source.id, external_id="ä.md", title="T", html="<p/>", url="https://f/ä"
        ),
    )
    assert (
        fake.requests[-1].content
        == (
            '{"title": "T", "html": "<p/>", "url": "https://f/ä", "locale": "en", '
            f'"source_id": {source.id}, "external_id": "ä.md"}}'
        ).encode()
    )


def test_page_payload_reprs_do_not_dump_the_html() -> None:
    upsert = PageUpsert(
        source_id=1,
        external_id="e",
        title="T",
        html="x" * 10_000,
        url=None,
        ai_agent_availability=True,
        ai_copilot_availability=True,
    )
    update = PageUpdate(source_id=1, external_id="e", title="T", html="x" * 10_000, url="u")
    for payload in (upsert, update):
        assert "xxxx" not in repr(payload) and "10000 chars" in repr(payload)


def test_ids_are_escaped_in_paths(client: IntercomClient, fake: FakeIntercom) -> None:
    with pytest.raises(PageError):
        client.get_page("../a b/c")
    assert fake.requests[-1].url.raw_path == b"/ai/external_pages/..%2Fa%20b%2Fc"


def test_page_repr_does_not_dump_the_html() -> None:
    page = ExternalPage.from_api(
        {
            "id": 7,
            "title": "T",
            "html": "x" * 10_000,
            "source_id": "3",
            "external_id": "e",
            "ai_agent_availability": True,
            "ai_copilot_availability": False,
            "locale": "en",
        }
    )
    assert page.id == "7" and page.source_id == 3
    assert "xxxx" not in repr(page) and "10000 chars" in repr(page)


def test_regions_and_base_url_override(fake: FakeIntercom) -> None:
    assert REGION_BASE_URLS == {
        "us": "https://api.intercom.io",
        "eu": "https://api.eu.intercom.io",
        "au": "https://api.au.intercom.io",
    }
    for region, url in REGION_BASE_URLS.items():
        with IntercomClient(TOKEN, region=region, transport=fake.transport()) as c:  # type: ignore[arg-type]
            assert c.base_url == url
    with IntercomClient(
        TOKEN, region="eu", base_url="http://127.0.0.1:9/", transport=fake.transport()
    ) as c:
        assert c.base_url == "http://127.0.0.1:9"


def test_api_version_is_configurable(fake: FakeIntercom) -> None:
    with IntercomClient(
        TOKEN, base_url=BASE_URL, api_version="2.13", transport=fake.transport()
    ) as c:
        list(c.list_pages())
    assert fake.requests[-1].headers["Intercom-Version"] == "2.13"


@pytest.mark.parametrize(("token", "region"), [("", "us"), ("   ", "us"), (TOKEN, "mars")])
def test_bad_settings_are_config_errors(token: str, region: str) -> None:
    with pytest.raises(ConfigError, match=r"intercom\.(token|region)"):
        IntercomClient(token, region=region)  # type: ignore[arg-type]


@pytest.mark.parametrize("base_url", ["api.intercom.io", "ftp://x.test", "http://", "https://[::1"])
def test_a_bad_base_url_is_a_config_error(base_url: str) -> None:
    with pytest.raises(ConfigError, match=r"intercom\.base_url"):
        IntercomClient(TOKEN, base_url=base_url)
