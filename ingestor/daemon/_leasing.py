"""Which connectors this daemon instance owns when several share one state database.

Each instance keeps a heartbeat in the ``instances`` table and holds the leases of the
connectors it owns (``state._leases``). A lease lasts three quarters of ``daemon.lease_period``
and is renewed every quarter (:func:`lease_expiry`), so a dead instance's connectors are owned
again within one period of its death: its last renewal ran out at most 3/4 of a period after it,
and another instance looks a quarter later. It owns
at most its fair share, ``ceil(enabled connectors / live instances)``, so connectors spread:
an instance over its share gives up idle connectors, one under it takes free ones. A lease
left to run out (its owner died or stalled) is taken by whoever is under its share at its next
renewal round. A connector a round takes runs at once: its last run may have been cut short, or
its previous owner may have given it up with a run queued (skipped there as owned elsewhere).
On a shared database a new instance takes nothing in its first round, only beats, so replicas
started together see each other before they count their share.

Ownership is sticky: a connector stays with its owner between runs, so every connector keeps
one schedule however many instances run (a lease released after each run would let every
instance run every connector on its own schedule). A run takes the lease (already ours: kept)
before it starts and checks it before each write (fencing); stopping cleanly releases all.

On SQLite one process holds the database (its flock) and is the only live instance, so every
lease is granted; the same code path runs.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from ingestor.state import Store
from ingestor.state._leases import Lease, LeaseBook, new_instance_id

__all__ = ["Leasing", "lease_expiry", "start_leasing"]

log = logging.getLogger("ingestor.daemon")


def lease_expiry(lease_period: float) -> float:
    """How long a lease lasts unless renewed: rounds come every third of it (a quarter of the
    period), so take-over waits at most expiry + a round = ``lease_period``."""
    return lease_period * 3 / 4


def start_leasing(
    store: Store,
    period: float,
    *,
    connectors: Callable[[], list[str]],
    busy: Callable[[str], bool],
    taken_over: Callable[[str], None],
) -> Leasing:
    """A new instance's leasing over ``store``, started (its share taken) and logged."""
    book = store.lease_book(new_instance_id(), lease_expiry(period))
    if store.exclusive:  # SQLite: the flock proves a predecessor's leases are stale
        book.forget_others()
    leasing = Leasing(book, connectors=connectors, busy=busy, taken_over=taken_over)
    leasing.start(settle=not store.exclusive)
    log.info(
        "daemon instance %s owns %s",
        leasing.instance,
        ", ".join(leasing.owned()) or "no connector yet",
        extra={"event": "leases", "instance": leasing.instance},
    )
    return leasing


