"""URLs fit to send: page and section urls percent-encoded where they could break out (pure).

Intercom shows a page's ``url`` as a link and Fin cites it; preview and the sent HTML put urls
in attributes. So every url the conversion produces (the page url, a section's deep link, a
link rewritten to another page's url) has the characters that end or break out of an HTML
attribute, a Markdown link or a log line percent-encoded: controls, space, ``"``, ``<``, ``>``
and backquote (WHATWG's fragment percent-encode set; ``'`` stays: every attribute we write is
double-quoted, and wikis' own urls carry it unencoded). Letters outside ASCII
stay as they are (an IRI is what wikis show, and re-encoding them would change the url of every
page with an accented title). A fragment made from a heading id (:func:`with_fragment`) also
has ``#`` and ``%`` encoded, because an id is raw text, not an encoded url.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ingestor.untrusted import strip_bidi_controls, strip_controls

__all__ = ["is_absolute_http_url", "safe_url", "with_fragment"]

_UNSAFE = re.compile('[\x00-\x20\x7f-\x9f"<>`]')
_UNSAFE_IN_FRAGMENT = re.compile('[\x00-\x20\x7f-\x9f"<>`#%]')
_NOT_IN_A_URL = re.compile("[\x00-\x20\x7f-\x9f]")


def _encode(match: re.Match[str]) -> str:
    return "".join(f"%{byte:02X}" for byte in match.group().encode("utf-8"))


def safe_url(url: str) -> str:
    """``url`` with BIDI controls removed and unsafe characters percent-encoded."""
    url = strip_bidi_controls(strip_controls(url.strip()))
    return _UNSAFE.sub(_encode, url) if _UNSAFE.search(url) else url


def with_fragment(url: str, fragment: str) -> str:
    """``url`` (its own fragment dropped) pointing at the element whose id is ``fragment``."""
    fragment = strip_bidi_controls(strip_controls(fragment))
    return f"{url.split('#', 1)[0]}#{_UNSAFE_IN_FRAGMENT.sub(_encode, fragment)}"


def is_absolute_http_url(url: str) -> bool:
    """Whether ``url`` is an absolute http(s) URL with a host and no whitespace or control
    character (characters :func:`safe_url` encodes are allowed)."""
    if _NOT_IN_A_URL.search(url):
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. "http://[broken"
        return False
    return parts.scheme.lower() in ("http", "https") and bool(host)
