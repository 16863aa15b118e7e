"""``convert_document``: one fetched :class:`~connectors.base.Document` to one Intercom page.

Stages (each a pure function in its own module): front matter and Markdown/text rendering
(:mod:`._markdown`), chrome removal, link fixing and tidying (:mod:`._clean`, :mod:`._tidy`),
the nh3 allowlist (:mod:`._sanitize`), the title (:mod:`._title`) and the content hash
(:mod:`._canonical`).

Decisions worth knowing:

* A title taken from the first ``<h1>`` stays in the body too: Intercom shows the title apart
  from the body, and removing the heading would change the body's structure for every page
  whose ``h1`` is not the title source.
* A front matter ``url`` replaces ``Document.url`` (an author's explicit url beats a url
  template); a front matter ``title`` comes after ``Document.title`` (a wiki's own title wins).
* Line endings are normalized and a leading byte order mark is dropped before anything else.
* Control characters are removed from the HTML before it is parsed (:mod:`ingestor.untrusted`), from
  titles (:mod:`._title`) and urls (:mod:`._urls`), so the hash covers what is sent.
* Urls are sent percent-encoded where they could break out of an attribute (:mod:`._urls`); a
  front matter ``url`` that is not an absolute http(s) URL is a warning, not the page's url.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field, replace

from ingestor.connectors.document import Document
from ingestor.convert._canonical import content_hash
from ingestor.convert._clean import clean_html
from ingestor.convert._links import rewrite_links, unlink_pages
from ingestor.convert._markdown import markdown_to_html, split_front_matter, text_to_html
from ingestor.convert._sanitize import has_visible_content, sanitize_html
from ingestor.convert._title import choose_title
from ingestor.convert._urls import safe_url
from ingestor.errors import PageError, PageSkipped
from ingestor.untrusted import strip_controls, strip_html_controls

__all__ = [
    "ConvertedPage",
    "broken_targets",
    "convert_document",
    "require_text",
    "text_beyond_title",
    "without_dead_links",
]


@dataclass(frozen=True, slots=True)
class ConvertedPage:
    """A page ready for Intercom.

    Attributes:
        external_id: The connector's stable id of the page.
        title: Tidy, never empty.
        url: The url Fin cites (front matter ``url`` or ``Document.url``), if any.
        html: Clean, sanitized HTML exactly as sent to Intercom.
        content_hash: sha256 hex of the canonical form of (title, url, html); see
            :mod:`ingestor.convert._canonical`.
        warnings: Problems that did not stop the conversion (broken front matter...).
        linked_pages: External ids of the source's pages this page links to (the engine
            reports those that do not exist as broken links).
        linked_urls: The url each of them is linked at, in the same order (dead ones are
            unlinked by :func:`without_dead_links`).
    """

    external_id: str
    title: str
    url: str | None
    html: str
    content_hash: str
    warnings: tuple[str, ...] = ()
    linked_pages: tuple[str, ...] = ()
    linked_urls: tuple[str, ...] = ()
    #: Audience-rule facts found in the body itself (``front_matter.<key>``), added to the
    #: connector's ``Document.facts`` by the gate.
    facts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def _normalize_newlines(text: str) -> str:
    text = text.removeprefix("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


@dataclass(frozen=True, slots=True)
class _Rendered:
    """A document's body as HTML, with what its front matter said (Markdown only)."""

    html: str
    url: str | None
    front_matter_title: str | None = None
    facts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


