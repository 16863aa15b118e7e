"""Restricted pages and the secrets gate over a real share and the emulator.

Restriction detection belongs to the wiki connectors (tested there); here a file share whose
``hr/`` folder the test connector reports as restricted stands in for it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ingestor.connectors.base import Document, Item
from ingestor.connectors.filesystem import FilesystemConnector, FilesystemSettings
from ingestor.emulator import EmulatorServer
from ingestor.engine.report import SyncReport
from ingestor.engine.sync import PagePolicy, SyncEngine, SyncOptions
from ingestor.intercom import IntercomClient
from ingestor.state import Store
from ingestor.state._engine import StateLocation, create_state_engine
from ingestor.state._tables import StateModel

from .conftest import Site, calls

AWS_KEY = "AKIAQ3EGRZ5XJ7LMN2PB"  # made up; not AWS's documented example (a placeholder)
#: A key body as long as a real one (the detector ignores short "format description" blocks).
KEY_BODY = "MIIEowIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM2Ec8kZx1Qe9pW0nR4vY7sLq2dHbT\n" * 3
#: How reports show it: the kind, the line in the source and the value masked. The detector
#: decides how many leading characters it keeps; never the whole value.
AWS_SHOWN = re.compile(r"secret: aws_access_key_id line (\d+) AKIA[0-9A-Z]{0,8}…")


class RestrictingShare(FilesystemConnector):
    """A file share whose ``hr/`` pages the source restricts, as a wiki's ACL would."""

    def fetch(self, item: Item) -> Document:
        document = super().fetch(item)
        if item.external_id.startswith("hr/"):
            return dataclasses.replace(document, restricted="view restricted to group hr")
        return document


Sync = Callable[..., SyncReport]


@pytest.fixture
def share(tmp_path: Path) -> Path:
    root = tmp_path / "share"
    (root / "hr").mkdir(parents=True)
    (root / "hr" / "leave.md").write_text("# Leave\n\nTen days.\n", encoding="utf-8")
    (root / "hr" / "internal.md").write_text("# Internal HR\n\nAsk.\n", encoding="utf-8")
    (root / "guide.md").write_text("# Guide\n\nPublic.\n", encoding="utf-8")
    return root


@pytest.fixture
def sync(state_location: Path | str, share: Path, emulator: EmulatorServer) -> Sync:
    def run(**settings: Any) -> SyncReport:
        config = FilesystemSettings(
            name="share", url="https://share.example.com/", root=share, **settings
        )
        with (
            Store.open(state_location) as store,
            IntercomClient(emulator.token, base_url=emulator.url) as client,
            RestrictingShare(config) as connector,
        ):
            return SyncEngine(client, store).sync(connector, PagePolicy(), SyncOptions())

    return run


def flags(server: EmulatorServer) -> dict[str, tuple[bool, bool]]:
    return {
        p["external_id"]: (p["ai_agent_availability"], p["ai_copilot_availability"])
        for p in server.pages()
    }


EVERYTHING_TO_CUSTOMERS = [{"match": {"path": "**"}, "audience": "customers", "name": "all"}]
HR_INTERNAL_EXCLUDED = [
    {"match": {"path": "hr/internal.md"}, "audience": "exclude"},
    *EVERYTHING_TO_CUSTOMERS,
]


def test_restricted_pages_are_excluded_by_default_even_when_a_rule_says_customers(
    sync: Sync, emulator: EmulatorServer
) -> None:
    report = sync(audiences=EVERYTHING_TO_CUSTOMERS)
    assert flags(emulator) == {"guide.md": (True, True)}
    assert report.excluded == 2
    assert {e.reason for e in report.withheld} == {"restricted: view restricted to group hr"}


def test_restricted_team_caps_them_at_copilot_and_exclude_rules_still_apply(
    sync: Sync, emulator: EmulatorServer
) -> None:
    sync(audiences=HR_INTERNAL_EXCLUDED, restricted="team")
    assert flags(emulator) == {"guide.md": (True, True), "hr/leave.md": (False, True)}


def test_only_restricted_customers_lets_a_rule_send_them_to_the_ai_agent(
    sync: Sync, emulator: EmulatorServer
) -> None:
    sync(audiences=HR_INTERNAL_EXCLUDED, restricted="customers")
    assert flags(emulator) == {"guide.md": (True, True), "hr/leave.md": (True, True)}
    # Back to the default: the restricted page that reached customers is taken down.
    before = calls(emulator.stats(), "deleteExternalPage")
    report = sync(audiences=HR_INTERNAL_EXCLUDED)
    assert flags(emulator) == {"guide.md": (True, True)}
    assert calls(emulator.stats(), "deleteExternalPage") == before + 1
    assert report.taken_down == 1


