"""What an HTML file says about itself in its ``<head>``: its canonical url (pure, lxml).

A saved web page (a mirror of a public help site, a page saved from a browser) names the url it
lives at with ``<link rel="canonical" href="https://...">`` or ``<meta property="og:url">``; its
relative links only make sense against that url.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import lxml.html  # type: ignore[import-untyped,unused-ignore]  # lxml ships no stubs
from lxml import etree

__all__ = ["canonical_url"]

#: The head is at the start; a canonical declared after this much is not looked for.
_HEAD_CHARS = 64 * 1024
_HEAD_END = re.compile(r"</head\s*>|<body[\s>]", re.I)
_PARSER = lxml.html.HTMLParser(remove_comments=True, no_network=True)


def canonical_url(html: str) -> str | None:
    """The page's own absolute http(s) url (``rel=canonical``, else ``og:url``), or None.

    Args:
        html: The HTML file's text.
    """
    head = html[:_HEAD_CHARS]
    end = _HEAD_END.search(head)
    if end is not None:
        head = head[: end.start()]
    if "canonical" not in head.lower() and "og:url" not in head.lower():
        return None  # most pages: no parse at all
    try:
        root = lxml.html.document_fromstring(head + "</head><body></body>", parser=_PARSER)
    except (etree.ParserError, ValueError):
        return None
    for link in root.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split():
            found = _absolute(link.get("href"))
            if found is not None:
                return found
    for meta in root.iter("meta"):
        if (meta.get("property") or meta.get("name") or "").lower() == "og:url":
            found = _absolute(meta.get("content"))
            if found is not None:
                return found
    return None


def _absolute(value: str | None) -> str | None:
    url = (value or "").strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if any(ord(char) < 0x21 or char in '"<>`' for char in url):
        return None  # not a url we would put in an attribute
    return url
