"""A watched Confluence: `ingestor daemon` as a subprocess polls the route-table fake's CQL
``lastmodified`` feed every second and syncs an edit with no scheduled run (those are an hour
apart); idle polls, which re-read the feed's overlap window, start no run."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ingestor.emulator import EmulatorServer

from ..daemon.conftest import DaemonProcess, Deployment, wait_for
from .fake_confluence import FakeConfluence

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(params=["cloud", "datacenter"])
def server(request: pytest.FixtureRequest) -> Iterator[FakeConfluence]:
    fake = FakeConfluence(request.param).start()
    yield fake
    fake.stop()


def connector(fake: FakeConfluence) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "wiki",
        "type": "confluence",
        "url": "https://wiki.example.com/",
        "base_url": fake.url,
        "deployment": fake.deployment,
        "spaces": ["ENG"],
        "watch": True,
        "watch_interval": "1s",
    }
    if fake.deployment == "cloud":
        return values | {"email": "bot@example.com", "api_token": "cloud-api-token"}
    return values | {"personal_access_token": "dc-personal-token"}


def html_with(deployment: Deployment, text: str) -> bool:
    return any(text in page["html"] for page in deployment.intercom_pages().values())


def watch_of(daemon: DaemonProcess) -> dict[str, Any]:
    _status, data = daemon.get_json("/status")
    watch: dict[str, Any] = data["connectors"][0]["daemon"]["watch"]
    return watch


def test_an_edit_is_synced_from_the_cql_feed(
    server: FakeConfluence, emulator: EmulatorServer, tmp_path: Path
) -> None:
    page = server.add_page("ENG", "Watched", "<p>First text of the watched page.</p>")
    server.add_page("ENG", "Other", "<p>Another page.</p>")
    deployment = Deployment(tmp_path, emulator)
    daemon_settings = {"listen": "127.0.0.1:0", "schedule": {"every": "1h"}, "run_on_start": True}
    deployment.write_config([connector(server)], daemon=daemon_settings)
    daemon = DaemonProcess(deployment)
    try:
        wait_for(lambda: html_with(deployment, "First text"), timeout=60, what="first sync")
        wait_for(lambda: daemon.matching(connector="wiki", status="ok"), what="first run's end")
        assert watch_of(daemon)["method"] == "feed"
        time.sleep(3)  # idle polls: the overlap window names both pages, at synced versions
        assert watch_of(daemon)["runs"] == 0 and len(daemon.finished_runs("wiki")) == 1

        server.edit(page, body="<p>Edited while watched.</p>")
        wait_for(lambda: html_with(deployment, "Edited while watched"), timeout=60, what="edit")
        wait_for(lambda: watch_of(daemon)["runs"], what="the watch run's end")
        assert daemon.stop() == 0
    finally:
        daemon.kill()
