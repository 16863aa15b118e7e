"""MediaWiki-specific cleaning of ``action=parse`` HTML (pure; the shared conversion follows).

Removed: section edit links, the table of contents, navboxes (and their TemplateStyles),
``noprint`` blocks, empty paragraphs MediaWiki leaves behind. Links to pages that do not exist
("red links", ``class="new"``, pointing at an edit form) and self-links without ``href``
become plain text. Everything else (tables, ``<pre>``, references) is kept.
"""

from __future__ import annotations

from ingestor.connectors.wikikit import (
    distinct_link_targets,
    drop_elements,
    has_class,
    parse_fragment,
    serialize_children,
)

__all__ = ["clean_mediawiki_html", "missing_pages"]

_DROP_CLASSES = (
    "mw-editsection", "toc", "toccolours", "navbox", "vertical-navbox", "navbox-styles",
    "navbar", "noprint", "mw-empty-elt", "catlinks", "printfooter", "mw-jump-link",
)  # fmt: skip
_DROP_IDS = ("toc", "catlinks")
_DROP_TAGS = ("style", "link", "meta", "script")


def clean_mediawiki_html(html: str) -> str:
    """Remove MediaWiki page chrome from rendered page HTML.

    Args:
        html: ``parse.text`` of ``action=parse`` (a ``div.mw-parser-output`` fragment).

    Returns:
        The content HTML, links left relative (conversion resolves them against the page url).
    """
    root = parse_fragment(html)
    drop_elements(root, tags=_DROP_TAGS, classes=_DROP_CLASSES, ids=_DROP_IDS)
    for link in list(root.iter("a")):
        if has_class(link, ("new",)) or link.get("href") is None:
            link.drop_tag()
    return serialize_children(root)


def missing_pages(html: str) -> list[str]:
    """Titles of the pages that red links point at (they do not exist in the wiki).

    Args:
        html: ``parse.text`` of ``action=parse``, before cleaning.

    Returns:
        Each missing page's title once, in order of appearance.
    """
    suffix = " (page does not exist)"
    return distinct_link_targets(
        html, ("new",), lambda link: (link.get("title") or "").removesuffix(suffix)
    )
