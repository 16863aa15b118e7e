"""Notion pages to HTML the engine's conversion can take (pure functions, lxml + markdown-it).

Markdown & CSV exports: the first ``# heading`` is the title; ``$$`` equation blocks become code
blocks so TeX survives Markdown; ``<aside>`` callouts become block quotes (page chrome
otherwise); ``[ ]``/``[x]`` to-do items get ☐/☑; a database row's ``Key: value`` property
lines become a compact table. HTML exports: the ``<article>`` is kept, Notion's CSS, icons,
cover, checkbox boxes and KaTeX rendering are replaced by plain structure (equations as their
TeX source), callouts become block quotes, property tables are compacted. In both, links are
rewritten by :func:`~connectors.notion_export._links.rewrite_links`.
"""

from __future__ import annotations

import html as html_lib
import itertools
import re
from dataclasses import dataclass

import lxml.html  # type: ignore[import-untyped,unused-ignore]  # lxml ships no stubs
from lxml import etree
from markdown_it import MarkdownIt

from ingestor.connectors.notion_export._links import LinkContext, rewrite_links
from ingestor.untrusted import strip_html_controls

__all__ = [
    "RenderedPage",
    "inner_html",
    "parse_fragment",
    "relation_links",
    "render_html_page",
    "render_markdown_page",
]

_MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
_PARSER = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
_TITLE_LINE = re.compile(r"\A\s*#[ \t]+(?P<title>[^\n]+?)[ \t#]*(?:\n|\Z)")
_PROPERTY_LINE = re.compile(r"^(?P<key>[^:\n|#>*\-\s][^:\n]{0,80}):[ \t]+(?P<value>.*)$")
_EQUATION_BLOCK = re.compile(r"^[ \t]*\$\$[ \t]*\n(?P<tex>.*?)\n[ \t]*\$\$[ \t]*$", re.M | re.S)
_TODO = re.compile(r"^\s*\[(?P<mark>[ xX])\]\s*")
#: Notion writes a callout as ``<aside>`` and ``</aside>`` lines around Markdown with no blank
#: line after the opening tag: CommonMark would take that Markdown as raw HTML.
_ASIDE_OPEN = re.compile(r"^[ \t]*<aside>[ \t]*$", re.M)
_ASIDE_CLOSE = re.compile(r"^[ \t]*</aside>[ \t]*$", re.M)
#: A link to a page of the export as Notion writes it: spaces percent-encoded, parentheses
#: not, so a title like "Step 1) Sign in" leaves an unbalanced ")" CommonMark stops at.
_PAGE_LINK_TARGET = re.compile(
    r"\]\((?P<dest>[^\s\]<>]*?[0-9a-fA-F]{32}(?:_all)?\.(?:md|csv|html?)(?:#[^\s()]*)?)\)"
)
#: ``Title (relative%20path%20<id>.md)`` as Notion writes relations in CSV and property lines.
_RELATION = re.compile(r"(?P<text>[^,()]+?) \((?P<path>[^()]*?[0-9a-f]{32}[^()]*?)\)")
_CHECKED = "\u2611 "
_UNCHECKED = "\u2610 "


@dataclass(frozen=True, slots=True)
class RenderedPage:
    """A page as HTML, with the title the page itself gives (None when it has none)."""

    html: str
    title: str | None
    notes: int = 0
    #: A database row's properties as ``(name, value as text)``, for audience rules.
    properties: tuple[tuple[str, str], ...] = ()


def relation_links(text: str) -> str:
    """Escape a property or cell value, turning Notion relations into links.

    Args:
        text: A raw value, e.g. ``Task A (Tasks%20a1.../Task%20A%20<id>.md), Task B (...)``.

    Returns:
        HTML: escaped text, relation targets as ``<a href>``, line breaks as ``<br>``.
    """
    out: list[str] = []
    position = 0
    for match in _RELATION.finditer(text):
        out.append(html_lib.escape(text[position : match.start()], quote=False))
        href = html_lib.escape(match.group("path").strip(), quote=True)
        label = html_lib.escape(match.group("text").strip(), quote=False)
        out.append(f'<a href="{href}">{label}</a>')
        position = match.end()
    out.append(html_lib.escape(text[position:], quote=False))
    return "".join(out).replace("\n", "<br>")


def _property_table(rows: list[tuple[str, str]]) -> str:
    cells = "".join(
        f"<tr><th>{html_lib.escape(key, quote=False)}</th><td>{relation_links(value)}</td></tr>"
        for key, value in rows
    )
    return f"<table><tbody>{cells}</tbody></table>"


def _split_properties(body: str) -> tuple[str, str, list[tuple[str, str]]]:
    """Cut a leading block of ``Key: value`` lines off ``body`` as a property table."""
    stripped = body.lstrip("\n")
    block, _, rest = stripped.partition("\n\n")
    lines = block.split("\n")
    matches = [_PROPERTY_LINE.match(line) for line in lines]
    if not block.strip() or not all(matches):
        return "", body, []
    rows = [(m.group("key").strip(), m.group("value").strip()) for m in matches if m]
    return _property_table(rows), rest, rows


