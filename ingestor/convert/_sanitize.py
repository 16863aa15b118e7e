"""The last stage before Intercom: an nh3 (ammonia) allowlist of tags, attributes and URL schemes.

Everything not listed here is dropped: ``on*`` handlers, ``style``, ``class``,
``javascript:``/``data:``/``vbscript:`` URLs, and every tag not below (its text is kept unless
the tag is in :data:`DROPPED_WITH_CONTENT`).

``id`` is allowed on every allowed tag: it is inert (no URL, no script, no style), and it is
what in-page links (footnotes, tables of contents) and deep links to headings point at. Which
ids are worth keeping is decided earlier, on the parsed tree (:mod:`._tidy`): headings keep
theirs, other elements only when a link of the page targets them. HTML passed here directly
keeps every id of an allowed tag.
"""

from __future__ import annotations

import html as html_lib
import re

import nh3

__all__ = [
    "ALLOWED_TAGS",
    "DROPPED_WITH_CONTENT",
    "HEADING_TAGS",
    "URL_SCHEMES",
    "has_visible_content",
    "sanitize_html",
]

HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})

ALLOWED_TAGS = frozenset(
    {
        # text blocks and structure
        "p", "div", "span", "br", "hr", "blockquote", "pre", "code", "kbd", "samp", "var",
        "details", "summary", "figure", "figcaption",
        # inline semantics
        "a", "abbr", "b", "bdi", "bdo", "cite", "del", "dfn", "em", "i", "ins", "mark", "q",
        "s", "small", "strong", "sub", "sup", "time", "u", "wbr",
        # lists and tables
        "ul", "ol", "li", "dl", "dt", "dd",
        "table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td",
        "img",
    }
    | HEADING_TAGS
)  # fmt: skip

#: Tags removed together with their text (the cleaner removes them earlier; this is the net).
DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "noscript", "template", "iframe", "object", "embed", "applet",
     "textarea", "select", "button", "svg", "math", "title", "head"}
)  # fmt: skip

_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"id", "lang", "dir", "title"},
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "headers"},
    "th": {"colspan", "rowspan", "headers", "scope", "abbr"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "reversed", "type"},
    "li": {"value"},
    "details": {"open"},
    "time": {"datetime"},
    "del": {"datetime"},
    "ins": {"datetime"},
}

URL_SCHEMES = frozenset({"http", "https", "mailto"})

# Building the ammonia configuration costs more than cleaning a small page: build it once.
_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(DROPPED_WITH_CONTENT),
    attributes=_ATTRIBUTES,
    url_schemes=set(URL_SCHEMES),
    strip_comments=True,
    link_rel=None,  # no target= is allowed, so rel="noopener" would only add noise
)

_TAG = re.compile(r"<[^>]*>")


def sanitize_html(html: str) -> str:
    """Reduce an HTML fragment to the allowlist; the result is what Intercom receives.

    Args:
        html: A cleaned HTML fragment (any HTML is safe to pass: this is the security boundary).

    Returns:
        Sanitized HTML with surrounding whitespace stripped.
    """
    cleaned: str = _CLEANER.clean(html)
    return cleaned.strip()


def has_visible_content(sanitized_html: str) -> bool:
    """Whether a sanitized fragment shows anything: some non-blank text or an image.

    Args:
        sanitized_html: Output of :func:`sanitize_html`.

    Returns:
        True when the page is worth sending.
    """
    if "<img" in sanitized_html:
        return True
    text = html_lib.unescape(_TAG.sub("", sanitized_html))
    return bool(text.strip())
