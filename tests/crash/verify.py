"""What a trial asserts at its end: Intercom equals the source, no process of a killed sync is
left, and no run is stuck "running".

"The source" is what a clean sync of the final share into a fresh emulator sends (the reference):
every page the trial's emulator holds is compared with it by external_id, title, html and url.
A hidden page (both availabilities false, as ``deletion: hide`` leaves a vanished file's page)
counts as absent.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from state import Store

__all__ = [
    "Divergence",
    "compare",
    "leftover_processes",
    "run_problems",
    "visible",
    "wait_for_no_leftovers",
]

_COMPARED = ("title", "html", "url")
# A killed run is closed by the next process as one of these; the recovery's must be "ok".
KILLED_RUN_STATUSES = frozenset({"running", "died", "interrupted", "ok", "partial", "failed"})


@dataclass
class Divergence:
    """How the trial's Intercom differs from the reference; all zero when they agree."""

    duplicates: int = 0
    lost: int = 0
    stale: int = 0
    sources: int = 0
    # pages only reconcile can repair, when the recovery does not run it: changed out of band,
    # or left by a killed sync that state never recorded (see harness._note_unrecorded)
    exempt: int = 0
    details: list[str] = field(default_factory=list)
    checked: bool = False  # False: the trial stopped before Intercom could be compared

    @property
    def converged(self) -> bool:
        return not (self.duplicates or self.lost or self.stale) and self.sources == 1


def visible(page: dict[str, Any]) -> bool:
    return bool(page.get("ai_agent_availability") or page.get("ai_copilot_availability"))


def compare(
    actual_pages: list[dict[str, Any]],
    sources: list[dict[str, Any]],
    reference_pages: list[dict[str, Any]],
    exempt: set[str],
) -> Divergence:
    """Compare the trial's pages with the reference's; ``exempt`` external_ids are not checked
    for loss or staleness (what only reconcile repairs, when the recovery does not run it)."""
    found = Divergence(sources=len(sources), checked=True)
    if len(sources) != 1:
        found.details.append(f"{len(sources)} sources: {[s.get('url') for s in sources]}")
    by_eid = Counter(p["external_id"] for p in actual_pages)
    for eid, count in sorted(by_eid.items()):
        if count > 1:
            found.duplicates += count - 1
            found.details.append(f"duplicate external_id {eid} x{count}")
    shown = {p["external_id"]: p for p in actual_pages if visible(p)}
    expected = {p["external_id"]: p for p in reference_pages}
    # an exempt page (say, an unrecorded orphan of a renamed file) may well share its text
    same_text = Counter((p["title"], p["html"]) for e, p in shown.items() if e not in exempt)
    ref_text = Counter((p["title"], p["html"]) for p in expected.values())
    for key, count in sorted(same_text.items()):
        extra = count - ref_text.get(key, 0)
        if count > 1 and extra > 0:
            found.duplicates += extra
            found.details.append(f"{count} pages share title {key[0]!r} and html")
    for eid in sorted(expected.keys() - shown.keys()):
        if eid in exempt:
            found.exempt += 1
        else:
            found.lost += 1
            found.details.append(f"lost {eid}")
    for eid in sorted(shown.keys() - expected.keys()):
        if eid in exempt:
            found.exempt += 1
        else:
            found.stale += 1  # a page whose file is gone, still shown
            found.details.append(f"stale {eid}: its file is gone but the page is shown")
    for eid in sorted(shown.keys() & expected.keys()):
        diff = [k for k in _COMPARED if shown[eid].get(k) != expected[eid].get(k)]
        if not diff:
            continue
        if eid in exempt:
            found.exempt += 1
        else:
            found.stale += 1
            found.details.append(f"stale {eid}: {', '.join(diff)} differ from a clean sync")
    source_ids = {s["id"] for s in sources}
    strays = [p["external_id"] for p in actual_pages if p.get("source_id") not in source_ids]
    if strays:
        found.stale += len(strays)
        found.details.append(f"pages of no listed source: {strays[:5]}")
    return found


def run_problems(state_path: Path, recovery_runs: int) -> list[str]:
    """Runs stuck "running", and a recovery run that did not end "ok"."""
    with Store.open(state_path, read_only=True) as store:
        runs = store.recent_runs(limit=200)
    problems = [f"run {r.id} still 'running'" for r in runs if r.status == "running"]
    problems += [
        f"run {r.id} has unexpected status {r.status!r}"
        for r in runs
        if r.status not in KILLED_RUN_STATUSES
    ]
    if recovery_runs and runs and runs[0].status != "ok":
        problems.append(f"the recovery's last run {runs[0].id} ended {runs[0].status!r}")
    return problems


def _environ_has(pid: int, marker: bytes) -> bool:
    try:
        return marker in Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:  # gone meanwhile, or not ours to read
        return False


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def leftover_processes(marker: str) -> dict[int, str]:
    """Live processes (not this one) whose environment carries the trial's marker, with their
    command lines: every process a trial's syncs started, the conversion workers included."""
    needle = marker.encode()
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        pid = int(entry.name)
        if _environ_has(pid, needle) and _alive(pid):
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            found[pid] = cmdline.strip()[:120]
    return found


def wait_for_no_leftovers(marker: str, grace_s: float) -> dict[int, str]:
    """The marker's processes still alive after ``grace_s`` (a worker watching its parent may
    take a moment to notice it died)."""
    deadline = time.monotonic() + grace_s
    while True:
        left = leftover_processes(marker)
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.1)
