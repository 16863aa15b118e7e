"""Tidying the cleaned lxml tree: in-page anchors that lead somewhere, no empty leftovers.

Runs inside :func:`~ingestor.convert._clean.clean_html` on the tree it already parsed (no
second parse), after chrome removal and link resolution. Three passes:

1. **In-page anchors** (:func:`prune_anchors`). An ``id`` stays on an element only when a
   link of the same page (``href="#that-id"``, also matched percent-decoded) targets it;
   headings always keep theirs (deep links, :mod:`._split` anchors). ``<a name="x">`` is kept
   as is and counts as a target. A link whose target is not in the page is unwrapped (its
   text stays); one that is itself a target only loses its ``href``.
2. **Permalink marks** (:func:`drop_permalink_marks`). A link inside a heading that points at
   an in-page fragment and shows no letter or digit (Sphinx's ``¶``, a blog's ``#``, an icon)
   is the source site's "link to this heading" control: it goes, with what it holds, so the
   heading, the page title taken from it and a section's title read "Installation", not
   "Installation ¶" (the section's deep link does that job in Intercom).
3. **Empty leftovers** (:func:`drop_empty_wrappers`). A wrapper (``div``, ``span``, ``p``,
   ``a``, inline formatting, ``code``, and any tag the sanitizer would unwrap anyway) that
   holds no text but whitespace and no element but other such empty wrappers shows nothing:
   it goes, bottom-up, so a ``div`` holding only an empty ``span`` goes too. Its tail text
   stays; its whitespace stays too, exactly inside ``<pre>``, as one space or newline
   elsewhere (``a<span> </span>b`` must not become ``ab``). Empty list items, lists,
   headings, block quotes, definition terms and figures go the same way (a Notion page of
   three empty ``<li>`` is no content). In tables, a row whose cells are all empty goes,
   then an empty section and an empty table, and a table of headers over no data (an empty
   template's); a lone empty cell stays, since removing it would shift the columns after
   it. Anchor targets, images, line breaks and rules are never removed, nor anything holding
   them.
"""

from __future__ import annotations

from urllib.parse import unquote

import lxml.html  # type: ignore[import-untyped,unused-ignore]  # lxml ships no stubs
from lxml import etree

from ingestor.convert._sanitize import ALLOWED_TAGS, HEADING_TAGS

__all__ = ["WRAPPER_TAGS", "drop_empty_wrappers", "drop_permalink_marks", "prune_anchors"]

#: Allowed tags that only wrap their content: empty, they show nothing.
WRAPPER_TAGS = frozenset(
    {"div", "span", "p", "a", "b", "strong", "i", "em", "u", "s", "small", "sup", "sub",
     "mark", "code"}
)  # fmt: skip

#: Block containers that show nothing when empty (headings lose their id with them: a heading
#: without text is no section to link to).
EMPTY_BLOCK_TAGS = frozenset(
    {"li", "ul", "ol", "dl", "dt", "dd", "blockquote", "figure", "figcaption", "details",
     "summary", "caption", "tr", "thead", "tbody", "tfoot", "table", *HEADING_TAGS}
)  # fmt: skip
_CELL_TAGS = frozenset({"td", "th"})

# Blank is what XPath's normalize-space() strips. A no-break space is content: a
# "<p>&nbsp;</p>" spacer is layout, like the "<p><br></p>" that stays too.
_SPACE = " \t\n\r"
# Attribute paths and "*[1]" are what libxml2 evaluates fastest: these run on every page.
_IN_PAGE_HREFS_XPATH = etree.XPath("descendant::a/@href[starts-with(normalize-space(), '#')]")
_IDS_XPATH = etree.XPath("descendant::*/@id")
_ANCHOR_NAMES_XPATH = etree.XPath("descendant::a/@name")
_HEADING_FRAGMENT_LINKS_XPATH = etree.XPath(
    "(descendant::h1 | descendant::h2 | descendant::h3 | descendant::h4 | descendant::h5"
    " | descendant::h6)/descendant::a[contains(@href, '#')]"
)
# Leaves holding no text but whitespace: where every chain of removals starts.
_BLANK_LEAVES_XPATH = etree.XPath("descendant::*[not(*[1])][not(normalize-space())]")


