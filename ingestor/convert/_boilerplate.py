"""Boilerplate removal for whole web pages (file shares, crawled sites): the page minus its chrome.

:mod:`._clean` already drops what is chrome by its markup (``nav``, ARIA roles, exact class
names such as ``sidebar``). Saved web pages hide more chrome behind site-specific class names
and plain ``div``/``ul`` markup: tag clouds, link menus, share bars, comment prompts, "newer /
older" links. This stage finds those by two signals, in the spirit of Mozilla Readability
(its "unlikely candidates" class/id words) and of trafilatura (link density), without
choosing one container as "the" article, so a page split in several blocks keeps them all:

1. **Class/id words**: an element whose ``class`` or ``id`` holds a boilerplate word
   (``comment``, ``footer``, ``share``, ``related``, ``menu``...) and no content word
   (``article``, ``content``, ``main``, ``body``...), see :data:`UNLIKELY` / :data:`MAYBE`.
2. **Link density**: a list, table or ``div`` holding at least 3 links, at most one
   paragraph and less than :data:`CHARS_PER_LINK` characters of text per link is a link
   menu, not prose (a paragraph of prose with many links still has 60+ characters per link).

Both spare what could be the article itself: nothing holding at least half of the page's
text, nothing containing ``main``/``article``, and never ``html``/``body``. The stage runs
only for whole documents (a ``<body>`` tag in the source); fragments that connectors already
cleaned (wiki, Notion, Confluence bodies) never reach it.

Everything is decided by lxml XPath in C and one regex over the page's class/id values, so
the stage costs about a tenth of the conversion time (``benchmarks/README.md``).
"""

from __future__ import annotations

import re

import lxml.html  # type: ignore[import-untyped,unused-ignore]  # lxml ships no stubs
from lxml import etree

__all__ = ["CHARS_PER_LINK", "MAYBE", "UNLIKELY", "is_whole_document", "prune_boilerplate"]

#: Substrings of class/id values that mark page furniture (after Readability's list).
UNLIKELY = re.compile(
    r"-ad-|ad-break|agegate|banner|breadcrumb|combx|comment|community|cookie|cover-wrap|"
    r"disqus|extra|footer|gdpr|header|legends|menu|newsletter|pager|pagination|permalink|"
    r"popup|promo|related|remark|replies|rss|share|shoutbox|sidebar|skyscraper|social|"
    r"sponsor|subscribe|supplemental|tag-cloud|tagcloud|yom-remote",
    re.I,
)
#: Substrings that make a class/id a possible content container despite an UNLIKELY word.
MAYBE = re.compile(r"and|article|body|column|content|main|shadow", re.I)
#: Below this many characters of text per link, a block is a link menu.
CHARS_PER_LINK = 30

_WHOLE_DOCUMENT = re.compile(r"<body[\s>]", re.I)
_CLASS_ID_XPATH = etree.XPath("descendant::*/@class | descendant::*/@id")
_TEXT_LENGTH_XPATH = etree.XPath("string-length(normalize-space(.))")
_HOLDS_ARTICLE_XPATH = etree.XPath(
    "boolean(descendant-or-self::main or descendant-or-self::article or ancestor::pre"
    " or ancestor::code or self::a or self::body or self::html)"
)
# One query in C, cheapest tests first: blocks with >= 3 links, at most one paragraph (prose
# containers are not menus: this also spares the big article block the costly text test) and
# little text per link. A union of axes is several times faster than a self::a-or-b filter.
_LINK_MENU_XPATH = etree.XPath(
    "(descendant::ul | descendant::ol | descendant::dl | descendant::div | descendant::table"
    " | descendant::section | descendant::aside)"
    "[descendant::a[3]][not(descendant::p[2])]"
    "[string-length(normalize-space(.)) < $chars * count(descendant::a)]"
)


def is_whole_document(source: str) -> bool:
    """Whether an HTML text is a whole page (has a ``<body>`` tag) rather than a fragment.

    Args:
        source: HTML text as fetched.

    Returns:
        True for a saved or crawled web page.
    """
    return _WHOLE_DOCUMENT.search(source) is not None


def prune_boilerplate(body: lxml.html.HtmlElement) -> int:
    """Remove page furniture from a page's body in place (see the module docstring).

    Args:
        body: The ``body`` element (or the root) of a whole page, chrome tags already gone.

    Returns:
        How many elements were removed.
    """
    values = _CLASS_ID_XPATH(body)
    doomed: list[lxml.html.HtmlElement] = []
    # one search over all names first: most pages have no boilerplate word at all
    if values and UNLIKELY.search("\n".join(values)) is not None:
        for value in values:
            if UNLIKELY.search(value) is not None and MAYBE.search(value) is None:
                doomed.append(value.getparent())
    doomed.extend(_LINK_MENU_XPATH(body, chars=CHARS_PER_LINK))
    if not doomed:
        return 0
    half = float(_TEXT_LENGTH_XPATH(body)) / 2
    removed = 0
    for element in doomed:
        if (
            element.getparent() is not None
            and not _HOLDS_ARTICLE_XPATH(element)
            and float(_TEXT_LENGTH_XPATH(element)) < half
        ):
            element.drop_tree()
            removed += 1
    return removed
