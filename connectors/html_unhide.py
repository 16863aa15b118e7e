"""HTML with the parts a script would reveal made visible (pure, lxml).

Saved help pages hide collapsed FAQ answers, tabs and accordions with ``style="display:none"``
or the ``hidden`` attribute until a script shows them; the conversion leaves hidden elements
out as page chrome. For a share whose HTML files are such pages (``hidden_html: show``) those
marks are removed first, so the answers are published.
"""

from __future__ import annotations

import re

import lxml.html  # type: ignore[import-untyped,unused-ignore]  # lxml ships no stubs
from lxml import etree

__all__ = ["unhidden_html"]

_DISPLAY_NONE = re.compile(r"display\s*:\s*none\s*(?:!\s*important\s*)?;?", re.I)
# Deep pages are read whole; the conversion flattens them (ingestor.convert._depth).
_PARSER = lxml.html.HTMLParser(no_network=True, huge_tree=True)


def unhidden_html(html: str) -> str:
    """``html`` without ``display:none`` styles and ``hidden`` attributes; ``html`` itself when
    it has none or cannot be parsed."""
    lowered = html.lower()
    if "hidden" not in lowered and "display" not in lowered:
        return html
    try:
        doc = lxml.html.document_fromstring(html, parser=_PARSER)
    except (etree.ParserError, ValueError):
        return html
    changed = False
    for element in doc.iter():
        if not isinstance(element.tag, str):
            continue
        if "hidden" in element.attrib:
            del element.attrib["hidden"]
            changed = True
        style = element.get("style")
        if style and _DISPLAY_NONE.search(style):
            element.set("style", _DISPLAY_NONE.sub("", style))
            changed = True
    return str(lxml.html.tostring(doc, encoding="unicode")) if changed else html
