"""Deeply nested HTML read whole, then flattened so every later parse reads it whole too (pure).

libxml2 (lxml's HTML parser) stops at 256 nested elements and drops the rest of the page
without an error. Legacy pages get there: ``<p><font ...>`` pairs that are never closed nest
each paragraph inside the one before, so a FrontPage-era page lost everything after its
127th paragraph, and a page with 300 unclosed ``<div>`` everything after the 254th. The first
parse therefore allows libxml2's huge-tree depth (2,048 levels); what lies deeper than
:data:`MAX_DEPTH` is then flattened (blocks and deep wrappers unwrapped, a ``<br>`` where a
block started) so that the cleaned page stays far below 256 levels for the stages that parse
it again. A page nested deeper than 2,048 levels cannot be read whole and is refused with a message.
"""

from __future__ import annotations

import lxml.html  # type: ignore[import-untyped,unused-ignore]  # lxml ships no stubs
from lxml import etree

__all__ = ["MAX_DEPTH", "flatten_deep", "parse_page"]

#: Levels (from ``<html>``) kept as they are; later parses add a few wrappers, libxml2's
#: default limit is 256.
MAX_DEPTH = 200
_TOO_DEEP = "Excessive depth"
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "caption", "center", "dd", "details", "div",
        "dl", "dt", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
        "header", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody",
        "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
_LEAVES = frozenset({"br", "hr", "img", "wbr"})
#: An inline element below the limit stays when it nests no deeper than this (a link with bold
#: text in it); deeper ones are unwrapped like blocks.
_INLINE_HEIGHT = 8


def parse_page(source: str) -> lxml.html.HtmlElement:
    """Parse an HTML page or fragment as a document, however deeply it nests.

    Raises:
        etree.ParserError: Nothing to parse (only whitespace, comments...).
        ValueError: Elements nest deeper than libxml2 can read even as a huge tree; the rest
            of the page would be lost.
    """
    # A parser of its own: its error log then holds this parse's errors only.
    parser = lxml.html.HTMLParser(
        remove_comments=True,
        remove_pis=True,
        no_network=True,
        collect_ids=False,
        default_doctype=False,
        huge_tree=True,
    )
    doc = lxml.html.document_fromstring(source, parser=parser)
    if any(_TOO_DEEP in entry.message for entry in parser.error_log):
        raise ValueError(
            "elements nest more than 2,048 levels deep (unclosed tags?), so the rest of the "
            "page cannot be read; close the tags to publish it"
        )
    return doc


def flatten_deep(root: lxml.html.HtmlElement, limit: int = MAX_DEPTH) -> int:
    """Flatten what lies deeper than ``limit`` levels below ``root``; how many elements were
    unwrapped.

    Blocks and the elements that nest deeply are unwrapped, their text kept in order with a
    ``<br>`` where each block started; shallow inline elements (a link, bold text, an image)
    stay as they are.
    """
    unwrapped = 0
    for top in _deepest_kept(root, limit):
        height: dict[lxml.html.HtmlElement, int] = {}
        for element in reversed(list(top.iterdescendants())):  # children before their parent
            height[element] = 1 + max((height.get(child, 0) for child in element), default=0)
            if not isinstance(element.tag, str) or element.tag in _LEAVES:
                continue
            if element.tag not in _BLOCKS and height[element] <= _INLINE_HEIGHT:
                continue
            if element.tag in _BLOCKS:
                element.addprevious(etree.Element("br"))
            height[element] = 0  # its children now sit where it was
            element.drop_tag()
            unwrapped += 1
    return unwrapped


def _deepest_kept(root: lxml.html.HtmlElement, limit: int) -> list[lxml.html.HtmlElement]:
    """The elements ``limit`` levels below ``root`` that have children (an XPath, evaluated in
    C: walking every element of every page in Python doubled the cost of a parse)."""
    if limit not in _LEVEL_XPATHS:
        _LEVEL_XPATHS[limit] = etree.XPath("/".join(["."] + ["*"] * limit) + "[*]")
    found: list[lxml.html.HtmlElement] = _LEVEL_XPATHS[limit](root)
    return found


_LEVEL_XPATHS: dict[int, etree.XPath] = {}
