"""Confluence-specific cleaning of a rendered page (pure: no I/O, same input, same output).

``export_view`` and ``view`` render macros as Confluence's own markup, which the shared
sanitizer would flatten (it drops every ``class``). Each macro Fin should see is rewritten
here into plain HTML first:

* code / noformat macros: ``<pre><code>`` (a code block's title becomes a bold line above);
* info, note, warning, tip and panel macros, and the editor's success and error panels: a
  ``<blockquote>`` opened by a bold label ("Warning: title"), so the call-out stays a block
  apart from the text around it;
* expand macros: opened: their title becomes a bold line and the hidden content is shown;
* user mentions: the user's display name as plain text (profile links are private);
* task lists: each task opened by ☑ (done) or ☐ (open), as the Notion connector does;
* emoticons and emoji: the emoji itself, never a ``:name:`` code (see :mod:`._macros`);
* single Jira issue macros: the issue key, linked, without the "Getting issue details..."
  placeholders (see :mod:`._macros`);
* excerpt-include macros: the included excerpt, without the panel naming its source;
* page furniture macros (table of contents,
  "create from template" buttons, search boxes): removed;
* links to missing pages (``createlink``) and into the editor (``createpage.action``...):
  their text only, as MediaWiki red links;
* images: the full attachment, not a thumbnail (see :mod:`._media`);
* attachment, image and page links: absolute urls on the Confluence site.

Include macros need nothing: the API renders the included content.
"""

from __future__ import annotations

import html as html_lib
import re
from typing import Any, TypeAlias
from urllib.parse import parse_qs, urljoin, urlsplit

import lxml.html  # type: ignore[import-untyped,unused-ignore]  # lxml ships no stubs
from lxml import etree

from ingestor.connectors.confluence._macros import (
    emoji_text,
    rewrite_jira_issues,
    unwrap_excerpt_includes,
)
from ingestor.connectors.confluence._media import full_image_url, is_emoticon

__all__ = ["clean_confluence_html", "missing_pages"]

_PANEL_LABELS = {
    "info": "Info",
    "note": "Note",
    "warning": "Warning",
    "tip": "Tip",
    "success": "Success",
    "error": "Error",
}
# Icons of panels: Data Center's aui icon, Cloud's editor panel icon.
_PANEL_ICONS = ("confluence-information-macro-icon", "ak-editor-panel__icon", "panel-icon")
_PANEL_CLASSES = {
    "confluence-information-macro-information": "info",
    "confluence-information-macro-note": "note",
    "confluence-information-macro-warning": "warning",
    "confluence-information-macro-tip": "tip",
}
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_HIDING_CLASSES = frozenset({"expand-hidden", "hidden"})
# Macros that are only page furniture: a table of contents (Intercom has no anchors), buttons
# that create pages from a template, search boxes.
_UI_MACROS = frozenset({"toc", "create-from-template", "livesearch", "pagetreesearch"})
# Links into the editor: a missing page's "createlink", "create from template" buttons...
_EDITING_ACTION = re.compile(
    r"/(?:create|edit|copy|remove|delete|move|resumedraft)[a-z]*\.action$", re.IGNORECASE
)
_CHECKED = "\u2611 "
_UNCHECKED = "\u2610 "

Element: TypeAlias = Any  # lxml.html.HtmlElement; lxml ships no stubs


def _classes(element: Element) -> set[str]:
    return set((element.get("class") or "").split())


def _macro(element: Element) -> str:
    return (element.get("data-macro-name") or "").lower()


def _new(tag: str, text: str | None = None) -> Element:
    element: Element = lxml.html.Element(tag)
    if text is not None:
        element.text = text
    return element


def _bold_line(text: str) -> Element:
    paragraph = _new("p")
    paragraph.append(_new("strong", text))
    return paragraph


def _text(element: Element | None) -> str:
    if element is None:
        return ""
    return " ".join(str(element.text_content()).split())


