"""The running state of one emulator app: settings, store, counters, limiter, faults, storm."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from starlette.routing import BaseRoute, Match, Route
from starlette.types import Scope

from ingestor.emulator.faults import FaultInjector, Storm
from ingestor.emulator.ratelimit import FixedWindowRateLimiter
from ingestor.emulator.settings import EmulatorSettings
from ingestor.emulator.sqlite_store import SqliteStore
from ingestor.emulator.stats import UNKNOWN_OPERATION, CallStats
from ingestor.emulator.store import MemoryStore, Store

__all__ = ["EmulatorContext"]


@dataclass(eq=False)
class EmulatorContext:
    """Everything the gateway and the endpoints share, reachable as ``app.state.emulator``."""

    settings: EmulatorSettings
    store: Store
    stats: CallStats
    limiter: FixedWindowRateLimiter | None
    faults: FaultInjector
    api_routes: Sequence[BaseRoute]
    storm: Storm
    initial_settings: EmulatorSettings

    @classmethod
    def build(cls, settings: EmulatorSettings, api_routes: Sequence[BaseRoute]) -> EmulatorContext:
        """Open the store and set up counters, limiter and faults from ``settings``."""
        store: Store = MemoryStore() if settings.db_path is None else SqliteStore(settings.db_path)
        return cls(
            settings, store, CallStats(), _limiter(settings), FaultInjector(settings), api_routes,
            Storm(), settings,
        )  # fmt: skip

    def configure(self, settings: EmulatorSettings) -> None:
        """Switch to ``settings`` now: faults restart from the seed; rate-limit windows are
        kept unless the limit or the window changed."""
        old = self.settings
        self.settings = settings
        self.faults = FaultInjector(settings)
        if (old.rate_limit, old.window_seconds) != (settings.rate_limit, settings.window_seconds):
            self.limiter = _limiter(settings)

    def operation_for(self, scope: Scope) -> str:
        """Return the operationId a request addresses, or ``unknown``."""
        for route in self.api_routes:
            match, _ = route.matches(scope)
            if match is Match.FULL and isinstance(route, Route):
                return route.name
        return UNKNOWN_OPERATION

    def reset(self) -> None:
        """Forget all data, counters, rate-limit windows and any storm; go back to the settings
        the emulator started with; replay faults from the seed."""
        self.store.clear()
        self.stats.clear()
        self.storm.stop()
        self.configure(self.initial_settings)
        if self.limiter is not None:
            self.limiter.clear()


def _limiter(settings: EmulatorSettings) -> FixedWindowRateLimiter | None:
    if settings.rate_limit is None:
        return None
    return FixedWindowRateLimiter(settings.rate_limit, settings.window_seconds)
