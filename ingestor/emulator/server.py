"""Running the emulator: in a background thread (tests, demo, benchmarks) or in the foreground."""

from __future__ import annotations

import copy
import logging
import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn
import uvicorn.config

from ingestor.emulator.admin_client import AdminClient
from ingestor.emulator.app import create_app
from ingestor.emulator.settings import EmulatorSettings

__all__ = ["EmulatorServer", "serve"]

_LOG = logging.getLogger("ingestor.emulator")
_START_TIMEOUT_S = 15.0
_STOP_TIMEOUT_S = 10.0


def _bind(host: str, port: int) -> socket.socket:
    """Bind a listening-ready socket now, so a port of 0 is resolved before uvicorn starts."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        # Listen now: the startup line announces the url before uvicorn takes the socket, and
        # a client connecting in between must wait in the backlog, not be refused.
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def _base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # reachable from here
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class EmulatorServer(AdminClient):
    """The emulator served by uvicorn in a daemon thread, on a free port by default.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`. Each start builds a
    fresh app: in-memory data does not survive a restart, a ``db_path`` file does. The admin
    methods (:class:`AdminClient`) look inside and switch faults and modes at run time;
    ``settings`` stays the start settings, which :meth:`reset` restores.

    Example::

        with EmulatorServer() as server:
            httpx.get(server.url + "/ai/external_pages",
                      headers={"Authorization": f"Bearer {server.token}"})
    """

    def __init__(
        self,
        settings: EmulatorSettings | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        access_log: bool = False,
        log_level: str = "warning",
    ) -> None:
        """Prepare a server; nothing listens until :meth:`start`.

        Args:
            settings: Emulator behaviour; defaults to ``EmulatorSettings()``.
            host: Interface to listen on.
            port: Port to listen on; 0 picks a free one.
            access_log: Log one line per request through uvicorn's access logger.
            log_level: Level of uvicorn's loggers.
        """
        self.settings = settings or EmulatorSettings()
        self.host = host
        self.port = port
        self.access_log = access_log
        self.log_level = log_level
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._url: str | None = None

    def __repr__(self) -> str:
        return f"EmulatorServer(url={self._url!r}, settings={self.settings!r})"

    @property
    def url(self) -> str:
        """Base URL of the running server, e.g. ``http://127.0.0.1:43117`` (no trailing slash)."""
        if self._url is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return self._url

    @property
    def token(self) -> str:
        """A bearer token the emulator accepts."""
        return self.settings.primary_token

    @property
    def running(self) -> bool:
        """Whether the server thread is serving."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> EmulatorServer:
        """Build the app, bind the port and serve until :meth:`stop`.

        Raises:
            RuntimeError: Already running, the database cannot be opened, or uvicorn did not
                come up within 15 seconds.
            OSError: The address cannot be bound.
        """
        if self.running:
            raise RuntimeError("the emulator is already running")
        app = create_app(self.settings)
        sock = _bind(self.host, self.port)
        config = uvicorn.Config(
            app,
            log_config=None,
            log_level=self.log_level,
            access_log=self.access_log,
            lifespan="on",
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="intercom-emulator", daemon=True
        )
        self._server, self._thread, self._socket = server, thread, sock
        thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the emulator did not start; see the uvicorn log")
            time.sleep(0.01)
        self._url = _base_url(sock)
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread; does nothing when not running."""
        server, thread, sock = self._server, self._thread, self._socket
        self._server = self._thread = self._socket = None
        self._url = None
        if server is not None and thread is not None:
            server.should_exit = True
            thread.join(_STOP_TIMEOUT_S)
            if thread.is_alive():
                server.force_exit = True
                thread.join(_STOP_TIMEOUT_S)
        if sock is not None:
            sock.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _log_config() -> dict[str, Any]:
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["loggers"]["ingestor.emulator"] = {
        "handlers": ["default"],
        "level": "INFO",
        "propagate": False,
    }
    return config


def serve(
    settings: EmulatorSettings | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    access_log: bool = False,
    log_level: str = "info",
) -> None:
    """Serve the emulator in the foreground until SIGINT/SIGTERM (``ingestor emulator``).

    Logs one startup line with the base URL and the token to use. Ctrl-C (SIGINT) returns
    normally after a graceful shutdown; SIGTERM shuts down gracefully, then uvicorn lets the
    signal end the process.

    Raises:
        RuntimeError: The database cannot be opened.
        OSError: The address cannot be bound.
    """
    settings = settings or EmulatorSettings()
    app = create_app(settings)
    sock = _bind(host, port)
    config = uvicorn.Config(
        app,
        log_config=_log_config(),
        log_level=log_level,
        access_log=access_log,
        lifespan="on",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    storage = settings.db_path or "memory"
    _LOG.info(
        "Intercom AI Content emulator listening on %s (token: %s, storage: %s)",
        _base_url(sock),
        settings.primary_token,
        storage,
    )
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn re-raises Ctrl-C after its graceful shutdown; that is a normal stop
    finally:
        sock.close()
