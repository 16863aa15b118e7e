"""A route-table fake of Confluence Cloud (REST v2 + v1 CQL) and Data Center (REST v1).

Shapes follow Atlassian's published responses: v2 lists are ``{"results", "_links": {"next",
"base"}}`` with an opaque ``cursor`` (and a ``Link: rel="next"`` header); v1 lists are
``{"results", "start", "limit", "size", "_links": {"base", "context", "next", "self"}}`` with
``start``/``limit``. Errors use each generation's envelope (v2 ``{"errors": [...]}``, v1
``{"statusCode", "message"}``).

CQL ``lastmodified`` dates are wall-clock times read in ``user_timezone``: the API user's
profile zone, by default the server's (Atlassian, "CQL field reference: Last Modified";
"Confluence Server: the user's time zone applies to date queries"). Cloud reports the profile
zone as ``timeZone`` on ``GET /wiki/rest/api/user/current`` (Cloud v1 reference, "Users"), null
when hidden (``profile_timezone = None``); Data Center's answer has no such field.

Gateway mode (``gateway_cloud_id``): the API is served under
``/ex/confluence/{cloudId}/wiki`` as ``https://api.atlassian.com`` does for scoped API tokens
(Atlassian, "Scoped API tokens": "use https://api.atlassian.com/ex/confluence/{cloudId}/..."),
while ``_links.next`` stays site-relative (``/wiki/api/v2/...?cursor=``) and ``webui`` links
are relative to the site; a request without the gateway prefix is a 404.

Space keys are matched case-sensitively (``keys=eng`` does not find ``ENG``), as reported for
Cloud (sphinx-contrib/confluencebuilder #23, #240).

Pagination behaves like the real servers, quirks included (Data Center's silent ``limit``
caps with ``next`` computed from the limit asked, ``next`` past the end, a wrong ``size``,
``content/scan`` on 7.18+, Cloud's ``Link`` header): :mod:`.fake_confluence_paging` holds
those rules, their sources and their switches (``FakeConfluence.quirks``).

Faults are injected per route: a status (429/503 with ``Retry-After`` and the deployment's
rate-limit headers, 500...), a hang longer than the client's timeout, after N matching calls
and for M calls or until a time. Served over a real socket on 127.0.0.1 by a stdlib
threading server.
"""

from __future__ import annotations

import base64
import json
import re
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from .fake_confluence_access import AccessRoutes
from .fake_confluence_model import CqlError, FakePage, parse_cql
from .fake_confluence_paging import (
    PagingQuirks,
    cloud_page,
    offset_page,
    rate_limit_headers,
    scan_page,
)

__all__ = ["FakeConfluence", "Fault"]

Answer = tuple[int, Any, dict[str, str]]
Query = dict[str, list[str]]


@dataclass
class Fault:
    """Answer ``status`` (or hang ``hang`` seconds) to matching calls ``after`` the first N."""

    route: str  # route name, e.g. "v2.space_pages"
    status: int = 500
    times: int = 1
    after: int = 0
    retry_after: str | None = None
    hang: float | None = None
    headers: dict[str, str] = field(default_factory=dict)
    until: float | None = None  # fire only before this Unix time
    seen: int = 0
    fired: int = 0


