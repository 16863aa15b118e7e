"""The rounds of a crash trial (see :mod:`harness`): the trial's moving parts, the fault mix,
out-of-band changes in Intercom, and a sync started then killed (or left to finish)."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingestor.emulator import EmulatorServer
from state import Store

from .share import Share
from .verify import visible, wait_for_no_leftovers

__all__ = [
    "BY_HAND",
    "CI",
    "CONFIG",
    "MARKER_VARIABLE",
    "TERM_GRACE_S",
    "Trial",
    "TrialShape",
    "faulty_round",
    "reap",
]


@dataclass(frozen=True)
class TrialShape:
    """How big a trial is (inclusive ranges): files in the share, faulty rounds, and the length
    in calls of the 429 storms that ``fault_storm_rate`` starts and of those started by hand."""

    files: tuple[int, int] = (30, 80)
    rounds: tuple[int, int] = (2, 4)
    storm_calls: tuple[int, int] = (3, 10)
    hand_storm_calls: tuple[int, int] = (5, 20)


BY_HAND = TrialShape()
#: CI's trials are smaller and their storms shorter (each 429 lengthens the client's shared
#: pause, up to 10 s), to keep ten of them within a few minutes; every kind of fault, kill and
#: out-of-band change is still drawn. The share stays under the 64 pages that start conversion
#: workers (at most 50 files plus 4 added a round): until the worker hang that
#: test_worker_lifetime.py pins is fixed, a sync that uses them may never end. The by-hand
#: trials use them; tests/e2e/test_process_death.py kills a sync that does.
CI = TrialShape(files=(30, 50), rounds=(1, 3), storm_calls=(2, 5), hand_storm_calls=(2, 8))

WRITE_OPS = ("createExternalPage", "updateExternalPage", "deleteExternalPage")
MARKER_VARIABLE = "INGESTOR_CRASH_TRIAL"
SYNC_TIMEOUT_S = 240.0  # a sync left to finish, a recovery command, the reference sync
GRACE_S = 3  # the config's grace_period: in-flight uploads a SIGTERMed sync may finish
TERM_GRACE_S = GRACE_S + 20.0  # how long a SIGTERMed sync may take to exit (under load)
LEFTOVER_GRACE_S = 5.0
CONFIG = """\
intercom:
  token: ${{CRASH_TRIAL_TOKEN}}
  base_url: {base_url}
  max_attempts: 8
  timeout_seconds: 2
state:
  path: {state}
daemon:
  grace_period: {grace}s
defaults:
  max_delete_fraction: 0.5
connectors:
  - name: docs
    type: filesystem
    url: https://docs.example.com/
    root: {root}
    url_template: "https://docs.example.com/{{path}}"