def _fence_equations(text: str) -> str:
    return _EQUATION_BLOCK.sub(lambda m: "```latex\n" + m.group("tex").strip() + "\n```", text)


def _encode_link_parentheses(text: str) -> str:
    """Percent-encode parentheses in links to export pages, balanced or not."""

    def encode(match: re.Match[str]) -> str:
        dest = match.group("dest").replace("(", "%28").replace(")", "%29")
        return f"]({dest})"

    return _PAGE_LINK_TARGET.sub(encode, text)


def _open_callouts(text: str) -> str:
    """Blank lines inside ``<aside>`` so its content is read as Markdown (bold, links...)."""
    return _ASIDE_CLOSE.sub("\n</aside>", _ASIDE_OPEN.sub("<aside>\n", text))


def render_markdown_page(text: str, ctx: LinkContext, *, properties: bool) -> RenderedPage:
    """Render one page of a Markdown & CSV export.

    Args:
        text: The ``.md`` file's text.
        ctx: Link context of the page.
        properties: The page is a database row: its leading ``Key: value`` lines are properties.

    Returns:
        The page as an HTML fragment and its first-heading title.
    """
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    title: str | None = None
    head = ""
    match = _TITLE_LINE.match(text)
    if match is not None:
        heading = parse_fragment(_MARKDOWN.renderInline(match.group("title").strip()))
        title = _text(heading)  # "# **Bold** title" is titled "Bold title"
        head = f"<h1>{inner_html(heading)}</h1>\n"
        text = text[match.end() :]
    table = ""
    rows: list[tuple[str, str]] = []
    if properties:
        table, text, rows = _split_properties(text)
    rendered = (
        head
        + table
        + "\n"
        + _MARKDOWN.render(_encode_link_parentheses(_open_callouts(_fence_equations(text))))
    )
    root = parse_fragment(rendered)
    for aside in root.iter("aside"):
        aside.tag = "blockquote"
    for item in root.iter("li"):
        _mark_todo(item)
    notes = rewrite_links(root, ctx)
    return RenderedPage(html=inner_html(root), title=title, notes=notes, properties=tuple(rows))


def _mark_todo(item: etree._Element) -> None:
    holder = item[0] if len(item) and item[0].tag == "p" and not (item.text or "").strip() else item
    match = _TODO.match(holder.text or "")
    if match is None:
        return
    box = _CHECKED if match.group("mark") in "xX" else _UNCHECKED
    holder.text = box + (holder.text or "")[match.end() :]


def render_html_page(text: str, ctx: LinkContext) -> RenderedPage:
    """Render one page of an HTML export: the article without Notion's styling.

    Args:
        text: The ``.html`` file's text.
        ctx: Link context of the page.

    Returns:
        The page as an HTML fragment and its ``page-title`` (or ``<title>``).
    """
    try:
        doc = lxml.html.document_fromstring(strip_html_controls(text), parser=_PARSER)
    except etree.ParserError:
        return RenderedPage(html="", title=None)
    root = _own_article(doc)
    title = _own_title(root) or _text(doc.find(".//head/title"))
    if root is None:
        root = next(doc.iter("body"), doc)
    for element in list(root.iter("style", "script", "link", "svg", "meta")):
        _drop(element)
    for name in ("page-cover-image", "page-header-icon", "page-description"):
        for element in _with_class(root, name):
            if name != "page-description" or not _text(element):
                _drop(element)
    for element in list(root.iter("img")):
        if "icon" in (element.get("class") or "").split():
            _drop(element)
    _equations(root)
    _checkboxes(root)
    _callouts(root)
    _bookmarks(root)
    _properties(root)
    properties = _property_rows(root)
    for element in root.iter("header", "footer", "aside", "nav"):
        if element.tag != "nav" or not _has_class(element, "table_of_contents"):
            element.tag = "div"
    notes = rewrite_links(root, ctx)
    for element in root.iter():
        # Notion's class names must not look like page chrome to the engine's cleaner
        if isinstance(element.tag, str):
            element.attrib.pop("class", None)
            element.attrib.pop("style", None)
    return RenderedPage(
        html=inner_html(root), title=title or None, notes=notes, properties=properties
    )


def _own_article(doc: etree._Element) -> etree._Element | None:
    """The page's own ``<article class="page">`` (Notion's), else the first article."""
    articles = list(doc.iter("article"))
    return next((a for a in articles if _has_class(a, "page")), articles[0] if articles else None)


def _own_title(article: etree._Element | None) -> str | None:
    """The title in the page's own header: never one of a page or database shown inside it."""
    if article is None:
        return None
    header = next((child for child in article if child.tag == "header"), None)
    element = _first_with_class(header, "page-title") if header is not None else None
    return _text(element)


