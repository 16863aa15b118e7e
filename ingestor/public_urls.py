"""Whether a url's host is a public domain name: the rule Intercom's 2.17 reference states for
Content Import Source urls ("an http or https URL whose host is a valid public domain name").

Shared by ``ingestor validate`` (a warning: 2.14 does not enforce it, but may) and the
emulator's ``strict_source_urls`` mode (a refusal), so both judge a url the same way. It lives
here, not in the emulator, because the engine never imports the emulator.

Not public: IP addresses, single-label hosts (``localhost``, ``wiki``), invalid labels, and
names under TLDs reserved for special or private use: RFC 2606 (``.test``, ``.example``,
``.invalid``, ``.localhost``), RFC 6761/6762 (``.local``), RFC 7686 (``.onion``), RFC 9476
(``.alt``), RFC 8375 (``home.arpa``, and ``.arpa`` as a whole), ICANN's 2024 ``.internal``, and
the names ICANN will not delegate because private networks use them (``.corp``, ``.home``,
``.mail``, ``.lan`` and the like).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

__all__ = ["RESERVED_TLDS", "public_host_problem", "public_url_problem"]

RESERVED_TLDS = frozenset(
    {
        "test", "example", "invalid", "localhost", "local", "onion", "alt", "arpa", "internal",
        "intranet", "private", "corp", "home", "mail", "lan", "localdomain", "domain", "intra",
    }
)  # fmt: skip
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TLD = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")


def public_host_problem(host: str | None) -> str | None:
    """Why ``host`` is not a valid public domain name, or ``None`` when it is one."""
    if not host:
        return "it has no host"
    name = host.rstrip(".").lower()
    try:
        ipaddress.ip_address(name)
    except ValueError:
        pass
    else:
        return f"{host!r} is an IP address"
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError:
        return f"{host!r} is not a valid domain name"
    labels = name.split(".")
    if len(labels) < 2:
        return f"{host!r} is a single-label host"
    if len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        return f"{host!r} is not a valid domain name"
    tld = labels[-1]
    if not _TLD.match(tld):
        return f"{host!r} has no valid top-level domain"
    if tld in RESERVED_TLDS:
        return f"{host!r} is under .{tld}, which is reserved for private or special use"
    return None


def public_url_problem(url: str) -> str | None:
    """Why ``url`` is not an http(s) url on a public domain name, or ``None`` when it is."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return "it is not a valid url"
    if parts.scheme not in ("http", "https"):
        return "it is not an http or https url"
    return public_host_problem(host)
