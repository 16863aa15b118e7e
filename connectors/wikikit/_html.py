"""Small pure lxml helpers for wiki-specific HTML cleaning (before the shared conversion)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import lxml.html  # type: ignore[import-untyped,unused-ignore]  # lxml ships no stubs
from lxml import etree

__all__ = [
    "distinct_link_targets",
    "drop_elements",
    "has_class",
    "parse_fragment",
    "serialize_children",
    "unwrap",
]

_PARSER = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)


def parse_fragment(html: str) -> lxml.html.HtmlElement:
    """``html`` (a body fragment) inside one wrapper ``div``."""
    root: lxml.html.HtmlElement = lxml.html.fragment_fromstring(
        html or "", create_parent="div", parser=_PARSER
    )
    return root


def has_class(element: etree._Element, names: Iterable[str]) -> bool:
    """Whether ``element`` carries one of the class tokens ``names``."""
    tokens = (element.get("class") or "").split()
    return any(name in tokens for name in names)


def distinct_link_targets(
    html: str, classes: Iterable[str], target: Callable[[etree._Element], str]
) -> list[str]:
    """What ``target`` reads off each link carrying one of ``classes`` (a wiki's "missing page"
    links): each non-empty value once, in order of appearance."""
    names = tuple(classes)
    found: dict[str, None] = {}
    for link in parse_fragment(html).iter("a"):
        if has_class(link, names):
            value = target(link).strip()
            if value:
                found[value] = None
    return list(found)


def drop_elements(
    root: lxml.html.HtmlElement,
    *,
    tags: Iterable[str] = (),
    classes: Iterable[str] = (),
    ids: Iterable[str] = (),
) -> None:
    """Remove (with their content) elements with one of these tags, class tokens or ids."""
    tag_set, class_set, id_set = set(tags), set(classes), set(ids)
    doomed = [
        element
        for element in root.iterdescendants()
        if isinstance(element.tag, str)
        and (
            element.tag in tag_set
            or element.get("id") in id_set
            or bool(class_set.intersection((element.get("class") or "").split()))
        )
    ]
    for element in doomed:
        if element.getparent() is not None:
            element.drop_tree()  # keeps the tail text


def unwrap(element: lxml.html.HtmlElement) -> None:
    """Replace ``element`` by its content (text and children)."""
    element.drop_tag()


def serialize_children(root: lxml.html.HtmlElement) -> str:
    """The HTML inside ``root`` (its text and children), as a string."""
    parts = [root.text or ""]
    parts.extend(etree.tostring(child, encoding="unicode", method="html") for child in root)
    return "".join(parts)
