"""Boilerplate removal for whole web pages (file shares, crawled sites): the page minus its chrome.

:mod:`._clean` already drops what is chrome by its markup (``nav``, ARIA roles, exact class
names such as ``sidebar``). Saved web pages hide more chrome behind site-specific class names
and plain ``div``/``ul`` markup: tag clouds, link menus, share bars, comment prompts, "most
popular" boxes, teaser cards, "newer / older" links. This stage finds those by three signals,
in the spirit of Mozilla Readability (its "unlikely candidates" class/id words, its paragraph
scores) and of trafilatura (link density), without keeping only one container as "the"
article, so a page split in several blocks keeps them all:

1. **Class/id words**: an element whose ``class`` or ``id`` holds a boilerplate word
   (``comment``, ``footer``, ``share``, ``related``, ``popular``, ``opt-in``...) and no content
   word (``article``, ``content``, ``main``, ``body``...), see :data:`UNLIKELY` / :data:`MAYBE`.
2. **Link menus**: a list, table or ``div`` holding at least 3 links, at most one paragraph
   of prose, most of its text inside links (:data:`MENU_LINK_DENSITY`) and less than
   :data:`CHARS_PER_LINK` characters of text per link. A data table whose cells hold a link
   and a value is not a menu: half of its text is outside links.
3. **Beside the article** only: lists of links with longer titles ("most popular", "recent
   posts": :data:`LIST_LINK_DENSITY`), teaser lists (at least 3 headings that are links, less
   than :data:`CHARS_PER_TEASER` characters each) and call-to-action boxes (links styled as
   buttons with little text around them, :data:`CHARS_PER_BUTTON`). The article is the
   smallest block holding most of the page's Readability paragraph score
   (:func:`article_core`); inside it, a list of links or a run of linked headings is content
   (a changelog's bug list, a weekly edition's headlines, a table of contents).

Every rule spares what could be the article itself: the article core and its ancestors,
anything holding at least half of the page's text, anything containing ``main``/``article``,
and never ``html``/``body``. The stage runs only for whole documents (a ``<body>`` tag in the
source); fragments that connectors already cleaned (wiki, Notion, Confluence bodies) never
reach it.

Candidates are found by lxml XPath in C and one regex (a trie of :data:`UNLIKELY_WORDS`)
over the page's class/id values; Python only adds up paragraph scores and measures the few
candidate blocks. On whole pages the stage costs about a fifth of the conversion time
(``benchmarks/README.md``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

import lxml.html  # type: ignore[import-untyped,unused-ignore]  # lxml ships no stubs
from lxml import etree

__all__ = [
    "CHARS_PER_BUTTON",
    "CHARS_PER_LINK",
    "CHARS_PER_TEASER",
    "CORE_SHARE",
    "LIST_LINK_DENSITY",
    "MAYBE",
    "MENU_LINK_DENSITY",
    "PROSE_CHARS",
    "UNLIKELY",
    "UNLIKELY_WORDS",
    "article_core",
    "is_whole_document",
    "prune_boilerplate",
]

#: Substrings of class/id values that mark page furniture (after Readability's list, plus
#: "most popular" boxes, e-mail opt-ins, author boxes, previous/next post links and the
#: recommendation networks' widgets).
UNLIKELY_WORDS = (
    "-ad-", "ad-break", "agegate", "about-author", "about-the-author", "author-bio",
    "authorbio", "banner", "breadcrumb", "combx", "comment", "community", "cookie",
    "cover-wrap", "disqus", "extra", "footer", "gdpr", "header", "legends", "menu",
    "mostread", "most-read", "nav-links", "nav-next", "nav-previous", "newsletter", "opt-in",
    "optin", "outbrain", "pager", "pagination", "permalink", "popular", "popup", "post-nav",
    "prev-next", "promo", "related", "remark", "replies", "rss", "share", "shoutbox",
    "sidebar", "skyscraper", "social", "sponsor", "subscribe", "supplemental", "taboola",
    "tag-cloud", "tagcloud", "trending", "yom-remote", "zergnet",
)  # fmt: skip


def _alternation(words: tuple[str, ...]) -> str:
    """A regex matching any of ``words``, as a trie: twice as fast as a flat ``a|b|c``."""
    trie: dict[str, dict[str, Any]] = {}
    for word in words:
        node = trie
        for char in word.lower():
            node = node.setdefault(char, {})
        node[""] = {}

    def branch(node: dict[str, dict[str, Any]]) -> str:
        tails = [re.escape(char) + branch(child) for char, child in sorted(node.items()) if char]
        if not tails:
            return ""
        group = tails[0] if len(tails) == 1 and "" not in node else f"(?:{'|'.join(tails)})"
        return f"{group}?" if "" in node else group

    return branch(trie)


#: UNLIKELY_WORDS, plus "cta" (call to action) as a whole word of a class name.
UNLIKELY = re.compile(_alternation(UNLIKELY_WORDS) + r"|(?:^|[\s_-])cta(?:$|[\s_-])", re.I)
#: Substrings that make a class/id a possible content container despite an UNLIKELY word.
MAYBE = re.compile(r"and|article|body|column|content|main|shadow", re.I)
#: A paragraph this long (characters) is prose, not a menu entry wrapped in ``<p>``.
PROSE_CHARS = 80
#: Below this many characters of text per link, a link-dense block is a link menu.
CHARS_PER_LINK = 30
#: Share of a menu's text inside links (a table of links and values stays: about a third).
MENU_LINK_DENSITY = 0.5
#: Share of the page's paragraph score the article core holds (see :func:`article_core`).
CORE_SHARE = 0.75
#: Share of text inside links above which a block beside the article is a list of links.
LIST_LINK_DENSITY = 0.7
#: Beside the article, headings that are links with less text than this each are teasers.
CHARS_PER_TEASER = 300
#: Beside the article, a block with less text than this per button-styled link is a promo.
CHARS_PER_BUTTON = 200

_WHOLE_DOCUMENT = re.compile(r"<body[\s>]", re.I)
_CLASS_ID_XPATH = etree.XPath("descendant::*/@class | descendant::*/@id")
_TEXT_LENGTH_XPATH = etree.XPath("string-length(normalize-space(.))")
_HOLDS_ARTICLE_XPATH = etree.XPath(
    "boolean(descendant-or-self::main or descendant-or-self::article or ancestor::pre"
    " or ancestor::code or self::a or self::body or self::html)"
)
# One query in C, cheapest tests first: blocks with >= 3 links, at most one prose paragraph
# (this also spares the big article block the costly text test) and less than 80 characters
# per link; Python then measures the link density of the few blocks left. A union of axes is
# several times faster than a self::a-or-b filter.
_LINK_BLOCK_XPATH = etree.XPath(
    "(descendant::ul | descendant::ol | descendant::dl | descendant::div | descendant::table"
    " | descendant::section | descendant::aside | descendant::td)"
    "[descendant::a[3]][not(descendant::p[string-length(normalize-space(.)) >= $prose][2])]"
    "[string-length(normalize-space(.)) < $list_chars * count(descendant::a)]"
)
_LINK_TEXT_XPATH = etree.XPath("descendant::a")
# Paragraph-like elements Readability scores (p, pre), plus innermost list items: a release
# notes page written as nested lists has no <p> at all. A paragraph has a run of plain text
# outside links (a menu entry or a headline wrapped in <p> or <li> has none); testing text
# nodes is much cheaper in libxml2 than the string value of every paragraph.
_PARAGRAPHS_XPATH = etree.XPath(
    "(descendant::p | descendant::pre | descendant::li[not(descendant::li)][not(descendant::p)])"
    "[descendant::text()[string-length(normalize-space()) >= $chars][not(ancestor::a)]]"
)
_PARAGRAPH_CHARS = 25
# Headings that are links: inside one, or mostly the text of one (a kicker may precede it);
# a permalink anchor ("¶", an icon) does not make a heading a teaser.
_TEASER_HEADINGS_XPATH = etree.XPath(
    "(descendant::h2 | descendant::h3 | descendant::h4 | descendant::h5 | descendant::h6)"
    "[normalize-space(.)][ancestor::a or 2 * string-length(normalize-space(descendant::a))"
    " >= string-length(normalize-space(.))]"
)
# Links styled as buttons: "Get free trial", "Subscribe", "Talk to an expert".
_BUTTON_LINKS_XPATH = etree.XPath(
    "descendant::a[@class][contains(@class, 'btn') or contains(@class, 'button')"
    " or contains(@class, 'cta')]"
)
_PROMO_BLOCKS = frozenset(("div", "ul", "ol", "section", "aside", "td"))
_MIN_CORE_SCORE = 5.0
_LIST_CHARS_PER_LINK = 80


def is_whole_document(source: str) -> bool:
    """Whether an HTML text is a whole page (has a ``<body>`` tag) rather than a fragment.

    Args:
        source: HTML text as fetched.

    Returns:
        True for a saved or crawled web page.
    """
    return _WHOLE_DOCUMENT.search(source) is not None


def _text_length(element: lxml.html.HtmlElement) -> float:
    return float(_TEXT_LENGTH_XPATH(element))


def article_core(body: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    """The smallest block that holds most of the page's prose: the article, as best we know.

    A paragraph (``p``, ``pre``, innermost ``li``) with a run of at least 25 characters of
    text outside links (a menu entry or a headline wrapped in ``<p>`` has none) scores
    ``1 + min(length / 100, 3)``, as in Readability. The core is the deepest element holding
    :data:`CORE_SHARE` of the page's score: a page split in sections gets the element around
    all its sections, not its longest section.

    Args:
        body: The page's ``body`` (or root).

    Returns:
        The core, or None when the page has almost no prose (an index of links).
    """
    by_parent: defaultdict[lxml.html.HtmlElement, float] = defaultdict(float)
    for paragraph in _PARAGRAPHS_XPATH(body, chars=_PARAGRAPH_CHARS):
        parent = paragraph.getparent()
        if parent is not None:
            # serializing is several times cheaper than an XPath string-length; the inner
            # indentation it keeps inflates every paragraph of a page alike
            length = len(etree.tostring(paragraph, method="text", encoding="unicode").strip())
            by_parent[parent] += 1 + min(length / 100, 3)
    total = sum(by_parent.values())
    if total < _MIN_CORE_SCORE:
        return None
    holds: defaultdict[lxml.html.HtmlElement, float] = defaultdict(float)
    for parent, score in by_parent.items():
        holds[parent] += score
        for ancestor in parent.iterancestors():
            holds[ancestor] += score
    core = body
    while True:
        share = CORE_SHARE * total
        inner = next((child for child in core if holds.get(child, 0.0) >= share), None)
        if inner is None:
            return core
        core = inner


class _Beside:
    """Whether an element lies beside the article core: neither inside it nor around it."""

    def __init__(self, core: lxml.html.HtmlElement | None) -> None:
        self._core = core
        self._around = frozenset(core.iterancestors()) if core is not None else frozenset()

    def __call__(self, element: lxml.html.HtmlElement) -> bool:
        core = self._core
        if core is None or element is core or element in self._around:
            return False
        return not any(ancestor is core for ancestor in element.iterancestors())

    def holds_core(self, element: lxml.html.HtmlElement) -> bool:
        """The core itself or one of its ancestors."""
        return element is self._core or element in self._around

    def regions(self) -> list[lxml.html.HtmlElement]:
        """The subtrees beside the core: the siblings of the core and of its ancestors."""
        found: list[lxml.html.HtmlElement] = []
        node = self._core
        while node is not None and (parent := node.getparent()) is not None:
            found.extend(child for child in parent if child is not node)
            node = parent
        return found


def _link_density(block: lxml.html.HtmlElement, length: float) -> float:
    linked = sum(_text_length(link) for link in _LINK_TEXT_XPATH(block))
    return linked / length if length else 1.0


def _link_blocks(body: lxml.html.HtmlElement, beside: _Beside) -> list[lxml.html.HtmlElement]:
    """Link menus anywhere, and link lists with longer titles beside the article."""
    found: list[lxml.html.HtmlElement] = []
    for block in _LINK_BLOCK_XPATH(body, prose=PROSE_CHARS, list_chars=_LIST_CHARS_PER_LINK):
        length = _text_length(block)
        links = len(_LINK_TEXT_XPATH(block))
        density = _link_density(block, length)
        menu = length < CHARS_PER_LINK * links and density >= MENU_LINK_DENSITY
        if menu or (density >= LIST_LINK_DENSITY and beside(block)):
            found.append(block)
    return found


def _blocks_around(
    markers: list[lxml.html.HtmlElement], beside: _Beside, *, least: int, chars_each: int
) -> list[lxml.html.HtmlElement]:
    """Blocks beside the article holding ``least`` markers and < ``chars_each`` text per one."""
    counts: defaultdict[lxml.html.HtmlElement, int] = defaultdict(int)
    for marker in markers:
        for ancestor in marker.iterancestors():
            if ancestor.tag in _PROMO_BLOCKS:
                counts[ancestor] += 1
    return [
        block
        for block, count in counts.items()
        if count >= least and _text_length(block) < chars_each * count and beside(block)
    ]


def _promo_blocks(beside: _Beside) -> list[lxml.html.HtmlElement]:
    """Teaser lists and call-to-action boxes beside the article."""
    regions = beside.regions()  # the article, often most of the page, is not searched
    headings = [heading for region in regions for heading in _TEASER_HEADINGS_XPATH(region)]
    buttons = [button for region in regions for button in _BUTTON_LINKS_XPATH(region)]
    return _blocks_around(headings, beside, least=3, chars_each=CHARS_PER_TEASER) + _blocks_around(
        buttons, beside, least=1, chars_each=CHARS_PER_BUTTON
    )


def _named_furniture(body: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    values = _CLASS_ID_XPATH(body)
    # one search over all names first: most pages have no boilerplate word at all
    if not values or UNLIKELY.search("\n".join(values)) is None:
        return []
    return [
        value.getparent()
        for value in values
        if UNLIKELY.search(value) is not None and MAYBE.search(value) is None
    ]


def prune_boilerplate(body: lxml.html.HtmlElement) -> int:
    """Remove page furniture from a page's body in place (see the module docstring).

    Args:
        body: The ``body`` element (or the root) of a whole page, chrome tags already gone.

    Returns:
        How many elements were removed.
    """
    beside = _Beside(article_core(body))
    doomed = _named_furniture(body)
    doomed.extend(_link_blocks(body, beside))
    doomed.extend(_promo_blocks(beside))
    if not doomed:
        return 0
    half = _text_length(body) / 2
    removed = 0
    for element in doomed:
        if (
            element.getparent() is not None
            and not beside.holds_core(element)
            and not _HOLDS_ARTICLE_XPATH(element)
            and _text_length(element) < half
        ):
            element.drop_tree()
            removed += 1
    return removed
