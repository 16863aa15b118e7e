"""HTML cleaning with lxml: drop page chrome, keep the article, fix links and heading anchors.

The output is *not* safe yet (:mod:`._sanitize` is the security boundary); this stage decides
what is content. Rules, in order:

1. Parse with lxml.html, comments and processing instructions dropped by the parser, however
   deeply the page nests (:mod:`._depth`: libxml2 would silently stop at 256 levels). libxml2
   parses HTML 4: it does not know HTML5's void elements (``embed``, ``source``, ``track``,
   ``wbr``, ``keygen``...) and nests everything after one inside it, so dropping an ``embed``
   dropped the rest of the page. :func:`free_void_contents` moves that content back out, for
   every void element of HTML (and the obsolete ones parsers treat as void), and makes
   ``<image>`` the ``<img>`` it means.
2. Remove what is never content: script, style, noscript, template, iframes/objects/embeds,
   svg/canvas/media, form controls, ``nav``, hidden elements (``hidden``, ``display:none``),
   elements with chrome ARIA roles (navigation, banner, contentinfo, search, complementary,
   menu...) or chrome class/id names (sidebar, breadcrumbs, navbar, MediaWiki's edit links...).
   ``header``, ``footer`` and ``aside`` are page chrome unless they sit inside ``article``,
   ``main`` or ``section``: there they belong to the content (an article's own header).
   Heuristic removals never take an element that contains ``main`` or ``article``.
   For whole pages (a ``<body>`` tag in the source: file shares, crawled sites) the
   :mod:`._boilerplate` stage then drops link menus and furniture named by class/id words;
   connectors' cleaned fragments skip it.
3. Keep the article: the first ``main`` (or ``role="main"``), else the only ``article``, else
   the body. A ``main``/``article`` left empty by scripts falls back to the body.
4. Containers the sanitizer does not allow (section, header, form, center...) become ``div``
   so that neighbouring blocks do not run together once their tags are stripped.
5. Headings get the id of an anchor inside them (``<h2><span id="x">`` gives its id up,
   ``<a name="x">`` stays); Markdown headings without one get a GitHub-style slug, so
   ``[see](#install)`` works.
6. Relative ``href``/``src`` are resolved against the page url (and a ``<base href>``);
   fragment-only links stay as they are.
7. :mod:`._tidy`: ids stay only where an in-page link targets them (and on headings), links
   to ids not in the page are unwrapped, and wrappers left empty are removed.
8. Attributes are sorted, so attribute order in the source never changes the output.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urljoin

import lxml.html  # type: ignore[import-untyped,unused-ignore]  # lxml ships no stubs
from lxml import etree

from ingestor.convert._boilerplate import is_whole_document, prune_boilerplate
from ingestor.convert._depth import MAX_DEPTH, flatten_deep, parse_page
from ingestor.convert._sanitize import HEADING_TAGS
from ingestor.convert._tidy import drop_empty_wrappers, drop_permalink_marks, prune_anchors

__all__ = [
    "VOID_ELEMENTS",
    "CleanedHtml",
    "clean_html",
    "free_void_contents",
    "github_slug",
    "serialize_html",
]

_XML_DECLARATION = re.compile(r"\A\ufeff?\s*<\?xml[^>]*>")
#: An XHTML DOCTYPE with an internal subset: libxml2's HTML parser ends the DOCTYPE at the
#: first ">" and shows the rest of the subset ("]>") as the page's first text.
_DOCTYPE_SUBSET = re.compile(r"\A\s*<!DOCTYPE[^\[>]*\[.*?\]\s*>", re.I | re.S)

#: HTML's void elements, plus obsolete ones that HTML parsers treat as void or that libxml2
#: would otherwise nest the rest of the page in.
VOID_ELEMENTS = (
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr", "basefont", "bgsound", "command", "frame", "image", "isindex",
    "keygen", "nextid", "spacer",
)  # fmt: skip

_NEVER_CONTENT = (
    "script", "style", "noscript", "template", "iframe", "frame", "frameset", "object", "embed",
    "applet", "nav", "svg", "canvas", "audio", "video", "map", "dialog", "link", "meta",
    "input", "button", "select", "textarea", "label", "datalist", "output", "progress", "meter",
)  # fmt: skip
_CHROME_ROLES = (
    "navigation", "banner", "contentinfo", "search", "complementary", "menu", "menubar",
    "toolbar", "dialog", "alertdialog",
)  # fmt: skip
# Exact class tokens / ids; kept short on purpose: a wrong guess deletes real content.
_CHROME_NAMES = (
    "nav", "navbar", "navigation", "menu", "main-menu", "site-menu", "sidebar", "side-bar",
    "breadcrumb", "breadcrumbs", "site-header", "site-footer", "site-nav", "page-footer",
    "skip-link", "skip-to-content", "cookie-banner", "cookie-consent", "cookie-notice", "toc",
    "pagination", "mw-editsection", "mw-jump-link", "mw-navigation", "mw-head", "mw-panel",
    "navbox", "catlinks", "printfooter", "noprint",
)  # fmt: skip
_CHROME_IDS = ("header", "footer", *_CHROME_NAMES)

_PAGE_PARTS = ("header", "footer", "aside")
_CONTENT_OWNERS = ("article", "main", "section")
_CHROME_ROLE_SET = frozenset(_CHROME_ROLES)
_CHROME_NAME_SET = frozenset(_CHROME_NAMES)
_CHROME_ID_SET = frozenset(_CHROME_IDS)
_DISPLAY_NONE = re.compile(r"display\s*:\s*none", re.I)
#: Hidden text left out from this many characters on is worth a warning (a hidden dialog or
#: sort key is shorter; collapsed answers are not).
HIDDEN_TEXT_WARNING = 200
# One C-level pass over the attributes that can mark an element as chrome (faster than
# selecting the elements: lxml then skips sorting a union and Python sees only the values).
_CHROME_ATTRIBUTES_XPATH = etree.XPath(
    "descendant::*/@*[name()='class' or name()='id' or name()='role' or name()='style'"
    " or name()='hidden']"
)
_ROLE_MAIN_XPATH = etree.XPath("(//*[@role='main'])[1]")
_HAS_CONTENT_XPATH = etree.XPath("boolean(normalize-space(string(.))) or boolean(.//img)")
_TO_DIV = ("section", "article", "header", "footer", "aside", "main", "form", "fieldset",
           "legend", "center", "hgroup", "address", "search")  # fmt: skip
_TO_UL = ("menu", "dir")
_HEADINGS = tuple(sorted(HEADING_TAGS))
_ANCHOR_IN_HEADING_XPATH = etree.XPath("(.//*[@id]/@id | .//a[@name]/@name)[1]")
_MULTI_ATTRIBUTE_XPATH = etree.XPath("descendant-or-self::*[@*[2]]")
_URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
#: What the WHATWG URL parser removes from anywhere in a url before reading it.
_URL_NOISE = re.compile("[\t\n\r]")
_SLUG_DROP = re.compile(r"[^\w\- ]+")


@dataclass(frozen=True, slots=True)
class CleanedHtml:
    """The article part of a page, cleaned but not yet sanitized, and the titles it offers."""

    html: str
    first_h1: str | None = None
    head_title: str | None = None
    warnings: tuple[str, ...] = ()


def clean_html(
    source: str, *, base_url: str | None = None, heading_ids: bool = False
) -> CleanedHtml:
    """Keep the article of an HTML page or fragment and drop the page chrome around it.

    Args:
        source: HTML as text (a full page or a fragment; broken markup is repaired).
        base_url: The page's own url; relative links and image sources are resolved against it.
        heading_ids: Give headings without an id a GitHub-style slug (for Markdown sources).

    Returns:
        The cleaned fragment (empty when nothing is left), the first ``h1`` text and ``<title>``.

    Raises:
        ValueError: lxml refused the text (e.g. it holds characters XML cannot carry).
    """
    source = _DOCTYPE_SUBSET.sub("", _XML_DECLARATION.sub("", source, count=1), count=1)
    try:
        doc = parse_page(source)
    except etree.ParserError:  # "Document is empty": only whitespace, comments...
        return CleanedHtml(html="")
    free_void_contents(doc)
    warnings: list[str] = []
    if flattened := flatten_deep(doc):
        warnings.append(
            f"elements nest more than {MAX_DEPTH} levels deep (unclosed tags?): "
            f"{flattened} of them were unwrapped into lines"
        )
    head_title = _text_of(doc.find("head/title"))
    base = doc.find("head/base")
    base_href = (base.get("href") or "").strip() if base is not None else ""
    hidden_text = _drop_chrome(doc)
    if hidden_text >= HIDDEN_TEXT_WARNING:
        warnings.append(
            f"{hidden_text:,} characters of text hidden with display:none or the hidden "
            "attribute were left out (collapsed FAQ answers or tabs a script shows?)"
        )
    if is_whole_document(source):
        prune_boilerplate(next(doc.iter("body"), doc))
    root = _article_root(doc)
    _rename_containers(root)
    _anchor_headings(root, slugs=heading_ids)
    drop_permalink_marks(root)  # after: a mark's own id may have become its heading's
    relative_left = _resolve_links(root, _effective_base(base_url, base_href))
    if relative_left:
        warnings.append(f"{relative_left} relative link(s) left relative: the page has no url")
    prune_anchors(root)
    drop_empty_wrappers(root)
    first_h1 = next((text for h1 in root.iter("h1") if (text := _text_of(h1))), None)
    return CleanedHtml(
        html=_serialize(root), first_h1=first_h1, head_title=head_title, warnings=tuple(warnings)
    )


def _drop_chrome(doc: lxml.html.HtmlElement) -> int:
    """Remove the page chrome (menus, footers, hidden elements...); the characters of text
    the hidden ones held."""
    chrome, hidden = _chrome_elements(doc)
    hidden_text = sum(len(" ".join(element.text_content().split())) for element in hidden)
    for element in chrome:
        if element.getparent() is not None:  # found twice (by tag and by class) or the root
            element.drop_tree()
    return hidden_text


def _serialize(root: lxml.html.HtmlElement) -> str:
    """The fragment inside ``root``, attributes in name order (stable hashes)."""
    for element in _MULTI_ATTRIBUTE_XPATH(root):
        ordered = sorted(element.attrib.items())
        element.attrib.clear()
        element.attrib.update(ordered)
    body = html_lib.escape(root.text, quote=False) if root.text else ""
    return body + "".join(lxml.html.tostring(child, encoding="unicode") for child in root)


def free_void_contents(root: lxml.html.HtmlElement) -> None:
    """Move what libxml2 nested inside void elements back after them, in document order."""
    for element in list(root.iter(*VOID_ELEMENTS)):
        if element.tag == "image":
            element.tag = "img"  # what every HTML5 parser makes of it
        parent = element.getparent()
        if parent is None or (element.text is None and len(element) == 0):
            continue
        children, tail = list(element), element.tail
        element.tail, element.text = element.text, None
        at = parent.index(element)
        for offset, child in enumerate(children, start=1):
            parent.insert(at + offset, child)  # moves it out of the void element
        last = children[-1] if children else element
        last.tail = (last.tail or "") + (tail or "") or None


def serialize_html(element: lxml.html.HtmlElement) -> str:
    """``element`` as HTML. libxml2 writes ``<wbr></wbr>`` (it does not know the element is
    void); the stray end tag goes, so sanitized HTML that is parsed again stays as it was."""
    return str(lxml.html.tostring(element, encoding="unicode")).replace("</wbr>", "")


def _text_of(element: lxml.html.HtmlElement | None) -> str | None:
    if element is None:
        return None
    text: str = element.text_content().strip()
    return text or None


def _chrome_elements(
    doc: lxml.html.HtmlElement,
) -> tuple[list[lxml.html.HtmlElement], list[lxml.html.HtmlElement]]:
    """Elements that are never content, and among them those only hidden by a style or the
    ``hidden`` attribute (outside other chrome), whose text is counted for a warning."""
    found = []
    for element in doc.iter(*_NEVER_CONTENT, *_PAGE_PARTS):
        if element.tag in _PAGE_PARTS and _first(element.iterancestors(*_CONTENT_OWNERS)):
            continue  # an article's own header/footer/aside
        found.append(element)
    hidden = []
    for attribute in _CHROME_ATTRIBUTES_XPATH(doc):
        if _marks_chrome(attribute.attrname, attribute):
            element = attribute.getparent()
            if (
                element.tag not in ("html", "body")  # a body class="nav" is no reason to empty it
                and not _first(element.iter("main", "article"))
            ):
                found.append(element)
                if attribute.attrname in ("style", "hidden"):
                    hidden.append(element)
    chrome = set(found)
    hidden = [
        element
        for element in hidden
        if element.tag not in _NEVER_CONTENT
        and not any(ancestor in chrome for ancestor in element.iterancestors())
    ]
    return found, hidden


def _first(elements: Iterator[lxml.html.HtmlElement]) -> bool:
    """Whether an lxml iterator yields anything (elements themselves must not be truth-tested)."""
    return next(elements, None) is not None


def _marks_chrome(name: str, value: str) -> bool:
    if name == "class":
        return not _CHROME_NAME_SET.isdisjoint(value.split())
    if name == "id":
        return value.strip() in _CHROME_ID_SET
    if name == "role":
        return value.strip().lower() in _CHROME_ROLE_SET
    if name == "style":
        return _DISPLAY_NONE.search(value) is not None
    return name == "hidden"


def _article_root(doc: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    body: lxml.html.HtmlElement = next(doc.iter("body"), doc)
    found = next(doc.iter("main"), None)
    if found is None:
        found = next(iter(_ROLE_MAIN_XPATH(doc)), None)
    if found is None:
        articles = list(doc.iter("article"))
        found = articles[0] if len(articles) == 1 else None
    if found is not None and _HAS_CONTENT_XPATH(found):
        return found
    return body


def _rename_containers(root: lxml.html.HtmlElement) -> None:
    for element in list(root.iterdescendants(*_TO_DIV)):
        element.tag = "div"
    for element in list(root.iterdescendants(*_TO_UL)):
        element.tag = "ul"


def _anchor_headings(root: lxml.html.HtmlElement, *, slugs: bool) -> None:
    headings = list(root.iter(*_HEADINGS))
    used = {h.get("id") for h in headings if h.get("id")}
    for heading in headings:
        if heading.get("id"):
            continue
        inner = _ANCHOR_IN_HEADING_XPATH(heading)
        if inner:
            heading.set("id", str(inner[0]))
            used.add(str(inner[0]))
            if inner[0].attrname == "id":  # moved, not copied: one element per id
                del inner[0].getparent().attrib["id"]
        elif slugs:
            slug = github_slug(heading.text_content())
            if not slug:
                continue
            candidate, n = slug, 0
            while candidate in used:
                n += 1
                candidate = f"{slug}-{n}"
            heading.set("id", candidate)
            used.add(candidate)


def github_slug(text: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens.

    Args:
        text: The heading's text.

    Returns:
        The slug (may be empty when the heading is only punctuation).
    """
    return _SLUG_DROP.sub("", text.strip().lower()).replace(" ", "-")


