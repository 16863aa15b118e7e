"""Watches in the daemon: edits reach Intercom within seconds, between scheduled runs.

Each watched connector (:func:`ingestor.watch_plan.plan_watch` decides which, and how) gets:

* for a local source: a collector thread fed by watchfiles (inotify, or polling on network and
  FUSE mounts) that adds the changed paths to a pending set, and a runner thread that takes the
  set and syncs just those files (a targeted run, ``SyncOptions.paths``). watchfiles debounces:
  a batch is handed over once the tree was quiet for ``QUIET_MS``, or ``MAX_DELAY_MS`` after its
  first change in a burst that does not stop. Changes made while a run goes on wait in the set
  for the next run. A targeted run never deletes; where the paths alone cannot tell (a folder
  changed, a page's file is gone) the connector answers "list in full" and the run is an
  ordinary full one, whose deletions pass the deletion guard.
* for a wiki: one thread that asks the change feed every ``watch_interval`` (a peek with the
  last saved cursor) and, only when it reports something, runs the ordinary incremental sync.

Every run goes through the connector's claim (:meth:`SyncJobs.claim`), as scheduled runs and
``ingestor sync`` do: runs of one connector never overlap. A targeted run waits for the claim
(its changes must not be dropped); a feed poll skips while another run holds it (that run
reads the feed too). Idle, the threads block on events: nothing spins.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import watchfiles

from ingestor.config import Config
from ingestor.connectors.base import ConnectorSettings, Incremental
from ingestor.daemon._jobs import RequestedRun, SyncJobs
from ingestor.engine.policy import SyncOptions
from ingestor.engine.runner import build_connector
from ingestor.errors import ConnectorError
from ingestor.state import Store
from ingestor.watch_plan import WatchPlan, plan_watch

__all__ = ["MAX_DELAY_MS", "QUIET_MS", "Watchers"]

log = logging.getLogger("ingestor.daemon")

#: A batch of changes is handed over once the tree was quiet this long...
QUIET_MS = 400
#: ...or this long after its first change, however long the burst goes on.
MAX_DELAY_MS = 3000

#: Runs one connector's sync: ``paths`` for a targeted run, None for an ordinary one; returns
#: whether a run took place.
Trigger = Callable[[WatchPlan, frozenset[str] | None], bool]


def _identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of a folder; None when it is missing."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


class _Watch:
    """One connector's watch: its threads and what /status shows of it."""

    def __init__(self, plan: WatchPlan, trigger: Trigger, peek: Callable[[str], bool]) -> None:
        self.plan = plan
        self._trigger = trigger
        self._peek = peek
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._pending: set[str] = set()
        self._full_run_due = False
        self._threads: list[threading.Thread] = []
        self._identity = None if plan.path is None else _identity(plan.path)
        self.state = "starting"
        self.problem: str | None = None
        self.batches = 0
        self.runs = 0
        self.last_change_at: float | None = None
        self.last_run_at: float | None = None

    def moved(self) -> bool:
        """Whether the watched folder is not the one the watch started on (a mount since)."""
        return self.plan.path is not None and _identity(self.plan.path) != self._identity

    def start(self) -> _Watch:
        name = self.plan.connector
        targets: list[Callable[[], None]] = (
            [self._poll_feed] if self.plan.method == "feed" else [self._collect, self._run_pending]
        )
        for target in targets:
            thread = threading.Thread(target=target, name=f"watch-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def join(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            pending = len(self._pending)
        return {
            **self.plan.to_json(),
            "state": self.state,
            "problem": self.problem,
            "change_batches": self.batches,
            "runs": self.runs,
            "pending_paths": pending,
            "last_change_at": self.last_change_at,
            "last_run_at": self.last_run_at,
        }

    # -- local sources -------------------------------------------------------------------------

    def _collect(self) -> None:
        """Feed the pending set from watchfiles until stopped.

        watchfiles watches a missing folder without a word (and nothing ever arrives), and an
        inotify watch stays on the folder it started on when a share is mounted over it. So the
        folder is checked before each watch and after each quiet ``interval``: while it is
        missing the watch waits for it, and once it is there, or another folder than the one
        watched, it is watched anew and an ordinary run lists it in full.
        """
        plan = self.plan
        assert plan.path is not None
        while not self._stop.is_set():
            identity = _identity(plan.path) if plan.path.is_dir() else None
            if identity is None:
                self._identity = None  # whatever comes back may hold anything: list it all
                self._wait(f"{plan.path} is not there (not mounted yet?)")
                continue
            if identity != self._identity:  # appeared, or mounted over, since it was watched
                self._identity = identity
                with self._lock:
                    self._full_run_due = True
                self._wake.set()
            try:
                if self.problem is not None:
                    log.info(
                        "connector %s: watching %s again",
                        plan.connector,
                        plan.path,
                        extra={"connector": plan.connector, "event": "watching"},
                    )
                self.state, self.problem = "watching", None
                self._watch_folder(plan.path, identity)
            except (OSError, RuntimeError) as exc:  # unreadable
                self._wait(f"cannot watch {plan.path}: {exc}")

    def _watch_folder(self, folder: Path, identity: tuple[int, int]) -> None:
        """Queue the folder's changes until it is gone or replaced, or the watch stops."""
        plan = self.plan
        for changes in watchfiles.watch(
            folder,
            watch_filter=None,  # the connector's include/exclude rules judge paths
            debounce=MAX_DELAY_MS,
            step=QUIET_MS,
            stop_event=self._stop,
            rust_timeout=max(1000, int(plan.interval * 1000)),
            yield_on_timeout=True,  # an empty batch after each quiet interval
            raise_interrupt=False,
            force_polling=plan.method == "polling",
            poll_delay_ms=int(plan.interval * 1000),
            recursive=plan.only_file is None,
            ignore_permission_denied=True,
        ):
            if not changes:
                if _identity(folder) != identity:
                    return  # unmounted, or mounted over: watch it anew
            elif self._add({path for _change, path in changes}):
                return  # the watched folder itself changed: watch it anew

    def _wait(self, problem: str) -> None:
        """Say once that the folder cannot be watched, then wait an interval to try again."""
        plan = self.plan
        if self.problem is None:
            log.warning(
                "connector %s: %s; watching again once it is there (checked every %.0fs)",
                plan.connector,
                problem,
                plan.interval,
                extra={"connector": plan.connector},
            )
        self.state, self.problem = "waiting", problem
        self._stop.wait(plan.interval)

    def _add(self, paths: set[str]) -> bool:
        """Queue ``paths`` for the runner; True when the watched folder itself is among them."""
        plan = self.plan
        if plan.only_file is not None:
            paths = {p for p in paths if os.path.basename(p) == plan.only_file}
        if not paths:
            return False
        with self._lock:
            self._pending.update(paths)
            self.batches += 1
            self.last_change_at = time.time()
        self._wake.set()
        folder = str(plan.path)
        return folder in paths and not os.path.isdir(folder)  # moved away, unmounted

    def _run_pending(self) -> None:
        while True:
            self._wake.wait()
            if self._stop.is_set():
                return
            with self._lock:
                paths = frozenset(self._pending)
                full, self._full_run_due = self._full_run_due, False
                self._pending.clear()
                self._wake.clear()
            if full:  # the folder appeared or was replaced: its changed paths are all of it
                self._run(None)
            elif paths:
                self._run(paths)

    # -- wikis ---------------------------------------------------------------------------------

    def _poll_feed(self) -> None:
        self.state = "polling"
        while not self._stop.wait(self.plan.interval):
            try:
                changed = self._peek(self.plan.connector)
            except Exception as exc:  # the feed is down: scheduled runs report and back off
                if self.problem is None:
                    log.warning(
                        "connector %s: change feed unreadable (%s); watch runs wait for it",
                        self.plan.connector,
                        exc,
                        extra={"connector": self.plan.connector},
                    )
                self.problem = f"{type(exc).__name__}: {exc}"
                continue
            self.problem = None
            if changed:
                self._run(None)

    def _run(self, paths: frozenset[str] | None) -> None:
        try:
            ran = self._trigger(self.plan, paths)
        except Exception:  # a bug here must not end the watch
            log.exception("connector %s: watch run failed", self.plan.connector)
            return
        if ran:
            self.runs += 1
            self.last_run_at = time.time()


class Watchers:
    """Every watch of the daemon, kept in line with the config in force.

    Args:
        config: Returns the config in force.
        jobs: The daemon's sync jobs (their claims keep runs of a connector apart).
        store: The daemon's state store (a feed's peek reads its saved cursor).
        stopping: Set when the daemon shuts down.
    """

    def __init__(
        self,
        *,
        config: Callable[[], Config],
        jobs: SyncJobs,
        store: Store,
        stopping: threading.Event,
    ) -> None:
        self._config = config
        self._jobs = jobs
        self._store = store
        self._stopping = stopping
        self._watches: dict[str, tuple[ConnectorSettings, _Watch]] = {}

    def apply(self, config: Config) -> None:
        """Start, restart or stop watches so they follow ``config``'s connectors."""
        wanted = {c.name: c for c in config.connectors if c.enabled}
        plans = {name: plan_watch(settings) for name, settings in wanted.items()}
        for name, (settings, watch) in list(self._watches.items()):
            # a share mounted (or remounted) since: its folder is another one now
            if wanted.get(name) != settings or plans.get(name) != watch.plan or watch.moved():
                watch.stop()
                del self._watches[name]
        for name, settings in wanted.items():
            plan = plans[name]
            if plan is None and settings.watch and name not in self._watches:
                log.warning(
                    "connector %s: watch: true, but a %s source has neither local files nor a "
                    "change feed to watch; it syncs on its schedule",
                    name,
                    settings.type,
                    extra={"connector": name},
                )
            if name in self._watches or plan is None:
                continue
            watch = _Watch(plan, self._run, self._feed_changed).start()
            self._watches[name] = (settings, watch)
            log.info(
                "connector %s: watched: %s",
                name,
                plan.why,
                extra={"connector": name, "event": "watching", "method": plan.method},
            )

    def stop(self, timeout: float = 2.0) -> None:
        """Stop every watch (their runs in progress end with the daemon's grace period)."""
        watches = [watch for _settings, watch in self._watches.values()]
        self._watches.clear()
        for watch in watches:
            watch.stop()
        for watch in watches:
            watch.join(timeout / max(1, len(watches)))

    def describe(self, name: str) -> dict[str, Any] | None:
        """What /status shows of connector ``name``'s watch; None when it is not watched."""
        found = self._watches.get(name)
        return None if found is None else found[1].to_json()

    def _run(self, plan: WatchPlan, paths: frozenset[str] | None) -> bool:
        """One watch-triggered sync, through the connector's claim; False when none ran."""
        name = plan.connector
        config = self._config()
        settings = next((c for c in config.connectors if c.name == name and c.enabled), None)
        if settings is None or self._stopping.is_set():
            return False
        claim = self._jobs.claim(name)
        if paths is None and plan.method == "feed":
            if not claim.acquire(blocking=False):
                return False  # a run goes on: it reads the change feed too
        else:
            while not claim.acquire(timeout=0.5):  # the changes must wait, not be dropped
                if self._stopping.is_set():
                    return False
        try:
            if self._stopping.is_set() or self._jobs.owner_elsewhere(name) is not None:
                return False  # the owning instance watches it too
            if not self._jobs.writes_allowed(config, name):
                return False
            options = SyncOptions() if paths is None else SyncOptions(paths=paths)
            self._jobs.run_claimed(config, settings, RequestedRun(options=options))
            return True
        finally:
            claim.release()

    def _feed_changed(self, name: str) -> bool:
        """Whether the wiki's change feed, read from the last saved cursor, names a page whose
        version differs from the one last synced, or a synced page that is gone (True without
        a cursor: the ordinary run then lists in full). Feeds re-read an overlap window before
        the cursor, so "the feed names a page" alone would start a run after every poll.

        Raises:
            ConnectorError: The feed could not be read (or read only in part).
        """
        config = self._config()
        settings = next((c for c in config.connectors if c.name == name and c.enabled), None)
        cursor = self._store.get_cursor(name)
        if settings is None or cursor is None:
            return settings is not None
        with build_connector(settings) as connector:
            if not isinstance(connector, Incremental):
                return True
            changes = connector.list_changes(cursor)
        if changes is None:
            return True  # the cursor is too old: a full listing is due
        if changes.problems:
            raise ConnectorError("; ".join(f"{p.where}: {p.message}" for p in changes.problems))
        if not changes.changed and not changes.deleted:
            return False
        index = self._store.sync_index(name)
        if any(eid in index for eid in changes.deleted):
            return True
        # a synced version is the listed one plus "|" and the settings' fingerprint
        return any(
            (entry := index.get(item.external_id)) is None
            or (entry.version or "").rsplit("|", 1)[0] != item.version
            for item in changes.changed
        )
