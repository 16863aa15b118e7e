"""One bad page does not stop a run; an Intercom that fails every call does (issue 14, point 5).

A page whose calls fail after every retry is the page's failure: counted, recorded in state
with its error and retried next run, while the other pages are sent and the vanished ones
deleted. Only when every call keeps failing does the breaker end the run early.
"""

from __future__ import annotations

from pathlib import Path

from ingestor.commands.cli import ExitCode, exit_code_for_reports
from ingestor.connectors.filesystem import FilesystemConnector, FilesystemSettings
from ingestor.emulator import EmulatorServer
from ingestor.engine.breaker import UnreachableBreaker
from ingestor.engine.report import PageEvent, SyncReport
from ingestor.engine.sync import PagePolicy, SyncEngine, SyncOptions
from ingestor.errors import IntercomUnreachable
from ingestor.http import RetryPolicy
from ingestor.intercom import IntercomClient
from ingestor.state import Store

from .conftest import Site, calls

BAD = "kb/bad.md"


def test_a_page_that_fails_every_retry_fails_alone(site: Site) -> None:
    # each failing call: two attempts, a short backoff; the vanished page is deleted at once
    site.write_config(max_attempts=2, deletion="delete")
    for i in range(4):
        site.write(f"kb/old-{i}.md", f"# Old {i}\n\nText {i}.\n")
    assert site.cli("sync", "--no-progress").returncode == 0
    (site.root / "kb" / "old-0.md").unlink()  # vanished: the run must still delete it
    site.write(BAD, "# Bad\n\nIntercom refuses this one.\n")
    for i in range(3):
        site.write(f"kb/new-{i}.md", f"# New {i}\n\nText {i}.\n")
    site.server.configure(fail_external_ids=[BAD])

    done = site.cli("sync", "--no-progress")

    assert done.returncode == ExitCode.PARTIAL, done.stdout + done.stderr
    assert "partial" in done.stdout and "Traceback" not in done.stderr
    pages = site.intercom_pages()
    assert set(pages) == {"kb/old-1.md", "kb/old-2.md", "kb/old-3.md"} | {
        f"kb/new-{i}.md" for i in range(3)
    }  # the others created, the vanished page deleted, the bad page not there
    assert site.server.stats()["faults"]["targeted_503"] == 2  # both attempts of the bad page
    with Store.open(site.state, read_only=True) as store:
        failed = {page.external_id: page.last_error for page in store.failed_pages("docs")}
        run = store.recent_runs("docs", limit=1)[0]
    assert list(failed) == [BAD] and "HTTP 503" in str(failed[BAD])
    assert (run.status, run.created, run.deleted, run.failed) == ("partial", 3, 1, 1)
    status = site.cli("status")
    assert BAD in status.stdout and "HTTP 503" in status.stdout

    site.server.configure(fail_external_ids=[])  # Intercom takes it again: the next run retries
    again = site.cli("sync", "--no-progress")
    assert again.returncode == ExitCode.OK, again.stdout + again.stderr
    assert BAD in site.intercom_pages()


class _OutageAfterListing:
    """Intercom answers the run's checks, then fails every call from the first page on."""

    def __init__(self, server: EmulatorServer) -> None:
        self.server = server

    def listed(self, connector: str, *, total: int, to_process: int) -> None:
        self.server.configure(fault_5xx_rate=1.0)

    def page_done(self, connector: str, event: PageEvent) -> None:
        return None


def _sync(
    root: Path, state: Path | str, server: EmulatorServer, engine_args: dict[str, object]
) -> SyncReport:
    settings = FilesystemSettings(name="docs", url="https://docs.example.com/", root=root)
    with (
        Store.open(state) as store,
        IntercomClient(
            server.token, base_url=server.url, policy=RetryPolicy(max_attempts=2, base_delay=0.05)
        ) as client,
        FilesystemConnector(settings) as connector,
    ):
        engine = SyncEngine(client, store, **engine_args)  # type: ignore[arg-type]
        return engine.sync(connector, PagePolicy(), SyncOptions())


