"""The canonical form of a converted page and its content hash.

The hash decides whether Intercom is called at all, so it must ignore what nobody can see and
catch everything anyone can. It is computed on the sanitized HTML, the exact text sent:

* Runs of whitespace (Unicode whitespace, as :meth:`str.split` sees it) collapse to one
  space, and whitespace next to a block boundary (``<p>``, ``<li>``, ``<td>``, ``<br>``...)
  is dropped: re-indenting, re-wrapping or adding blank lines in the source changes nothing.
  Inside ``<pre>`` whitespace is visible, so it is kept.
* Attribute order never matters: the cleaner sorts attributes before sanitizing.
* Any change of text, link target, image source, tag structure, title or url changes the hash.

It costs two regex passes and one sha256 over the (already small) sanitized HTML; no parse and
no Markdown conversion on the hot path.
"""

from __future__ import annotations

import hashlib
import json
import re

__all__ = ["CANONICAL_VERSION", "canonical_html", "content_hash"]

#: Bump when the canonical form changes on purpose: every page is then sent once more.
CANONICAL_VERSION = 1

_PRE_BLOCK = re.compile(r"(<pre\b.*?</pre>)", re.S)
_BLOCK_TAGS = (
    "p|div|h[1-6]|ul|ol|li|dl|dt|dd|table|caption|colgroup|col|thead|tbody|tfoot|tr|th|td|"
    "blockquote|figure|figcaption|details|summary|hr|br"
)
# A space before a block tag is dropped with a literal replacement (fast); the rarer space after
# one needs a group. Python 3.11 expands "\1" templates in Python, so keep that pass rare.
# nh3 serializes tag names in lower case, so no re.I (it doubles the cost).
_SPACE_BEFORE_BLOCK = re.compile(rf" (?=</?(?:{_BLOCK_TAGS})\b)")
_SPACE_AFTER_BLOCK = re.compile(rf"(<(?:{_BLOCK_TAGS})\b[^>]*>|</(?:{_BLOCK_TAGS})>) ")


def canonical_html(html: str) -> str:
    """Whitespace-normalized HTML: equal for sources that differ only in invisible whitespace.

    Args:
        html: Sanitized HTML (serialized by nh3, so entities and quoting are already uniform).

    Returns:
        The canonical text.
    """
    parts = _PRE_BLOCK.split(html)
    for index in range(0, len(parts), 2):  # even indexes are outside <pre>
        collapsed = " ".join(parts[index].split())  # str.split is far faster than a regex
        # a <pre> is a block too, so the text around it is trimmed like at any block edge
        collapsed = _SPACE_BEFORE_BLOCK.sub("", collapsed)
        parts[index] = _SPACE_AFTER_BLOCK.sub(r"\1", collapsed).strip()
    return "".join(parts)


def content_hash(title: str, url: str | None, html: str) -> str:
    """sha256 (hex) of the canonical form of what Intercom would show.

    Args:
        title: The page title, already normalized.
        url: The url Fin cites, if any.
        html: Sanitized HTML.

    Returns:
        64 lowercase hex digits.
    """
    payload = json.dumps([CANONICAL_VERSION, title, url, canonical_html(html)], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()
