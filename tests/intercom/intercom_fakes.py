"""Fakes for the Intercom client's tests: a fake clock and an in-memory Intercom.

``FakeIntercom`` serves the ten AI Content operations through ``httpx.MockTransport`` with
Intercom's shapes, a fixed-window rate limiter driven by the fake clock (optionally skewed from
the client's clock) and a queue of scripted faults consumed before normal handling.
"""

from __future__ import annotations

import json
import math
from collections import deque
from collections.abc import Callable
from email.utils import formatdate
from typing import Any

import httpx

from ingestor.http import RateBudget, RetryPolicy
from ingestor.intercom import IntercomClient, PageUpsert

TOKEN = "tok_SECRET_abc123XYZ"
BASE_URL = "https://intercom.test"

Fault = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def filler_page(source_id: int, external_id: str) -> PageUpsert:
    """A minimal page, available to Fin and Copilot, for tests that need many of them."""
    return PageUpsert(
        source_id=source_id,
        external_id=external_id,
        title="t",
        html="<p/>",
        url=None,
        ai_agent_availability=True,
        ai_copilot_availability=True,
    )


class FakeClock:
    """Unix time that only moves when someone sleeps or a fake call takes time."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)


def envelope(status: int, code: str, message: str, request_id: str = "req-1") -> httpx.Response:
    body = {
        "type": "error.list",
        "request_id": request_id,
        "errors": [{"code": code, "message": message}],
    }
    return httpx.Response(status, json=body)


class FakeIntercom:
    """An in-memory AI Content API behind ``httpx.MockTransport``."""

    def __init__(
        self,
        clock: FakeClock,
        *,
        rate_limit: int | None = None,
        window: float = 10.0,
        per_page: int = 2,
        latency: float = 0.0,
        server_skew: float = 0.0,
        send_date: bool = True,
    ) -> None:
        self.clock = clock
        self.rate_limit = rate_limit
        self.window = window
        self.per_page = per_page
        self.latency = latency
        self.server_skew = server_skew  # server clock = client clock - skew
        self.send_date = send_date
        self.sources: dict[int, dict[str, Any]] = {}
        self.pages: dict[str, dict[str, Any]] = {}
        self.requests: list[httpx.Request] = []
        self.faults: deque[Fault] = deque()
        self.rejected = 0
        self._window_index: int | None = None
        self._window_calls = 0
        self._next_id = 100

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    # -- request handling -------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.clock.now += self.latency
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return envelope(401, "unauthorized", "Access Token Invalid")
        limit_headers, allowed = self._count()
        if self.faults:
            fault = self.faults.popleft()
            if isinstance(fault, Exception):
                raise fault
            response = fault if isinstance(fault, httpx.Response) else fault(request)
        elif not allowed:
            self.rejected += 1
            response = envelope(
                429,
                "rate_limit_exceeded",
                f"Exceeded rate limit of {self.rate_limit} in 10_seconds",
            )
        else:
            response = self._route(request)
        response.headers.update(limit_headers)
        return response

    def _count(self) -> tuple[dict[str, str], bool]:
        server_now = self.clock.now - self.server_skew
        headers: dict[str, str] = {}
        if self.send_date:
            headers["Date"] = formatdate(server_now, usegmt=True)
        if self.rate_limit is None:
            return headers, True
        index = math.floor(server_now / self.window)
        if index != self._window_index:
            self._window_index, self._window_calls = index, 0
        self._window_calls += 1
        headers.update(
            {
                "X-RateLimit-Limit": str(self.rate_limit),
                "X-RateLimit-Remaining": str(max(0, self.rate_limit - self._window_calls)),
                "X-RateLimit-Reset": str(math.ceil((index + 1) * self.window)),
            }
        )
        return headers, self._window_calls <= self.rate_limit

    def _route(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.strip("/").split("/")
        body = json.loads(request.content) if request.content else {}
        if parts[:2] == ["ai", "content_import_sources"]:
            return self._sources(request, parts[2:], body)
        if parts[:2] == ["ai", "external_pages"]:
            return self._pages(request, parts[2:], body)
        return envelope(404, "not_found", "Resource Not Found")

    def _list(self, request: httpx.Request, items: list[dict[str, Any]]) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        per_page = int(request.url.params.get("per_page", str(self.per_page)))
        total_pages = max(1, math.ceil(len(items) / per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        next_url = (
            str(request.url.copy_merge_params({"page": str(page + 1)}))
            if page < total_pages
            else None
        )
        return httpx.Response(
            200,
            json={
                "type": "list",
                "data": chunk,
                "total_count": len(items),
                "pages": {
                    "type": "pages",
                    "page": page,
                    "per_page": per_page,
                    "total_pages": total_pages,
                    "next": next_url,
                },
            },
        )

    def _sources(
        self, request: httpx.Request, rest: list[str], body: dict[str, Any]
    ) -> httpx.Response:
        now = int(self.clock.now)
        if not rest:
            if request.method == "GET":
                return self._list(request, [self.sources[k] for k in sorted(self.sources)])
            self._next_id += 1
            source = {
                "id": self._next_id,
                "type": "content_import_source",
                "url": body["url"],
                "status": body.get("status", "active"),
                "sync_behavior": body["sync_behavior"],
                "created_at": now,
                "updated_at": now,
                "last_synced_at": now,
            }
            self.sources[self._next_id] = source
            return httpx.Response(200, json=source)
        source_id = int(rest[0]) if rest[0].isdigit() else -1
        if source_id not in self.sources:
            return envelope(404, "not_found", "Resource Not Found")
        if request.method == "GET":
            return httpx.Response(200, json=self.sources[source_id])
        if request.method == "PUT":
            if "sync_behavior" not in body:
                return envelope(400, "parameter_not_found", "sync_behavior is required")
            self.sources[source_id].update(url=body["url"], updated_at=now)
            if "status" in body:
                self.sources[source_id]["status"] = body["status"]
            return httpx.Response(200, json=self.sources[source_id])
        del self.sources[source_id]
        self.pages = {k: p for k, p in self.pages.items() if p["source_id"] != source_id}
        return httpx.Response(204)

    def _pages(
        self, request: httpx.Request, rest: list[str], body: dict[str, Any]
    ) -> httpx.Response:
        now = int(self.clock.now)
        if not rest:
            if request.method == "GET":
                return self._list(request, [self.pages[k] for k in sorted(self.pages, key=int)])
            if body.get("source_id") not in self.sources:
                return envelope(404, "not_found", "Content import source not found")
            existing = next(
                (
                    p
                    for p in self.pages.values()
                    if (p["source_id"], p["external_id"])
                    == (body["source_id"], body["external_id"])
                ),
                None,
            )
            if existing is None:
                self._next_id += 1
                existing = {
                    "id": str(self._next_id),
                    "type": "external_page",
                    "created_at": now,
                    "ai_agent_availability": False,
                    "ai_copilot_availability": False,
                }
                self.pages[existing["id"]] = existing
            existing.update({k: v for k, v in body.items()})
            existing.update(updated_at=now, last_ingested_at=now)
            return httpx.Response(200, json=existing)
        page = self.pages.get(rest[0])
        if page is None:
            return envelope(404, "not_found", "Resource Not Found")
        if request.method == "GET":
            return httpx.Response(200, json=page)
        if request.method == "PUT":
            page.update({k: v for k, v in body.items() if k != "fin_availability"}, updated_at=now)
            return httpx.Response(200, json=page)
        del self.pages[rest[0]]
        return httpx.Response(200, json=page)


def make_client(
    fake: FakeIntercom,
    *,
    policy: RetryPolicy | None = None,
    budget: RateBudget | None = None,
    **kwargs: Any,
) -> IntercomClient:
    clock = fake.clock
    return IntercomClient(
        TOKEN,
        base_url=BASE_URL,
        transport=fake.transport(),
        policy=policy or RetryPolicy(base_delay=0.5, max_delay=8.0),
        budget=budget or RateBudget(clock=clock.time, sleep=clock.sleep),
        sleep=clock.sleep,
        **kwargs,
    )
