"""The control channel's pieces over real sockets: long socket paths, lines, reports."""

from __future__ import annotations

import json
import os
import socket
from dataclasses import fields
from pathlib import Path

import pytest

from ingestor.control_protocol import (
    LineReader,
    encode,
    peer_uid,
    report_from_json,
    report_to_json,
    socket_address,
    socket_path,
)
from ingestor.daemon._control import socket_in_use
from ingestor.engine.report import Outcome, PageEvent, SyncReport


def test_the_socket_sits_next_to_the_state_database(tmp_path: Path) -> None:
    assert socket_path(tmp_path / "state.db") == tmp_path / "state.db.sock"


def test_a_socket_path_past_108_bytes_still_binds_and_connects(tmp_path: Path) -> None:
    folder = tmp_path / ("x" * 60) / ("y" * 60)
    folder.mkdir(parents=True)
    path = folder / "state.db.sock"
    assert len(str(path)) > 108
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with server, client:
        with socket_address(path) as address:
            server.bind(address)
        server.listen(1)
        assert path.is_socket()
        with socket_address(path) as address:
            client.connect(address)
        conn, _ = server.accept()
        with conn:
            assert peer_uid(conn) == os.geteuid()
            client.sendall(encode({"event": "done", "exit_code": 0}) + b'["not an object"]\n')
            reader = LineReader(conn)
            assert reader.read() == {"event": "done", "exit_code": 0}
            with pytest.raises(ValueError, match="JSON object"):
                reader.read()
            client.close()
            assert reader.read() is None


def test_a_report_crosses_the_channel_with_every_field_a_person_reads() -> None:
    report = SyncReport(connector="docs", dry_run=True, run_id=None, created=2, failed=1)
    report.finished_at = report.started_at + 3
    report.listing_complete = False
    report.listing_problems = ["sub/: permission denied"]
    report.deletion_blocked = "3 of 4 pages vanished; --allow-mass-delete to delete them"
    report.failures = [PageEvent("big.md", Outcome.FAILED, "over max_page_bytes")]
    report.skips = [PageEvent("scan.pdf", Outcome.SKIPPED, "no text layer")]
    report.changes = [PageEvent("new.md", Outcome.CREATED, "new page")]
    report.broken_links = [("a.md", "missing.md")]
    report.held_back = ["old.md"]
    report.withheld = [
        PageEvent("hr/pay.md", Outcome.SKIPPED, "team only", audience="team", matched="hr/**")
    ]
    report.rule_counts = {"hr/**": 1}
    report.taken_down = 1
    report.interrupted = True

    wire = json.loads(encode(report_to_json(report)))
    back = report_from_json({**wire, "from_a_newer_daemon": 1})

    for field in fields(SyncReport):
        if field.name not in ("exception", "planned_html"):
            assert getattr(back, field.name) == getattr(report, field.name), field.name
    assert back.status == report.status and back.duration == report.duration


def test_a_live_socket_is_in_use_and_a_left_one_is_not(tmp_path: Path) -> None:
    """Daemons sharing a PostgreSQL state on one machine: a second one must not replace the
    first one's live socket, but a socket left by a killed daemon is free to replace."""
    path = tmp_path / "state.db.sock"
    assert not socket_in_use(path)  # none at all
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with socket_address(path) as address:
        server.bind(address)
    server.listen(1)
    assert socket_in_use(path)
    server.close()  # what SIGKILL leaves: the file, nobody listening
    assert path.is_socket()
    assert not socket_in_use(path)