def convert_document(doc: Document) -> ConvertedPage:
    """Convert a fetched document into clean, safe HTML with its title, url and hash.

    Args:
        doc: The document as the connector fetched it.

    Returns:
        The converted page.

    Raises:
        PageSkipped: Nothing visible is left after cleaning (an empty file, a shell of
            empty blocks): the page is reported as skipped, never sent empty.
        PageError: The body format is unknown, or lxml refused the text. The message names
            the page.
    """
    rendered = _rendered(doc)
    url = safe_url(rendered.url) if rendered.url else None
    try:
        cleaned = clean_html(
            strip_html_controls(rendered.html),
            base_url=doc.link_base or url,
            heading_ids=doc.body_format == "markdown",
        )
    except ValueError as exc:
        raise PageError(f"page {doc.external_id!r}: the HTML cannot be parsed: {exc}") from exc
    html = sanitize_html(cleaned.html)
    linked: tuple[tuple[str, str], ...] = ()
    if doc.links is not None and doc.link_base is not None:
        html, linked = rewrite_links(html, doc.link_base, doc.links)
    html = strip_controls(html)  # the net: nothing above should have left one
    if not has_visible_content(html):  # nothing to publish: skipped, never uploaded empty
        raise PageSkipped(
            f"page {doc.external_id!r}: nothing left after cleaning "
            f"({doc.body_format} body of {len(doc.body)} characters)"
        )
    title, _source = choose_title(
        external_id=doc.external_id,
        document_title=doc.title,
        front_matter_title=rendered.front_matter_title,
        first_h1=cleaned.first_h1,
        head_title=cleaned.head_title,
        fallback_title=doc.fallback_title,
    )
    return ConvertedPage(
        external_id=doc.external_id,
        title=title,
        url=url,
        html=html,
        content_hash=content_hash(title, url, html),
        warnings=rendered.warnings + cleaned.warnings,
        linked_pages=tuple(external_id for external_id, _url in linked),
        linked_urls=tuple(url for _external_id, url in linked),
        facts=rendered.facts,
    )


def _rendered(doc: Document) -> _Rendered:
    """The body as HTML: Markdown rendered after its front matter is read, text as paragraphs."""
    if doc.body_format == "html":
        return _Rendered(doc.body, doc.url)
    if doc.body_format == "text":
        return _Rendered(text_to_html(_normalize_newlines(doc.body)), doc.url)
    if doc.body_format == "markdown":
        front_matter = split_front_matter(_normalize_newlines(doc.body))
        return _Rendered(
            markdown_to_html(front_matter.body),
            front_matter.url or doc.url,
            front_matter.title,
            front_matter.facts,
            tuple(front_matter.warnings),
        )
    raise PageError(f"page {doc.external_id!r}: unknown body_format {doc.body_format!r}")


def without_dead_links(page: ConvertedPage, dead: Iterable[str]) -> ConvertedPage:
    """``page`` with its links to the pages ``dead`` (external ids) sent as their text, and its
    hash taken again; the same page when it links to none of them."""
    urls = [
        url
        for eid, url in zip(page.linked_pages, page.linked_urls, strict=False)
        if eid in set(dead)
    ]
    html = unlink_pages(page.html, urls) if urls else page.html
    if html == page.html:
        return page
    return replace(page, html=html, content_hash=content_hash(page.title, page.url, html))


def broken_targets(
    page: ConvertedPage, missing: Iterable[object], known: Container[str]
) -> list[str]:
    """The pages of the source ``page`` links to that the source does not hold: found by
    conversion (``linked_pages`` not in ``known``) or told by the connector (a wiki's red links,
    a Notion page missing from the export: ``Document.metadata["missing_links"]``). ``sync``,
    ``plan`` and ``preview`` all count with this one function."""
    broken = [eid for eid in page.linked_pages if eid not in known]
    broken += [str(target) for target in missing if str(target) not in broken]
    return broken


_TAGS = re.compile(r"<[^>]*>")


def text_beyond_title(page: ConvertedPage) -> int:
    """How many characters of text (spaces aside) ``page`` shows besides its title."""
    text = html_lib.unescape(_TAGS.sub(" ", page.html))
    compact = "".join(text.split())
    title = "".join(page.title.split())
    if title and compact.startswith(title):  # the heading that gave the title
        compact = compact[len(title) :]
    return len(compact)


def require_text(page: ConvertedPage, min_chars: int) -> None:
    """Raise :class:`PageSkipped` when ``page`` has less than ``min_chars`` of text beyond
    its title: an empty shell (a title only, an empty template) is no answer for Fin."""
    if min_chars <= 0:
        return
    found = text_beyond_title(page)
    if found < min_chars:
        raise PageSkipped(
            f"page {page.external_id!r}: only {found} character(s) of text beyond its title "
            f"(min_text_chars is {min_chars})"
        )