def _first(element: Element, xpath: str) -> Element | None:
    found = element.xpath(xpath)
    return found[0] if found else None


def _replace(old: Element, new: Element) -> None:
    new.tail = old.tail
    parent = old.getparent()
    if parent is not None:
        parent.replace(old, new)


def _code_blocks(root: Element) -> None:
    for macro in list(root.xpath(".//*[@data-macro-name='code' or @data-macro-name='noformat']")):
        pre = _first(macro, ".//pre")
        if pre is None:
            continue
        title = _text(_first(macro, ".//*[contains(@class, 'codeHeader')]"))
        block = _new("div")
        if title:
            block.append(_bold_line(title))
        block.append(_pre_code(str(pre.text_content())))
        _replace(macro, block)
    for pre in list(root.iter("pre")):  # code macros rendered without their wrapper
        if _first(pre, "./code") is None:
            _replace(pre, _pre_code(str(pre.text_content())))


def _pre_code(text: str) -> Element:
    pre = _new("pre")
    pre.append(_new("code", text))
    return pre


def _panels(root: Element) -> None:
    candidates = root.xpath(
        ".//*[@data-macro-name='info' or @data-macro-name='note' or @data-macro-name='warning'"
        " or @data-macro-name='tip' or @data-macro-name='panel'"
        " or contains(@class, 'confluence-information-macro') or @data-panel-type]"
    )
    for panel in reversed(candidates):  # innermost first, so nested panels survive
        classes = _classes(panel)
        if (
            "confluence-information-macro" not in classes
            and not _macro(panel)
            and not panel.get("data-panel-type")
        ):
            continue  # a child element (icon, body) of a panel
        kind = _macro(panel) or (panel.get("data-panel-type") or "").lower()
        kind = next((v for k, v in _PANEL_CLASSES.items() if k in classes), kind)
        title_el = _first(
            panel, "./*[contains(@class, 'title') or contains(@class, 'panelHeader')]"
        )
        title = _text(title_el)
        body = _first(
            panel,
            "./*[contains(@class, 'confluence-information-macro-body')"
            " or contains(@class, 'panelContent') or contains(@class, 'panel-body')"
            " or contains(@class, 'ak-editor-panel__content')]",
        )
        label = _PANEL_LABELS.get(kind)
        heading = f"{label}: {title}" if label and title else (label or title)
        quote = _new("blockquote")
        if heading:
            quote.append(_bold_line(heading))
        source = body if body is not None else panel
        if source.text and source.text.strip():
            quote.append(_new("p", source.text.strip()))
        for child in list(source):
            if child is title_el or any(c in _classes(child) for c in _PANEL_ICONS):
                continue
            quote.append(child)
        _replace(panel, quote)


def _expands(root: Element) -> None:
    candidates = root.xpath(
        ".//*[@data-macro-name='expand' or contains(@class, 'expand-container')]"
    )
    for macro in reversed(candidates):
        if macro.get("data-macro-name") is None and "expand-container" not in _classes(macro):
            continue
        title = _text(_first(macro, ".//*[contains(@class, 'expand-control-text')]"))
        content = _first(macro, ".//*[contains(@class, 'expand-content')]")
        block = _new("div")
        block.append(_bold_line(title or "Details"))
        source = content if content is not None else macro
        if source.text and source.text.strip():
            block.append(_new("p", source.text.strip()))
        for child in list(source):
            if "expand-control" in _classes(child):
                continue
            block.append(child)
        _replace(macro, block)


def _mentions(root: Element) -> None:
    for link in list(root.iter("a")):
        classes = _classes(link)
        is_user = (
            "user-mention" in classes
            or "confluence-userlink" in classes
            or link.get("data-linked-resource-type") == "userinfo"
        )
        if not is_user:
            continue
        name = _text(link) or link.get("data-username") or "a user"
        _replace(link, _new("span", name.removeprefix("@") if name.startswith("@") else name))


