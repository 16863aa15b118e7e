"""Pages whose content another page pulls in: the include and excerpt-include macros.

Confluence renders a page for whoever asks, and the include and excerpt-include macros render
the included page's content only for viewers allowed to see that page (others get "Unable to
render {include}"). The connector reads pages as its API user, who may see more than the
page's own readers: a public page including a page restricted to HR comes back with the HR
content inside. So a page that includes a view-restricted page is restricted too.

The included pages are named in the page's storage format (Confluence's documented
"Confluence Storage Format"): ``<ac:structured-macro ac:name="include">`` (or
``excerpt-include``) around ``<ri:page ri:content-title="..." ri:space-key="..."/>``, the
space key left out for a page of the same space. :func:`included_pages` reads them (pure);
the restriction checker finds each by title with one CQL search (cached per run) and checks it
like any page.
"""

from __future__ import annotations

import re

import lxml.html  # type: ignore[import-untyped,unused-ignore]  # lxml ships no stubs
from lxml import etree

__all__ = ["INCLUDE_MACROS", "cql_titled", "included_pages", "renders_includes", "storage_body"]

#: Macros whose output is another page's content.
INCLUDE_MACROS = frozenset({"include", "excerpt-include"})
_PARSER = lxml.html.HTMLParser(remove_comments=True, no_network=True)
_NAMESPACED = re.compile(r"<(/?)(ac|ri):")


def renders_includes(html: str) -> bool:
    """Whether a rendered body holds an include or excerpt-include macro's output (Confluence
    wraps a macro's output in an element with ``data-macro-name``)."""
    return any(f'data-macro-name="{name}"' in html for name in INCLUDE_MACROS)


def storage_body(details: object) -> str | None:
    """``body.storage.value`` of a v1 content object, or None when it was not expanded."""
    if not isinstance(details, dict):
        return None
    body = details.get("body")
    storage = body.get("storage") if isinstance(body, dict) else None
    value = storage.get("value") if isinstance(storage, dict) else None
    return value if isinstance(value, str) else None


def included_pages(storage: str, own_space: str | None) -> list[tuple[str, str]]:
    """``(space key, title)`` of every page the include macros of ``storage`` name, once each.

    Args:
        storage: The page's body in storage format.
        own_space: The page's space key, for includes that name no space.
    """
    if not any(f'"{name}"' in storage for name in INCLUDE_MACROS):
        return []
    # The HTML parser keeps "ac:structured-macro" as a tag name; prefixing keeps the
    # attributes' "ac:"/"ri:" names readable as they are.
    root = lxml.html.fragment_fromstring(
        _NAMESPACED.sub(r"<\1\2-", storage), create_parent="div", parser=_PARSER
    )
    found: dict[tuple[str, str], None] = {}
    for macro in root.iter("ac-structured-macro"):
        if macro.get("ac:name") not in INCLUDE_MACROS:
            continue
        for ref in macro.iter("ri-page"):
            title = (ref.get("ri:content-title") or "").strip()
            space = (ref.get("ri:space-key") or own_space or "").strip()
            if title and space and _outside_body(ref, macro):
                found[(space, title)] = None
    return list(found)


def cql_titled(space: str, title: str) -> str:
    """CQL for the current page titled ``title`` in ``space`` (values quoted as CQL wants)."""

    def quoted(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return f"type = page AND space = {quoted(space)} AND title = {quoted(title)}"


def _outside_body(ref: etree._Element, macro: etree._Element) -> bool:
    """Whether ``ref`` belongs to ``macro``'s parameters, not to a nested macro's."""
    parent = ref.getparent()
    while parent is not None and parent is not macro:
        if parent.tag == "ac-structured-macro":
            return False
        parent = parent.getparent()
    return True
