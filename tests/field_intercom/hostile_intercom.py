"""A hostile Intercom AI Content API (2.14) for field trials, written apart from the bundled
emulator (``ingestor.emulator``) so that it does not share the client's assumptions.

Sources, and what this server does because of them:

* ``shared/intercom/ai-content-2.14.yaml`` (Intercom's OpenAPI description, 2.14): the paths,
  ``source_id`` integer and page ``id`` string, 200 (not 201) on create, 204 on source delete,
  200 with the deleted page on page delete, the ``list``/``pages`` envelope with an absolute
  ``pages.next`` URL, the ``error.list`` envelope, the ``type`` field on every object.
* ``shared/intercom/NOTES.md``: upsert keyed by ``(source_id, external_id)``, availabilities
  default to false on create and stay unchanged when omitted on update, ``X-RateLimit-*``
  headers sent on authenticated answers only, 429 ``rate_limit_exceeded``.
* Intercom's public docs on rate limiting: no ``Retry-After`` is documented; the window is
  10 s and ``X-RateLimit-Reset`` is Unix seconds.

Stricter than the reference where behaviour is unknown:

* an upsert into a source that does not exist answers **400** ``parameter_invalid`` (field
  ``source_id``), not 404; into a deactivated source 422 ``data_invalid``;
* with ``normalise`` on, Intercom's stored copy differs from what was sent the way a CMS
  would: titles trimmed, the url's scheme and host lower-cased, and the HTML re-serialised
  (``<br>`` becomes ``<br/>``); the answers carry the stored copy;
* every object carries extra fields the 2.14 description does not list, and the list
  envelope a ``total_count`` that counts nothing in particular when ``lie_total`` is set.

Faults are scripted per request: a :class:`Fault` matches a method and path prefix and acts
on its ``after``-th to ``after + times``-th match. The actions are real socket events: a
connection closed (or reset, RST) before or after the write was applied, a body cut short of
its ``Content-Length``, an answer that arrives after the client's timeout, load-balancer HTML,
and arbitrary status/header/body answers.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .hostile_wire import TOKEN, Answer, Fault, Handler, error, lb_html

__all__ = ["TOKEN", "Fault", "HostileIntercom", "lb_html", "normalised_url"]


def normalised_url(url: str) -> str:
    """What a CMS makes of a url: scheme and host lower-cased, spaces encoded."""
    parts = urlsplit(url.strip())
    path = parts.path.replace(" ", "%20")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


class HostileIntercom:
    """The server's state and behaviour; :meth:`start` serves it on a free local port."""

    def __init__(self, *, normalise: bool = False, rate_headers: bool = True) -> None:
        self.normalise = normalise
        self.rate_headers = rate_headers
        self.lie_total = False
        #: Answer gzip-compressed when the client accepts it (as Intercom's edge does).
        self.gzip = False
        #: The answer to an upsert into a source that does not exist (unknown: 400 or 404).
        self.unknown_source_status = 400
        self.token = TOKEN
        self.faults: list[Fault] = []
        self.sources: dict[int, dict[str, Any]] = {}
        self.pages: dict[str, dict[str, Any]] = {}
        self.log: list[tuple[str, str, int]] = []  # (method, path, status) of every answer
        self.page_order: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None
        self.list_links: Callable[[str, int, int], object] | None = None
        self._next_source = 100
        self._next_page = 5000
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> HostileIntercom:
        owner = self

        class OwnHandler(Handler):
            server_owner = owner

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), OwnHandler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # -- seen from outside ---------------------------------------------------------------------

    def add_source(self, url: str, *, status: str = "active", behavior: str = "api") -> int:
        with self._lock:
            self._next_source += 1
            now = int(time.time())
            self.sources[self._next_source] = {
                "type": "content_import_source",
                "id": self._next_source,
                "url": url,
                "status": status,
                "sync_behavior": behavior,
                "created_at": now,
                "updated_at": now,
                "last_synced_at": now,
                "audience_ids": [],  # not in 2.14: an unknown extra field
            }
            return self._next_source

    def add_foreign_page(self, external_id: str, **fields: Any) -> dict[str, Any]:
        """A page of another installation: its own source, created as any client would."""
        stranger = self.add_source("https://elsewhere.example.com/")
        body = {"title": "Theirs", "html": "<p>x</p>", "locale": "en", **fields}
        with self._lock:
            self.handle(
                "POST",
                "/ai/external_pages",
                {},
                {**body, "source_id": stranger, "external_id": external_id},
            )
        return self.pages_of(stranger)[external_id]

    def pages_of(self, source_id: int) -> dict[str, dict[str, Any]]:
        """Pages under one source by external_id (fails on a duplicate external_id)."""
        with self._lock:
            found = [p for p in self.pages.values() if p["source_id"] == source_id]
        by_eid = {p["external_id"]: p for p in found}
        assert len(by_eid) == len(found), "duplicate (source_id, external_id) in Intercom"
        return by_eid

    def calls(self, method: str, prefix: str) -> int:
        return sum(1 for m, p, _ in self.log if m == method and p.startswith(prefix))

    # -- the API --------------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> Answer:
        """Answer one authenticated, well-formed request (faults are applied by the handler)."""
        with self._lock:
            if path == "/ai/content_import_sources":
                if method == "GET":
                    return self._list(list(self.sources.values()), path, query)
                if method == "POST":
                    return self._create_source(body)
            if path.startswith("/ai/content_import_sources/"):
                return self._one_source(method, path.rsplit("/", 1)[1], body)
            if path == "/ai/external_pages":
                if method == "GET":
                    ordered = sorted(self.pages.values(), key=lambda p: -int(p["id"][1:]))
                    if self.page_order is not None:
                        ordered = self.page_order(ordered)
                    return self._list(ordered, path, query)
                if method == "POST":
                    return self._upsert(body)
            if path.startswith("/ai/external_pages/"):
                return self._one_page(method, path.rsplit("/", 1)[1])
        return error(404, "not_found", "Resource Not Found")

    def _list(self, items: list[dict[str, Any]], path: str, query: dict[str, list[str]]) -> Answer:
        try:
            per_page = int(query.get("per_page", ["50"])[0])
            page = int(query.get("page", ["1"])[0])
        except ValueError:
            return error(400, "parameter_invalid", "per_page and page must be integers")
        if not 1 <= per_page <= 150 or page < 1:
            return error(400, "parameter_invalid", "per_page out of range", "per_page")
        total_pages = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        if self.list_links is not None:
            link = self.list_links(path, page, total_pages)
        elif page < total_pages:
            link = f"{self.url}{path}?page={page + 1}&per_page={per_page}"
        else:
            link = None
        body = {
            "type": "list",
            "data": chunk,
            "total_count": len(items) * 3 + 7 if self.lie_total else len(items),
            "pages": {
                "type": "pages",
                "page": page,
                "per_page": per_page,
                "total_pages": total_pages,
                "next": link,
            },
        }
        return 200, {}, json.dumps(body).encode()

    def _create_source(self, body: Any) -> Answer:
        if not isinstance(body, dict) or body.get("sync_behavior") != "api":
            return error(400, "parameter_invalid", "sync_behavior must be api", "sync_behavior")
        url = body.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            return error(400, "parameter_invalid", "url is invalid", "url")
        url = normalised_url(url) if self.normalise else url
        source_id = self.add_source(url, status=str(body.get("status", "active")))
        return 200, {}, json.dumps(self.sources[source_id]).encode()

    def _one_source(self, method: str, ident: str, body: Any) -> Answer:
        source = self.sources.get(int(ident)) if ident.isdigit() else None
        if source is None:
            return error(404, "not_found", "Content Import Source not found")
        if method == "GET":
            return 200, {}, json.dumps(source).encode()
        if method == "PUT":
            if not isinstance(body, dict) or "url" not in body or "sync_behavior" not in body:
                return error(400, "parameter_invalid", "url and sync_behavior are required")
            url = body["url"]
            source["url"] = normalised_url(url) if self.normalise and isinstance(url, str) else url
            source["status"] = body.get("status", source["status"])
            return 200, {}, json.dumps(source).encode()
        if method == "DELETE":
            del self.sources[source["id"]]
            for pid in [k for k, p in self.pages.items() if p["source_id"] == source["id"]]:
                del self.pages[pid]
            return 204, {}, b""
        return error(404, "not_found", "Resource Not Found")

    def _upsert(self, body: Any) -> Answer:
        if not isinstance(body, dict):
            return error(400, "parameter_invalid", "body must be an object")
        for key in ("title", "html", "locale", "source_id", "external_id"):
            if key not in body:
                return error(400, "parameter_not_found", f"{key} is required", key)
        if body["locale"] != "en":
            return error(400, "parameter_invalid", "locale must be en", "locale")
        source = self.sources.get(body["source_id"])
        if source is None:
            status = self.unknown_source_status
            return error(status, "parameter_invalid", "source_id is invalid", "source_id")
        if source["status"] != "active" or source["sync_behavior"] != "api":
            return error(422, "data_invalid", "Content Import Source is not active", "source_id")
        existing = next(
            (
                p
                for p in self.pages.values()
                if p["source_id"] == body["source_id"] and p["external_id"] == body["external_id"]
            ),
            None,
        )
        now = int(time.time())
        if existing is None:
            self._next_page += 1
            existing = {
                "type": "external_page",
                "id": f"p{self._next_page}",
                "ai_agent_availability": False,
                "ai_copilot_availability": False,
                "ai_sales_agent_availability": False,  # not in the client's model
                "fin_availability": False,
                "created_at": now,
                "source_id": body["source_id"],
                "external_id": body["external_id"],
            }
            self.pages[existing["id"]] = existing
        title, html, url = body["title"], body["html"], body.get("url", existing.get("url"))
        if self.normalise:
            title, html = title.strip(), html.replace("<br>", "<br/>")
            url = normalised_url(url) if isinstance(url, str) else url
        existing.update(title=title, html=html, url=url, locale="en", updated_at=now)
        existing["last_ingested_at"] = now
        for flag in ("ai_agent_availability", "ai_copilot_availability"):
            if flag in body:
                existing[flag] = bool(body[flag])
        return 200, {}, json.dumps(existing).encode()

    def _one_page(self, method: str, ident: str) -> Answer:
        page = self.pages.get(ident)
        if page is None:
            return error(404, "not_found", "External page not found")
        if method == "GET":
            return 200, {}, json.dumps(page).encode()
        if method == "DELETE":
            del self.pages[ident]
            return 200, {}, json.dumps(page).encode()
        return error(404, "not_found", "Resource Not Found")

    def rate_limit_headers(self) -> dict[str, str]:
        if not self.rate_headers:
            return {}
        reset = int(time.time() // 10 * 10 + 10)
        return {
            "X-RateLimit-Limit": "1666",
            "X-RateLimit-Remaining": "1600",
            "X-RateLimit-Reset": str(reset),
        }
