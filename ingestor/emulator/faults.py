"""Seeded fault injection: 5xx answers and connections dropped mid-response."""

from __future__ import annotations

import enum
import random

__all__ = ["Fault", "FaultInjector"]


class Fault(enum.Enum):
    """What goes wrong with one call."""

    HTTP_500 = "http_500"
    HTTP_502 = "http_502"
    HTTP_503 = "http_503"
    DROP_BEFORE = "drop_before"  # connection dropped, the write (if any) not applied
    DROP_AFTER = "drop_after"  # write applied, then the connection dropped

    @property
    def status(self) -> int | None:
        """The HTTP status of a 5xx fault, ``None`` for drops."""
        return int(self.value[5:]) if self.value.startswith("http_") else None


_SERVER_ERRORS = (Fault.HTTP_500, Fault.HTTP_502, Fault.HTTP_503)


class FaultInjector:
    """Draws faults from one seeded RNG, so a seed replays the same faults for the same calls."""

    def __init__(self, rate_5xx: float, drop_rate: float, seed: int | None) -> None:
        """Fail ``rate_5xx`` and drop ``drop_rate`` of calls (both shares in ``[0, 1]``)."""
        self.rate_5xx = rate_5xx
        self.drop_rate = drop_rate
        self.seed = seed
        self._rng = random.Random(seed)

    def decide(self, *, is_write: bool) -> Fault | None:
        """Return the fault for the next call, or ``None``; reads only drop before."""
        if not (self.rate_5xx or self.drop_rate):
            return None
        draw = self._rng.random()
        if draw < self.rate_5xx:
            return self._rng.choice(_SERVER_ERRORS)
        if draw < self.rate_5xx + self.drop_rate:
            if is_write and self._rng.random() < 0.5:
                return Fault.DROP_AFTER
            return Fault.DROP_BEFORE
        return None

    def reset(self) -> None:
        """Restart the RNG from the seed."""
        self._rng = random.Random(self.seed)
