"""How many uploads run at once: as many as the rate limit can absorb, no more."""

from __future__ import annotations

import threading

from ingestor.intercom import IntercomClient

__all__ = ["UploadSlots"]


class UploadSlots:
    """Bounds uploads in flight to what the rate limit can absorb, re-read as headers arrive."""

    def __init__(self, client: IntercomClient) -> None:
        self._client = client
        self._cond = threading.Condition()
        self._in_flight = 0

    def __enter__(self) -> None:
        with self._cond:
            while self._in_flight >= max(1, self._client.suggested_concurrency()):
                self._cond.wait(timeout=0.05)
            self._in_flight += 1

    def __exit__(self, *exc: object) -> None:
        with self._cond:
            self._in_flight -= 1
            self._cond.notify()
