"""How an emulator instance behaves: accepted tokens, latency, rate limit, faults, storage."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["DEFAULT_TOKEN", "MAX_PER_PAGE", "EmulatorSettings"]

DEFAULT_TOKEN = "emulator-token"
MAX_PER_PAGE = 150  # the largest per_page Intercom's list endpoints accept


def _is_fraction(value: float) -> bool:
    return math.isfinite(value) and 0 <= value <= 1


@dataclass(frozen=True, slots=True)
class EmulatorSettings:
    """Behaviour of one emulator instance.

    Attributes:
        tokens: Accepted bearer tokens (kept out of ``repr``).
        latency_ms: Delay added to every API call with ``asyncio.sleep`` (other requests go on).
        rate_limit: Calls allowed per window per token; ``None`` means unlimited.
        window_seconds: Length of the fixed, epoch-aligned rate-limit window.
        fault_5xx_rate: Share of API calls answered 500/502/503 (the write is not applied).
        fault_drop_rate: Share of API calls whose connection drops mid-response; writes are
            randomly applied before the drop or not at all.
        seed: Seed of the fault RNG; ``None`` draws a fresh one.
        db_path: SQLite file that survives restarts; ``None`` keeps everything in memory.
        per_page: Default page size of the list endpoints.
    """

    tokens: frozenset[str] = field(default=frozenset({DEFAULT_TOKEN}), repr=False)
    latency_ms: float = 0
    rate_limit: int | None = None
    window_seconds: float = 10
    fault_5xx_rate: float = 0
    fault_drop_rate: float = 0
    seed: int | None = None
    db_path: Path | None = None
    per_page: int = 50

    def __post_init__(self) -> None:
        # Accept any iterable of tokens and a str path, but store the declared types.
        object.__setattr__(self, "tokens", frozenset(self.tokens))
        if self.db_path is not None:
            object.__setattr__(self, "db_path", Path(self.db_path))
        problems = self._problems()
        if problems:
            raise ValueError("invalid EmulatorSettings: " + "; ".join(problems))

    def _problems(self) -> list[str]:
        problems: list[str] = []
        if not self.tokens or any(not isinstance(t, str) or not t.strip() for t in self.tokens):
            problems.append("tokens must hold at least one non-blank string")
        if not (math.isfinite(self.latency_ms) and self.latency_ms >= 0):
            problems.append(f"latency_ms must be >= 0, got {self.latency_ms!r}")
        if self.rate_limit is not None and (
            isinstance(self.rate_limit, bool) or self.rate_limit < 1
        ):
            problems.append(f"rate_limit must be >= 1 or None, got {self.rate_limit!r}")
        if not (math.isfinite(self.window_seconds) and self.window_seconds > 0):
            problems.append(f"window_seconds must be > 0, got {self.window_seconds!r}")
        for name in ("fault_5xx_rate", "fault_drop_rate"):
            value = getattr(self, name)
            if not _is_fraction(value):
                problems.append(f"{name} must be between 0 and 1, got {value!r}")
        if (
            _is_fraction(self.fault_5xx_rate)
            and _is_fraction(self.fault_drop_rate)
            and self.fault_5xx_rate + self.fault_drop_rate > 1
        ):
            problems.append("fault_5xx_rate + fault_drop_rate must not exceed 1")
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            problems.append(f"per_page must be between 1 and {MAX_PER_PAGE}, got {self.per_page!r}")
        return problems

    @property
    def primary_token(self) -> str:
        """The token clients should use: the default one if accepted, else the first in order."""
        return DEFAULT_TOKEN if DEFAULT_TOKEN in self.tokens else min(self.tokens)
