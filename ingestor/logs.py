"""Logging setup: human lines or JSON lines, and a last-line-of-defence secret filter."""

from __future__ import annotations

import atexit
import json
import logging
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any, Literal

from ingestor.untrusted import visible_text

__all__ = [
    "CHATTY_LIBRARIES",
    "LogFormat",
    "RunLogger",
    "SecretFilter",
    "hold_early_records",
    "setup_logging",
]

LogFormat = Literal["text", "json"]

#: Libraries whose own DEBUG (and httpx's per-request INFO) lines drown ours: a one-page update
#: at DEBUG printed 87 lines of markdown-it's rule chains. Kept at WARNING unless asked for.
CHATTY_LIBRARIES = (
    "markdown_it",
    "httpx",
    "httpcore",
    "urllib3",
    "apscheduler",
    "asyncio",
    "charset_normalizer",
    "chardet",
    "PIL",
    "pdfminer",
    "fontTools",
    "multipart",
    "uvicorn",
)

#: Attributes every LogRecord has; anything else was passed through ``extra=`` and is context.
_STANDARD_ATTRS = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys() | {"message", "asctime"}
)


class SecretFilter(logging.Filter):
    """Replaces known secret values in every record, whatever code produced it."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Short values would redact innocent text; real tokens are long.
        self.secrets = [s for s in secrets if s and len(s) >= 8]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        redacted = message
        for secret in self.secrets:
            redacted = redacted.replace(secret, "[redacted]")
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class _CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at each record. While a rich progress bar is live
    on a terminal, rich swaps in a proxy that prints each line above the bar (``Live``'s
    ``redirect_stderr``); a handler holding the original stream would draw over the bar."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        return None  # always the current sys.stderr


class TextFormatter(logging.Formatter):
    """Plain lines for people; messages quote file names and servers, so terminal escape
    sequences and control characters are removed, and every line after a record's first is
    indented: a file named ``a\n01:00:00 INFO ...`` cannot forge a record of its own (JSON
    lines are escaped by ``json``)."""

    def format(self, record: logging.LogRecord) -> str:
        return visible_text(super().format(record), keep_lines=True).replace("\n", "\n    ")


class JsonFormatter(logging.Formatter):
    """One JSON object per line with time, level, logger, message and any ``extra=`` context."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, object] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str, ensure_ascii=False)


class _EarlyRecords(logging.Handler):
    """Holds what is logged before :func:`setup_logging` (the config loader's warnings, read
    before the config says the log format), so that it comes out in that format: Python's
    last-resort handler wrote it bare, a plain line in the daemon's JSON log stream."""

    _LIMIT = 100

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.records) < self._LIMIT:
            self.records.append(record)

    def write_plain(self) -> None:
        """A command that never set logging up (validate, status): ``warning: ...`` lines."""
        logging.getLogger().removeHandler(self)
        for record in self.records:
            text = visible_text(record.getMessage(), keep_lines=True)
            sys.stderr.write(f"{record.levelname.lower()}: {text}\n")
        self.records.clear()


def hold_early_records() -> None:
    """Hold records logged before :func:`setup_logging` until it runs (or the process ends)."""
    root = logging.getLogger()
    if not root.handlers:
        early = _EarlyRecords()
        root.addHandler(early)
        atexit.register(early.write_plain)


def setup_logging(
    level: str = "INFO",
    fmt: LogFormat = "text",
    secrets: Iterable[str] = (),
    *,
    verbose_libs: bool = False,
) -> None:
    """Configure the root logger once per process (idempotent: replaces our previous handler).

    ``verbose_libs``: with level DEBUG, let :data:`CHATTY_LIBRARIES` log at DEBUG too.
    """
    root = logging.getLogger()
    held: list[logging.LogRecord] = []
    for handler in list(root.handlers):
        if isinstance(handler, _EarlyRecords):
            held, handler.records = handler.records, []
            root.removeHandler(handler)
        elif getattr(handler, "_fin_ingestor", False):
            root.removeHandler(handler)
    handler = _CurrentStderr()
    handler._fin_ingestor = True  # type: ignore[attr-defined]
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            TextFormatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")
        )
    handler.addFilter(SecretFilter(secrets))
    root.addHandler(handler)
    root.setLevel(level.upper())
    libraries = logging.DEBUG if verbose_libs and level.upper() == "DEBUG" else logging.WARNING
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(libraries)
    for record in held:
        handler.handle(record)


class RunLogger(logging.LoggerAdapter[logging.Logger]):
    """Adds the connector and run id to every record, merged with a call's own ``extra``
    (the page's external_id), for the daemon's JSON logs."""

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        kwargs["extra"] = {**(self.extra or {}), **kwargs.get("extra", {})}
        return msg, kwargs
