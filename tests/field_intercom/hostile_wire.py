"""The socket side of the hostile Intercom (``hostile_intercom``): scripted faults, the error
envelope, and the request handler that turns a :class:`Fault` into real socket events (a
connection reset before or after the write was applied, a body cut short of its
``Content-Length``, an answer trickled a byte at a time or sent after the client's timeout).
"""

from __future__ import annotations

import gzip
import json
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from .hostile_intercom import HostileIntercom

__all__ = ["TOKEN", "Answer", "Fault", "Handler", "error", "lb_html"]

TOKEN = "field-trial-token"

Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Fault:
    """One scripted misbehaviour.

    ``action`` is one of: ``answer`` (send ``status``/``headers``/``body``, apply nothing),
    ``drop_before`` (reset the connection, apply nothing), ``drop_after`` (apply, then reset),
    ``cut_after`` (apply, then send half the body and close), ``slow_after`` (apply, then
    answer after ``delay`` seconds), ``trickle_after`` (apply, then send the answer a byte
    every ``delay`` seconds), ``rewrite`` (apply, then answer ``rewrite(json)``),
    ``call`` (run ``before``, e.g. an out-of-band change, then answer normally).
    """

    method: str
    path: str  # prefix of the request path
    action: str
    times: int = 1
    after: int = 0
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0
    rewrite: Callable[[Any], Any] | None = None
    body_has: bytes | None = None  # only requests whose body holds these bytes
    before: Callable[[], None] | None = None  # ``call``: run this, then answer normally
    seen: int = 0

    def take(self, method: str, path: str, body: bytes) -> bool:
        if method != self.method or not path.startswith(self.path):
            return False
        if self.body_has is not None and self.body_has not in body:
            return False
        self.seen += 1
        return self.after < self.seen <= self.after + self.times


def error(status: int, code: str, message: str, field_name: str | None = None) -> Answer:
    err: dict[str, Any] = {"code": code, "message": message}
    if field_name:
        err["field"] = field_name
    body = {"type": "error.list", "request_id": f"req-{time.monotonic_ns()}", "errors": [err]}
    return status, {}, json.dumps(body).encode()


class Handler(BaseHTTPRequestHandler):
    """One request: faults first, then authentication, then :meth:`HostileIntercom.handle`."""

    server_owner: HostileIntercom
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        owner = self.server_owner
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        fault = next((f for f in owner.faults if f.take(method, split.path, raw)), None)
        if fault is not None and fault.action == "call":
            assert fault.before is not None
            fault.before()
            fault = None
        if fault is not None and fault.action == "drop_before":
            self._reset()
            return
        if fault is not None and fault.action == "answer":
            self._answer(method, split.path, (fault.status, fault.headers, fault.body))
            return
        answer = self._authorised()
        if answer is None:
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                answer = error(400, "parameter_invalid", "body is not JSON")
            else:
                answer = owner.handle(method, split.path, parse_qs(split.query), body)
            answer = (answer[0], {**owner.rate_limit_headers(), **answer[1]}, answer[2])
        if fault is None:
            self._answer(method, split.path, answer)
        elif fault.action == "drop_after":
            self._reset()
        elif fault.action == "cut_after":
            self._cut(answer)
        elif fault.action == "trickle_after":
            self._trickle(answer, fault.delay)
        elif fault.action == "slow_after":
            time.sleep(fault.delay)
            self._answer(method, split.path, answer)
        elif fault.action == "rewrite":
            assert fault.rewrite is not None
            new = fault.rewrite(json.loads(answer[2]))
            self._answer(method, split.path, (answer[0], answer[1], json.dumps(new).encode()))
        else:
            raise AssertionError(f"unknown fault action {fault.action}")

    def _authorised(self) -> Answer | None:
        owner = self.server_owner
        if self.headers.get("Authorization") != f"Bearer {owner.token}":
            return error(401, "unauthorized", "Access Token Invalid")
        if self.headers.get("Intercom-Version") != "2.14":
            return error(400, "intercom_version_invalid", "Requested version is not supported")
        return None

    def _answer(self, method: str, path: str, answer: Answer) -> None:
        status, headers, body = answer
        self.server_owner.log.append((method, path, status))
        self.send_response(status)
        headers = {"Content-Type": "application/json; charset=utf-8", **headers}
        if self.server_owner.gzip and "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _cut(self, answer: Answer) -> None:
        status, _, body = answer
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def _trickle(self, answer: Answer, delay: float) -> None:
        status, _, body = answer
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.flush()
        try:
            for byte in body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(delay)
        except OSError:  # the client gave up
            self.close_connection = True

    def _reset(self) -> None:
        """Close with RST: the client sees a connection reset, no answer at all."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()


def lb_html(status: int) -> bytes:
    """A load balancer's error page, as nginx or an AWS ALB sends it in front of an API."""
    reason = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Time-out"}
    text = reason.get(status, "Internal Server Error")
    return (
        f"<html>\r\n<head><title>{status} {text}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {text}</h1></center>\r\n</body>\r\n</html>\r\n"
    ).encode()
