"""MediaWiki-specific cleaning of ``action=parse`` HTML (pure; the shared conversion follows).

Removed: section edit links, the table of contents, navboxes (and their TemplateStyles),
``noprint`` blocks, empty paragraphs MediaWiki leaves behind. Links to pages that do not exist
("red links", ``class="new"``, pointing at an edit form) and self-links without ``href``
become plain text. Everything else (tables, ``<pre>``, references) is kept.

:func:`redirect_target` tells a redirect page's rendering (MediaWiki renders a redirect as a
``div.redirectMsg`` naming its target, ``Article::getRedirectHeaderHtml``) from content.
"""

from __future__ import annotations

from ingestor.connectors.wikikit import (
    distinct_link_targets,
    drop_elements,
    has_class,
    parse_fragment,
    serialize_children,
)

__all__ = ["clean_mediawiki_html", "missing_pages", "redirect_target"]

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


def redirect_target(html: str) -> str | None:
    """The target's title when ``html`` renders a redirect page, else None.

    A redirect renders as ``<div class="mw-parser-output"><div class="redirectMsg"><p>Redirect
    to:</p><ul class="redirectText"><li><a title="Target">...`` first thing in the output;
    a ``redirectMsg`` anywhere else is content.

    Args:
        html: ``parse.text`` of ``action=parse``.
    """
    root = parse_fragment(html)
    output = next(iter(root), None)
    if output is not None and has_class(output, ("mw-parser-output",)):
        root = output
    first = next(iter(root), None)
    if first is None or not has_class(first, ("redirectMsg",)):
        return None
    link = next(first.iter("a"), None)
    if link is None:
        return ""
    return str(link.get("title") or link.text_content()).strip()
