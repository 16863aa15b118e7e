"""Watched wikis: `ingestor daemon` as a subprocess polls a real MediaWiki's and DokuWiki's
change feeds every second and syncs an edit with no scheduled run (those are an hour apart)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from ingestor.emulator import EmulatorServer

from ..daemon.conftest import DaemonProcess, Deployment, wait_for
from .conftest import DokuWikiSite, MediaWikiSite

pytestmark = pytest.mark.timeout(180)

DAEMON = {"listen": "127.0.0.1:0", "schedule": {"every": "1h"}, "run_on_start": True}
WATCH = {"watch": True, "watch_interval": "1s"}


def html_with(deployment: Deployment, text: str) -> bool:
    return any(text in page["html"] for page in deployment.intercom_pages().values())


def watch_of(daemon: DaemonProcess) -> dict[str, Any]:
    _status, data = daemon.get_json("/status")
    watch: dict[str, Any] = data["connectors"][0]["daemon"]["watch"]
    return watch


def edit_reaches_intercom(
    deployment: Deployment, connector: dict[str, Any], first: str, edit: Any
) -> None:
    deployment.write_config([connector], daemon=DAEMON)
    daemon = DaemonProcess(deployment)
    try:
        wait_for(lambda: html_with(deployment, first), timeout=60, what="first sync")
        wait_for(lambda: daemon.matching(connector="wiki", status="ok"), what="first run's end")
        assert watch_of(daemon)["method"] == "feed"
        time.sleep(3)  # polls that find nothing new (the feed's overlap window) start no run
        assert watch_of(daemon)["runs"] == 0 and len(daemon.finished_runs("wiki")) == 1
        edit()
        wait_for(lambda: html_with(deployment, "Edited while watched"), timeout=60, what="edit")
        wait_for(lambda: watch_of(daemon)["runs"], what="the watch run's end")
        assert daemon.stop() == 0
    finally:
        daemon.kill()


def test_a_mediawiki_edit_is_synced_from_its_recent_changes(
    mediawiki: MediaWikiSite, emulator: EmulatorServer, tmp_path: Path
) -> None:
    mediawiki.admin.edit("Watch/A", "First text of the watched page.")
    connector = {
        "name": "wiki",
        "type": "mediawiki",
        "url": mediawiki.server.url + "/",
        "api_url": mediawiki.api_url,
        "include_prefixes": ["Watch/"],
        **WATCH,
    }
    deployment = Deployment(tmp_path, emulator)
    edit_reaches_intercom(
        deployment,
        connector,
        "First text of the watched page",
        lambda: mediawiki.admin.edit("Watch/A", "Edited while watched."),
    )


def test_a_dokuwiki_edit_is_synced_from_its_recent_changes(
    dokuwiki: DokuWikiSite, emulator: EmulatorServer, tmp_path: Path
) -> None:
    dokuwiki.admin.put("watch:a", "====== Watched ======\n\nFirst text of the watched page.\n")
    connector = {
        "name": "wiki",
        "type": "dokuwiki",
        "url": dokuwiki.url,
        "wiki_url": dokuwiki.url,
        "namespaces": ["watch"],
        **WATCH,
    }
    deployment = Deployment(tmp_path, emulator)
    edit_reaches_intercom(
        deployment,
        connector,
        "First text of the watched page",
        lambda: dokuwiki.admin.put("watch:a", "====== Watched ======\n\nEdited while watched.\n"),
    )
