"""Images and emoticons in a rendered Confluence page (pure: no I/O, same input, same output).

An embedded image's ``src`` is what the browser shows, often not what Fin should get: a
thumbnail (``/download/thumbnails/...``), a url with presentation-only parameters
(``effects=border-simple``), or on Cloud a short-lived Media API url with a token. The
``<img class="confluence-embedded-image">`` element also carries the attachment itself:
``data-image-src`` (``/download/attachments/<page id>/<file>?version=..&modificationDate=..
&api=v2``) and ``data-linked-resource-*`` attributes (attachment id, file name, owning page,
version). :func:`full_image_url` picks the best of them. Urls keep their own prefix (``/wiki``
on Cloud, the context path or none on Data Center); relative ones are resolved later against
the site url.

Emoticons become text: the emoji Confluence itself maps the emoticon to (``(tick)`` reads as
✅), since their icon urls mean nothing outside Confluence (see :mod:`._macros`).
"""

from __future__ import annotations

import re
from typing import Any, TypeAlias
from urllib.parse import quote, urlsplit, urlunsplit

from ingestor.connectors.confluence._macros import emoji_text, is_emoji

__all__ = ["emoticon_text", "full_image_url", "is_emoticon"]

Element: TypeAlias = Any  # lxml.html.HtmlElement; lxml ships no stubs

_DOWNLOAD = re.compile(r"/download/(?P<kind>attachments|thumbnails)/(?P<rest>\d+/)")
# Query parameters that only change how Confluence draws the image, not which file it is.
_PRESENTATION_PARAMS = frozenset({"effects", "width", "height"})


def is_emoticon(img: Element) -> bool:
    """Whether an ``<img>`` is an emoticon or emoji (not content); see :mod:`._macros`."""
    return is_emoji(img)


def emoticon_text(img: Element) -> str:
    """The emoji an emoticon ``<img>`` stands for ("" when none); see :mod:`._macros`."""
    return emoji_text(img)


def full_image_url(img: Element, site_host: str) -> str:
    """The url of the full image an embedded ``<img>`` shows ("" when it has none).

    In order of preference: ``data-image-src`` (the attachment, as Confluence links it); a
    ``src`` that is an attachment or thumbnail download (a thumbnail becomes its attachment);
    the attachment named by the ``data-linked-resource-*`` attributes; the ``src`` as is
    (external images, data urls). Only urls on this site (relative, or on ``site_host``) are
    taken for attachments and lose their presentation-only parameters; others never change.

    Args:
        img: An ``<img>`` element of the rendered page.
        site_host: The Confluence site's host (``acme.atlassian.net``), lower case.

    Returns:
        A url, relative to the site when Confluence wrote it so.
    """
    src = (img.get("src") or "").strip()
    data_src = (img.get("data-image-src") or "").strip()
    if data_src:
        return _attachment_url(data_src, site_host) or data_src
    return _attachment_url(src, site_host) or _linked_attachment(img) or src


def _attachment_url(url: str, site_host: str) -> str:
    """An attachment or thumbnail url on this site as its attachment, without presentation
    parameters; "" for any other url."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    match = _DOWNLOAD.search(parts.path)
    if match is None or (parts.netloc and parts.netloc.lower() != site_host):
        return ""
    path = (
        parts.path[: match.start()] + "/download/attachments/" + parts.path[match.start("rest") :]
    )
    # filter the raw query so the kept parameters stay byte for byte as Confluence wrote them
    query = "&".join(
        pair
        for pair in parts.query.split("&")
        if pair and pair.split("=", 1)[0] not in _PRESENTATION_PARAMS
    )
    return urlunsplit((parts.scheme, parts.netloc, path, query, parts.fragment))


def _linked_attachment(img: Element) -> str:
    """``download/attachments/<page>/<file>?version=N&api=v2`` from the linked-resource data."""
    if img.get("data-linked-resource-type") != "attachment":
        return ""
    page_id = (img.get("data-linked-resource-container-id") or "").strip()
    file_name = (img.get("data-linked-resource-default-alias") or "").strip()
    if not (page_id.isdigit() and file_name):
        return ""
    version = (img.get("data-linked-resource-version") or "").strip()
    query = f"?version={version}&api=v2" if version.isdigit() else "?api=v2"
    # relative to the site url (which ends with the /wiki or context path prefix)
    return f"download/attachments/{page_id}/{quote(file_name, safe='')}{query}"
