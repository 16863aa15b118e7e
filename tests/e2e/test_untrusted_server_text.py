"""What a hostile or broken Intercom says never reaches a terminal, a log or the state raw.

A real sync (the real ``ingestor`` command in a subprocess) runs against the emulator behind
:class:`HostileProxy`, a real HTTP server on 127.0.0.1 that forwards every call to the emulator
except page upserts, which it refuses with an error envelope full of what a server must not
be able to do to us: terminal escape sequences (colours, clearing the screen, setting the
window title), rich markup (``[bold]``, a stray ``[/red]`` that makes rich raise), control
characters, the token echoed back, a request id of 500 characters and a message of 2,000.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from ingestor.commands.status import status_data
from ingestor.emulator import EmulatorServer
from ingestor.untrusted import server_text, visible_text

from .conftest import Site

ESC = "\x1b"


def hostile_envelope(token: str) -> dict[str, object]:
    message = (
        f"Title {ESC}[31mRED{ESC}[0m [bold]BOLD[/bold] [/red] {ESC}]0;pwned\x07{ESC}[2J "
        f"echo Bearer {token} and {token}\x00\x01\u202eevil " + "x" * 2000
    )
    return {
        "type": "error.list",
        "request_id": f"req-{ESC}[2J[bold]" + "9" * 500,
        "errors": [{"code": "data_[b]invalid\x07", "message": message, "field": "title\r\nX"}],
    }


class HostileProxy:
    """Forwards to the emulator; answers every ``POST /ai/external_pages`` with 422 and
    :func:`hostile_envelope` (Intercom's error envelope shape, hostile content)."""

    def __init__(self, upstream: EmulatorServer) -> None:
        self.token = upstream.token
        client = httpx.Client(base_url=upstream.url, timeout=30)
        token = self.token

        class Handler(BaseHTTPRequestHandler):
            def _relay(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                if self.command == "POST" and self.path.startswith("/ai/external_pages"):
                    status, content = 422, json.dumps(hostile_envelope(token)).encode()
                    headers = {"content-type": "application/json", "x-request-id": "h\tid"}
                else:
                    forwarded = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                    answer = client.request(
                        self.command, self.path, content=body, headers=forwarded
                    )
                    status, content = answer.status_code, answer.content
                    headers = {"content-type": answer.headers.get("content-type", "")}
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_PUT = do_DELETE = _relay

            def log_message(self, *args: object) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._client = client
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()


@pytest.fixture
def hostile_site(
    emulator: EmulatorServer, make_site: Callable[[EmulatorServer], Site]
) -> Iterator[Site]:
    proxy = HostileProxy(emulator)
    try:
        yield make_site(proxy)  # type: ignore[arg-type]  # has .url and .token, all Site needs
    finally:
        proxy.close()


def assert_inert(output: str, token: str) -> None:
    assert ESC not in output and "\x07" not in output and "\x00" not in output
    assert token not in output
    assert "\u202e" not in output
    assert "x" * 400 not in output  # length-limited
    assert "9" * 150 not in output


def test_hostile_error_text_is_shown_inert_in_sync_status_and_state(hostile_site: Site) -> None:
    hostile_site.write("a.md", "# A\n\nText.\n")
    token = hostile_site.env["TEST_INTERCOM_TOKEN"]

    sync = hostile_site.cli("sync")
    assert sync.returncode == 1, sync.stderr  # the page failed; nothing crashed
    shown = sync.stdout + sync.stderr
    assert "Traceback" not in shown and "MarkupError" not in shown
    assert_inert(shown, token)
    assert "[bold]BOLD[/bold] [/red]" in shown  # markup shown as the text it is
    assert "[REDACTED]" in shown

    status = hostile_site.cli("status")
    assert status.returncode == 0, status.stderr
    assert_inert(status.stdout + status.stderr, token)
    assert "[bold]BOLD[/bold]" in status.stdout

    [connector] = status_data(hostile_site.config())["connectors"]
    [failure] = connector["failed_pages"]
    stored = failure["error"]
    assert_inert(stored, token)
    assert "\n" not in stored and "\r" not in stored
    assert len(stored) < 1000
    assert "field title X" in stored  # the field's line break became a space


def test_server_text_masks_limits_and_strips() -> None:
    said = server_text(
        f"a{ESC}[1;31mb{ESC}]8;;http://x{ESC}\\c\x9b2Jd\tTOKEN-123456\x01e\u2066f",
        secrets=("TOKEN-123456",),
    )
    assert said == "abcd [REDACTED]ef"
    assert server_text("é" * 50, limit=10) == "é" * 9 + "…"
    # a control character inside an echoed token must not hide it from the mask
    assert server_text("tok\x00en-secret", secrets=("token-secret",)) == "[REDACTED]"
    assert visible_text("one\r\ntwo\x1b[2K", keep_lines=True) == "one\ntwo"


def test_error_messages_are_never_read_as_rich_markup(site: Site) -> None:
    # a stray closing tag made rich raise MarkupError instead of printing the config error
    site.config_path.write_text(
        site.config_path.read_text() + "    '[/red]x[bold]': 1\n", encoding="utf-8"
    )
    result = site.cli("validate")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "[/red]x[bold]" in result.stderr
