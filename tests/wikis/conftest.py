"""Fixtures for the wiki connector tests: real MediaWiki and DokuWiki servers, a faulty proxy.

The wikis are session-scoped (installing one takes about two seconds); every test works on
pages of its own (a title prefix or namespace of its own), so tests do not see each other's
edits. A test module skips with the reason from :func:`servers.missing_packages` when the
Debian package is not installed.
"""

from __future__ import annotations

import threading
import time
import xmlrpc.client
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from ingestor.config import load_config
from ingestor.emulator import EmulatorServer
from ingestor.engine.report import SyncReport
from ingestor.engine.runner import sync_connectors
from ingestor.engine.sync import SyncOptions

from .. import conftest as shared
from . import servers

BOT_APP = "fin"
#: Bot passwords must match [0-9a-w]{32,} or MediaWiki treats them as main passwords.
BOT_PASSWORD = "ingestorbotpass0123456789abcdefgh"


# -- MediaWiki ---------------------------------------------------------------------------------


class MediaWikiAdmin:
    """Edits a test wiki as its Admin through the API (as a person would, live)."""

    def __init__(self, server: servers.WikiServer) -> None:
        self.url = server.url
        self.api_url = server.url + "/api.php"
        self._client = httpx.Client(timeout=30)
        token = self._get(action="query", meta="tokens", type="login")["query"]["tokens"]
        self._post(
            action="login",
            lgname=servers.MW_ADMIN[0],
            lgpassword=servers.MW_ADMIN[1],
            lgtoken=token["logintoken"],
        )
        self._csrf = self._get(action="query", meta="tokens")["query"]["tokens"]["csrftoken"]

    def _get(self, **params: str) -> dict[str, Any]:
        params.update(format="json", formatversion="2")
        body: dict[str, Any] = self._client.get(self.api_url, params=params).json()
        return body

    def _post(self, **params: str) -> dict[str, Any]:
        params.update(format="json", formatversion="2")
        body: dict[str, Any] = self._client.post(self.api_url, data=params).json()
        assert "error" not in body, body
        return body

    def edit(self, title: str, text: str) -> int:
        """Create or edit a page; returns its page id."""
        body = self._post(action="edit", title=title, text=text, token=self._csrf)
        return int(body["edit"]["pageid"])

    def delete(self, title: str) -> None:
        self._post(action="delete", title=title, token=self._csrf)

    def move(self, old: str, new: str, *, leave_redirect: bool = True) -> None:
        params = {"from": old, "to": new, "token": self._csrf}
        if not leave_redirect:
            params["noredirect"] = "1"
        self._post(action="move", **params)

    def page_id(self, title: str) -> int:
        pages = self._get(action="query", titles=title)["query"]["pages"]
        return int(pages[0]["pageid"])

    def close(self) -> None:
        self._client.close()


@dataclass
class MediaWikiSite:
    server: servers.WikiServer
    admin: MediaWikiAdmin
    bot_name: str | None = None

    @property
    def api_url(self) -> str:
        return self.server.url + "/api.php"


def _skip_unless(kind: str) -> None:
    shared.require_system_package(servers.missing_packages(kind))


@pytest.fixture(scope="session")
def mediawiki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MediaWikiSite]:
    """A public MediaWiki seeded from mediawiki_seed.xml, for the whole session.

    Its namespace ``Internal`` (3000) is readable by logged-in users only (see servers.py);
    ``bot_name`` is a bot password of Admin, who can read it.
    """
    _skip_unless("mediawiki")
    server = servers.install_mediawiki(tmp_path_factory.mktemp("mediawiki"))
    try:
        bot = servers.create_bot_password(server, BOT_APP, BOT_PASSWORD)
        admin = MediaWikiAdmin(server)
        yield MediaWikiSite(server, admin, bot_name=bot)
        admin.close()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def private_mediawiki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MediaWikiSite]:
    """A MediaWiki only logged-in users may read, with a bot password for Admin."""
    _skip_unless("mediawiki")
    server = servers.install_mediawiki(tmp_path_factory.mktemp("private-mediawiki"), private=True)
    try:
        bot = servers.create_bot_password(server, BOT_APP, BOT_PASSWORD)
        admin = MediaWikiAdmin(server)
        yield MediaWikiSite(server, admin, bot_name=bot)
        admin.close()
    finally:
        server.stop()