class FakeConfluence(AccessRoutes):
    """The fake site: data (from :class:`FakeWiki`), restrictions (:class:`AccessRoutes`),
    routes, faults and a request log."""

    def __init__(
        self,
        deployment: str = "cloud",
        *,
        context: str | None = None,
        email: str = "bot@example.com",
        token: str = "cloud-api-token",
        pat: str = "dc-personal-token",
        user_timezone: str = "UTC",
        gateway_cloud_id: str | None = None,
        quirks: PagingQuirks | None = None,
    ) -> None:
        super().__init__()
        self.deployment = deployment
        self.context = (
            context if context is not None else ("/wiki" if deployment == "cloud" else "")
        )
        #: The site's own context, which its links keep ("/wiki" on Cloud, through the gateway too)
        self.site_context = self.context
        if gateway_cloud_id is not None:  # Cloud's API gateway for scoped tokens
            self.context = f"/ex/confluence/{gateway_cloud_id}/wiki"
        pair = base64.b64encode(f"{email}:{token}".encode()).decode()
        self.auth = f"Basic {pair}" if deployment == "cloud" else f"Bearer {pat}"
        self.clock_skew = timedelta(0)  # the server's clock minus ours (its Date headers)
        self.user_timezone = user_timezone  # CQL dates are read in it
        #: What Cloud's ``/user/current`` says as ``timeZone`` (None: hidden by the profile).
        self.profile_timezone: str | None = user_timezone
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, str]] = []  # (route name, path?query)
        self._server: ThreadingHTTPServer | None = None
        self._scheme = "http"
        self.archiving = True  # False: a Data Center older than 7.10 (no "archived" status)
        self.draft_ancestor_404 = self.v1_ancestors_omit_folders = deployment == "cloud"
        self.quirks = quirks or PagingQuirks()
        #: False: the storage body is not given (stricter than the references, which do not say
        #: whether a reader without edit rights gets it)
        self.storage_bodies = True
        Route = tuple[str, str, Callable[..., Answer]]
        v2: list[Route] = [
            ("v2.spaces", r"/api/v2/spaces", self._v2_spaces),
            ("v2.space_pages", r"/api/v2/spaces/(\d+)/pages", self._v2_space_pages),
            ("v2.page", r"/api/v2/pages/(\d+)", self._v2_page),
            ("v2.ancestors", r"/api/v2/pages/(\d+)/ancestors", self._v2_ancestors),
        ]
        v1: list[Route] = [
            ("v1.space", r"/rest/api/space", self._v1_spaces),
            ("v1.search", r"/rest/api/content/search", self._v1_search),
            ("v1.user_current", r"/rest/api/user/current", self._v1_user_current),
            ("v1.content", r"/rest/api/content", self._v1_content_list),
            ("v1.scan", r"/rest/api/content/scan", self._v1_scan),
            ("v1.page", r"/rest/api/content/(\d+)", self._v1_page),
            (
                "v1.restriction",
                r"/rest/api/content/(\d+)/restriction/byOperation/read",
                self._v1_restriction,
            ),
        ]
        routes = (v2 if deployment == "cloud" else []) + v1
        self.routes: list[tuple[str, re.Pattern[str], Callable[..., Answer]]] = [
            (name, re.compile(re.escape(self.context) + pattern), handler)
            for name, pattern, handler in routes
        ]

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"{self._scheme}://{host!s}:{port}{self.context}"

    def start(self, tls: ssl.SSLContext | None = None) -> FakeConfluence:
        """Serve on a free port of 127.0.0.1 (over TLS with ``tls``, a server-side context)."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def date_time_string(self, timestamp: float | None = None) -> str:
                return format_datetime(datetime.now(UTC) + fake.clock_skew, usegmt=True)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.block_on_close = False
        if tls is not None:
            server.socket = tls.wrap_socket(server.socket, server_side=True)
            self._scheme = "https"
        self._server = server
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def inject(self, route: str, status: int = 500, **kwargs: Any) -> Fault:
        fault = Fault(route=route, status=status, **kwargs)
        self.faults.append(fault)
        return fault

    def rate_limit(self, route: str, seconds: float, retry_after: str | None = None) -> Fault:
        """Answer 429 to ``route`` for ``seconds``, with the deployment's rate-limit headers."""
        headers = rate_limit_headers(self.deployment, retry_after, seconds)
        return self.inject(route, 429, times=10**6, headers=headers, until=time.time() + seconds)

    def calls(self, route: str) -> list[str]:
        return [target for name, target in self.requests if name == route]

    # -- dispatch --------------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        for name, pattern, handler in self.routes:
            match = pattern.fullmatch(parts.path)
            if match is None or (name == "v1.scan" and not self.quirks.scan):
                continue
            self.requests.append((name, request.path))
            if request.headers.get("Authorization") != self.auth:
                return _reply(request, *self._error(name, 401, "Unauthorized"))
            fault = self._fault(name)
            if fault is not None and fault.hang is not None:
                time.sleep(fault.hang)
            if fault is not None and fault.hang is None:
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                headers |= fault.headers
                status, body, _ = self._error(name, fault.status, "injected fault")
                return _reply(request, status, body, headers)
            try:
                answer = handler(query, *match.groups())
            except (CqlError, ValueError) as exc:  # a query or cursor the server cannot read
                answer = self._error(name, 400, str(exc))
            return _reply(request, *answer)
        self.requests.append(("unknown", request.path))
        _reply(request, 404, {"statusCode": 404, "message": f"null for uri: {parts.path}"}, {})

    def _fault(self, route: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.route != route or fault.fired >= fault.times:
                    continue
                if fault.until is not None and time.time() >= fault.until:
                    continue
                fault.seen += 1
                if fault.seen > fault.after:
                    fault.fired += 1
                    return fault
        return None

    def _error(self, route: str, status: int, message: str) -> Answer:
        if route.startswith("v2."):
            title = {404: "Not Found", 401: "Unauthorized", 429: "Too Many Requests"}
            error = {"status": status, "code": str(status), "title": title.get(status, message)}
            return status, {"errors": [error]}, {}
        return status, {"statusCode": status, "message": message, "reason": str(status)}, {}

    # -- shapes ----------------------------------------------------------------------------

    def _webui(self, page: FakePage) -> str:
        words = quote(page.title.replace(" ", "+"), safe="+")
        if self.deployment == "cloud":
            return f"/spaces/{page.space_key}/pages/{page.id}/{words}"
        return f"/display/{page.space_key}/{words}"

    def _v2_page_obj(self, page: FakePage) -> dict[str, Any]:
        return {
            "id": page.id,
            "status": page.status,
            "title": page.title,
            "spaceId": self.spaces[page.space_key],
            "parentId": page.parent_id,
            "parentType": self.pages[page.parent_id].kind if page.parent_id else None,
            "position": page.position,
            "authorId": "557058:f2a1",
            "createdAt": "2024-01-02T03:04:05.000Z",
            "version": {
                "createdAt": page.modified.isoformat(timespec="milliseconds"),
                "message": "",
                "number": page.version,
                "minorEdit": False,
                "authorId": "557058:f2a1",
            },
            "body": {},
            "_links": {"webui": self._webui(page), "tinyui": f"/x/{page.id}"},
        }

    def _v1_page_obj(self, page: FakePage, expand: set[str]) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "id": page.id,
            "type": "page",
            "status": page.status,
            "title": page.title,
            "extensions": {"position": page.position},
            "_links": {
                "webui": self._webui(page),
                "tinyui": f"/x/{page.id}",
                "self": f"{self.url}/rest/api/content/{page.id}",
            },
            "_expandable": {"children": f"/rest/api/content/{page.id}/child"},
        }
        if "version" in expand:
            obj["version"] = {"number": page.version, "when": page.modified.isoformat()}
        if "space" in expand:
            obj["space"] = {"key": page.space_key, "name": page.space_key, "type": "global"}
        obj |= self.access_fields(page, expand)  # ancestors, restrictions
        if "metadata.labels" in expand:
            labels = [
                {"prefix": "global", "name": n, "id": str(i)} for i, n in enumerate(page.labels)
            ]
            obj["metadata"] = {
                "labels": {"results": labels, "start": 0, "limit": 200, "size": len(labels)}
            }
        for rendering in ("export_view", "view", "storage"):
            if rendering == "storage" and not self.storage_bodies:
                continue
            if f"body.{rendering}" in expand:
                stored = page.storage if rendering == "storage" else None
                value = stored if stored is not None else page.body
                body = obj.setdefault("body", {})
                body[rendering] = {"value": value, "representation": rendering}
        return obj

    # -- v2 (Cloud) ------------------------------------------------------------------------

    def _v2_list(self, path: str, query: Query, items: list[Any]) -> Answer:
        offset = _decode_cursor(query.get("cursor", [""])[0])
        status, body, headers = cloud_page(
            self.quirks, f"{self.site_context}{path}", query, items, _encode_cursor, offset
        )
        body["_links"]["base"] = self.url
        return status, body, headers

    def _v2_spaces(self, query: Query) -> Answer:
        keys = {k for value in query.get("keys", []) for k in value.split(",") if k}
        spaces = [
            {"id": sid, "key": key, "name": key, "type": "global", "status": "current"}
            for key, sid in self.spaces.items()
            if not keys or key in keys
        ]
        return self._v2_list("/api/v2/spaces", query, spaces)

    def _v2_space_pages(self, query: Query, space_id: str) -> Answer:
        key = next((k for k, v in self.spaces.items() if v == space_id), None)
        if key is None:
            return self._error("v2.space_pages", 404, "Not Found")
        statuses = {
            s for value in query.get("status", ["current,archived"]) for s in value.split(",")
        }
        pages = sorted(self.in_space(key, statuses), key=lambda p: int(p.id))
        objs = [self._v2_page_obj(p) for p in pages]
        return self._v2_list(f"/api/v2/spaces/{space_id}/pages", query, objs)

    def _v2_page(self, query: Query, page_id: str) -> Answer:
        page = self.pages.get(page_id)
        if page is None or page.status not in ("current", "archived"):
            return self._error("v2.page", 404, "Not Found")
        obj = self._v2_page_obj(page)
        fmt = query.get("body-format", [""])[0]
        if fmt:
            if fmt not in ("storage", "atlas_doc_format", "view", "export_view", "styled_view"):
                return self._error("v2.page", 400, f"invalid body-format {fmt}")
            obj["body"] = {fmt: {"representation": fmt, "value": page.body}}
        return 200, obj, {}

    # -- v1 (Data Center, and Cloud's CQL) ---------------------------------------------------

    def _v1_list(self, path: str, query: Query, items: list[Any], cap: int) -> Answer:
        if self.deployment != "cloud":
            body = offset_page(self.quirks, path, query, items, cap)
            body["_links"] |= {"base": self.url, "context": self.context}
            body["_links"]["self"] = f"{self.url}{path}"
            return 200, body, {}
        # Cloud's v1 search pages by cursor (Atlassian "modernize search REST APIs" notice).
        limit = min(int(query.get("limit", ["25"])[0]), cap)
        start = _decode_cursor(query.get("cursor", [""])[0])
        page = items[start : start + limit]
        links = {"base": f"{self.url}", "context": self.context, "self": f"{self.url}{path}"}
        if start + limit < len(items):
            rest = [
                (k, v)
                for k, values in query.items()
                for v in values
                if k not in ("start", "cursor", "next")
            ]
            target = 0 if self.quirks.loop else start + limit
            rest += [("next", "true"), ("cursor", _encode_cursor(target))]
            links["next"] = f"{path}?{urlencode(rest)}"
        body = {"results": page, "start": start, "limit": limit, "size": len(page), "_links": links}
        return 200, body, {}

    def _v1_spaces(self, query: Query) -> Answer:
        keys = {k for value in query.get("spaceKey", []) for k in value.split(",") if k}
        spaces = [
            {"id": int(sid), "key": key, "name": key, "type": "global", "_links": {}}
            for key, sid in self.spaces.items()
            if not keys or key in keys
        ]
        return self._v1_list("/rest/api/space", query, spaces, 500)

    def _v1_content_list(self, query: Query) -> Answer:
        key = query.get("spaceKey", [""])[0]
        status = query.get("status", ["current"])[0]
        known = ("current", "trashed", "draft", "any") + (("archived",) if self.archiving else ())
        if status not in known:
            return self._error("v1.content", 400, f"unknown status {status}")
        statuses = {"current", "trashed"} if status == "any" else {status}
        expand = set(",".join(query.get("expand", [])).split(","))
        pages = sorted(self.in_space(key, statuses), key=lambda p: int(p.id))
        objs = [self._v1_page_obj(p, expand) for p in pages]
        return self._v1_list("/rest/api/content", query, objs, 100 if expand - {""} else 500)

    def _v1_scan(self, query: Query) -> Answer:
        key = query.get("spaceKey", [""])[0]
        statuses = set(",".join(query.get("status", ["current"])).split(","))
        expand = set(",".join(query.get("expand", [])).split(",")) - {""}
        pages = sorted(self.in_space(key, statuses), key=lambda p: int(p.id))
        objs = [self._v1_page_obj(p, expand) for p in pages]
        cap = 100 if expand else 500
        body = scan_page("/rest/api/content/scan", query, objs, cap, loop=self.quirks.loop)
        body["_links"] |= {"base": self.url, "context": self.context}
        return 200, body, {}

    def _v1_page(self, query: Query, page_id: str) -> Answer:
        page = self.pages.get(page_id)
        if page is None or page.status == "trashed":
            return self._error(
                "v1.page", 404, f"No content found with id: ContentId{{id={page_id}}}"
            )
        expand = set(",".join(query.get("expand", [])).split(","))
        if self.refuses_expansion(page, expand):
            return self._error("v1.page", 404, "Cannot find content: it is a draft or trashed")
        return 200, self._v1_page_obj(page, expand), {}

    def _v1_user_current(self, query: Query) -> Answer:
        if self.deployment != "cloud":  # Data Center documents no time zone here
            return (
                200,
                {"type": "known", "username": "bot", "userKey": "k1", "displayName": "Bot"},
                {},
            )
        user = {"type": "known", "accountId": "557058:bot", "accountType": "atlassian"}
        return 200, user | {"displayName": "Bot", "timeZone": self.profile_timezone}, {}

    def _v1_search(self, query: Query) -> Answer:
        parsed = parse_cql(query.get("cql", [""])[0], self.user_timezone)
        expand = set(",".join(query.get("expand", [])).split(",")) - {""}
        cap = 50 if any(e.startswith("body") for e in expand) else (200 if expand else 1000)
        found = self.search(parsed)
        if any(self.refuses_expansion(p, expand) for p in found):  # the whole batch fails
            return self._error("v1.search", 404, "No content with id: draft or trashed ancestor")
        objs = [self._v1_page_obj(p, expand) for p in found]
        return self._v1_list("/rest/api/content/search", query, objs, cap)


#: Cloud cursors are standard base64 and may hold "+", "/" and "=" (Cloud v2 OpenAPI): the
#: fake's always do, so a client that re-encodes or mangles them fails.
_CURSOR_SALT = b"\xfb\xef\xff"


def _encode_cursor(offset: int) -> str:
    return base64.b64encode(_CURSOR_SALT + json.dumps({"o": offset}).encode()).decode()


def _decode_cursor(cursor: str) -> int:
    if not cursor:
        return 0
    raw = base64.b64decode(cursor, validate=True)
    if not raw.startswith(_CURSOR_SALT):
        raise ValueError(f"not a cursor of this fake: {cursor!r}")
    return int(json.loads(raw[len(_CURSOR_SALT) :])["o"])


def _reply(
    request: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str]
) -> None:
    data = json.dumps(body).encode()
    try:
        request.send_response(status)
        request.send_header("Content-Type", "application/json;charset=UTF-8")
        request.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(data)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the client gave up (timeout tests)