class Leasing:
    """This instance's leases, kept fresh by a thread of its own.

    Args:
        book: The instance's lease book (the state database).
        connectors: The names of the enabled connectors (the config in force).
        busy: Whether a connector's run is going on here (such a lease is never given up).
        taken_over: Called with a connector a renewal round took (to run it now).
    """

    def __init__(
        self,
        book: LeaseBook,
        *,
        connectors: Callable[[], list[str]],
        busy: Callable[[str], bool],
        taken_over: Callable[[str], None],
    ) -> None:
        self.book = book
        self._connectors = connectors
        self._busy = busy
        self._taken_over = taken_over
        self._held: dict[str, Lease] = {}
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._share = 0  # 0 until the first full round: nothing is taken before it
        self._instances = 1

    @property
    def instance(self) -> str:
        return self.book.instance

    def start(self, *, settle: bool = False) -> Leasing:
        """Beat once, take this instance's share, then keep renewing in the background.

        ``settle``: take nothing before the next round. Instances started together (a
        Deployment's replicas) must see each other's heartbeats first, or the first to start
        counts itself alone and takes every connector for its first (longest) runs.
        """
        if settle:
            self.book.heartbeat()
        else:
            self.tick()
        self._thread = threading.Thread(target=self._loop, name="leases", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop renewing and release every lease (other instances take them at once)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        with self._lock:
            held, self._held = list(self._held.values()), {}
        for lease in held:
            lease.lose("the daemon stopped")
        try:
            self.book.retire()
        except SQLAlchemyError as exc:
            log.warning("could not release this instance's leases (they run out): %s", exc)

    def own(self, name: str) -> Lease | None:
        """The lease of ``name`` if this instance owns it or may take it now; None when
        another instance owns it or this one holds its fair share already."""
        with self._lock:
            lease = self._held.get(name)
            if lease is not None and lease.lost is None:
                return lease
            self._held.pop(name, None)
            if len(self._held) >= self._share:  # settling (share 0), or its share held
                return None
            return self._take(name, run_now=False)  # the caller is about to run it

    def owned(self) -> list[str]:
        with self._lock:
            return sorted(name for name, lease in self._held.items() if lease.lost is None)

    def tick(self) -> None:
        """One round: heartbeat, renew every lease, then give up or take connectors."""
        self.book.heartbeat()
        with self._lock:
            held = list(self._held.values())
        for lease in held:
            if not self.book.renew(lease):
                log.warning(
                    "connector %s: lease lost (%s)",
                    lease.connector,
                    lease.lost,
                    extra={"connector": lease.connector, "event": "lease_lost"},
                )
        self._rebalance()

    def describe(self) -> dict[str, Any]:
        """What /status shows: this instance, what it owns, and who owns the others."""
        leases = self.book.live_leases()
        return {
            "id": self.instance,
            "lease_period_seconds": self.book.period * 4 / 3,
            "fair_share": self._share,
            "live_instances": [i.id for i in self.book.live_instances()],
            "owns": self.owned(),
            "owners": {name: info.owner for name, info in sorted(leases.items())},
        }

    # -- internals -------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stop.wait(self.book.period / 3):
            try:
                self.tick()
            except Exception as exc:  # the database may be back next round; leases run out
                log.warning("lease renewal failed: %s", exc, extra={"event": "lease_error"})

    def _rebalance(self) -> None:
        names = self._connectors()
        self._instances = max(1, len(self.book.live_instances()))
        share = math.ceil(len(names) / self._instances)
        with self._lock:
            self._share = share
            for name in [n for n, lease in self._held.items() if lease.lost or n not in names]:
                self._give_up(name, "no longer configured here")
            surplus = len(self._held) - share
            for name in sorted(self._held, reverse=True):
                if surplus <= 0:
                    break
                if not self._busy(name):
                    self._give_up(name, f"fair share is {share} per instance")
                    surplus -= 1
            if len(self._held) >= share:
                return
            taken = self.book.live_leases()
            for name in names:
                if len(self._held) >= share:
                    break
                if name not in self._held and name not in taken:
                    self._take(name)

    def _take(self, name: str, *, run_now: bool = True) -> Lease | None:
        lease = self.book.acquire(name)
        if lease is None:
            return None
        self._held[name] = lease
        context = {"connector": name, "event": "lease_taken", "fence": lease.fence}
        if lease.taken_from is not None:
            died = self.book.bury_dead_owners_runs(lease)
            log.warning(
                "connector %s: taken over from instance %s, whose lease ran out%s",
                name,
                lease.taken_from,
                f"; its run {', '.join(map(str, died))} recorded as died" if died else "",
                extra=context,
            )
        else:
            log.info("connector %s: now owned by this instance", name, extra=context)
        if run_now:
            # A run its previous owner had queued is skipped there (owned elsewhere), and a
            # dead owner's last run may have been cut short: either way it runs here now.
            self._taken_over(name)
        return lease

    def _give_up(self, name: str, why: str) -> None:
        lease = self._held.pop(name)
        if lease.lost is None:
            self.book.release(lease)
        log.info(
            "connector %s: lease given up (%s)",
            name,
            why,
            extra={"connector": name, "event": "lease_released"},
        )