def _effective_base(base_url: str | None, base_href: str) -> str | None:
    if not base_href:
        return base_url
    try:
        joined = urljoin(base_url, base_href) if base_url else base_href
    except ValueError:
        return base_url
    return joined if joined.lower().startswith(("http://", "https://")) else base_url


def _resolve_links(root: lxml.html.HtmlElement, base_url: str | None) -> int:
    """Resolve relative urls in place; returns how many stayed relative (no base to use)."""
    left = 0
    resolved: dict[str, str | None] = {}  # pages repeat the same links; urljoin is not free
    for element in list(root.iter("a", "img")):
        attribute = "href" if element.tag == "a" else "src"
        if element.get(attribute) is None:
            continue
        value = element.get(attribute) or ""
        if _URL_NOISE.search(value):  # as browsers read it: "java\tscript:" is "javascript:"
            value = _URL_NOISE.sub("", value)
            element.set(attribute, value)  # else serializing writes "java%09script:", a bad link
        value = value.strip()
        scheme = _URL_SCHEME.match(value)
        if scheme and attribute == "src" and scheme.group().lower() not in ("http:", "https:"):
            element.drop_tree()  # data:/javascript: images would leave an empty <img>
            continue
        if not value or value.startswith("#") or scheme:
            continue
        if base_url is None:
            left += 1
            continue
        if value not in resolved:
            try:
                resolved[value] = urljoin(base_url, value)
            except ValueError:  # e.g. "http://[broken": no url is better than a wrong one
                resolved[value] = None
        absolute = resolved[value]
        if absolute is None:
            del element.attrib[attribute]
        else:
            element.set(attribute, absolute)
    return left
