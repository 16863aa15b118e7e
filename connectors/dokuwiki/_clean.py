"""DokuWiki-specific cleaning of ``wiki.getPageHTML`` output (pure; the shared conversion follows).

Removed: section edit buttons and forms, a table of contents if a plugin put one in the body.
Links to pages that do not exist (``class="wikilink2"``) and links to wiki actions
(``?do=edit``, ``?do=export_code``...) become plain text; an image of a missing media file
becomes its caption. A named code or file block
(``<dl class="code|file">``, whose title links to "Download Snippet") becomes its file name as
``<p><code>name</code></p>`` followed by the ``<pre>``: the name says what the snippet is, the
download link is an action of the wiki. An image keeps no link to its wiki detail page and
shows the full media file, not the resized copy (``fetch.php?w=64&tok=...``), like the
Confluence connector's images; its ``width``/``height`` attributes keep the displayed size.
Link ``title`` attributes go: DokuWiki always writes them itself (the page id, the url, the
file name), so they only repeat the link. Code blocks, tables and notes are kept.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

import lxml.html  # type: ignore[import-untyped,unused-ignore]  # lxml ships no stubs

from ingestor.connectors.wikikit import (
    distinct_link_targets,
    drop_elements,
    has_class,
    parse_fragment,
    serialize_children,
)

__all__ = ["clean_dokuwiki_html", "missing_pages"]

_DROP_CLASSES = ("secedit", "editbutton_section", "toc", "plugin_include_editbtn", "noprint")
_DROP_IDS = ("dw__toc",)
_DROP_TAGS = ("form", "style", "script", "link", "meta")
# Media urls in each url-rewriting mode: lib/exe/*.php?media=id, lib/exe/*.php/id, _media/id.
_DETAIL_PATH = re.compile(r"(?:/lib/exe/detail\.php|/_detail/)")
_FETCH_PATH = re.compile(r"(?:/lib/exe/fetch\.php|/_media/)")
# Parameters of a resized copy; DokuWiki needs ``tok`` only for resized or external media.
_RESIZE_PARAMS = frozenset({"w", "h", "tok"})
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_EXTERNAL_MEDIA = re.compile(r"^(?:https?|ftp)://", re.IGNORECASE)  # DokuWiki's media_isexternal


def clean_dokuwiki_html(html: str) -> str:
    """Remove DokuWiki editing chrome and wiki actions from a page's rendered XHTML.

    Args:
        html: The result of ``wiki.getPageHTML``.

    Returns:
        The content HTML, links left relative (conversion resolves them against the page url).
    """
    root = parse_fragment(html)
    drop_elements(root, tags=_DROP_TAGS, classes=_DROP_CLASSES, ids=_DROP_IDS)
    _named_code_blocks(root)
    for img in root.iter("img"):
        src = img.get("src")
        if src:
            img.set("src", _full_media_url(src))
    for link in list(root.iter("a")):
        link.attrib.pop("title", None)
        if has_class(link, ("wikilink2",)):
            for img in list(link.iter("img")):  # a missing media file: only its caption is left
                _replace_by_text(img, (img.get("alt") or "").strip())
            link.drop_tag()
        elif _is_action(link) or _is_image_link(link):
            link.drop_tag()
    return serialize_children(root)


def _named_code_blocks(root: lxml.html.HtmlElement) -> None:
    """``<dl class="code"><dt><a>name</a></dt><dd><pre>`` -> ``<p><code>name</code></p><pre>``."""
    for block in list(root.iter("dl")):
        if not has_class(block, ("code", "file")):
            continue
        title = block.find("dt")
        body = block.find("dd")
        if body is None:
            continue
        name = " ".join(str(title.text_content()).split()) if title is not None else ""
        replacement: list[lxml.html.HtmlElement] = []
        if name:
            paragraph = lxml.html.Element("p")
            code = lxml.html.Element("code")
            code.text = name
            paragraph.append(code)
            replacement.append(paragraph)
        replacement.extend(body)
        parent = block.getparent()
        if parent is None:
            continue
        at = parent.index(block)
        tail = block.tail
        parent.remove(block)
        for offset, element in enumerate(replacement):
            element.tail = "\n"
            parent.insert(at + offset, element)
        if replacement:
            replacement[-1].tail = tail
        elif tail:  # nothing to keep: the text after the block joins the previous sibling
            _append_text(parent, at, tail)


def _replace_by_text(element: lxml.html.HtmlElement, text: str) -> None:
    parent = element.getparent()
    if parent is None:
        return
    at = parent.index(element)
    rest = text + (element.tail or "")
    parent.remove(element)
    _append_text(parent, at, rest)


def _append_text(parent: lxml.html.HtmlElement, index: int, text: str) -> None:
    if index == 0:
        parent.text = (parent.text or "") + text
    else:
        previous = parent[index - 1]
        previous.tail = (previous.tail or "") + text


def _query(href: str) -> dict[str, list[str]]:
    try:
        return parse_qs(urlsplit(href).query, keep_blank_values=True)
    except ValueError:  # e.g. a broken IPv6 host
        return {}


def _is_internal(link: lxml.html.HtmlElement, href: str) -> bool:
    """A link into this wiki: a wiki link, or a relative url (getPageHTML writes them so)."""
    return has_class(link, ("wikilink1", "wikilink2", "media", "mediafile")) or not (
        _SCHEME.match(href) or href.startswith("//")
    )


def _is_action(link: lxml.html.HtmlElement) -> bool:
    """A link to a wiki action (``doku.php?do=edit``, ``do=export_code``...), not to content."""
    href = (link.get("href") or "").strip()
    return bool(href) and _is_internal(link, href) and "do" in _query(href)


def _is_image_link(link: lxml.html.HtmlElement) -> bool:
    """A link around an image to its detail page or its own file (it adds nothing for Fin)."""
    href = (link.get("href") or "").strip()
    if not href or not _is_internal(link, href) or (link.text or "").strip():
        return False
    content = [child for child in link if isinstance(child.tag, str)]
    if len(content) != 1 or content[0].tag != "img" or (content[0].tail or "").strip():
        return False
    try:
        path = urlsplit(href).path
    except ValueError:
        return False
    return bool(_DETAIL_PATH.search(path) or _FETCH_PATH.search(path))


def _full_media_url(src: str) -> str:
    """A wiki media url without its resize parameters (external media are left as they are)."""
    try:
        parts = urlsplit(src)
    except ValueError:
        return src
    if not _FETCH_PATH.search(parts.path):
        return src  # not a wiki media url (e.g. an image on another site)
    media = unquote((parse_qs(parts.query).get("media") or [""])[0])
    if _EXTERNAL_MEDIA.match(media):
        return src  # external media through the wiki's cache: its token covers the url
    query = "&".join(
        pair
        for pair in parts.query.split("&")
        if pair and pair.split("=", 1)[0] not in _RESIZE_PARAMS
    )
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def missing_pages(html: str) -> list[str]:
    """Ids of the pages that ``wikilink2`` links point at (they do not exist in the wiki).

    Args:
        html: The result of ``wiki.getPageHTML``, before cleaning.

    Returns:
        Each missing page's id once, in order of appearance.
    """
    return distinct_link_targets(
        html, ("wikilink2",), lambda link: link.get("title") or link.get("data-wiki-id") or ""
    )