def test_a_page_with_a_secret_is_held_taken_down_and_checked_every_run(
    sync: Sync, emulator: EmulatorServer, share: Path, state_location: Path | str
) -> None:
    runbook = share / "runbook.md"
    runbook.write_text("# Runbook\n\nRestart the service.\n", encoding="utf-8")
    sync()
    assert "runbook.md" in flags(emulator)

    runbook.write_text(f"# Runbook\n\nRestart.\n\naws key {AWS_KEY}\n", encoding="utf-8")
    report = sync()
    assert "runbook.md" not in flags(emulator)  # the earlier version is taken down
    assert (report.held, report.taken_down, report.status) == (1, 1, "ok")
    [event] = report.withheld
    shown = AWS_SHOWN.match(event.reason)
    assert shown is not None and shown.group(1) == "5", event.reason
    assert event.reason.endswith("; taken down from Intercom")
    with Store.open(state_location, read_only=True) as store:
        [held] = [w for w in store.withheld_pages("share") if w.audience == "held"]
    assert held.reason is not None and AWS_SHOWN.fullmatch(held.reason), held.reason

    again = sync()  # unchanged, but read and checked again: an admin must act
    assert (again.held, again.taken_down) == (1, 0)
    assert AWS_KEY not in repr(again)

    released = sync(allow_secrets=["runbook.md"])
    assert (released.held, released.created) == (0, 1)
    assert "runbook.md" in flags(emulator)


def test_the_allow_marker_on_a_line_releases_what_is_on_it(
    sync: Sync, emulator: EmulatorServer, share: Path
) -> None:
    (share / "example.md").write_text(
        f"# Example\n\nThe docs' sample key: {AWS_KEY} <!-- fin-ingestor: allow-secret -->\n",
        encoding="utf-8",
    )
    report = sync()
    assert report.held == 0
    assert "example.md" in flags(emulator)


def _everything_stored(state: Path | str) -> bytes:
    """The SQLite file and its WAL, or every row of every table of the PostgreSQL database."""
    if isinstance(state, Path):
        return b"".join(path.read_bytes() for path in state.parent.glob(state.name + "*"))
    engine = create_state_engine(StateLocation.of(state))
    try:
        with engine.connect() as conn:
            tables = StateModel.metadata.sorted_tables
            rows = [repr(tuple(row)) for t in tables for row in conn.execute(t.select())]
    finally:
        engine.dispose()
    return "\n".join(rows).encode()


def test_a_held_page_never_leaves_its_secret_in_state(
    sync: Sync, share: Path, state_location: Path | str
) -> None:
    (share / "keys.md").write_text(
        f"# Keys\n\n-----BEGIN RSA PRIVATE KEY-----\n{KEY_BODY}\n-----END RSA PRIVATE KEY-----\n"
        f"\n{AWS_KEY}\n",
        encoding="utf-8",
    )
    report = sync()
    assert report.held == 1
    [held] = [event for event in report.withheld if event.external_id == "keys.md"]
    assert held.reason.startswith("secret: private_key line 3 "), held.reason
    assert re.search(r"\(and \d+ more\)$", held.reason), held.reason
    data = _everything_stored(state_location)
    assert b"keys.md" in data  # the page is recorded: held, with its masked reason
    assert AWS_KEY.encode() not in data
    assert KEY_BODY.encode() not in data


def test_site_cli_reports_held_pages_masked(site: Site) -> None:
    site.write("runbook.md", f"# Runbook\n\nThe deploy user is {AWS_KEY} today.\n")
    site.write("guide.md", "# Guide\n\nHello.\n")
    result = site.cli("sync", "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout + result.stderr
    assert re.search(r"held docs: runbook\.md \(" + AWS_SHOWN.pattern, out), out
    assert AWS_KEY not in out
    status = site.cli("status")
    assert re.search(r"held docs: runbook\.md \(" + AWS_SHOWN.pattern, status.stdout)
    assert "1 page(s) held for secrets" in status.stdout
    assert AWS_KEY not in status.stdout + status.stderr
