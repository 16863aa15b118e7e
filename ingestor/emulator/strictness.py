"""Opt-in rules stricter than 2.14 documents: body limits, public source URLs, a load balancer.

Intercom publishes no limit on ``html`` or ``external_id`` and 2.14 says nothing of source
hosts, so these are off by default. The public-domain rule is the 2.17 reference's ("an http or
https URL whose host is a valid public domain name"), judged by :mod:`ingestor.public_urls`
(which ``ingestor validate`` shares): IP addresses, single-label hosts and names under TLDs
reserved for special or private use are not public. The 413 is the HTML page nginx answers for
a body over its ``client_max_body_size``: a client must not expect Intercom's JSON envelope on
every error.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import Response

from ingestor.emulator.settings import EmulatorSettings
from ingestor.emulator.wire import ApiError
from ingestor.public_urls import RESERVED_TLDS, public_host_problem

__all__ = [
    "RESERVED_TLDS",
    "check_external_id",
    "check_html",
    "check_source_url",
    "oversized_request",
    "public_host_problem",
]

_TOO_LARGE_HTML = (
    "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n"
    "<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def oversized_request(headers: Headers, max_request_bytes: int | None) -> Response | None:
    """The load balancer's 413 when the declared body is larger than allowed, else ``None``."""
    if max_request_bytes is None:
        return None
    length = headers.get("content-length", "")
    if not (length.isdigit() and int(length) > max_request_bytes):
        return None
    return Response(_TOO_LARGE_HTML, 413, headers={"Connection": "close"}, media_type="text/html")


def check_source_url(url: str, settings: EmulatorSettings) -> None:
    """Refuse a source url whose host is not public (``strict_source_urls`` only).

    Raises:
        ApiError: 400 ``parameter_invalid`` naming ``url``.
    """
    if not settings.strict_source_urls:
        return
    problem = public_host_problem(urlsplit(url).hostname)
    if problem is not None:
        message = (
            "'url' must be an http or https URL whose host is a valid public domain name: "
            + problem
        )
        raise ApiError.single(400, "parameter_invalid", message, "url")


def check_html(html: str, settings: EmulatorSettings) -> None:
    """Refuse html over ``max_html_bytes``.

    Raises:
        ApiError: 422 ``data_invalid`` naming ``html``.
    """
    limit = settings.max_html_bytes
    size = len(html.encode("utf-8"))
    if limit is not None and size > limit:
        message = f"'html' is too large: {size} bytes, the limit is {limit}"
        raise ApiError.single(422, "data_invalid", message, "html")


def check_external_id(external_id: str | None, settings: EmulatorSettings) -> None:
    """Refuse an external_id over ``max_external_id_chars``.

    Raises:
        ApiError: 400 ``parameter_invalid`` naming ``external_id``.
    """
    limit = settings.max_external_id_chars
    if limit is not None and external_id is not None and len(external_id) > limit:
        message = f"'external_id' is too long: {len(external_id)} characters, the limit is {limit}"
        raise ApiError.single(400, "parameter_invalid", message, "external_id")
