"""DokuWiki-specific cleaning of ``wiki.getPageHTML`` output (pure; the shared conversion follows).

Removed: section edit buttons and forms, a table of contents if a plugin put one in the body.
Links to pages that do not exist (``class="wikilink2"``) become plain text. Code blocks
(``<pre class="code">``), tables and notes are kept.
"""

from __future__ import annotations

from connectors.wikikit import drop_elements, has_class, parse_fragment, serialize_children

__all__ = ["clean_dokuwiki_html", "missing_pages"]

_DROP_CLASSES = ("secedit", "editbutton_section", "toc", "plugin_include_editbtn", "noprint")
_DROP_IDS = ("dw__toc",)
_DROP_TAGS = ("form", "style", "script", "link", "meta")


def clean_dokuwiki_html(html: str) -> str:
    """Remove DokuWiki editing chrome from a page's rendered XHTML.

    Args:
        html: The result of ``wiki.getPageHTML``.

    Returns:
        The content HTML, links left relative (conversion resolves them against the page url).
    """
    root = parse_fragment(html)
    drop_elements(root, tags=_DROP_TAGS, classes=_DROP_CLASSES, ids=_DROP_IDS)
    for link in list(root.iter("a")):
        if has_class(link, ("wikilink2",)):
            link.drop_tag()
    return serialize_children(root)


def missing_pages(html: str) -> list[str]:
    """Ids of the pages that ``wikilink2`` links point at (they do not exist in the wiki).

    Args:
        html: The result of ``wiki.getPageHTML``, before cleaning.

    Returns:
        Each missing page's id once, in order of appearance.
    """
    root = parse_fragment(html)
    ids: dict[str, None] = {}
    for link in root.iter("a"):
        if has_class(link, ("wikilink2",)):
            page_id = (link.get("title") or link.get("data-wiki-id") or "").strip()
            if page_id:
                ids[page_id] = None
    return list(ids)
