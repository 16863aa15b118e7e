"""`ingestor demo`, README's first command: a real process, its own emulator, the bundled pages."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from ingestor.demo import bundled_examples


def _demo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ingestor", "demo", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _listed_external_ids(out: str) -> list[str]:
    """The external_id column of the pages table (cells fold over several lines)."""
    table = out[out.index("External Pages in the emulator") :]
    rows: list[str] = []
    cell: list[str] = []
    for line in table.splitlines():
        if line.startswith(("├", "└")) and cell:
            rows.append("".join(cell))
            cell = []
        elif line.startswith("│"):
            cell.append(line.split("│")[3].strip())
    return rows


def test_the_demo_syncs_the_bundled_pages_then_makes_no_write_call() -> None:
    result = _demo()

    assert result.returncode == 0, result.stderr
    out = result.stdout
    bundled = sorted(p for p in bundled_examples().rglob("*") if p.is_file())
    assert len(bundled) == 5
    summary = re.search(r"│ handbook\s+│ ok\s+│\s+(\d+) │\s+(\d+) │\s+(\d+) │", out)
    assert summary is not None, out
    assert summary.groups() == ("5", "0", "0")  # created, updated, unchanged
    assert "Second run: 5 pages unchanged, 0 write calls to Intercom." in out
    listed = _listed_external_ids(out)  # every page, as Fin received it
    assert listed == [path.relative_to(bundled_examples()).as_posix() for path in bundled]


def test_the_demo_syncs_a_folder_of_the_users_own(tmp_path: Path) -> None:
    pages = tmp_path / "mine"
    shutil.copytree(bundled_examples(), pages)
    (pages / "extra.md").write_text("# An extra page\n\nWritten for this test.\n")

    result = _demo("--pages", str(pages))

    assert result.returncode == 0, result.stderr
    assert "Second run: 6 pages unchanged, 0 write calls to Intercom." in result.stdout
    assert "extra.md" in _listed_external_ids(result.stdout)
