"""A sync against the emulator's opt-in strictness modes: limits Intercom does not publish
(html size, external_id length), a proxy's non-JSON 413, and 2.17's rule that an update
omitting ``url`` clears it. A refused page is that page's failure, named; the run goes on."""

from __future__ import annotations

from collections.abc import Callable

from ingestor.emulator import EmulatorServer, EmulatorSettings
from ingestor.engine.runner import sync_connectors
from ingestor.engine.sync import SyncOptions
from ingestor.intercom import IntercomClient, PageUpsert

from .conftest import Site

StartEmulator = Callable[[EmulatorSettings], EmulatorServer]

LONG_NAME = "a-folder-with-a-long-name/and-a-page-whose-name-is-long-too.md"


def text(words: int) -> str:
    return " ".join(f"word{n}" for n in range(words))


def test_refused_pages_fail_alone_and_are_named(
    start_emulator: StartEmulator, make_site: Callable[[EmulatorServer], Site]
) -> None:
    server = start_emulator(
        EmulatorSettings(max_html_bytes=3_000, max_request_bytes=8_000, max_external_id_chars=40)
    )
    site = make_site(server)
    site.write("fine.md", "# Fine\n\nA page every limit accepts.\n")
    site.write("big.md", f"# Big\n\n{text(500)}\n")  # ~4.5 kB of html: over max_html_bytes
    site.write("huge.md", f"# Huge\n\n{text(1_200)}\n")  # ~11 kB body: the proxy's 413
    site.write(LONG_NAME, "# Long\n\nIts external_id is over 40 characters.\n")
    [report] = sync_connectors(site.config(), options=SyncOptions())

    assert report.exception is None and report.error is None
    assert (report.created, report.failed) == (1, 3)
    reasons = {event.external_id: event.reason for event in report.failures}
    assert set(reasons) == {"big.md", "huge.md", LONG_NAME}
    assert "'html' is too large" in reasons["big.md"] and "HTTP 422" in reasons["big.md"]
    assert "by a proxy or load balancer" in reasons["huge.md"]
    assert "max_page_bytes" in reasons["huge.md"] and "HTTP 413" in reasons["huge.md"]
    assert "<html>" not in reasons["huge.md"] and "nginx" not in reasons["huge.md"]
    assert "'external_id' is too long" in reasons[LONG_NAME]
    assert set(site.intercom_pages()) == {"fine.md"}


def test_a_proxy_413_is_avoided_by_a_lower_max_page_bytes(
    start_emulator: StartEmulator, make_site: Callable[[EmulatorServer], Site]
) -> None:
    # What the 413's message advises: under max_page_bytes the page is sent as sections.
    server = start_emulator(EmulatorSettings(max_request_bytes=8_000))
    site = make_site(server)
    sections = "\n\n".join(f"## Part {n}\n\n{text(300)}" for n in range(4))
    site.write("huge.md", f"# Huge\n\n{sections}\n")
    site.config_path.write_text(
        site.config_path.read_text().replace("defaults:\n", "defaults:\n  max_page_bytes: 5000\n")
    )
    [report] = sync_connectors(site.config(), options=SyncOptions())
    assert report.failed == 0 and report.created == 1  # one page, sent as sections
    pages = site.intercom_pages()
    assert len(pages) >= 4, sorted(pages)
    assert all(len(p["html"].encode()) <= 5_000 for p in pages.values())


def test_a_page_url_survives_an_update_when_omitting_it_would_clear_it(
    start_emulator: StartEmulator, make_site: Callable[[EmulatorServer], Site]
) -> None:
    # 2.17: an update that omits url clears it. Our upserts always send the page's url.
    server = start_emulator(EmulatorSettings(clear_url_on_update=True))
    site = make_site(server)
    site.write("guide.md", "# Guide\n\nFirst version.\n")
    [first] = sync_connectors(site.config(), options=SyncOptions())
    assert first.created == 1
    site.write("guide.md", "# Guide\n\nSecond version, edited.\n")
    [second] = sync_connectors(site.config(), options=SyncOptions())
    assert second.updated == 1
    [page] = site.intercom_pages().values()
    assert "Second version" in page["html"]
    assert page["url"] == "https://docs.example.com/guide.md"
    # the mode bites: an upsert without url would have cleared it
    with IntercomClient(server.token, base_url=server.url) as client:
        cleared = client.upsert_page(
            PageUpsert(
                source_id=page["source_id"],
                external_id="guide.md",
                title="Guide",
                html=page["html"],
                url=None,
                ai_agent_availability=True,
                ai_copilot_availability=True,
            )
        )
    assert cleared.url is None
