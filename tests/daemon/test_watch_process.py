"""Watched shares: `ingestor daemon` as a subprocess syncs edits as they happen, through the
emulator over sockets, with scheduled runs an hour apart (so only the watch can explain them)."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from typing import Any

import pytest

from ingestor.state import Store

from ..notion.conftest import MARKDOWN_EXPORT, fixture_members, write_zip
from .conftest import DaemonProcess, Deployment, wait_for

pytestmark = pytest.mark.timeout(120)

StartDaemon = Callable[..., DaemonProcess]
HOURLY = {"listen": "127.0.0.1:0", "schedule": {"every": "1h"}, "run_on_start": True}


def runs_of(deployment: Deployment, connector: str) -> list[Any]:
    with Store.open(deployment.state, read_only=True) as store:
        return store.recent_runs(connector, limit=500)


def watch_status(daemon: DaemonProcess, connector: str) -> dict[str, Any] | None:
    _status, data = daemon.get_json("/status")
    entry = next(c for c in data["connectors"] if c["name"] == connector)
    watch: dict[str, Any] | None = entry["daemon"]["watch"]
    return watch


def watched(daemon: DaemonProcess, connector: str) -> dict[str, Any]:
    watch = watch_status(daemon, connector)
    assert watch is not None, f"{connector} is not watched"
    return watch


def first_sync(deployment: Deployment, daemon: DaemonProcess, count: int) -> None:
    wait_for(lambda: len(deployment.intercom_pages()) == count, what="first sync")
    wait_for(lambda: daemon.matching(connector="docs", status="ok"), what="first run's end")


def test_an_edit_reaches_intercom_through_file_system_events(
    deployment: Deployment, start_daemon: StartDaemon
) -> None:
    for i in range(3):
        deployment.write("docs", f"p{i}.md", f"# Page {i}\n\nFirst text.\n")
    deployment.write_config([deployment.connector("docs")], daemon=HOURLY)
    daemon = start_daemon(deployment)
    first_sync(deployment, daemon, 3)
    watch = watched(daemon, "docs")
    assert watch["method"] == "events" and watch["state"] == "watching"

    deployment.write("docs", "p0.md", "# Page 0\n\nEdited while the daemon watches.\n")
    deployment.write("docs", "sub/p3.md", "# Page 3\n\nAdded later, in a new folder.\n")

    def synced() -> bool:
        pages = deployment.intercom_pages()
        return "sub/p3.md" in pages and "Edited" in pages["p0.md"]["html"]

    wait_for(synced, timeout=60, what="the edit and the new file in Intercom")
    assert set(deployment.intercom_pages()) == {"p0.md", "p1.md", "p2.md", "sub/p3.md"}
    # the new folder's files raise no events of their own: a full listing found them
    assert daemon.matching(connector="docs", event="full_listing_for_paths")
    assert len(runs_of(deployment, "docs")) >= 2  # the hourly schedule ran once only
    wait_for(lambda: watched(daemon, "docs")["runs"], what="the watch run's end")
    assert daemon.stop() == 0


def test_a_burst_of_edits_is_debounced_into_few_targeted_runs(
    deployment: Deployment, start_daemon: StartDaemon
) -> None:
    deployment.write("docs", "index.md", "# Index\n\nThe start.\n")
    deployment.write_config([deployment.connector("docs")], daemon=HOURLY)
    daemon = start_daemon(deployment)
    first_sync(deployment, daemon, 1)
    before = len(runs_of(deployment, "docs"))

    for i in range(50):  # as a git checkout or an rsync writes them
        deployment.write("docs", f"b{i:02}.md", f"# Burst {i}\n\nWritten in a burst.\n")
    wait_for(lambda: len(deployment.intercom_pages()) == 51, timeout=60, what="the burst synced")
    wait_for(lambda: not watched(daemon, "docs")["pending_paths"], what="nothing pending")
    runs = runs_of(deployment, "docs")[: len(runs_of(deployment, "docs")) - before]
    # 50 files in well under the quiet period: a handful of runs, not one per file
    assert 1 <= len(runs) <= 5, [r.status for r in runs]
    assert {r.status for r in runs} == {"ok"}
    assert sum(r.created for r in runs) == 50
    # files in a folder already watched: runs of just the changed paths
    assert len(daemon.matching(connector="docs", event="targeted_listing")) == len(runs)
    assert daemon.stop() == 0


def test_polling_finds_edits_where_events_are_not_used(
    deployment: Deployment, start_daemon: StartDaemon
) -> None:
    # watch_method: polling is what a network mount gets by itself (see test_watch_plan);
    # here it is forced on a local folder, whose events the poller then does not use.
    deployment.write("docs", "p0.md", "# Page 0\n\nFirst text.\n")
    settings = {"watch_method": "polling", "watch_interval": "1s"}
    deployment.write_config([deployment.connector("docs", **settings)], daemon=HOURLY)
    daemon = start_daemon(deployment)
    first_sync(deployment, daemon, 1)
    watch = watched(daemon, "docs")
    assert watch["method"] == "polling" and "polling every 1s" in watch["why"]
    status = deployment.cli("status")
    assert "docs: watched by the daemon: polling every 1s (watch_method: polling)" in status.stdout

    deployment.write("docs", "p0.md", "# Page 0\n\nEdited, found by polling.\n")
    wait_for(
        lambda: "found by polling" in deployment.intercom_pages()["p0.md"]["html"],
        timeout=60,
        what="the polled edit",
    )
    assert daemon.stop() == 0


def test_a_deleted_file_is_deleted_only_by_a_complete_listing_behind_the_guard(
    deployment: Deployment, start_daemon: StartDaemon
) -> None:
    for i in range(4):
        deployment.write("docs", f"p{i}.md", f"# Page {i}\n\nText {i}.\n")
    # deletion: delete, so a vanished page leaves Intercom at once (hiding is tested elsewhere)
    deployment.write_config(
        [deployment.connector("docs", max_delete_fraction=0.3, deletion="delete")], daemon=HOURLY
    )
    daemon = start_daemon(deployment)
    first_sync(deployment, daemon, 4)

    (deployment.folder("docs") / "p3.md").unlink()
    wait_for(lambda: "p3.md" not in deployment.intercom_pages(), timeout=60, what="deletion")
    deleting = next(r for r in runs_of(deployment, "docs") if r.deleted)
    # the watch asked for a full listing: the run saw every remaining page
    assert daemon.matching(connector="docs", event="full_listing_for_paths")
    assert deleting.deleted == 1 and deleting.unchanged == 3 and deleting.status == "ok"

    for i in range(3):  # every page at once: more than max_delete_fraction
        (deployment.folder("docs") / f"p{i}.md").unlink()
    wait_for(
        lambda: runs_of(deployment, "docs")[0].status == "partial",
        timeout=60,
        what="a run that held the mass deletion back",
    )
    time.sleep(1)  # any further watch run would have started by now; none may delete
    assert set(deployment.intercom_pages()) == {"p0.md", "p1.md", "p2.md"}
    assert daemon.stop() == 0


def test_watch_false_leaves_the_share_to_the_schedule(
    deployment: Deployment, start_daemon: StartDaemon
) -> None:
    deployment.write("docs", "p0.md", "# Page 0\n\nFirst text.\n")
    deployment.write_config([deployment.connector("docs", watch=False)], daemon=HOURLY)
    daemon = start_daemon(deployment)
    first_sync(deployment, daemon, 1)
    assert watch_status(daemon, "docs") is None
    assert daemon.stop() == 0


def test_a_reload_turns_watching_off_and_changes_its_method(
    deployment: Deployment, start_daemon: StartDaemon
) -> None:
    deployment.write("docs", "p0.md", "# Page 0\n\nFirst text.\n")
    deployment.write_config([deployment.connector("docs")], daemon=HOURLY)
    daemon = start_daemon(deployment)
    first_sync(deployment, daemon, 1)
    assert watched(daemon, "docs")["method"] == "events"

    deployment.write_config([deployment.connector("docs", watch=False)], daemon=HOURLY)
    daemon.send(signal.SIGHUP)
    wait_for(lambda: watch_status(daemon, "docs") is None, what="the watch stopped")

    polling = {"watch_method": "polling", "watch_interval": "1s"}
    deployment.write_config([deployment.connector("docs", **polling)], daemon=HOURLY)
    daemon.send(signal.SIGHUP)
    wait_for(
        lambda: (
            (watch_status(daemon, "docs") or {}).get("method") == "polling"
            and watched(daemon, "docs")["state"] == "watching"
        ),
        what="the watch polling",
    )

    def edited(text: str) -> bool:
        return text in deployment.intercom_pages()["p0.md"]["html"]

    deployment.write("docs", "p0.md", "# Page 0\n\nEdited after the reloads.\n")
    try:
        wait_for(lambda: edited("after the reloads"), timeout=20, what="the edit")
    except AssertionError:
        # the poller compares with a first scan it takes as it starts, a moment after /status
        # names it: an edit made in that moment is in its first scan (docs/watch.md). One
        # edit more, made surely after, must be seen.
        deployment.write("docs", "p0.md", "# Page 0\n\nEdited again after the reloads.\n")
        wait_for(lambda: edited("again after the reloads"), timeout=60, what="the edit")
    assert daemon.stop() == 0


def test_a_replaced_notion_export_is_synced_by_its_folders_events(
    deployment: Deployment, start_daemon: StartDaemon
) -> None:
    members = fixture_members(MARKDOWN_EXPORT)
    export = deployment.folder("exports") / "notion.zip"
    write_zip(export, members)
    connector = {
        "name": "notion",
        "type": "notion_export",
        "url": "https://notion.example.com/",
        "path": str(export),
        "url_template": "https://help.example.com/p/{id}",
    }
    deployment.write_config([connector], daemon=HOURLY)
    daemon = start_daemon(deployment)
    wait_for(lambda: deployment.intercom_pages(), timeout=60, what="first sync")
    wait_for(lambda: daemon.matching(connector="notion", status="ok"), what="first run's end")
    watch = watched(daemon, "notion")
    assert watch["method"] == "events" and watch["path"] == str(export.parent)

    page = next(name for name in members if name.endswith(".md"))
    members[page] += b"\n\nAdded to the export while the daemon watches.\n"
    deployment.write("exports", "unrelated.txt", "Another file of the folder: no run.\n")
    write_zip(export.with_suffix(".tmp"), members)
    export.with_suffix(".tmp").replace(export)  # as a download lands: renamed over the old one

    def synced() -> bool:
        pages = deployment.intercom_pages().values()
        return any("while the daemon watches" in p["html"] for p in pages)

    wait_for(synced, timeout=60, what="the new export synced")
    # one run, for the export's own name (its temporary name and the other file are no concern)
    wait_for(lambda: watched(daemon, "notion")["runs"], what="the watch run's end")
    assert watched(daemon, "notion")["runs"] == 1
    assert daemon.stop() == 0
