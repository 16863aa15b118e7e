"""`ingestor demo`, README's first command: a real process, its own emulator, the bundled pages."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from ingestor.commands.demo import bundled_examples


def _demo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ingestor", "demo", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _listed_external_ids(out: str) -> list[str]:
    """The external_id column of the pages list (piped: one tab-separated line per page)."""
    listing = out[out.index("External Pages in the emulator") :].splitlines()
    assert listing[1] == "external_id\ttitle\turl\tAI agent\tCopilot"
    rows: list[str] = []
    for line in listing[2:]:
        if "\t" not in line:
            break
        rows.append(line.split("\t")[0])
    return rows


def test_the_demo_syncs_the_bundled_pages_then_makes_no_write_call() -> None:
    result = _demo()

    assert result.returncode == 0, result.stderr
    out = result.stdout
    bundled = sorted(p for p in bundled_examples().rglob("*") if p.is_file())
    assert len(bundled) == 5
    assert not set("│─┃━╭╰") & set(out)  # piped: no box drawing to trip grep and cut
    summary = re.search(r"^\s*handbook\s+ok\s+(\d+)\s+(\d+)\s+(\d+)\s", out, re.MULTILINE)
    assert summary is not None, out
    assert summary.groups() == ("5", "0", "0")  # created, updated, unchanged
    assert "Second run: 5 pages unchanged, 0 write calls to Intercom." in out
    listed = _listed_external_ids(out)  # every page, as Fin received it
    assert listed == [path.relative_to(bundled_examples()).as_posix() for path in bundled]
    # the emulator stops with the demo: no address that is dead by the time it is read
    assert "/_emulator/pages" not in out and "--keep-running" in out
    hint = re.search(r"try: (ingestor status -c \S+)\)", out)
    assert hint is not None  # and the hint works without the demo's token (local state only)
    status = subprocess.run(
        [sys.executable, "-m", *hint.group(1).split()],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if k != "DEMO_INTERCOM_TOKEN"},
    )
    assert status.returncode == 0, status.stderr
    assert re.search(r"^\s*handbook\s+filesystem\s+\d+\s+5\s", status.stdout, re.MULTILINE)


def test_the_demo_syncs_a_folder_of_the_users_own(tmp_path: Path) -> None:
    pages = tmp_path / "mine"
    shutil.copytree(bundled_examples(), pages)
    (pages / "extra.md").write_text("# An extra page\n\nWritten for this test.\n")

    result = _demo("--pages", str(pages))

    assert result.returncode == 0, result.stderr
    assert "Second run: 6 pages unchanged, 0 write calls to Intercom." in result.stdout
    assert "extra.md" in _listed_external_ids(result.stdout)
