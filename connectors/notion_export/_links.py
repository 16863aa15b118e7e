"""Rewriting links of one page: other pages to their url, export files to ``asset_base_url``.

Pure apart from the ``exists`` callback the connector passes in (a set lookup). Notion writes
relative links percent-encoded, sometimes twice (a file literally named ``%D0%BA.jpg`` is
linked as ``%25D0%25BA.jpg``); every decoding is tried until one names a file of the export.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from unicodedata import normalize
from urllib.parse import quote, unquote, urlsplit

from lxml import etree  # type: ignore[import-untyped,unused-ignore]  # no stubs

from ingestor.connectors.notion_export._names import parse_name
from ingestor.untrusted import strip_controls

__all__ = ["LinkContext", "rewrite_links"]

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_NOTION_HOSTS = re.compile(r"(^|\.)(notion\.so|notion\.site)$", re.I)
#: Notion writes ``https://www.notion.soundefined`` for a mention of a page it could not resolve
#: (deleted, or outside what was exported): a host that does not exist.
_UNRESOLVED_NOTION = re.compile(
    r"^[a-z][a-z0-9+.-]*://(?:[^/?#]*\.)?notion\.(?:so|site)undefined", re.I
)
_ID_IN_URL_PATH = re.compile(r"([0-9a-f]{32})(?:$|[?#/])|-([0-9a-f]{32})$", re.I)
_DASHED_ID = re.compile(
    r"(?:^|[/-])([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/?$", re.I
)
#: ``?p=<id>``: the page a link copied from a database row opened in "peek" mode names (the
#: path names the database).
_PEEK_PAGE = re.compile(r"(?:^|&)p=([0-9a-f]{32}|[0-9a-f-]{36})(?:&|$)", re.I)
_PAGE_EXTENSIONS = frozenset({".md", ".html", ".htm", ".csv", ""})


@dataclass(frozen=True, slots=True)
class LinkContext:
    """What link rewriting needs to know about one page and its export.

    Attributes:
        page_dir: Folder of the page, POSIX, relative to the export root ("" at the top).
        url_for: The url of a page id (from ``url_template``).
        exists: Whether a POSIX path relative to the export root is a file of the export.
        asset_base_url: Where the export's files are published, or None to drop such links.
        has_page: Whether a page id is a page of the export (None: every id is).
        keep_broken: Keep a link to a page missing from the export as a link (``broken_links:
            keep``); by default it is sent as its text.
        linked: Filled by :func:`rewrite_links`: the page ids the page links to.
    """

    page_dir: str
    url_for: Callable[[str], str]
    exists: Callable[[str], bool]
    asset_base_url: str | None = None
    has_page: Callable[[str], bool] | None = None
    keep_broken: bool = False
    linked: list[str] = field(default_factory=list)

    def holds(self, page_id: str) -> bool:
        return self.has_page is None or self.has_page(page_id)


def _decodings(value: str) -> list[str]:
    seen = [value]
    current = value
    for _ in range(3):
        current = unquote(current)
        if current in seen:
            break
        seen.append(current)
    return seen


def _notion_link(value: str, ctx: LinkContext) -> str | None:
    """A notion.so/notion.site url naming a page of the export, as that page's url; None for
    any other url (a public Notion page the export does not hold stays as it is)."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if not _NOTION_HOSTS.search(parts.hostname or ""):
        return None
    peek = _PEEK_PAGE.search(parts.query)
    match = _ID_IN_URL_PATH.search(parts.path)
    dashed = _DASHED_ID.search(parts.path)
    if peek is not None:
        page_id = peek.group(1)
    elif match is not None:
        page_id = match.group(1) or match.group(2)
    elif dashed is not None:
        page_id = dashed.group(1)
    else:
        return None
    page_id = page_id.replace("-", "").lower()
    if len(page_id) != 32:
        return None
    return ctx.url_for(page_id) if ctx.holds(page_id) else None


