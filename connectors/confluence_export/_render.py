"""One exported page as the HTML fragment Fin receives (pure: no I/O, same input, same output).

Only the page's ``#main-content`` is kept. Inside it, what Confluence (or an add-on) adds to
every page is removed: page metadata, likes, labels and their editor, comments, and the
"draw.io evaluation version" notes an unlicensed draw.io stamps on diagrams. Then:

* links to other pages of the export (``Guide_200.html``, ``200.html``) and to them on the
  Confluence site (``viewpage.action?pageId=200``, ``/display/KEY/Title``) point at the page's
  url; links to pages missing from the export are reported and sent as their text only;
* links and images to the export's files (``attachments/<page>/<file>``) point at
  ``asset_base_url``, or become a visible ``[file not included: name]`` note when it is unset
  or the file is missing; icons (``images/icons/...``) are dropped;
* a page with nothing left (a parent page that only holds its children) lists its child pages
  as links, from the space's page tree, so it never arrives empty;
* with ``asset_base_url`` set, the page's "Attachments:" list is kept (files the body does not
  already link to);
* the REST connector's macro cleaning (:func:`connectors.confluence.clean_confluence_html`)
  runs last: code blocks, panels, expands, tasks, mentions, emoticons.
"""

from __future__ import annotations

import html as html_lib
import posixpath
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias
from urllib.parse import parse_qs, quote, unquote, urlsplit

import lxml.html  # type: ignore[import-untyped,unused-ignore]  # lxml ships no stubs
from lxml import etree

from ingestor.connectors.confluence import clean_confluence_html
from ingestor.connectors.confluence._html import missing_pages
from ingestor.connectors.confluence._media import is_emoticon
from ingestor.connectors.confluence_export._layout import ExportedPage, TreeEntry, link_target_id

__all__ = ["LinkTargets", "RenderedPage", "render_page"]

Element: TypeAlias = Any  # lxml.html.HtmlElement; lxml ships no stubs

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_EVALUATION = re.compile(r"\s*draw\.io\s+evaluation\s+version\s*", re.I)
#: What Confluence writes in place of a macro it cannot render: ``<div class="error"><span
#: class="error">Unknown macro: {div}</span>…the macro's body…</div>`` (the notice goes, the
#: body stays) and ``<div class="error">Error rendering macro 'contentbylabel' : <Java
#: exception></div>`` (all of it goes).
_MACRO_ERROR = re.compile(r"\s*(?:Unknown macro\b|Error rendering macro\b)", re.I)
_ERRORS = etree.XPath(".//*[contains(concat(' ', normalize-space(@class), ' '), ' error ')]")
_CLOUD_PAGE = re.compile(r"/pages/(?P<id>[0-9]+)(?:/|$)")
_DISPLAY_PAGE = re.compile(r"/display/(?P<key>[^/]+)/(?P<title>[^/?#]+)$")
# Chrome that sits outside #main-content in an export, but inside it in saved pages and some
# templates; matched by id or by one class token.
_CHROME_IDS = (
    "likes-and-labels-container", "likes-section", "labels-section", "comments-section",
    "breadcrumb-section", "page-metadata-banner", "footer", "children-section",
)  # fmt: skip
# The table of contents is furniture: the REST connector drops it by its macro name, which the
# export does not write (``<div class='toc-macro rbtoc1592231715066'>``).
_CHROME_CLASSES = (
    "page-metadata", "labels-editor", "like-button", "comment-threads", "toc-macro",
    "client-side-toc-macro",
)  # fmt: skip
_HAS_CLASS = ".//*[contains(concat(' ', normalize-space(@class), ' '), ' {} ')]"
_CHROME_XPATH = etree.XPath(
    " | ".join(
        [f".//*[@id='{i}']" for i in _CHROME_IDS]
        + [_HAS_CLASS.format(c) for c in _CHROME_CLASSES]
        + [f"{_HAS_CLASS.format('pageSection')}[.//h2[@id='comments' or @id='attachments']]"]
    )
)


