"""Seeded crash-and-fault trials over real processes and sockets (issue 14, point 6).

A trial, every choice drawn from ``random.Random(seed)``:

1. a share of 30-80 Markdown files (30-60 in CI's shape) in a real folder, a first clean
   ``ingestor sync`` (a real subprocess, ``python -m ingestor``) into an emulator on a real
   socket;
2. 2-4 rounds (1-3 in CI's shape) of: change the share (edit, add, remove, rename), switch on a
   random mix of the emulator's faults (answers lost after the write, connections closed after
   the write, dropped answers, 5xx, hangs past the client's timeout, latency and jitter, 429
   storms), sometimes an out-of-band change in Intercom (a page deleted or edited by hand, the
   source deleted with its pages), start ``ingestor sync`` and kill it (SIGKILL or SIGTERM) at
   a random moment or after a random number of write calls, or let it finish;
3. recovery: faults off, then the commands of ``recovery`` (default ``("sync",)``), each of which
   must exit 0;
4. checks (:mod:`verify`): Intercom equals what a clean sync of the final share into a fresh
   emulator holds (0 duplicates, 0 lost, 0 stale, 1 source), no process of the trial is alive
   (every sync runs with a per-trial marker in its environment, which its workers inherit), no
   run is left "running" and the recovery's run is "ok".

Pages edited or deleted out of band are only required repaired when ``reconcile`` is among the
recovery commands (a sync does not look at Intercom's copy of an unchanged page), unless their
file changed afterwards; a source deleted out of band must be repaired by ``sync`` alone.

``python benchmarks/crash_trials.py --trials 100 --seed S`` runs many; the CI test runs 10.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingestor.emulator import EmulatorServer, EmulatorSettings
from state import Store

from .share import Share
from .verify import (
    Divergence,
    compare,
    leftover_processes,
    run_problems,
    visible,
    wait_for_no_leftovers,
)

__all__ = ["BY_HAND", "CI", "DEFAULT_RECOVERY", "TrialResult", "TrialShape", "run_trial"]

#: Commands run, in order, to recover after the faulty rounds. Adding reconcile is one line:
#: ``("sync", "reconcile")`` (then out-of-band page edits and deletes must be repaired too).
DEFAULT_RECOVERY: tuple[str, ...] = ("sync",)
WRITE_OPS = ("createExternalPage", "updateExternalPage", "deleteExternalPage")
MARKER_VARIABLE = "INGESTOR_CRASH_TRIAL"
SYNC_TIMEOUT_S = 180.0  # a sync left to finish, or a recovery command
GRACE_S = 3  # the config's grace_period: in-flight uploads a SIGTERMed sync may finish
TERM_GRACE_S = GRACE_S + 20.0  # how long a SIGTERMed sync may take to exit (under load)
LEFTOVER_GRACE_S = 5.0


@dataclass(frozen=True)
class TrialShape:
    """How big a trial is: files in the share, faulty rounds (inclusive ranges)."""

    files: tuple[int, int] = (30, 80)
    rounds: tuple[int, int] = (2, 4)


BY_HAND = TrialShape()
#: CI's trials are smaller, to keep ten of them within a couple of minutes; every kind of fault,
#: kill and out-of-band change is still drawn.
CI = TrialShape(files=(30, 60), rounds=(1, 3))

_CONFIG = """\
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
_FAULT_OFF: dict[str, Any] = {
    "fault_5xx_rate": 0.0,
    "fault_drop_rate": 0.0,
    "fault_lost_answer_rate": 0.0,
    "fault_hang_rate": 0.0,
    "fault_close_rate": 0.0,
    "fault_storm_rate": 0.0,
    "latency_ms": 0,
    "latency_jitter_ms": 0,
}


