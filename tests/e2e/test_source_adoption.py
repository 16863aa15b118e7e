"""Which Content Import Source a connector uses: adopted by url only when the API may write
into it, the oldest when several carry our url, a config error for a website sync or a
deactivated source, and for a source url Intercom refuses. Real emulator, real state files."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from ingestor.emulator import EmulatorServer, EmulatorSettings
from ingestor.engine.sources import SourceResolver
from ingestor.errors import ConfigError
from ingestor.intercom import IntercomClient
from ingestor.state import Store

from .conftest import Site, calls

URL = "https://docs.example.com/"
StartEmulator = Callable[[EmulatorSettings], EmulatorServer]
SOURCE_WRITES = ("createContentImportSource", "updateContentImportSource")


@pytest.fixture
def client(emulator: EmulatorServer) -> Iterator[IntercomClient]:
    with IntercomClient(emulator.token, base_url=emulator.url) as c:
        yield c


@pytest.fixture
def store(state_location: Path | str) -> Iterator[Store]:
    with Store.open(state_location) as s:
        yield s


def resolver(client: IntercomClient, store: Store, url: str = URL) -> SourceResolver:
    return SourceResolver(client, store, "docs", url)


@pytest.mark.parametrize(
    ("behavior", "status", "said"),
    [
        ("automatic", "active", "website sync made in Intercom (sync_behavior 'automatic')"),
        ("manual", "active", "website sync made in Intercom (sync_behavior 'manual')"),
        ("manual", "deactivated", "sync_behavior 'manual'"),
        ("api", "deactivated", "is deactivated (status 'deactivated')"),
    ],
)
def test_an_unwritable_source_with_our_url_is_a_config_error(
    emulator: EmulatorServer,
    client: IntercomClient,
    store: Store,
    behavior: str,
    status: str,
    said: str,
) -> None:
    theirs = emulator.add_source(URL.rstrip("/"), sync_behavior=behavior, status=status)
    for attempt in (resolver(client, store).ensure, resolver(client, store).find):
        with pytest.raises(ConfigError) as info:
            attempt()
        message = str(info.value)
        assert "connectors.docs.url" in message
        assert f"Content Import Source {theirs['id']} carrying this url" in message
        assert said in message
        assert "another url" in message or "url no website sync uses" in message
    assert calls(emulator.stats(), *SOURCE_WRITES) == 0  # never adopted, never PUT, no twin
    assert store.get_source("docs") is None
    assert emulator.sources() == [theirs]


def test_an_api_source_is_adopted_beside_a_website_sync(
    emulator: EmulatorServer, client: IntercomClient, store: Store
) -> None:
    emulator.add_source(URL, sync_behavior="automatic")
    ours = client.create_source(URL)
    assert resolver(client, store).ensure() == ours.id
    assert calls(emulator.stats(), *SOURCE_WRITES) == 1  # only our create above


@pytest.mark.parametrize("change", ["website sync", "deactivated"])
def test_the_recorded_source_turned_unwritable_is_a_config_error(
    emulator: EmulatorServer, client: IntercomClient, store: Store, change: str
) -> None:
    if change == "website sync":
        recorded = int(emulator.add_source(URL, sync_behavior="manual")["id"])
    else:
        recorded = client.create_source(URL).id
        client.update_source(recorded, url=URL, status="deactivated")
    # state says the source is ours, at another url: verify would PUT the url, but must not
    store.save_source("docs", recorded, "https://old.example.com/")
    before = calls(emulator.stats(), *SOURCE_WRITES)
    with pytest.raises(ConfigError, match=f"Source {recorded} recorded in state"):
        resolver(client, store).verify(dry_run=False)
    assert calls(emulator.stats(), *SOURCE_WRITES) == before
    assert [s.url for s in client.list_sources()] == [URL]


def test_of_two_api_sources_with_our_url_the_oldest_is_used_loudly(
    emulator: EmulatorServer,
    client: IntercomClient,
    store: Store,
    caplog: pytest.LogCaptureFixture,
) -> None:
    first = client.create_source(URL)
    second = client.create_source(URL + "/")
    assert resolver(client, store).ensure() == first.id
    warning = next(r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert f"ids {first.id}, {second.id}" in warning
    assert "another installation" in warning and "not deleted" in warning
    assert len(emulator.sources()) == 2  # nothing deleted


def test_a_refused_source_url_is_a_config_error_that_explains_the_rule(
    start_emulator: StartEmulator, state_location: Path | str
) -> None:
    server = start_emulator(EmulatorSettings(strict_source_urls=True))
    with (
        IntercomClient(server.token, base_url=server.url) as client,
        Store.open(state_location) as store,
    ):
        with pytest.raises(ConfigError) as info:
            resolver(client, store, "https://wiki.corp.internal/").ensure()
        message = str(info.value)
        assert "connectors.docs.url" in message
        assert "Intercom refused https://wiki.corp.internal/" in message
        assert "public domain name" in message and "need not be reachable" in message
        # the same for a url changed on a source we already have
        ours = client.create_source(URL)
        store.save_source("docs", ours.id, URL)
        with pytest.raises(ConfigError, match=r"Intercom refused http://10\.0\.0\.7/"):
            resolver(client, store, "http://10.0.0.7/").ensure()
    assert server.stats()["by_status"].get("400") == 2


def test_two_installations_creating_at_once_use_one_source(
    start_emulator: StartEmulator, another_state: Callable[[str], Path | str]
) -> None:
    # Separate state files, one workspace, 600 ms a call: both list (nothing), both create,
    # then both list again and take the oldest.
    server = start_emulator(EmulatorSettings(latency_ms=600))
    chosen: dict[str, int] = {}
    start = threading.Barrier(2)

    def installation(name: str) -> None:
        with (
            IntercomClient(server.token, base_url=server.url) as client,
            Store.open(another_state(name)) as store,
        ):
            start.wait()
            chosen[name] = resolver(client, store).ensure()
            recorded = store.get_source("docs")
            assert recorded is not None and recorded.source_id == chosen[name]

    threads = [threading.Thread(target=installation, args=(n,)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sources = sorted(int(s["id"]) for s in server.sources())
    assert len(sources) == 2  # both created (the race happened) ...
    assert chosen == {"a": sources[0], "b": sources[0]}  # ... and both use the oldest


def test_a_sync_refusing_a_website_sync_exits_2_and_names_it(
    site: Site, emulator: EmulatorServer
) -> None:
    theirs = emulator.add_source(URL, sync_behavior="automatic")
    site.write("a.md", "# A\n\nbody text of a page that is long enough to publish.\n")
    result = site.cli("sync")
    assert result.returncode == 2, result.stdout + result.stderr
    said = result.stdout + result.stderr
    assert f"Content Import Source {theirs['id']}" in said and "automatic" in said
    assert "Traceback" not in said
    assert emulator.pages() == []
    assert calls(emulator.stats(), *SOURCE_WRITES, "createExternalPage") == 0


def test_plan_says_so_too_and_the_other_connectors_still_sync(
    site: Site, emulator: EmulatorServer
) -> None:
    emulator.add_source(URL, sync_behavior="manual")
    site.write("docs/a.md", "# A\n\nA page of the docs connector.\n")
    site.write("kb/b.md", "# B\n\nA page of the kb connector.\n")
    data = yaml.safe_load(site.config_path.read_text(encoding="utf-8"))
    docs = {**data["connectors"][0], "root": str(site.root / "docs")}
    kb = {**docs, "name": "kb", "url": "https://kb.example.com/", "root": str(site.root / "kb")}
    kb["url_template"] = "https://kb.example.com/{path}"
    data["connectors"] = [docs, kb]
    site.config_path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")

    plan = site.cli("plan")
    assert plan.returncode == 2 and "sync_behavior 'manual'" in plan.stdout + plan.stderr
    assert calls(emulator.stats(), *SOURCE_WRITES, "createExternalPage") == 0

    result = site.cli("sync")
    assert result.returncode == 2, result.stdout + result.stderr
    assert set(site.intercom_pages()) == {"b.md"}  # kb synced although docs could not
