"""Crash-and-fault trials by hand (issue 14, point 6): N seeded trials that kill `ingestor sync`
(SIGKILL, SIGTERM) at random moments under the emulator's faults while files change, then
recover and check that Intercom equals the source. The CI test runs 10 of them
(tests/crash/test_crash_trials.py); the harness is tests/crash/harness.py.

    .venv/bin/python benchmarks/crash_trials.py --trials 100 --seed 1000
    .venv/bin/python benchmarks/crash_trials.py --trials 1 --seed 1042        # replay one
    .venv/bin/python benchmarks/crash_trials.py --trials 100 --recovery sync,reconcile

Trial i uses seed S + i. Every failed trial is printed with its seed and event log; the totals
come last (the README's "Reliability" section quotes them). Exit 1 when any trial failed.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.crash.harness import (
    BY_HAND,
    DEFAULT_RECOVERY,
    TERM_GRACE_S,
    TrialResult,
    run_trial,
)


def _totals(results: list[TrialResult], seconds: float) -> str:
    count = len(results)
    return "\n".join(
        [
            f"trials: {count}",
            f"passed: {sum(r.passed for r in results)} of {count}",
            f"converged: {sum(r.converged for r in results)} of {count}",
            f"syncs killed: {sum(r.kills.get('SIGKILL', 0) for r in results)} by SIGKILL, "
            f"{sum(r.kills.get('SIGTERM', 0) for r in results)} by SIGTERM",
            f"duplicates: {sum(r.divergence.duplicates for r in results)}",
            f"lost: {sum(r.divergence.lost for r in results)}",
            f"stale: {sum(r.divergence.stale for r in results)}",
            f"trials with a source count other than 1: "
            f"{sum(r.divergence.checked and r.divergence.sources != 1 for r in results)}",
            f"trials stopped before Intercom was compared: "
            f"{sum(not r.divergence.checked for r in results)}",
            f"leftover processes: {sum(len(r.leftovers) for r in results)}",
            f"SIGTERMed syncs still running {TERM_GRACE_S:.0f} s later: "
            f"{sum(len(r.slow_stops) for r in results)}",
            f"other problems: {sum(len(r.problems) for r in results)}",
            f"time: {seconds:.0f} s ({seconds / max(count, 1):.1f} s per trial)",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1000, help="seed of the first trial")
    parser.add_argument(
        "--recovery",
        default=",".join(DEFAULT_RECOVERY),
        help="comma-separated commands run to recover (default: %(default)s)",
    )
    parser.add_argument("--jobs", type=int, default=1, help="trials run at once")
    parser.add_argument("--verbose", action="store_true", help="print every trial's event log")
    args = parser.parse_args()
    recovery = tuple(c.strip() for c in args.recovery.split(",") if c.strip())
    print(f"python {platform.python_version()}, {platform.machine()}, recovery {recovery}")
    results: list[TrialResult] = []
    started = time.monotonic()
    seeds = range(args.seed, args.seed + args.trials)
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        futures = [pool.submit(run_trial, seed, recovery, BY_HAND) for seed in seeds]
        for seed, future in zip(seeds, futures, strict=True):
            result = future.result()
            results.append(result)
            verdict = "ok" if result.passed else "FAILED"
            killed = sum(result.kills.values())
            print(
                f"seed {seed}: {verdict} in {result.seconds:.1f} s, {killed} syncs killed",
                flush=True,
            )
            if args.verbose or not result.passed:
                print(result.report(), flush=True)
    print(_totals(results, time.monotonic() - started))
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