# -- DokuWiki ----------------------------------------------------------------------------------


class DokuWikiAdmin:
    """Edits a test DokuWiki through XML-RPC (logged in as admin when the wiki has ACLs)."""

    def __init__(self, server: servers.WikiServer, *, login: bool) -> None:
        self.url = server.url
        self._client = httpx.Client(timeout=30)
        if login:
            assert self.call("dokuwiki.login", *servers.DW_ADMIN)

    def call(self, method: str, *params: Any) -> Any:
        payload = xmlrpc.client.dumps(params, methodname=method, encoding="utf-8")
        response = self._client.post(
            self.url + "/lib/exe/xmlrpc.php",
            content=payload.encode(),
            headers={"Content-Type": "text/xml"},
        )
        response.raise_for_status()
        (result,), _ = xmlrpc.client.loads(response.content)
        return result

    def put(self, page_id: str, text: str) -> None:
        """Create, edit, or (with empty text) delete a page."""
        assert self.call("wiki.putPage", page_id, text, {"sum": "test"}) is True

    def close(self) -> None:
        self._client.close()


@dataclass
class DokuWikiSite:
    server: servers.WikiServer
    admin: DokuWikiAdmin

    @property
    def url(self) -> str:
        return self.server.url + "/"


@pytest.fixture(scope="session")
def dokuwiki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DokuWikiSite]:
    """A public DokuWiki (Debian's skeleton pages plus what tests write)."""
    _skip_unless("dokuwiki")
    server = servers.install_dokuwiki(tmp_path_factory.mktemp("dokuwiki"))
    try:
        admin = DokuWikiAdmin(server, login=False)
        yield DokuWikiSite(server, admin)
        admin.close()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def acl_dokuwiki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DokuWikiSite]:
    """A DokuWiki with ACLs on: only logged-in users read or use the API."""
    _skip_unless("dokuwiki")
    server = servers.install_dokuwiki(tmp_path_factory.mktemp("acl-dokuwiki"), acl=True)
    try:
        admin = DokuWikiAdmin(server, login=True)
        yield DokuWikiSite(server, admin)
        admin.close()
    finally:
        server.stop()


#: ACL of :func:`public_acl_dokuwiki`: a public wiki with a staff-only namespace, a public
#: corner inside it, and one staff-only page outside it.
PUBLIC_WIKI_ACL = (
    "*                   @ALL    1",
    "*                   @user   8",
    "internal:*          @ALL    0",
    "internal:*          @staff  1",
    "internal:public:*   @ALL    1",
    "support:secret      @ALL    0",
    "support:secret      @staff  1",
)


@pytest.fixture(scope="session")
def public_acl_dokuwiki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DokuWikiSite]:
    """A DokuWiki anyone may read, except what :data:`PUBLIC_WIKI_ACL` keeps for staff.

    ``servers.DW_READER`` (``fin``, groups user and staff) reads everything; pages are
    written by admin.
    """
    _skip_unless("dokuwiki")
    server = servers.install_dokuwiki(
        tmp_path_factory.mktemp("public-acl-dokuwiki"), acl_rules=PUBLIC_WIKI_ACL
    )
    try:
        admin = DokuWikiAdmin(server, login=True)
        yield DokuWikiSite(server, admin)
        admin.close()
    finally:
        server.stop()


# -- a proxy that fails on demand ----------------------------------------------------------------

#: Decides what the proxy does with a request: None forwards it, or a fault name.
Fault = Callable[[str, str, bytes], str | None]