def _resolve_relative(value: str, ctx: LinkContext) -> tuple[str, str | None, str | None]:
    """(decoded relative path, page id if it names a page, path of an existing export file)."""
    target = value.split("#", 1)[0].split("?", 1)[0]
    candidates = _decodings(target)
    for candidate in candidates:
        joined = posixpath.normpath(posixpath.join(ctx.page_dir, candidate))
        if joined.startswith("../") or joined == "..":
            continue
        # links are written composed (NFC); a zip made on macOS may hold decomposed names
        for form in dict.fromkeys([joined, *(normalize(f, joined) for f in ("NFC", "NFD"))]):
            if ctx.exists(form):
                named = parse_name(posixpath.basename(form))
                if named.page_id and named.extension in _PAGE_EXTENSIONS:
                    return form, named.page_id, form
                return form, None, form
    decoded = candidates[-1]
    named = parse_name(posixpath.basename(decoded))
    if named.page_id and named.extension in _PAGE_EXTENSIONS:
        return decoded, named.page_id, None
    return decoded, None, None


def _note(text: str) -> etree._Element:
    note = etree.Element("em")
    note.text = f"[{strip_controls(text)}]"  # a file name decoded from "scan%01.png"
    return note


_HEX_ID = re.compile(r"\s*\b[0-9a-f]{32}\b", re.I)


def _readable_name(text: str) -> str:
    """A link text that is a path (Notion writes ``Page%20<id>/file%20name.pdf``) as the file's
    name a reader knows: decoded, the folders and their 32-hex ids dropped."""
    if "/" not in text and "%" not in text and not _HEX_ID.search(text):
        return text
    name = posixpath.basename(_decodings(text)[-1].rstrip("/")) or text
    return _HEX_ID.sub("", name).strip() or name


def _replace_with_note(element: etree._Element, label: str) -> None:
    """Replace a link or image to a file that is not published by a visible note."""
    parent = element.getparent()
    if parent is None:
        return
    text = " ".join("".join(element.itertext()).split()) or element.get("alt") or ""
    note = _note(f"file not included: {_readable_name(text.strip() or label)}")
    note.tail = element.tail
    parent.replace(element, note)


def rewrite_links(root: etree._Element, ctx: LinkContext) -> int:
    """Rewrite every ``a[href]`` and ``img[src]`` under ``root`` in place.

    Links to pages of the export (a 32-hex id in the file name) and notion.so urls with a page
    id become the page's url; links to other export files become ``asset_base_url`` plus their
    path, or are replaced by a visible note when no base is configured or the file is missing.
    External and fragment links are kept.

    Args:
        root: A parsed page.
        ctx: The page's link context.

    Returns:
        How many links were replaced by a note.
    """
    dropped = 0
    for element in list(root.iter("a", "img")):
        attribute = "href" if element.tag == "a" else "src"
        value = (element.get(attribute) or "").strip()
        if not value or value.startswith("#"):
            continue
        if _SCHEME.match(value):
            if element.tag == "a" and _UNRESOLVED_NOTION.match(value):
                element.drop_tag()  # its words stay; the link leads nowhere
                continue
            rewritten = _notion_link(value, ctx)
            if rewritten is not None:
                element.set(attribute, rewritten)
            continue
        path, page_id, existing = _resolve_relative(value, ctx)
        if page_id is not None:
            ctx.linked.append(page_id)  # reported as broken when the export lacks it
            if element.tag == "a" and not ctx.holds(page_id) and not ctx.keep_broken:
                element.drop_tag()  # sent as its text: no dead url on the customer's side
                continue
            fragment = value.split("#", 1)[1] if "#" in value else ""
            element.set(attribute, ctx.url_for(page_id) + (f"#{fragment}" if fragment else ""))
            continue
        label = posixpath.basename(_decodings(path)[-1]) or path
        if existing is not None and ctx.asset_base_url is not None:
            base = ctx.asset_base_url.rstrip("/")
            element.set(attribute, base + "/" + quote(existing, safe="/"))
            continue
        _replace_with_note(element, label)
        dropped += 1
    return dropped
