"""Time on the Confluence server: its clock, and the zone CQL dates are read in.

The clock comes from the ``Date`` header of a call the connector makes anyway.

Incremental cursors must be in the server's time, not ours: a local clock ahead of the
server's would skip edits made in between. Every answer carries a ``Date`` header (RFC 9110
section 6.6.1: an origin server with a clock must send it), so the connector reads the one of
the space lookup that starts every listing, instead of a dedicated call (the former
``GET /wiki/rest/api/space`` is no longer in Cloud's published v1 reference).

CQL reads ``lastmodified`` dates in the API user's time zone, by default the server's. Cloud
publishes the profile zone on ``GET /wiki/rest/api/user/current`` (``timeZone``, null when
hidden); Data Center documents no equivalent. Unknown zones are handled in ``_scope``.
"""

from __future__ import annotations

import logging
import zoneinfo
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from ingestor.connectors.confluence._http import ConfluenceHttp

__all__ = ["ServerClock", "parse_http_date", "profile_zone"]

log = logging.getLogger(__name__)


def parse_http_date(value: str | None) -> datetime | None:
    """An HTTP ``Date`` header as an aware datetime, or None when absent or unreadable."""
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class ServerClock:
    """Turns the last ``Date`` header seen into "now", warning once if the server sends none."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._warned = False

    def now(self, date_header: str | None) -> datetime:
        """The server's time from ``date_header``; the local clock when it is missing."""
        server = parse_http_date(date_header)
        if server is not None:
            return server
        level = logging.DEBUG if self._warned else logging.WARNING
        log.log(level, "confluence %s: no usable Date header; using the local clock", self._name)
        self._warned = True
        return datetime.now(UTC)


def profile_zone(http: ConfluenceHttp) -> str | None:
    """Cloud: the API user's profile time zone (``GET /wiki/rest/api/user/current``).

    Returns:
        An IANA zone name, or None when the profile hides it (``timeZone`` is null) or names
        a zone this Python does not know: callers then write CQL dates for any zone.
    """
    body = http.get("/rest/api/user/current")
    zone = body.get("timeZone")
    if not isinstance(zone, str) or not zone:
        return None
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        log.warning("Confluence profile time zone %r is unknown here; widening CQL dates", zone)
        return None
    return zone