def drop_permalink_marks(root: lxml.html.HtmlElement) -> None:
    """Drop the "link to this heading" marks inside headings (``¶``, ``#``, an icon).

    Args:
        root: The article root; changed in place.
    """
    for link in _HEADING_FRAGMENT_LINKS_XPATH(root):
        if any(char.isalnum() for char in link.text_content()):
            continue
        if link.get("id") is None and link.get("name") is None:
            link.drop_tree()  # its tail text stays
            continue
        del link.attrib["href"]  # still a target of other links: an empty anchor stays
        link.text = None
        for child in list(link):
            link.remove(child)


def prune_anchors(root: lxml.html.HtmlElement) -> None:
    """Keep only the ids in-page links target (and heading ids); unwrap links to nowhere.

    Args:
        root: The article root; changed in place.
    """
    hrefs = _IN_PAGE_HREFS_XPATH(root)
    wanted: set[str] = set()
    for href in hrefs:
        fragment = href.strip()[1:]
        wanted.update((fragment, unquote(fragment)))
    present = {str(name) for name in _ANCHOR_NAMES_XPATH(root)} if hrefs else set()
    for value in _IDS_XPATH(root):
        element = value.getparent()
        if element.tag in HEADING_TAGS or (value and value in wanted and value not in present):
            present.add(str(value))
        else:  # untargeted, or a second copy of an id: only noise
            del element.attrib["id"]
    for href in hrefs:
        fragment = href.strip()[1:]
        if fragment in present or unquote(fragment) in present:
            continue
        link = href.getparent()
        if link.get("id") is not None or link.get("name") is not None:
            del link.attrib["href"]  # still a target of another link: keep the anchor
        else:
            link.drop_tag()


def drop_empty_wrappers(root: lxml.html.HtmlElement) -> None:
    """Remove wrapper elements that show nothing, innermost first, keeping their tail text.

    Args:
        root: The article root (never removed itself); changed in place.
    """
    _drop_blank(root)
    bare = [t for t in root.iter("table") if not any(map(_has_content, t.iter("td")))]
    for table in bare:  # headers over no data: an empty template's table
        _drop_keeping_space(table)
    if bare:
        _drop_blank(root)  # what only held such a table


def _drop_blank(root: lxml.html.HtmlElement) -> None:
    for leaf in _BLANK_LEAVES_XPATH(root):
        element = leaf
        if element.tag in _CELL_TAGS:
            element = element.getparent()  # an empty cell: its row may be all empty
            if element is None or not _row_is_empty(element):
                continue
        while element is not root and _shows_nothing(element):
            parent = element.getparent()
            if parent is None:  # already gone with an ancestor
                break
            _drop_keeping_space(element)
            element = parent


def _is_wrapper(tag: object) -> bool:
    # Tags outside the allowlist are unwrapped by the sanitizer: empty, they vanish anyway.
    return isinstance(tag, str) and (tag in WRAPPER_TAGS or tag not in ALLOWED_TAGS)


def _shows_nothing(element: lxml.html.HtmlElement) -> bool:
    if element.tag == "tr":
        return _row_is_empty(element)
    return (
        (_is_wrapper(element.tag) or element.tag in EMPTY_BLOCK_TAGS)
        and len(element) == 0
        and not (element.text or "").strip(_SPACE)
        and (element.get("id") is None or element.tag in HEADING_TAGS)
        and not (element.tag == "a" and element.get("name") is not None)
    )


def _has_content(cell: lxml.html.HtmlElement) -> bool:
    return len(cell) > 0 or bool((cell.text or "").strip(_SPACE))


def _row_is_empty(row: lxml.html.HtmlElement) -> bool:
    """A table row of cells without text or elements (a row of no cells is empty too)."""
    return (
        row.tag == "tr"
        and not (row.text or "").strip(_SPACE)
        and all(
            cell.tag in _CELL_TAGS
            and len(cell) == 0
            and not (cell.text or "").strip(_SPACE)
            and not (cell.tail or "").strip(_SPACE)
            for cell in row
        )
    )


def _drop_keeping_space(element: lxml.html.HtmlElement) -> None:
    space = element.text or ""
    if space and next(element.iterancestors("pre"), None) is None:
        space = "\n" if "\n" in space else " "  # collapsed by the browser anyway
    if space:
        element.tail = space + (element.tail or "")
    element.drop_tree()  # moves the tail to the previous sibling or the parent