@dataclass
class FaultyProxy:
    """A real HTTP proxy in front of a wiki that can answer 500, hang, or answer ``maxlag``."""

    upstream: str
    fault: Fault | None = None
    delay: Callable[[str, bytes], float] | None = None
    #: Rewrites a forwarded answer: (request target, request body, answer body) -> answer body.
    rewrite: Callable[[str, bytes, bytes], bytes] | None = None
    seen: list[str] = field(default_factory=list)  # request targets, in order
    max_parallel: int = 0
    _in_flight: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _release: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FaultyProxy:
        proxy = self
        client = httpx.Client(timeout=30)

        class Handler(BaseHTTPRequestHandler):
            counted = False  # whether this request is in the proxy's in-flight count

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._handle(b"")

            def do_POST(self) -> None:
                self._handle(self.rfile.read(int(self.headers.get("Content-Length", "0"))))

            def _handle(self, body: bytes) -> None:
                with proxy._lock:
                    proxy.seen.append(self.path)
                    proxy._in_flight += 1
                    proxy.max_parallel = max(proxy.max_parallel, proxy._in_flight)
                self.counted = True
                try:
                    if proxy.delay is not None:
                        time.sleep(proxy.delay(self.path, body))
                    action = proxy.fault(self.command, self.path, body) if proxy.fault else None
                    if action == "hang":
                        proxy._release.wait(10)
                        return
                    if action == "500":
                        self._answer(500, {"Content-Type": "text/html"}, b"<h1>Internal error</h1>")
                        return
                    if action == "maxlag":
                        error = b'{"error":{"code":"maxlag","info":"Waiting for db: 7 seconds"}}'
                        lag = {
                            "Content-Type": "application/json",
                            "Retry-After": "0",
                            "X-Database-Lag": "7",
                        }
                        self._answer(200, lag, error)
                        return
                    forwarded = {
                        k: v
                        for k, v in self.headers.items()
                        if k.lower() not in ("host", "content-length", "connection")
                    }
                    upstream = client.request(
                        self.command, proxy.upstream + self.path, content=body, headers=forwarded
                    )
                    keep = ("content-type", "set-cookie", "retry-after", "x-database-lag")
                    passed = {
                        k: upstream.headers.get_list(k) for k in keep if k in upstream.headers
                    }
                    content = upstream.content
                    if proxy.rewrite is not None:
                        content = proxy.rewrite(self.path, body, content)
                    self._answer(upstream.status_code, passed, content)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    self._leave()

            def _leave(self) -> None:
                # Leave the count before the answer goes out: once the client has read it, it
                # may send its next request while this thread is still finishing.
                with proxy._lock:
                    if self.counted:
                        self.counted = False
                        proxy._in_flight -= 1

            def _answer(
                self, status: int, headers: Mapping[str, str | list[str]], body: bytes
            ) -> None:
                self._leave()
                self.send_response(status)
                for key, value in headers.items():
                    for one in value if isinstance(value, list) else [value]:
                        self.send_header(key, one)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._client = client
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def forget_cookies(self) -> None:
        """Drop the sessions the proxy's own client keeps for what it forwarded."""
        self._client.cookies.clear()

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self._client.close()


@pytest.fixture
def faulty_proxy() -> Iterator[Callable[[str], FaultyProxy]]:
    """Start proxies in front of a wiki url; all are stopped after the test."""
    started: list[FaultyProxy] = []

    def start(upstream: str) -> FaultyProxy:
        proxy = FaultyProxy(upstream.rstrip("/")).start()
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.stop()


# -- syncing through the real engine -----------------------------------------------------------


@dataclass
class SyncBench:
    """Runs the real engine with a YAML config: one wiki connector into the emulator."""

    tmp_path: Path
    server: EmulatorServer
    connector: dict[str, Any]

    def run(self, **options: bool) -> SyncReport:
        config = {
            "intercom": {"token": "${TEST_INTERCOM_TOKEN}", "base_url": self.server.url},
            "state": {"path": str(self.tmp_path / "state.db")},
            # these tests check what each wiki's listing reports gone, seen at once as a delete;
            # deletion: hide is tested in tests/e2e/test_recoverable_deletes.py
            "defaults": {"deletion": "delete"},
            "connectors": [{"name": "wiki", **self.connector}],
        }
        path = self.tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        loaded = load_config(path, environ={"TEST_INTERCOM_TOKEN": self.server.token})
        [report] = sync_connectors(loaded, options=SyncOptions(**options))
        return report

    def pages(self) -> dict[str, dict[str, Any]]:
        """Intercom's pages by external_id."""
        return {p["external_id"]: p for p in self.server.pages()}

    def write_calls(self) -> int:
        per_op = self.server.stats()["by_operation"]
        ops = ("createExternalPage", "updateExternalPage", "deleteExternalPage")
        return sum(int(per_op.get(op, 0)) for op in ops)


@pytest.fixture
def bench(tmp_path: Path, emulator: EmulatorServer) -> Callable[[dict[str, Any]], SyncBench]:
    """``bench({...connector keys...})``: a SyncBench over the session emulator, emptied."""

    def make(connector: dict[str, Any]) -> SyncBench:
        return SyncBench(tmp_path, emulator, connector)

    return make
