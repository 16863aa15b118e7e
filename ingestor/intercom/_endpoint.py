"""Where an :class:`IntercomClient` connects and with what: the regions' API roots, the checked
base URL, and the checks an access token must pass before any header carries it."""

from __future__ import annotations

from typing import Literal

import httpx

from ingestor.errors import ConfigError, ConfigIssue

__all__ = ["REGION_BASE_URLS", "Region", "api_root", "check_token"]

Region = Literal["us", "eu", "au"]
REGION_BASE_URLS: dict[str, str] = {
    "us": "https://api.intercom.io",
    "eu": "https://api.eu.intercom.io",
    "au": "https://api.au.intercom.io",
}


def check_token(token: str) -> None:
    """Refuse a token no ``Authorization`` header can carry (never showing it).

    Raises:
        ConfigError: The token is empty, or holds whitespace, a control or a non-ASCII character.
    """
    if not isinstance(token, str) or not token.strip():
        raise ConfigError([ConfigIssue("intercom.token", "the access token is empty")])
    if not token.isascii() or not token.isprintable() or any(c.isspace() for c in token):
        # an HTTP header cannot carry it: httpx would raise on the first call
        problem = "contains whitespace, a control or a non-ASCII character (never shown)"
        raise ConfigError([ConfigIssue("intercom.token", f"the access token {problem}")])


def api_root(region: Region, base_url: str | None) -> httpx.URL:
    """The API root: ``base_url`` when given (the emulator), else the region's.

    Raises:
        ConfigError: An unknown region, or a base URL that is not ``http(s)://host``.
    """
    if base_url is None:
        if region not in REGION_BASE_URLS:
            known = ", ".join(REGION_BASE_URLS)
            issue = ConfigIssue("intercom.region", f"unknown region {region!r} ({known})")
            raise ConfigError([issue])
        base_url = REGION_BASE_URLS[region]
    return _parse_base_url(base_url)


def _parse_base_url(base_url: str) -> httpx.URL:
    try:
        url = httpx.URL(base_url.rstrip("/"))
    except (httpx.InvalidURL, TypeError) as exc:
        raise ConfigError([ConfigIssue("intercom.base_url", f"not a URL: {exc}")]) from exc
    if url.scheme not in ("http", "https") or not url.host:
        issue = ConfigIssue("intercom.base_url", f"expected http(s)://host, got {base_url!r}")
        raise ConfigError([issue])
    return url