def test_intercom_failing_every_call_ends_the_run_early(
    tmp_path: Path, emulator: EmulatorServer, state_location: Path | str
) -> None:
    root, state = tmp_path / "share", state_location
    root.mkdir()
    (root / "gone.md").write_text("# Gone\n\nSoon.\n", encoding="utf-8")
    assert _sync(root, state, emulator, {}).status == "ok"
    (root / "gone.md").unlink()
    pages = 80
    for i in range(pages):
        (root / f"p{i:02}.md").write_text(f"# Page {i}\n\nText {i}.\n", encoding="utf-8")

    def breaker() -> UnreachableBreaker:
        return UnreachableBreaker(after_failures=3, after_seconds=0.2)

    report = _sync(
        root, state, emulator, {"observer": _OutageAfterListing(emulator), "breaker": breaker}
    )

    assert isinstance(report.exception, IntercomUnreachable), report.error
    assert report.status == "failed" and "no call has succeeded" in str(report.error)
    assert exit_code_for_reports([report]) == ExitCode.INTERCOM
    assert 3 <= report.failed < pages  # it stopped starting pages: most were never tried
    assert report.created == 0 and report.deleted == 0
    assert calls(emulator.stats(), "createExternalPage") < pages * 2
    assert [p["external_id"] for p in emulator.pages()] == ["gone.md"]  # deletions skipped
    with Store.open(state, read_only=True) as store:
        assert store.recent_runs("docs", limit=1)[0].status == "failed"


def test_a_delete_that_fails_every_retry_fails_that_page_alone(
    tmp_path: Path, emulator: EmulatorServer, state_location: Path | str
) -> None:
    root, state = tmp_path / "share", state_location
    root.mkdir()
    for name in ("gone.md", "kept.md"):
        (root / name).write_text(f"# {name}\n\nText.\n", encoding="utf-8")
    assert _sync(root, state, emulator, {}).status == "ok"
    (root / "gone.md").unlink()
    policy = PagePolicy(max_delete_fraction=1.0, deletion="delete")  # a delete, not a hide

    def sync_once(observer: object | None) -> SyncReport:
        settings = FilesystemSettings(name="docs", url="https://docs.example.com/", root=root)
        retry = RetryPolicy(max_attempts=2, base_delay=0.05)
        with (
            Store.open(state) as store,
            IntercomClient(emulator.token, base_url=emulator.url, policy=retry) as client,
            FilesystemConnector(settings) as connector,
        ):
            engine = SyncEngine(client, store, observer=observer)  # type: ignore[arg-type]
            return engine.sync(connector, policy, SyncOptions())

    report = sync_once(_OutageAfterListing(emulator))  # nothing to send: only the delete fails

    assert report.exception is None and report.status == "partial", report.error
    assert (report.failed, report.deleted) == (1, 0)
    with Store.open(state, read_only=True) as store:
        [failed] = store.failed_pages("docs")
    assert failed.external_id == "gone.md" and "delete:" in str(failed.last_error)
    emulator.configure(fault_5xx_rate=0.0)
    assert sync_once(None).deleted == 1  # retried next run
    assert [p["external_id"] for p in emulator.pages()] == ["kept.md"]


def test_a_hide_that_fails_every_retry_fails_that_page_alone(
    tmp_path: Path, emulator: EmulatorServer, state_location: Path | str
) -> None:
    """deletion: hide, the default: the hiding upsert fails like a delete would."""
    root, state = tmp_path / "share", state_location
    root.mkdir()
    for name in ("gone.md", "kept.md"):
        (root / name).write_text(f"# {name}\n\nText.\n", encoding="utf-8")
    assert _sync(root, state, emulator, {}).status == "ok"
    (root / "gone.md").unlink()

    def sync_once(observer: object | None) -> SyncReport:
        settings = FilesystemSettings(name="docs", url="https://docs.example.com/", root=root)
        retry = RetryPolicy(max_attempts=2, base_delay=0.05)
        with (
            Store.open(state) as store,
            IntercomClient(emulator.token, base_url=emulator.url, policy=retry) as client,
            FilesystemConnector(settings) as connector,
        ):
            engine = SyncEngine(client, store, observer=observer)  # type: ignore[arg-type]
            return engine.sync(connector, PagePolicy(max_delete_fraction=1.0), SyncOptions())

    report = sync_once(_OutageAfterListing(emulator))
    assert report.exception is None and report.status == "partial", report.error
    assert (report.failed, report.hidden) == (1, 0)
    with Store.open(state, read_only=True) as store:
        [failed] = store.failed_pages("docs")
    assert failed.external_id == "gone.md" and "hide:" in str(failed.last_error)
    emulator.configure(fault_5xx_rate=0.0)
    assert sync_once(None).hidden == 1  # retried next run
    gone = {p["external_id"]: p for p in emulator.pages()}["gone.md"]
    assert (gone["ai_agent_availability"], gone["ai_copilot_availability"]) == (False, False)
