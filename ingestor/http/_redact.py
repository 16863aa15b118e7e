"""Removes credentials from text before it reaches a log line or an exception message."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

__all__ = ["REDACTED", "RedactingFilter", "install_log_redaction", "redact"]

REDACTED = "[REDACTED]"

# "Bearer <token>" / "Basic <b64>" wherever they appear (headers dumped into text, curl lines...).
_AUTH_SCHEME = re.compile(r"\b([Bb]earer|BEARER|Basic)(\s+)[A-Za-z0-9._~+/=:-]{4,}")
# Credential-looking query or form values: ?token=...&api_key=...
_SECRET_PARAM = re.compile(
    r"(?i)\b((?:access_|api_|auth_|refresh_|id_)?token|api_?key|apikey|key|secret|password|passwd"
    r"|client_secret|signature|sig)=([^&\s#\"']+)"
)
# user:password@ in URLs.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@:]+:[^/\s@]+@")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Return ``text`` with bearer/basic credentials, ``token=`` values and URL passwords masked.

    Args:
        text: Anything that may contain a request: a URL, an exception message, a log line.
        secrets: Exact secret values to mask wherever they appear (e.g. the Intercom token), even
            outside a recognisable pattern. Empty strings are ignored.

    Returns:
        The text with every credential replaced by ``[REDACTED]``.
    """
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    text = _AUTH_SCHEME.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    text = _SECRET_PARAM.sub(lambda m: f"{m.group(1)}={REDACTED}", text)
    return _USERINFO.sub(lambda m: f"{m.group(1)}{REDACTED}@", text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message through :func:`redact` (for loggers we do not own)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


#: httpx logs every request URL at INFO, query string included (``?token=...``).
_THIRD_PARTY_LOGGERS = ("httpx", "httpcore")


def install_log_redaction() -> None:
    """Attach a :class:`RedactingFilter` to httpx's and httpcore's loggers (once)."""
    for name in _THIRD_PARTY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
