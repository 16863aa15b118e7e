"""Counters of the API calls an emulator served, for ``GET /_emulator/stats``."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ingestor.emulator.spec import OPERATION_IDS

__all__ = ["ABSENT_VERSION", "DROPPED", "UNKNOWN_OPERATION", "CallStats"]

UNKNOWN_OPERATION = "unknown"  # a path/method outside the ten operations
ABSENT_VERSION = "absent"  # no Intercom-Version header (served as 2.14)
DROPPED = "dropped"  # status key of calls whose connection was dropped


class CallStats:
    """Counts per operation, status, fault and Intercom-Version; admin calls are not counted."""

    def __init__(self) -> None:
        """Start with every counter at zero."""
        self.clear()

    def clear(self) -> None:
        """Set every counter back to zero."""
        self.total = 0
        self.rate_limited = 0
        self.by_operation: Counter[str] = Counter()
        #: Calls per operation answered 2xx: for a write, what the API really applied and
        #: confirmed (a page created twice shows here even though the upsert left one page).
        self.succeeded: Counter[str] = Counter()
        self.by_status: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()
        self.versions: Counter[str] = Counter()

    def to_json(self) -> dict[str, Any]:
        """Return the counters as ``GET /_emulator/stats`` shows them."""
        by_operation = dict.fromkeys(OPERATION_IDS, 0)
        by_operation.update(self.by_operation)
        return {
            "total": self.total,
            "by_operation": by_operation,
            "by_status": dict(sorted(self.by_status.items())),
            "succeeded_by_operation": dict(sorted(self.succeeded.items())),
            "rate_limited": self.rate_limited,
            "faults": {"total": self.faults.total(), **dict(sorted(self.faults.items()))},
            "intercom_versions": dict(sorted(self.versions.items())),
        }
