"""Links between pages of one source, made into links to those pages' urls (pure).

Relative links were resolved against ``Document.link_base`` (a url that mirrors the source's
structure); here every link under that base is handed to the document's
:class:`~connectors.base.LinkResolver`: links to pages get the page's url, images get the
file's public url, and the pages linked to are returned so the engine can report broken ones.
Those urls come from the connector and are percent-encoded like the page's own (:mod:`._urls`).
"""

from __future__ import annotations

import html as html_lib
from collections.abc import Iterable
from urllib.parse import urlsplit

import lxml.html  # type: ignore[import-untyped,unused-ignore]

from ingestor.connectors.document import LinkResolver
from ingestor.convert._clean import free_void_contents, serialize_html
from ingestor.convert._urls import safe_url

__all__ = ["rewrite_links", "unlink_pages"]


def rewrite_links(
    html: str, link_base: str, resolver: LinkResolver
) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Rewrite the links and images of ``html`` that point into the source.

    Returns:
        The HTML, and ``(external id, url)`` of each page it links to (in order, without
        repeats): the url is the target's as written in the links, so a link to a page that
        turns out not to exist can be found again (:func:`unlink_pages`).
    """
    parts = urlsplit(link_base)
    prefix = f"{parts.scheme}://{parts.netloc}/"
    if prefix not in html:  # nothing points into the source: skip the parse
        return html, ()
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    free_void_contents(root)
    linked: dict[str, str] = {}
    for element in root.iter("a", "img"):
        attribute = "href" if element.tag == "a" else "src"
        value = element.get(attribute)
        if not value or not value.startswith(prefix):
            continue
        target, _, fragment = value.partition("#")
        if element.tag == "a":
            page = resolver.page(target)
            if page is None:
                continue
            external_id, url = page
            linked.setdefault(external_id, safe_url(url))
            element.set(attribute, safe_url(f"{url}#{fragment}" if fragment else url))
        else:
            asset = resolver.asset(target)
            if asset is not None:
                element.set(attribute, safe_url(asset))
    # the leading text was decoded by the parse: "&lt;img" must not come back as "<img"
    body = html_lib.escape(root.text or "", quote=False) + "".join(
        serialize_html(child) for child in root
    )
    return body, tuple(linked.items())


def unlink_pages(html: str, urls: Iterable[str]) -> str:
    """``html`` with every link to one of ``urls`` (fragments aside) replaced by its text: a
    link to a page the source does not hold would lead a customer to a 404.

    Args:
        html: Sanitized HTML.
        urls: The dead pages' urls, as :func:`rewrite_links` wrote them.
    """
    dead = set(urls)
    if not dead or not any(url in html for url in dead):
        return html
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    free_void_contents(root)
    for link in list(root.iter("a")):
        if (link.get("href") or "").partition("#")[0] in dead:
            link.drop_tag()
    body = html_lib.escape(root.text or "", quote=False) + "".join(
        serialize_html(child) for child in root
    )
    return body
