"""A set of page ids kept as 8-byte hashes: what a first sync of a million pages lists.

A Python ``set`` of a million 40-character ids costs about 110 MB (each ``str`` ~90 bytes plus
its slot). The listing only ever asks "was this id listed?" (a page listed twice, a link to a
page the source holds), so :class:`IdHashSet` keeps each id's 64-bit hash in sorted ``array``
runs merged like a log-structured tree (at most about log2(n / RUN) runs, each probed by
binary search): about 10 MB for a million, and a few microseconds a lookup.

Two different ids with one hash (a chance of about 3 in 10^8 for a million ids; the hash is
salted per process, so never the same pair twice) read as one: the second is then reported
"listed twice" for that run, visibly, and syncs the next.
"""

from __future__ import annotations

import heapq
from array import array
from bisect import bisect_left

__all__ = ["IdHashSet"]

#: Ids kept in a plain set before they are sorted into a run.
RUN = 32_768


class IdHashSet:
    """``add`` and ``in`` over strings, stored as hashes (no iteration: the ids are gone)."""

    __slots__ = ("_count", "_recent", "_runs")

    def __init__(self) -> None:
        self._recent: set[int] = set()
        self._runs: list[array[int]] = []  # sorted; sizes decreasing
        self._count = 0

    def add(self, external_id: str) -> bool:
        """Add ``external_id``; False when it was there already."""
        key = hash(external_id)
        if key in self._recent or self._in_runs(key):
            return False
        self._recent.add(key)
        self._count += 1
        if len(self._recent) >= RUN:
            self._settle()
        return True

    def __contains__(self, external_id: object) -> bool:
        if not isinstance(external_id, str):
            return False
        key = hash(external_id)
        return key in self._recent or self._in_runs(key)

    def __len__(self) -> int:
        return self._count

    def _in_runs(self, key: int) -> bool:
        for run in self._runs:
            at = bisect_left(run, key)
            if at < len(run) and run[at] == key:
                return True
        return False

    def _settle(self) -> None:
        """Sort the recent hashes into a run; merge runs no bigger than it (amortised
        O(log n) moves per id, and never a list of Python ints as big as the set)."""
        run = array("q", sorted(self._recent))
        self._recent.clear()
        while self._runs and len(self._runs[-1]) <= len(run):
            run = array("q", heapq.merge(self._runs.pop(), run))
        self._runs.append(run)
