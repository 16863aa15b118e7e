"""Opt-in strictness: html and external_id limits, public source URLs (2.17), a load balancer's
non-JSON 413, and 2.17's clearing of ``url`` by an update that omits it. Each mode is off by
default, and the default behaviour is checked next to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from ingestor.emulator import EmulatorServer
from ingestor.emulator.strictness import public_host_problem

ClientFactory = Callable[..., httpx.Client]
NewSource = Callable[..., int]
PageBody = Callable[..., dict[str, Any]]
PAGES, SOURCES = "/ai/external_pages", "/ai/content_import_sources"


def _error(response: httpx.Response) -> tuple[int, str, str | None]:
    error = response.json()["errors"][0]
    return response.status_code, error["code"], error.get("field")


def test_max_html_bytes_counts_utf8_bytes_and_answers_422(
    api: httpx.Client, emulator: EmulatorServer, new_source: NewSource, page_body: PageBody
) -> None:
    source_id = new_source()
    exactly = "<p>" + "é" * 6 + "</p>"  # 3 + 12 + 4 = 19 bytes
    emulator.configure(max_html_bytes=19)

    fits = api.post(PAGES, json=page_body(source_id, "a", html=exactly))
    too_big = api.post(PAGES, json=page_body(source_id, "b", html=exactly + "x"))
    page_id = fits.json()["id"]
    put = api.put(f"{PAGES}/{page_id}", json=page_body(source_id, "a", html=exactly + "x"))

    assert fits.status_code == 200
    for refused in (too_big, put):
        assert _error(refused) == (422, "data_invalid", "html")
        assert "20 bytes, the limit is 19" in refused.json()["errors"][0]["message"]
    assert [page["external_id"] for page in emulator.pages()] == ["a"]
    assert emulator.pages()[0]["html"] == exactly


def test_max_external_id_chars_answers_400(
    api: httpx.Client, emulator: EmulatorServer, new_source: NewSource, page_body: PageBody
) -> None:
    source_id = new_source()
    emulator.configure(max_external_id_chars=5)

    fits = api.post(PAGES, json=page_body(source_id, "ééééé"))
    too_long = api.post(PAGES, json=page_body(source_id, "abcdef"))

    assert fits.status_code == 200
    assert _error(too_long) == (400, "parameter_invalid", "external_id")
    assert len(emulator.pages()) == 1


def test_without_limits_big_pages_and_long_ids_are_accepted(
    api: httpx.Client, new_source: NewSource, page_body: PageBody
) -> None:
    body = page_body(new_source(), "x" * 2000, html="<p>" + "y" * 3_000_000 + "</p>")

    assert api.post(PAGES, json=body).status_code == 200


REFUSED_HOSTS = [
    "http://10.0.0.5/wiki",
    "https://192.168.1.20:8443/",
    "http://[::1]/",
    "http://localhost:8080/",
    "https://wiki/",
    "https://wiki.corp.internal/",
    "https://kb.local/",
    "https://kb.test/",
    "https://docs.example/",
    "https://x.invalid/",
    "https://app.localhost/",
    "https://intranet.corp/",
    "https://bad_host.example.com/",
    "https://-dash.example.com/",
    "https://host.123/",
]
ACCEPTED_HOSTS = [
    "https://kb.example.com/",
    "https://wiki.acme.co.uk/Main_Page",
    "http://docs.acme.io:8080/x",
    "https://bücher.de/",
    "https://xn--bcher-kva.de/",
    "https://help.acme.com./",
]


@pytest.mark.parametrize("url", REFUSED_HOSTS)
def test_strict_source_urls_refuse_hosts_that_are_not_public_domains(
    api: httpx.Client, emulator: EmulatorServer, url: str
) -> None:
    ok = api.post(SOURCES, json={"sync_behavior": "api", "url": "https://kb.example.com/"})
    loose = api.post(SOURCES, json={"sync_behavior": "api", "url": url})
    emulator.configure(strict_source_urls=True)

    created = api.post(SOURCES, json={"sync_behavior": "api", "url": url})
    updated = api.put(f"{SOURCES}/{ok.json()['id']}", json={"sync_behavior": "api", "url": url})

    assert loose.status_code == 200  # off by default, as 2.14 documents no such rule
    for refused in (created, updated):
        assert _error(refused) == (400, "parameter_invalid", "url")
        assert "valid public domain name" in refused.json()["errors"][0]["message"]
    assert len(emulator.sources()) == 2


@pytest.mark.parametrize("url", ACCEPTED_HOSTS)
def test_strict_source_urls_accept_public_domains(
    api: httpx.Client, emulator: EmulatorServer, url: str
) -> None:
    emulator.configure(strict_source_urls=True)

    assert api.post(SOURCES, json={"sync_behavior": "api", "url": url}).status_code == 200


def test_page_urls_are_not_bound_by_the_source_rule(
    api: httpx.Client, emulator: EmulatorServer, new_source: NewSource, page_body: PageBody
) -> None:
    source_id = new_source()
    emulator.configure(strict_source_urls=True)

    body = page_body(source_id, "a", url="http://wiki.corp.internal/a")
    assert api.post(PAGES, json=body).status_code == 200


def test_public_host_problem_names_the_reason() -> None:
    assert "IP address" in str(public_host_problem("127.0.0.1"))
    assert "single-label" in str(public_host_problem("localhost"))
    assert ".internal" in str(public_host_problem("wiki.corp.internal"))
    assert public_host_problem(None) == "it has no host"
    assert public_host_problem("a" * 64 + ".com") is not None
    assert public_host_problem("kb.example.com") is None


def test_an_oversized_request_gets_a_load_balancers_html_413(
    emulator: EmulatorServer, new_source: NewSource, page_body: PageBody
) -> None:
    source_id = new_source()
    emulator.configure(max_request_bytes=2000)
    raw = httpx.Client(
        base_url=emulator.url,
        headers={"Authorization": f"Bearer {emulator.token}", "Intercom-Version": "2.14"},
        trust_env=False,
    )

    small = raw.post(PAGES, json=page_body(source_id, "small"))
    big = raw.post(PAGES, json=page_body(source_id, "big", html="<p>" + "z" * 3000 + "</p>"))

    assert small.status_code == 200
    assert big.status_code == 413
    assert big.headers["content-type"].startswith("text/html")
    assert "413 Request Entity Too Large" in big.text
    with pytest.raises(ValueError):
        big.json()
    assert [page["external_id"] for page in emulator.pages()] == ["small"]
    assert emulator.stats()["by_status"]["413"] == 1


def test_by_default_an_upsert_without_url_keeps_it_and_put_requires_it(
    api: httpx.Client, emulator: EmulatorServer, new_source: NewSource, page_body: PageBody
) -> None:
    source_id = new_source()
    page = api.post(PAGES, json=page_body(source_id, "a")).json()
    without_url = {k: v for k, v in page_body(source_id, "a").items() if k != "url"}

    upserted = api.post(PAGES, json=without_url).json()
    put = api.put(f"{PAGES}/{page['id']}", json=without_url)

    assert upserted["url"] == page["url"]
    assert _error(put) == (400, "parameter_not_found", "url")


def test_clear_url_on_update_clears_an_omitted_url(
    api: httpx.Client, emulator: EmulatorServer, new_source: NewSource, page_body: PageBody
) -> None:
    source_id = new_source()
    first = api.post(PAGES, json=page_body(source_id, "a")).json()
    second = api.post(PAGES, json=page_body(source_id, "b")).json()
    emulator.configure(clear_url_on_update=True)
    without_url = {k: v for k, v in page_body(source_id, "a").items() if k != "url"}

    upserted = api.post(PAGES, json=without_url).json()
    put = api.put(f"{PAGES}/{second['id']}", json={**without_url, "external_id": "b"})
    kept = api.post(PAGES, json=page_body(source_id, "c")).json()

    assert upserted["id"] == first["id"] and "url" not in upserted
    assert put.status_code == 200 and "url" not in put.json()
    assert kept["url"] == "https://kb.example.com/c"  # a create with a url keeps it
    assert {page["external_id"]: page.get("url") for page in emulator.pages()} == {
        "a": None,
        "b": None,
        "c": "https://kb.example.com/c",
    }