@dataclass
class TrialResult:
    """One trial's figures, its problems (empty when it passed) and its event log."""

    seed: int
    recovery: tuple[str, ...]
    divergence: Divergence = field(default_factory=Divergence)
    leftovers: dict[int, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    slow_stops: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    kills: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.converged and not self.slow_stops

    @property
    def converged(self) -> bool:
        """Intercom equals the source, no process is left, every command and run went right."""
        return self.divergence.converged and not self.leftovers and not self.problems

    def report(self) -> str:
        """What went wrong and how to replay it: the seed, the problems, the event log."""
        recovery = ",".join(self.recovery)
        lines = [
            f"trial seed {self.seed} {'passed' if self.passed else 'FAILED'} "
            f"(replay: python benchmarks/crash_trials.py --trials 1 --seed {self.seed} "
            f"--recovery {recovery})",
            *(f"  problem: {p}" for p in self.problems),
            *(f"  slow stop: {p}" for p in self.slow_stops),
            *(f"  divergence: {d}" for d in self.divergence.details),
            *(f"  leftover process {pid}: {cmd}" for pid, cmd in self.leftovers.items()),
            "  events:",
            *(f"    {e}" for e in self.events),
        ]
        return "\n".join(lines)


class _Trial:
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
            _CONFIG.format(
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


def _fault_mix(rng: random.Random) -> dict[str, Any]:
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
        mix["storm_calls"] = rng.randint(3, 15)
    if "latency" in kinds:
        mix["latency_ms"] = rng.randint(5, 60)
        mix["latency_jitter_ms"] = rng.randint(0, 40)
    return mix


def _out_of_band(trial: _Trial) -> None:
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


def _stop(trial: _Trial, proc: subprocess.Popen[str], action: str, writes: int) -> str:
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


def _note_unrecorded(trial: _Trial, gone: list[str]) -> None:
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


def _faulty_round(trial: _Trial, number: int) -> None:
    rng = trial.rng
    events, edited, gone = trial.share.mutate()
    rewritten = [*edited, *gone]
    trial.exempt.difference_update(rewritten)
    for event in events:
        trial.log(f"round {number}: {event}")
    _note_unrecorded(trial, gone)
    if rng.random() < 0.3:
        _out_of_band(trial)
    mix = _fault_mix(rng)
    trial.server.configure(**{**_FAULT_OFF, **mix})
    if rng.random() < 0.1:
        trial.server.storm(calls=rng.randint(5, 40))
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
            trial.problems.append(f"round {number}: `{command}` ran over {SYNC_TIMEOUT_S:.0f} s")
        outcome = f"finished (exit {proc.returncode}) in {time.monotonic() - started:.2f} s"
    else:
        outcome = _stop(trial, proc, action, writes)
    trial.log(f"round {number}: `{command}` {outcome}")
    left = wait_for_no_leftovers(trial.marker, LEFTOVER_GRACE_S)
    if left:
        trial.leftovers.update(left)
        trial.log(f"round {number}: {len(left)} processes outlived the sync: {sorted(left)}")
        _reap(left)
    trial.server.configure(**_FAULT_OFF)
    trial.server.end_storm()


def _reap(pids: dict[int, str]) -> None:
    """End the leftover processes the trial itself started (found by its marker), by pid."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _checked(trial: _Trial, command: str, what: str) -> None:
    code = trial.run(command)
    trial.log(f"{what}: `{command}` exit {code}")
    if code != 0:
        trial.problems.append(f"{what} `{command}` exited {code}: {trial.tail()}")


def _reference(trial: _Trial, workdir: Path) -> subprocess.Popen[str]:
    """Start a clean sync of the share as it is now into a fresh emulator; see :func:`run_trial`."""
    server = EmulatorServer(EmulatorSettings(), log_level="critical").start()
    trial.reference = server
    config = workdir / "reference.yaml"
    config.write_text(
        _CONFIG.format(
            base_url=server.url,
            state=workdir / "ref" / "state.db",
            root=trial.share.root,
            grace=GRACE_S,
        ),
        encoding="utf-8",
    )
    argv = [sys.executable, "-m", "ingestor", "sync", "-c", str(config)]
    env = {**trial.env(), MARKER_VARIABLE: trial.marker.replace("crash-", "reference-")}
    return subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )


def _play(trial: _Trial, recovery: Sequence[str], workdir: Path, shape: TrialShape) -> Divergence:
    rng = trial.rng
    trial.share.populate(rng.randint(*shape.files))
    trial.log(f"share: {len(trial.share.files())} files")
    _checked(trial, "sync", "first sync")
    if trial.problems:
        return Divergence()
    for number in range(1, rng.randint(*shape.rounds) + 1):
        _faulty_round(trial, number)
    reference = _reference(trial, workdir)
    for command in recovery:
        _checked(trial, command, "recovery")
    out, _ = reference.communicate(timeout=SYNC_TIMEOUT_S)
    if reference.returncode != 0 or trial.reference is None:
        trial.problems.append(f"the reference sync exited {reference.returncode}: {out[-400:]}")
        return Divergence()
    left = wait_for_no_leftovers(trial.marker, LEFTOVER_GRACE_S)
    if left:
        trial.leftovers.update(left)
        trial.log(f"after recovery: {len(left)} processes of the trial alive: {sorted(left)}")
    trial.problems.extend(run_problems(trial.state, len(recovery)))
    exempt = set() if "reconcile" in recovery else trial.exempt | trial.unrecorded
    return compare(trial.server.pages(), trial.server.sources(), trial.reference.pages(), exempt)


def run_trial(
    seed: int, recovery: Sequence[str] = DEFAULT_RECOVERY, shape: TrialShape = BY_HAND
) -> TrialResult:
    """Play the trial of ``seed`` in a temporary folder and return what it found."""
    started = time.monotonic()
    settings = EmulatorSettings(seed=seed, window_seconds=1, hang_ms=2500)
    with (
        tempfile.TemporaryDirectory(prefix=f"crash-trial-{seed}-") as tmp,
        EmulatorServer(settings, log_level="critical") as server,
    ):
        trial = _Trial(seed, Path(tmp), server)
        try:
            divergence = _play(trial, recovery, Path(tmp), shape)
        except Exception as exc:  # the report must still carry the seed and the event log
            trial.problems.append(f"the harness failed: {exc!r}")
            divergence = Divergence()
        finally:
            if trial.reference is not None:
                trial.reference.stop()
            _reap(leftover_processes(trial.marker))
    return TrialResult(
        seed=seed,
        recovery=tuple(recovery),
        divergence=divergence,
        leftovers=trial.leftovers,
        problems=trial.problems,
        slow_stops=trial.slow_stops,
        events=trial.events,
        kills=trial.kills,
        seconds=time.monotonic() - started,
    )
