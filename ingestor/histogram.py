"""Bucketed durations for Prometheus histograms, kept as plain counts (no registry, no locks).

The daemon exports metrics computed at scrape time from snapshots (see
``ingestor/daemon/_metrics.py``), so observations are kept here and copied or merged by their
owners under the owners' locks; the exposition turns them into ``_bucket{le=...}``, ``_sum``
and ``_count`` samples.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

__all__ = ["CONVERSION_BUCKETS", "REQUEST_BUCKETS", "RUN_BUCKETS", "Histogram"]

#: One Intercom call: tens of milliseconds when healthy, up to the 30 s client timeout.
REQUEST_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: One page through ``convert_document``: milliseconds for a note, seconds for a large PDF.
CONVERSION_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 60.0)
#: One sync run: seconds when nothing changed, hours for a first sync of a big wiki.
RUN_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0)


class Histogram:
    """Counts of observations per bucket (upper bounds inclusive, as Prometheus's ``le``).

    Not thread-safe: its owner holds a lock around :meth:`observe`, :meth:`merge` and
    :meth:`copy`.
    """

    __slots__ = ("_counts", "bounds", "sum")

    def __init__(self, bounds: Sequence[float]) -> None:
        if not bounds or list(bounds) != sorted(set(bounds)) or not math.isfinite(bounds[-1]):
            raise ValueError(f"bucket bounds must be finite, distinct and ascending: {bounds}")
        self.bounds = tuple(float(b) for b in bounds)
        self._counts = [0] * (len(self.bounds) + 1)  # the last one is +Inf
        self.sum = 0.0

    @property
    def count(self) -> int:
        return sum(self._counts)

    def observe(self, value: float) -> None:
        """Add one observation (negative durations, from a clock step, count as 0)."""
        value = max(0.0, value)
        self._counts[bisect.bisect_left(self.bounds, value)] += 1
        self.sum += value

    def merge(self, other: Histogram) -> None:
        """Add ``other``'s observations (same bounds) to this one."""
        if other.bounds != self.bounds:
            raise ValueError("cannot merge histograms with different buckets")
        for i, count in enumerate(other._counts):
            self._counts[i] += count
        self.sum += other.sum

    def copy(self) -> Histogram:
        twin = Histogram(self.bounds)
        twin.merge(self)
        return twin

    def cumulative(self) -> list[tuple[str, int]]:
        """``(le, observations <= le)`` for every bucket, ending with ``("+Inf", count)``."""
        buckets, running = [], 0
        for bound, count in zip((*self.bounds, math.inf), self._counts, strict=True):
            running += count
            buckets.append(("+Inf" if bound == math.inf else _le(bound), running))
        return buckets


def _le(bound: float) -> str:
    """Prometheus's spelling of a bound: ``0.5``, ``1.0``, ``3600.0``."""
    return repr(float(bound))
