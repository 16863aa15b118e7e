"""The running state of one emulator app: settings, store, counters, limiter, faults."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from starlette.routing import BaseRoute, Match, Route
from starlette.types import Scope

from ingestor.emulator.faults import FaultInjector
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

    @classmethod
    def build(cls, settings: EmulatorSettings, api_routes: Sequence[BaseRoute]) -> EmulatorContext:
        """Open the store and set up counters, limiter and faults from ``settings``."""
        store: Store = MemoryStore() if settings.db_path is None else SqliteStore(settings.db_path)
        limiter = None
        if settings.rate_limit is not None:
            limiter = FixedWindowRateLimiter(settings.rate_limit, settings.window_seconds)
        faults = FaultInjector(settings.fault_5xx_rate, settings.fault_drop_rate, settings.seed)
        return cls(settings, store, CallStats(), limiter, faults, api_routes)

    def operation_for(self, scope: Scope) -> str:
        """Return the operationId a request addresses, or ``unknown``."""
        for route in self.api_routes:
            match, _ = route.matches(scope)
            if match is Match.FULL and isinstance(route, Route):
                return route.name
        return UNKNOWN_OPERATION

    def reset(self) -> None:
        """Forget all data, counters and rate-limit windows; replay faults from the seed."""
        self.store.clear()
        self.stats.clear()
        if self.limiter is not None:
            self.limiter.clear()
        self.faults.reset()