def _images_and_links(root: Element, site_url: str) -> None:
    base = site_url.rstrip("/") + "/"
    site_host = urlsplit(base).netloc.lower()
    for emoji in list(root.xpath(".//img | .//span[@data-emoji-id or @data-emoji-shortname]")):
        if is_emoticon(emoji):  # an emoji never leaves its ":name:" behind
            _replace(emoji, _new("span", emoji_text(emoji) or None))
    for img in list(root.iter("img")):
        src = full_image_url(img, site_host)
        for attribute in ("srcset", "data-image-src"):
            img.attrib.pop(attribute, None)
        if src:
            img.set("src", _absolute(src, base))
    for link in list(root.iter("a")):
        href = link.get("href")
        if "createlink" in _classes(link) or _is_editor_link(href or "", site_host):
            link.drop_tag()  # a link to create or edit a page: its text is the content
        elif href:
            link.set("href", _absolute(href, base))


def _is_editor_link(href: str, site_host: str) -> bool:
    """A link into this site's editor (``/pages/createpage.action?...``), not to content."""
    try:
        parts = urlsplit(href.strip())
    except ValueError:  # e.g. a broken IPv6 host
        return False
    on_site = not parts.netloc or parts.netloc.lower() == site_host
    return on_site and _EDITING_ACTION.search(parts.path) is not None


def _tasks(root: Element) -> None:
    """A task keeps its state as ☑/☐ (as Notion to-dos do); the list's classes carry it."""
    for item in root.xpath(
        ".//li[@data-inline-task-id] | .//ul[contains(@class, 'inline-task-list')]/li"
    ):
        box = _CHECKED if "checked" in _classes(item) else _UNCHECKED
        item.text = box + (item.text or "").lstrip()


def _absolute(url: str, base: str) -> str:
    url = url.strip()
    if not url or url.startswith("#") or _SCHEME.match(url):
        return url
    try:
        return urljoin(base, url)
    except ValueError:
        return url


def _unhide(root: Element) -> None:
    """Shown-by-script content (expands, tabs) must not be mistaken for hidden chrome."""
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        style = element.get("style")
        if style and "display" in style.lower():
            del element.attrib["style"]
        element.attrib.pop("hidden", None)
        classes = _classes(element)
        if classes & _HIDING_CLASSES:
            element.set("class", " ".join(sorted(classes - _HIDING_CLASSES)))


def clean_confluence_html(html: str, site_url: str) -> str:
    """Rewrite Confluence macros into plain HTML and make every link absolute.

    Args:
        html: The ``export_view`` or ``view`` body of one page.
        site_url: The site root (``base_url``), e.g. ``https://acme.atlassian.net/wiki``.

    Returns:
        An HTML fragment for the shared conversion stages.
    """
    if not html.strip():
        return ""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    for macro in list(root.xpath(".//*[@data-macro-name]")):
        if _macro(macro) in _UI_MACROS:
            macro.drop_tree()
    _code_blocks(root)
    unwrap_excerpt_includes(root)
    rewrite_jira_issues(root)
    _expands(root)
    _panels(root)
    _mentions(root)
    _tasks(root)
    _images_and_links(root, site_url)
    _unhide(root)
    out = html_lib.escape(root.text or "", quote=False)
    return out + "".join(etree.tostring(child, encoding="unicode", method="html") for child in root)


def missing_pages(html: str) -> list[str]:
    """Titles of the pages that ``createlink`` links point at (they do not exist yet).

    Confluence renders a link to a missing page as ``<a class="createlink"
    href=".../createpage.action?...&title=Name">``; the engine reports these as broken links.
    """
    if "createlink" not in html:
        return []
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    titles: dict[str, None] = {}
    for link in root.iter("a"):
        if "createlink" in (link.get("class") or "").split():
            query = parse_qs(urlsplit(link.get("href") or "").query)
            title = (query.get("title") or [link.text_content()])[0].strip()
            if title:
                titles[title] = None
    return list(titles)
