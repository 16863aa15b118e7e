"""A listing's pages to fetch spill to a temporary file beyond the first ones (issue 16 point 3:
a first sync of a million pages must not hold a million listed items), in order, losing none,
also when the disk refuses the file."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ingestor.connectors.base import Item
from ingestor.connectors.filesystem import FilesystemConnector, FilesystemSettings
from ingestor.emulator import EmulatorServer
from ingestor.engine import spool
from ingestor.engine.spool import ItemSpool
from ingestor.engine.sync import PagePolicy, SyncEngine, SyncOptions
from ingestor.intercom import IntercomClient
from ingestor.state import Store

REPO = Path(__file__).resolve().parents[1]


def items(count: int) -> list[Item]:
    return [
        Item(f"dossier/é-{n}.md", f"{n}:{n * 7}", f"/srv/share/dossier/é-{n}.md", n or None)
        for n in range(count)
    ]


def test_items_come_back_in_listing_order_from_memory_file_and_last_batch() -> None:
    listed = items(11)
    with ItemSpool(in_memory=3, batch=3) as spooled:
        for item in listed:
            spooled.append(item)
        assert len(spooled) == 11 and spooled.spilled_bytes > 0  # 2 batches written, 2 pending
        assert list(spooled) == listed
        assert list(spooled) == listed  # read again: the same
    assert len(spooled) == 0 and list(spooled) == []  # closed: the file is gone


def test_an_ordinary_listing_never_touches_the_disk() -> None:
    with ItemSpool() as spooled:
        for item in items(500):
            spooled.append(item)
        assert spooled.spilled_bytes == 0 and len(spooled) == 500


DISK_FULL = """
import logging, resource, signal, sys
logging.basicConfig(level=logging.WARNING, format="%(message)s")
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
resource.setrlimit(resource.RLIMIT_FSIZE, (600, 600))  # the file holds a batch or two
from ingestor.connectors.base import Item
from ingestor.engine.spool import ItemSpool
listed = [Item(f"p{n}.md", f"v{n}" * 20, f"/srv/{n}" * 10) for n in range(60)]
spooled = ItemSpool(in_memory=5, batch=5)
for item in listed:
    spooled.append(item)
assert list(spooled) == listed, "lost or reordered"
print("ok", len(spooled), spooled.spilled_bytes)
"""


def test_a_disk_that_refuses_the_file_keeps_the_rest_in_memory_in_order(tmp_path: Path) -> None:
    # a real refusal: the kernel's file size limit makes a write fail halfway through a batch
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(DISK_FULL)],
        capture_output=True,
        text=True,
        cwd=REPO,
        # no .pyc written under the file size limit: it would leave truncated ones behind
        env={"TMPDIR": str(tmp_path), "PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"},
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    count, written = result.stdout.split()[1:]
    assert count == "60" and 0 < int(written) <= 600
    assert "cannot write to a temporary file" in result.stderr
    assert "pages kept in memory" in result.stderr


def test_a_first_sync_processes_every_spilled_page(
    tmp_path: Path,
    emulator: EmulatorServer,
    state_location: Path | str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(spool, "IN_MEMORY", 4)
    monkeypatch.setattr(spool, "BATCH", 3)
    root = tmp_path / "share"
    root.mkdir()
    for n in range(15):
        (root / f"p{n:02}.md").write_text(f"# Page {n}\n\nText of page {n}.\n", encoding="utf-8")
    settings = FilesystemSettings(name="docs", url="https://docs.example.com/", root=root)
    with (
        Store.open(state_location) as store,
        IntercomClient(emulator.token, base_url=emulator.url) as client,
        FilesystemConnector(settings) as connector,
    ):
        report = SyncEngine(client, store).sync(connector, PagePolicy(), SyncOptions())
    assert report.status == "ok" and report.created == 15, report.error
    assert sorted(p["external_id"] for p in emulator.pages()) == [f"p{n:02}.md" for n in range(15)]