def _equations(root: etree._Element) -> None:
    for element in list(root.iter("figure", "span")):
        classes = (element.get("class") or "").split()
        if "equation" not in classes and "notion-text-equation-token" not in classes:
            continue
        tex = _tex_of(element)
        replacement = etree.Element("pre" if element.tag == "figure" else "code")
        if element.tag == "figure":
            etree.SubElement(replacement, "code").text = tex
        else:
            replacement.text = tex
        replacement.tail = element.tail
        parent = element.getparent()
        if parent is not None:
            parent.replace(element, replacement)


def _tex_of(element: etree._Element) -> str:
    for annotation in element.iter("annotation"):
        if (annotation.get("encoding") or "").endswith("tex"):
            return (annotation.text or "").strip()
    return " ".join("".join(element.itertext()).split())


def _checkboxes(root: etree._Element) -> None:
    for element in list(_with_class(root, "checkbox")):
        classes = (element.get("class") or "").split()
        box = _CHECKED if "checkbox-on" in classes else _UNCHECKED
        span = etree.Element("span")
        span.text = box.strip()
        span.tail = element.tail
        parent = element.getparent()
        if parent is not None:
            parent.replace(element, span)


def _callouts(root: etree._Element) -> None:
    for figure in list(_with_class(root, "callout")):
        figure.tag = "blockquote"
        for child in list(figure):
            if child.tag == "div" and len(child) and _has_class(child[0], "icon"):
                icon = _text(child[0])
                if icon:
                    marker = etree.Element("span")
                    marker.text = icon + " "
                    figure.insert(0, marker)
                _drop(child)


def _bookmarks(root: etree._Element) -> None:
    for link in list(_with_class(root, "bookmark")):
        title = _first_with_class(link, "bookmark-title")
        label = _text(title) if title is not None else None
        for child in list(link):
            link.remove(child)
        link.text = label or link.get("href") or ""


#: Classes of the "chips" Notion puts side by side in a cell: select options and people.
_CHIPS = frozenset({"selected-value", "user", "enum"})


def _properties(root: etree._Element) -> None:
    """Property and database cells read as text: people's initials avatars (``user-icon``:
    "O" before "Okay Cool") go, and values side by side are separated ("Mike Shafer, Parthiv",
    not "Mike ShaferParthiv")."""
    for icon in list(_with_class(root, "user-icon")):
        _drop(icon)
    for table in list(_with_class(root, "properties")):
        for cell in table.iter("th"):
            for icon in list(_with_class(cell, "icon")):
                _drop(icon)
        for row in list(table.iter("tr")):  # a property without a value says nothing
            value = row.find("td")
            if value is not None and len(value) == 0 and not (value.text or "").strip():
                _drop(row)
    for cell in root.iter("td", "th"):
        values = [child for child in cell if isinstance(child.tag, str)]
        for value, following in itertools.pairwise(values):
            if (value.tail or "").strip() or value.getnext() is not following:
                continue
            separator = ", " if _is_chip(value) and _is_chip(following) else " "
            value.tail = separator + (value.tail or "").lstrip()


def _is_chip(element: etree._Element) -> bool:
    return bool(_CHIPS & set((element.get("class") or "").split()))


def _property_rows(root: etree._Element) -> tuple[tuple[str, str], ...]:
    """``(name, value)`` of each row of an HTML export's property table."""
    rows: list[tuple[str, str]] = []
    for table in _with_class(root, "properties"):
        for row in table.iter("tr"):
            name, value = _text(row.find("th")), _text(row.find("td"))
            if name and value:
                rows.append((name, value))
    return tuple(rows)


def _with_class(root: etree._Element, name: str) -> list[etree._Element]:
    return [e for e in root.iter() if isinstance(e.tag, str) and _has_class(e, name)]


def _first_with_class(root: etree._Element, name: str) -> etree._Element | None:
    found = _with_class(root, name)
    return found[0] if found else None


def _has_class(element: etree._Element, name: str) -> bool:
    return name in (element.get("class") or "").split()


def _text(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    text = " ".join("".join(element.itertext()).split())
    return text or None


def _drop(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    if tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


def parse_fragment(html: str) -> etree._Element:
    # Control characters out first: lxml refuses to set a text or attribute holding one, and
    # the rendering sets texts and links taken from the page (a link to "scan%01.png").
    wrapper: etree._Element = lxml.html.fragment_fromstring(
        strip_html_controls(html) or "<p></p>", create_parent="div", parser=_PARSER
    )
    return wrapper


def inner_html(root: etree._Element) -> str:
    body = html_lib.escape(root.text, quote=False) if root.text else ""
    return body + "".join(
        etree.tostring(child, encoding="unicode", method="html") for child in root
    )