"""
FAULT_OFF: dict[str, Any] = {
    "fault_5xx_rate": 0.0,
    "fault_drop_rate": 0.0,
    "fault_lost_answer_rate": 0.0,
    "fault_hang_rate": 0.0,
    "fault_close_rate": 0.0,
    "fault_storm_rate": 0.0,
    "latency_ms": 0,
    "latency_jitter_ms": 0,
}


class Trial:
    """The moving parts of one trial: share, emulator, config, the syncs it started."""

    def __init__(self, seed: int, workdir: Path, server: EmulatorServer) -> None:
        self.rng = random.Random(seed)
        self.started = time.monotonic()
        self.server = server
        self.share = Share(workdir / "share", self.rng)
        self.state = workdir / "state" / "state.db"
        self.config = workdir / "config.yaml"
        self.marker = f"crash-{seed}-{uuid.uuid4().hex[:12]}"
        self.events: list[str] = []
        self.exempt: set[str] = set()  # external_ids changed out of band, not since rewritten
        self.unrecorded: set[str] = set()  # see _note_unrecorded
        self.logs = workdir / "logs"
        self.logs.mkdir()
        self.output = self.logs / "none.log"
        self.kills: dict[str, int] = {}  # signal name -> syncs killed with it
        self.problems: list[str] = []
        self.slow_stops: list[str] = []  # SIGTERMed syncs that outlived their grace period
        self.leftovers: dict[int, str] = {}
        self.reference: EmulatorServer | None = None
        self.config.write_text(
            CONFIG.format(
                base_url=server.url, state=self.state, root=self.share.root, grace=GRACE_S
            ),
            encoding="utf-8",
        )

    def log(self, event: str) -> None:
        self.events.append(f"{time.monotonic() - self.started:6.1f}s {event}")

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "CRASH_TRIAL_TOKEN": self.server.token,
            MARKER_VARIABLE: self.marker,
            "COLUMNS": "200",
        }

    def start(self, command: str) -> subprocess.Popen[str]:
        """Start ``ingestor COMMAND -c CONFIG``; its output goes to a file of its own (a pipe
        nobody reads while the trial waits to kill it could fill and stall it)."""
        argv = [sys.executable, "-m", "ingestor", *command.split(), "-c", str(self.config)]
        self.output = self.logs / f"{len(list(self.logs.iterdir())):02}-{command.split()[0]}.log"
        with self.output.open("w", encoding="utf-8") as sink:
            return subprocess.Popen(
                argv, stdout=sink, stderr=subprocess.STDOUT, text=True, env=self.env()
            )

    def tail(self, lines: int = 6) -> str:
        """The last lines the latest command printed, joined for an event line."""
        text = self.output.read_text(encoding="utf-8", errors="replace").strip()
        return " | ".join(text.splitlines()[-lines:])

    def run(self, command: str) -> int:
        """Run a command to its end (killed after SYNC_TIMEOUT_S) and return its exit code."""
        proc = self.start(command)
        try:
            return proc.wait(timeout=SYNC_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            self.log(f"`{command}` did not end within {SYNC_TIMEOUT_S:.0f} s: killed")
            return proc.wait()

    def writes(self) -> int:
        per_op = self.server.stats()["by_operation"]
        return sum(int(per_op.get(op, 0)) for op in WRITE_OPS)


def _fault_mix(rng: random.Random, shape: TrialShape) -> dict[str, Any]:
    """A random mix of faults; the five rates stay well under their sum limit of 1."""
    mix: dict[str, Any] = {}
    kinds = rng.sample(
        ["lost", "close", "drop", "5xx", "hang", "storm", "latency"], rng.randint(1, 4)
    )
    if "lost" in kinds:
        mix["fault_lost_answer_rate"] = round(rng.uniform(0.05, 0.2), 3)
    if "close" in kinds:
        mix["fault_close_rate"] = round(rng.uniform(0.05, 0.2), 3)
    if "drop" in kinds:
        mix["fault_drop_rate"] = round(rng.uniform(0.03, 0.15), 3)
    if "5xx" in kinds:
        mix["fault_5xx_rate"] = round(rng.uniform(0.05, 0.2), 3)
    if "hang" in kinds:
        mix["fault_hang_rate"] = round(rng.uniform(0.01, 0.04), 3)
    if "storm" in kinds:
        mix["fault_storm_rate"] = round(rng.uniform(0.01, 0.04), 3)
        mix["storm_calls"] = rng.randint(*shape.storm_calls)
    if "latency" in kinds:
        mix["latency_ms"] = rng.randint(5, 60)
        mix["latency_jitter_ms"] = rng.randint(0, 40)
    return mix


def _out_of_band(trial: Trial) -> None:
    """Change Intercom behind the engine's back, as a person in Intercom's UI would."""
    rng = trial.rng
    pages = [p for p in trial.server.pages() if p.get("ai_agent_availability")]
    kind = rng.choice(["delete_page", "edit_page", "delete_source"])
    if kind == "delete_source" or not pages:
        sources = trial.server.sources()
        if not sources:
            return
        gone = trial.server.delete_source(int(sources[0]["id"]))
        trial.exempt.clear()  # every page went; the next sync must re-create them all
        trial.unrecorded.clear()
        trial.log(f"out of band: source {sources[0]['id']} deleted with its {gone} pages")
        return
    page = rng.choice(pages)
    if kind == "delete_page":
        trial.server.delete_page(page["id"])
    else:
        trial.server.edit_page(page["id"], title="Edited by hand", html="<p>Edited by hand</p>")
    trial.exempt.add(page["external_id"])
    trial.log(f"out of band: {kind} {page['external_id']} (page {page['id']})")


def _stop(trial: Trial, proc: subprocess.Popen[str], action: str, writes: int) -> str:
    """Kill ``proc`` with ``action``'s signal when its random trigger fires; say what happened."""
    rng, started = trial.rng, time.monotonic()
    if rng.random() < 0.5:
        delay = rng.uniform(0.2, 3.0)
        trigger = f"at {delay:.2f} s"

        def fired() -> bool:
            return time.monotonic() - started >= delay
    else:
        goal, before = rng.randint(1, max(1, writes)), trial.writes()
        trigger = f"after {goal} write calls"

        def fired() -> bool:
            return trial.writes() - before >= goal

    deadline = started + 60
    while proc.poll() is None and not fired() and time.monotonic() < deadline:
        time.sleep(0.01)
    if proc.poll() is not None:
        return f"ended by itself (exit {proc.returncode}) before the {action} planned {trigger}"
    sig = signal.SIGKILL if action == "SIGKILL" else signal.SIGTERM
    took = time.monotonic() - started
    proc.send_signal(sig)
    trial.kills[action] = trial.kills.get(action, 0) + 1
    try:
        proc.wait(timeout=TERM_GRACE_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        trial.slow_stops.append(
            f"sync {proc.pid} still running {TERM_GRACE_S:.0f} s after {action} "
            f"(grace_period {GRACE_S} s); it printed: {trial.tail(12)}"
        )
    return f"{action} {trigger} ({took:.2f} s in, exit {proc.returncode}, pid {proc.pid})"


def _note_unrecorded(trial: Trial, gone: list[str]) -> None:
    """Note the vanished files whose page Intercom holds but state never recorded.

    A sync killed after Intercom committed a new page and before state recorded it leaves such a
    page; while its file exists the next sync upserts it by external_id and records it, but once
    the file is gone no sync knows the page exists: only reconcile (which lists Intercom's pages)
    can delete it. A page that state records under another Intercom id is not excused: that is
    the engine's error.
    """
    if not gone:
        return
    shown = {p["external_id"]: p for p in trial.server.pages() if visible(p)}
    with Store.open(trial.state, read_only=True) as store:
        known = store.page_index("docs")
    for eid in gone:
        if eid in shown and eid not in known:
            trial.unrecorded.add(eid)
            trial.log(
                f"{eid} went; Intercom holds page {shown[eid]['id']}, state never recorded it"
            )


def faulty_round(trial: Trial, number: int, shape: TrialShape) -> None:
    rng = trial.rng
    events, edited, gone = trial.share.mutate()
    rewritten = [*edited, *gone]
    trial.exempt.difference_update(rewritten)
    for event in events:
        trial.log(f"round {number}: {event}")
    _note_unrecorded(trial, gone)
    if rng.random() < 0.3:
        _out_of_band(trial)
    mix = _fault_mix(rng, shape)
    trial.server.configure(**{**FAULT_OFF, **mix})
    if rng.random() < 0.1:
        trial.server.storm(calls=rng.randint(*shape.hand_storm_calls))
        mix["storm_now"] = True
    trial.log(f"round {number}: faults {mix}")
    full = rng.random() < 0.2  # every page converted again: with 64 or more, in worker processes
    command = "sync --full" if full else "sync"
    action = rng.choices(["finish", "SIGKILL", "SIGTERM"], weights=[1, 2, 2])[0]
    started = time.monotonic()
    proc = trial.start(command)
    writes = len(trial.share.files()) if full else len(rewritten) + len(trial.share.files()) // 8
    if action == "finish":
        try:
            proc.wait(timeout=SYNC_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            trial.problems.append(
                f"round {number}: `{command}` ran over {SYNC_TIMEOUT_S:.0f} s; it printed: "
                f"{trial.tail(12)}"
            )
        outcome = f"finished (exit {proc.returncode}) in {time.monotonic() - started:.2f} s"
    else:
        outcome = _stop(trial, proc, action, writes)
    trial.log(f"round {number}: `{command}` {outcome}")
    left = wait_for_no_leftovers(trial.marker, LEFTOVER_GRACE_S)
    if left:
        trial.leftovers.update(left)
        trial.log(f"round {number}: {len(left)} processes outlived the sync: {sorted(left)}")
        reap(left)
    trial.server.configure(**FAULT_OFF)
    trial.server.end_storm()


def reap(pids: dict[int, str]) -> None:
    """End the leftover processes the trial itself started (found by its marker), by pid."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
