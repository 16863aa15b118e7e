"""The daemon's HTTP endpoint: a small threaded stdlib server (no event loop to share).

Routes map a path to a function returning ``(status, content type, body)``; a route that
raises answers 500 with the error's class name only (no stack, no secrets).
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Endpoint", "Response"]

log = logging.getLogger("ingestor.daemon.http")

#: (HTTP status, Content-Type, body)
Response = tuple[int, str, bytes]
Route = Callable[[], Response]


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a slow scraper must not hold the process at exit
    routes: Mapping[str, Route]


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def _answer(self, *, head: bool) -> None:
        path = self.path.split("?", 1)[0]
        route = self.server.routes.get(path)
        if route is None:
            known = ", ".join(sorted(self.server.routes))
            response: Response = (404, "text/plain; charset=utf-8", f"try {known}\n".encode())
        else:
            try:
                response = route()
            except Exception as exc:  # a broken route must not take the endpoint down
                log.exception("GET %s failed", path)
                response = (500, "text/plain; charset=utf-8", f"{type(exc).__name__}\n".encode())
        status, content_type, body = response
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)


class Endpoint:
    """Serves ``routes`` on ``host:port`` from a background thread until :meth:`stop`.

    Raises:
        OSError: The address cannot be bound (in use, not local, no permission).
    """

    def __init__(self, host: str, port: int, routes: Mapping[str, Route]) -> None:
        server_class = _Server6 if ":" in host else _Server
        self._server = server_class((host, port), _Handler)
        self._server.routes = dict(routes)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="daemon-http",
            daemon=True,
        )

    @property
    def url(self) -> str:
        """``http://host:port`` as bound (the real port when 0 was asked)."""
        host, port = self._server.server_address[:2]
        shown = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"

    def start(self) -> Endpoint:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket; safe to call twice."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(5)
        self._server.server_close()
