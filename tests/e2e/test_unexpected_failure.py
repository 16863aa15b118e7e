"""A run ended by an unexpected exception (a bug) is recorded failed, its summary printed, and
no traceback reaches the operator (issue 14, point 4).

The bug is a real one of a kind plugins can have: an installed connector plugin (an entry
point in a folder on PYTHONPATH, as pip would install it) whose incremental listing returns
something that is not a ``Changes``. The engine does not guard that call, so the run ends.
"""

from __future__ import annotations

from pathlib import Path

from ingestor.state import Store

from .conftest import Site

PLUGIN = '''
from typing import Literal

from ingestor.connectors.base import Incremental
from ingestor.connectors.filesystem import FilesystemConnector, FilesystemSettings


class BuggySettings(FilesystemSettings):
    type: Literal["buggy"] = "buggy"  # type: ignore[assignment]


class BuggyConnector(FilesystemConnector, Incremental):
    """A file share with a broken incremental listing."""

    kind = "buggy"
    Settings = BuggySettings

    def start_cursor(self) -> str:
        return "cursor-1"

    def list_changes(self, cursor):
        return "not a Changes"  # the plugin's bug
'''


def _install_plugin(folder: Path) -> str:
    folder.mkdir()
    (folder / "buggy_plugin.py").write_text(PLUGIN, encoding="utf-8")
    info = folder / "buggy_plugin-0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: buggy-plugin\nVersion: 0\n")
    (info / "entry_points.txt").write_text(
        "[fin_ingestor.connectors]\nbuggy = buggy_plugin:BuggyConnector\n"
    )
    return str(folder)


def test_a_bug_ends_the_run_as_failed_with_a_summary_and_no_traceback(
    site: Site, tmp_path: Path
) -> None:
    site.env["PYTHONPATH"] = _install_plugin(tmp_path / "plugins")
    text = site.config_path.read_text(encoding="utf-8")
    site.config_path.write_text(text.replace("type: filesystem", "type: buggy"), "utf-8")
    site.write("a.md", "# A\n\nText.\n")
    first = site.cli("sync", "--no-progress")  # a full listing: saves the plugin's cursor
    assert first.returncode == 0, first.stdout + first.stderr

    site.write("b.md", "# B\n\nText.\n")
    done = site.cli("sync", "--no-progress")  # the incremental listing hits the bug

    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "Sync summary" in done.stdout and "failed" in done.stdout
    assert "stopped unexpectedly: AttributeError" in done.stdout + done.stderr
    with Store.open(site.state, read_only=True) as store:
        run = store.recent_runs("docs", limit=1)[0]
    assert run.status == "failed" and "AttributeError" in str(run.error)
    assert run.finished_at is not None