@dataclass(frozen=True, slots=True)
class LinkTargets:
    """What link rewriting knows about the export the page belongs to.

    Attributes:
        url_for: The url of a page id.
        is_page: Whether a page id is a page of the export.
        exists: Whether a POSIX path relative to the export's folder is one of its files.
        asset_base_url: Where the export's files are published, or None.
        site_url: The Confluence site root (absolute links to it may name exported pages).
        space_key: The exported space's key, for ``/display/KEY/Title`` links.
        ids_by_title: Page ids by title, for ``/display/KEY/Title`` links.
    """

    url_for: Callable[[str], str]
    is_page: Callable[[str], bool]
    exists: Callable[[str], bool]
    asset_base_url: str | None
    site_url: str
    space_key: str = ""
    ids_by_title: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RenderedPage:
    """The fragment for Fin and what rendering found out about the page's links."""

    html: str
    #: Ids of the exported pages it links to.
    linked: tuple[str, ...]
    #: Pages it links to that are not in the export (ids, or titles of ``createlink`` links).
    missing: tuple[str, ...]
    #: Links and images replaced by a "file not included" note.
    notes: int


@dataclass(slots=True)
class _Links:
    targets: LinkTargets
    linked: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    notes: int = 0
    assets: set[str] = field(default_factory=set)


def render_page(
    page: ExportedPage, children: Sequence[TreeEntry], targets: LinkTargets
) -> RenderedPage:
    """The page's content with chrome removed and links rewritten.

    Args:
        page: The parsed page file.
        children: The page's children in the space's page tree.
        targets: Where links lead.

    Returns:
        The fragment and its links.
    """
    main = page.main
    _drop_chrome(main)
    created = missing_pages(_inner_html(main))
    state = _Links(targets)
    for element in list(main.iter("a", "img")):
        if element.tag == "a":
            _rewrite_link(element, state)
        else:
            _rewrite_image(element, state)
    if len(main) and main[-1].tail:
        main[-1].tail = main[-1].tail.rstrip() or None  # the template's indentation
    if not _has_content(main):
        _append_children(main, children, state)
    if targets.asset_base_url is not None:
        _append_attachments(main, page.attachments, state)
    html = clean_confluence_html(_inner_html(main), targets.site_url)
    missing = [*dict.fromkeys(state.missing), *created]
    return RenderedPage(
        html=html,
        linked=tuple(dict.fromkeys(state.linked)),
        missing=tuple(missing),
        notes=state.notes,
    )


def _inner_html(element: Element) -> str:
    text = html_lib.escape(element.text, quote=False) if element.text else ""
    return text + "".join(
        etree.tostring(child, encoding="unicode", method="html") for child in element
    )


def _drop_chrome(main: Element) -> None:
    for element in _CHROME_XPATH(main):
        if element.getparent() is not None:
            element.drop_tree()
    for notice in _ERRORS(main):
        if notice.getparent() is not None and _MACRO_ERROR.match(notice.text or ""):
            notice.drop_tree()
    for element in list(main.iter()):
        if element is main or not isinstance(element.tag, str) or element.getparent() is None:
            continue
        if _EVALUATION.fullmatch(str(element.text_content())) and element.find(".//img") is None:
            element.drop_tree()
    for element in main.iter():
        if isinstance(element.tag, str):
            if element.text and "evaluation" in element.text:
                element.text = _EVALUATION.sub(" ", element.text)
            if element.tail and "evaluation" in element.tail:
                element.tail = _EVALUATION.sub(" ", element.tail)


def _has_content(main: Element) -> bool:
    return bool(str(main.text_content()).strip()) or main.find(".//img") is not None


def _split_fragment(value: str) -> tuple[str, str]:
    path, _, fragment = value.partition("#")
    return path, (f"#{fragment}" if fragment else "")


def _rewrite_link(link: Element, state: _Links) -> None:
    href = (link.get("href") or "").strip()
    if not href or href.startswith("#"):
        return
    if _SCHEME.match(href) or href.startswith("/"):
        page_id = _site_page_id(href, state.targets)
        if page_id is not None:
            link.set("href", state.targets.url_for(page_id) + _split_fragment(href)[1])
            state.linked.append(page_id)
        return
    page_id = link_target_id(href)
    if page_id is not None:
        if state.targets.is_page(page_id):
            link.set("href", state.targets.url_for(page_id) + _split_fragment(href)[1])
            state.linked.append(page_id)
        else:
            state.missing.append(page_id)
            link.drop_tag()  # a dead link would send readers to a 404: keep its text
        return
    _point_at_asset(link, "href", href, state)


