"""Calls to the admin API (``/_emulator/``) from Python, shared by :class:`EmulatorServer`."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

__all__ = ["AdminClient"]

# Admin calls go straight to the emulator, never through an HTTP proxy from the environment.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _messages(error: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(error.read())
        return "; ".join(item["message"] for item in body["errors"])
    except (ValueError, KeyError, TypeError):
        return f"HTTP {error.code}"


class AdminClient:
    """Admin calls; the class using it provides ``url``.

    Raises (every method):
        ValueError: The emulator refused the call's values (400), with its message.
        LookupError: The source or page does not exist (404).
    """

    @property
    def url(self) -> str:
        """Base URL of the emulator."""
        raise NotImplementedError

    def _admin(self, method: str, name: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        headers = {} if data is None else {"Content-Type": "application/json"}
        request = urllib.request.Request(
            f"{self.url}/_emulator/{name}", data=data, headers=headers, method=method
        )
        try:
            with _DIRECT.open(request, timeout=60) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                raise LookupError(f"{name}: not found") from None
            raise ValueError(f"{method} /_emulator/{name}: {_messages(exc)}") from None

    def stats(self) -> dict[str, Any]:
        """Return ``GET /_emulator/stats``: counters and page/source counts."""
        stats: dict[str, Any] = self._admin("GET", "stats")
        return stats

    def reset(self) -> None:
        """Clear data, counters, windows and storms; restore the start settings."""
        self._admin("POST", "reset")

    def pages(self) -> list[dict[str, Any]]:
        """Return every page, as the API shapes it, without counting an API call."""
        pages: list[dict[str, Any]] = self._admin("GET", "pages")
        return pages

    def sources(self) -> list[dict[str, Any]]:
        """Return every source, as the API shapes it, without counting an API call."""
        sources: list[dict[str, Any]] = self._admin("GET", "sources")
        return sources

    def current_settings(self) -> dict[str, Any]:
        """Return the settings in force (``GET /_emulator/settings``; tokens never shown)."""
        settings: dict[str, Any] = self._admin("GET", "settings")
        return settings

    def configure(self, **changes: Any) -> dict[str, Any]:
        """Change settings now, e.g. ``configure(fault_close_rate=0.2, pagination="cursor")``;
        return the settings in force. ``reset()`` restores the start settings."""
        settings: dict[str, Any] = self._admin("PATCH", "settings", changes)
        return settings

    def storm(self, *, calls: int | None = None, seconds: float | None = None) -> dict[str, Any]:
        """Answer the next ``calls`` API calls, or every call for ``seconds``, with 429."""
        body = {key: value for key, value in (("calls", calls), ("seconds", seconds)) if value}
        state: dict[str, Any] = self._admin("POST", "storm", body)
        return state

    def storm_state(self) -> dict[str, Any]:
        """Return ``{"active", "calls_left", "until"}`` of the storm."""
        state: dict[str, Any] = self._admin("GET", "storm")
        return state

    def end_storm(self) -> None:
        """End a storm now."""
        self._admin("DELETE", "storm")

    def add_source(
        self, url: str, *, sync_behavior: str = "automatic", status: str = "active"
    ) -> dict[str, Any]:
        """Create a source as Intercom's UI would (website sync, or deactivated); return it."""
        body = {"url": url, "sync_behavior": sync_behavior, "status": status}
        source: dict[str, Any] = self._admin("POST", "sources", body)
        return source

    def delete_source(self, source_id: int) -> int:
        """Delete a source out of band, with all its pages; return how many pages went."""
        answer: dict[str, Any] = self._admin("DELETE", f"sources/{source_id}")
        return int(answer["deleted_pages"])

    def delete_page(self, page_id: int | str) -> dict[str, Any]:
        """Delete a page out of band; return it."""
        page: dict[str, Any] = self._admin("DELETE", f"pages/{page_id}")
        return page

    def edit_page(self, page_id: int | str, **fields: Any) -> dict[str, Any]:
        """Edit a page out of band (title, html, url or None, the two availabilities)."""
        page: dict[str, Any] = self._admin("PATCH", f"pages/{page_id}", fields)
        return page
