"""Logging setup: human lines or JSON lines, and a last-line-of-defence secret filter."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any, Literal

from ingestor.untrusted import visible_text

__all__ = ["LogFormat", "RunLogger", "SecretFilter", "setup_logging"]

LogFormat = Literal["text", "json"]

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


class TextFormatter(logging.Formatter):
    """Plain lines for people; messages quote file names and servers, so terminal escape
    sequences and control characters are removed (JSON lines are escaped by ``json``)."""

    def format(self, record: logging.LogRecord) -> str:
        return visible_text(super().format(record), keep_lines=True)


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


def setup_logging(
    level: str = "INFO", fmt: LogFormat = "text", secrets: Iterable[str] = ()
) -> None:
    """Configure the root logger once per process (idempotent: replaces our previous handler)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_fin_ingestor", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
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
    # httpx logs every request at INFO; ours are enough.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


class RunLogger(logging.LoggerAdapter[logging.Logger]):
    """Adds the connector and run id to every record, merged with a call's own ``extra``
    (the page's external_id), for the daemon's JSON logs."""

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        kwargs["extra"] = {**(self.extra or {}), **kwargs.get("extra", {})}
        return msg, kwargs
