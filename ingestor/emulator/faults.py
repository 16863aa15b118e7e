"""Seeded fault injection: 5xx answers, dropped, lost, hung and closed answers, jitter, storms.

Three RNGs are seeded with the same seed: one draws faults, one the latency jitter, one the
start of 429 storms. Keeping them apart means switching jitter or storms on does not change
which calls fail, so a seed replays the same faults for the same calls.
"""

from __future__ import annotations

import enum
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from ingestor.emulator.settings import EmulatorSettings

__all__ = ["Fault", "FaultInjector", "Storm", "StormAnswer"]


class Fault(enum.Enum):
    """What goes wrong with one call."""

    HTTP_500 = "http_500"
    HTTP_502 = "http_502"
    HTTP_503 = "http_503"
    DROP_BEFORE = "drop_before"  # connection dropped mid-answer, the write (if any) not applied
    DROP_AFTER = "drop_after"  # write applied, then the connection dropped mid-answer
    LOST_ANSWER = "lost_answer"  # write applied, then answered 5xx
    HANG = "hang"  # write applied, then no answer for hang_ms, then the connection closed
    CLOSE_AFTER = "close_after"  # write applied, then closed without a byte of answer

    @property
    def status(self) -> int | None:
        """The HTTP status of a 5xx fault that changes nothing, ``None`` for the others."""
        return int(self.value[5:]) if self.value.startswith("http_") else None

    @property
    def applies_write(self) -> bool:
        """Whether the endpoint runs (the write is committed) before the fault strikes."""
        return self in (Fault.DROP_AFTER, Fault.LOST_ANSWER, Fault.HANG, Fault.CLOSE_AFTER)


_SERVER_ERRORS = (Fault.HTTP_500, Fault.HTTP_502, Fault.HTTP_503)
LOST_ANSWER_STATUSES = (500, 502, 503, 504)


class FaultInjector:
    """Draws faults, jitter and storm starts from RNGs seeded with ``settings.seed``."""

    def __init__(self, settings: EmulatorSettings) -> None:
        """Use the rates of ``settings`` (shares in ``[0, 1]`` whose sum is at most 1)."""
        self.settings = settings
        self.reset()

    @property
    def seed(self) -> int | None:
        """The seed every RNG restarts from."""
        return self.settings.seed

    def decide(self, *, is_write: bool) -> Fault | None:
        """Return the fault for the next call, or ``None``; reads are only failed or dropped."""
        s = self.settings
        write_rates = (s.fault_lost_answer_rate, s.fault_hang_rate, s.fault_close_rate)
        if not (s.fault_5xx_rate or s.fault_drop_rate or any(write_rates)):
            return None
        draw = self._rng.random()
        if draw < s.fault_5xx_rate:
            return self._rng.choice(_SERVER_ERRORS)
        bound = s.fault_5xx_rate + s.fault_drop_rate
        if draw < bound:
            if is_write and self._rng.random() < 0.5:
                return Fault.DROP_AFTER
            return Fault.DROP_BEFORE
        for fault, rate in zip(
            (Fault.LOST_ANSWER, Fault.HANG, Fault.CLOSE_AFTER), write_rates, strict=True
        ):
            bound += rate
            if draw < bound:
                return fault if is_write else None
        return None

    def lost_answer_status(self) -> int:
        """The 5xx status that replaces a lost answer."""
        return self._rng.choice(LOST_ANSWER_STATUSES)

    def latency_seconds(self) -> float:
        """The delay of the next call: ``latency_ms`` plus its jitter."""
        jitter = self.settings.latency_jitter_ms
        extra = self._jitter_rng.uniform(0, jitter) if jitter else 0.0
        return (self.settings.latency_ms + extra) / 1000

    def starts_storm(self) -> bool:
        """Whether this call starts a storm (``fault_storm_rate``)."""
        rate = self.settings.fault_storm_rate
        return bool(rate) and self._storm_rng.random() < rate

    def reset(self) -> None:
        """Restart every RNG from the seed."""
        self._rng = random.Random(self.seed)
        self._jitter_rng = random.Random(self.seed)
        self._storm_rng = random.Random(self.seed)


@dataclass(frozen=True, slots=True)
class StormAnswer:
    """The headers of one 429 a storm answers."""

    limit: int
    reset_at: int

    def headers(self) -> dict[str, str]:
        """``X-RateLimit-*`` with nothing remaining; Intercom documents no ``Retry-After``."""
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(self.reset_at),
        }


class Storm:
    """A period in which every API call is answered 429: a number of calls, a time, or both.

    The storm ends when its calls are used up or its time is over, whichever comes first
    (a bound not given does not limit it).
    """

    #: Intercom's rate-limit documentation: 10,000 calls a minute, counted in 10-second windows.
    DEFAULT_LIMIT = 1666

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        """Start calm."""
        self._clock = clock
        self._calls_left: int | None = None
        self._until: float | None = None
        self.active = False

    def start(self, *, calls: int | None = None, seconds: float | None = None) -> None:
        """Answer the next ``calls`` calls, or every call for ``seconds``, with 429."""
        self._calls_left = calls
        self._until = None if seconds is None else self._clock() + seconds
        self.active = calls is None or calls > 0

    def stop(self) -> None:
        """End the storm now."""
        self._calls_left = self._until = None
        self.active = False

    def describe(self) -> dict[str, float | int | bool | None]:
        """The storm's state, for the admin API."""
        return {"active": self.active, "calls_left": self._calls_left, "until": self._until}

    def hit(self, settings: EmulatorSettings) -> StormAnswer | None:
        """Count one call; return the 429's headers while the storm lasts, else ``None``."""
        if not self.active:
            return None
        now = self._clock()
        if self._until is not None and now >= self._until:
            self.stop()
            return None
        if self._calls_left is not None:
            self._calls_left -= 1
            if self._calls_left <= 0:
                self.active = False
        window = settings.window_seconds
        reset_at = math.ceil((math.floor(now / window) + 1) * window)
        return StormAnswer(settings.rate_limit or self.DEFAULT_LIMIT, reset_at)
