"""Fixtures of the field trials: the hostile Intercom on a free port, and a client on it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingestor.http import RateBudget, RetryPolicy
from ingestor.intercom import IntercomClient

from .hostile_intercom import TOKEN, HostileIntercom
from .trial_site import PAGES, TrialSite


class Clock:
    """Wall time that moves only when someone sleeps (for the client's and budget's waits)."""

    def __init__(self) -> None:
        self.start = time.time()
        self.slept: list[float] = []

    def now(self) -> float:
        return self.start + sum(self.slept)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


@pytest.fixture
def server() -> Iterator[HostileIntercom]:
    hostile = HostileIntercom().start()
    yield hostile
    hostile.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def client_for(
    server: HostileIntercom, clock: Clock, *, timeout: float = 5.0, attempts: int = 4
) -> IntercomClient:
    """A real client on the hostile server whose waits are recorded, not slept."""
    return IntercomClient(
        TOKEN,
        base_url=server.url,
        policy=RetryPolicy(max_attempts=attempts, base_delay=0.5, jitter=False),
        budget=RateBudget(clock=clock.now, sleep=clock.sleep, reset_jitter=0.0),
        sleep=clock.sleep,
        timeout=timeout,
    )


@pytest.fixture
def client(server: HostileIntercom, clock: Clock) -> Iterator[IntercomClient]:
    with client_for(server, clock) as c:
        yield c


@pytest.fixture
def site(tmp_path: Path, server: HostileIntercom) -> TrialSite:
    """A share of :data:`PAGES`, its config and state, syncing into ``server``."""
    trial = TrialSite(tmp_path, server)
    for name in PAGES:
        trial.write(f"{name}.md", f"# {name.title()}\n\nWhat {name} means, in a few words.\n")
    return trial
