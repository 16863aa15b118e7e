"""Seeded crash-and-fault trials over real processes and sockets (issue 14, point 6).

A trial, every choice drawn from ``random.Random(seed)``:

1. a share of 30-80 Markdown files (30-50 in CI's shape) in a real folder, a first clean
   ``ingestor sync`` (a real subprocess, ``python -m ingestor``) into an emulator on a real
   socket;
2. 2-4 rounds (1-3 in CI's shape) of: change the share (edit, add, remove, rename), switch on a
   random mix of the emulator's faults (answers lost after the write, connections closed after
   the write, dropped answers, 5xx, hangs past the client's timeout, latency and jitter, 429
   storms), sometimes an out-of-band change in Intercom (a page deleted or edited by hand, the
   source deleted with its pages), start ``ingestor sync`` and kill it (SIGKILL or SIGTERM) at
   a random moment or after a random number of write calls, or let it finish;
3. recovery: faults off, then the commands of ``recovery`` (default ``("sync", "reconcile")``),
   each of which must exit 0;
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

import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ingestor.emulator import EmulatorServer, EmulatorSettings

from .rounds import (
    BY_HAND,
    CI,
    CONFIG,
    GRACE_S,
    LEFTOVER_GRACE_S,
    MARKER_VARIABLE,
    SYNC_TIMEOUT_S,
    TERM_GRACE_S,
    Trial,
    TrialShape,
    faulty_round,
    reap,
)
from .verify import Divergence, compare, leftover_processes, run_problems, wait_for_no_leftovers

__all__ = [
    "BY_HAND",
    "CI",
    "DEFAULT_RECOVERY",
    "MARKER_VARIABLE",
    "TERM_GRACE_S",
    "TrialResult",
    "TrialShape",
    "run_trial",
]

#: Commands run, in order, to recover after the faulty rounds: a sync, then a reconcile, which
#: must also repair pages edited or deleted out of band (``--recovery sync`` leaves them exempt).
DEFAULT_RECOVERY: tuple[str, ...] = ("sync", "reconcile")


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


def _checked(trial: Trial, command: str, what: str) -> None:
    code = trial.run(command)
    trial.log(f"{what}: `{command}` exit {code}")
    if code != 0:
        trial.problems.append(f"{what} `{command}` exited {code}: {trial.tail()}")


def _reference_marker(trial: Trial) -> str:
    """The reference sync's own marker: not one of the trial's, which must all be gone."""
    return trial.marker.replace("crash-", "reference-")


def _reference(trial: Trial, workdir: Path) -> subprocess.Popen[str]:
    """Start a clean sync of the share as it is now into a fresh emulator; see :func:`run_trial`."""
    server = EmulatorServer(EmulatorSettings(), log_level="critical").start()
    trial.reference = server
    config = workdir / "reference.yaml"
    config.write_text(
        CONFIG.format(
            base_url=server.url,
            state=workdir / "ref" / "state.db",
            root=trial.share.root,
            grace=GRACE_S,
        ),
        encoding="utf-8",
    )
    argv = [sys.executable, "-m", "ingestor", "sync", "-c", str(config)]
    env = {**trial.env(), MARKER_VARIABLE: _reference_marker(trial)}
    return subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )


def _play(trial: Trial, recovery: Sequence[str], workdir: Path, shape: TrialShape) -> Divergence:
    rng = trial.rng
    trial.share.populate(rng.randint(*shape.files))
    trial.log(f"share: {len(trial.share.files())} files")
    _checked(trial, "sync", "first sync")
    if trial.problems:
        return Divergence()
    for number in range(1, rng.randint(*shape.rounds) + 1):
        faulty_round(trial, number, shape)
    reference = _reference(trial, workdir)
    for command in recovery:
        _checked(trial, command, "recovery")
    try:
        out, _ = reference.communicate(timeout=SYNC_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        reference.kill()
        out, _ = reference.communicate()
        trial.problems.append(
            f"the reference sync (clean, no fault, no kill) hung: no end within "
            f"{SYNC_TIMEOUT_S:.0f} s; it printed: {out[-400:]}"
        )
        return Divergence()
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
        trial = Trial(seed, Path(tmp), server)
        try:
            divergence = _play(trial, recovery, Path(tmp), shape)
        except Exception as exc:  # the report must still carry the seed and the event log
            trial.problems.append(f"the harness failed: {exc!r}")
            divergence = Divergence()
        finally:
            if trial.reference is not None:
                trial.reference.stop()
            reap(leftover_processes(trial.marker))
            reap(leftover_processes(_reference_marker(trial)))
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