def _site_page_id(href: str, targets: LinkTargets) -> str | None:
    """The exported page an absolute link to the Confluence site names, if any."""
    site = urlsplit(targets.site_url)
    try:
        parts = urlsplit(href)
    except ValueError:
        return None
    if parts.netloc and parts.netloc.lower() != site.netloc.lower():
        return None
    path = parts.path
    prefix = site.path.rstrip("/")
    if prefix and path.startswith(prefix + "/"):
        path = path[len(prefix) :]
    candidates = parse_qs(parts.query).get("pageId", [])
    if (cloud := _CLOUD_PAGE.search(path)) is not None:
        candidates.append(cloud.group("id"))
    display = _DISPLAY_PAGE.search(path)
    if display is not None and unquote(display.group("key")) == targets.space_key:
        title = unquote(display.group("title").replace("+", " "))
        if title in targets.ids_by_title:
            candidates.append(targets.ids_by_title[title])
    return next((c for c in candidates if targets.is_page(c)), None)


def _export_path(value: str) -> str | None:
    """A relative link as a path inside the export, or None when it leaves it."""
    path = posixpath.normpath(unquote(_split_fragment(value)[0].split("?", 1)[0]))
    if path in ("", ".") or path == ".." or path.startswith("../") or path.startswith("/"):
        return None
    return path


def _point_at_asset(element: Element, attribute: str, value: str, state: _Links) -> bool:
    """Point a link or image at the published file; else replace it by a note. True if kept."""
    path = _export_path(value)
    base = state.targets.asset_base_url
    if path is not None and base is not None and state.targets.exists(path):
        element.set(attribute, f"{base}/{quote(path, safe='/')}")
        state.assets.add(path)
        return True
    name = _file_label(element, path or value)
    parent = element.getparent()
    if parent is not None:
        note = lxml.html.Element("em")
        note.text = f"[file not included: {name}]"
        text = " ".join(str(element.text_content()).split()) if element.tag == "a" else ""
        if text and text != name:  # the link's own words stay, the note follows them
            keep = lxml.html.Element("span")
            keep.text = text + " "
            keep.append(note)
            note = keep
        note.tail = element.tail
        parent.replace(element, note)
        state.notes += 1
    return False


def _file_label(element: Element, path: str) -> str:
    for text in (
        element.get("data-linked-resource-default-alias"),
        str(element.text_content()) if element.tag == "a" else None,
        element.get("alt"),
    ):
        if text and text.strip():
            return " ".join(text.split())
    return posixpath.basename(path) or path


def _rewrite_image(img: Element, state: _Links) -> None:
    if is_emoticon(img):
        return  # the macro cleaning turns it into its emoji
    src = (img.get("src") or "").strip()
    data_src = (img.get("data-image-src") or "").strip()
    local = data_src if data_src and not _SCHEME.match(data_src) else src
    if not local or _SCHEME.match(local) or local.startswith("/"):
        return  # external images, and site-relative ones the macro cleaning makes absolute
    if (_export_path(local) or "").startswith("images/icons/"):
        img.drop_tree()  # bullets, content-type icons: decoration
        return
    if _point_at_asset(img, "src", local, state):
        img.set("data-image-src", img.get("src"))
        img.attrib.pop("srcset", None)


def _append_children(main: Element, children: Sequence[TreeEntry], state: _Links) -> None:
    entries = [entry for entry in children if state.targets.is_page(entry.page_id)]
    if not entries:
        return
    main.append(_element("h2", "Child pages"))
    items = _element("ul")
    for entry in entries:
        link = _element("a", entry.title or entry.page_id)
        link.set("href", state.targets.url_for(entry.page_id))
        items.append(_list_item(link))
        state.linked.append(entry.page_id)
    main.append(items)


def _append_attachments(
    main: Element, attachments: Sequence[tuple[str, str]], state: _Links
) -> None:
    base = state.targets.asset_base_url
    items = _element("ul")
    for href, name in attachments:
        path = _export_path(href)
        if path is None or path in state.assets or not state.targets.exists(path):
            continue
        state.assets.add(path)
        link = _element("a", name)
        link.set("href", f"{base}/{quote(path, safe='/')}")
        items.append(_list_item(link))
    if len(items):
        main.append(_element("h2", "Attachments"))
        main.append(items)


def _element(tag: str, text: str | None = None) -> Element:
    element = lxml.html.Element(tag)
    if text is not None:
        element.text = text
    return element


def _list_item(child: Element) -> Element:
    item = _element("li")
    item.append(child)
    return item
