"""Long pages split at their headings into sections that each fit a size budget (pure).

Two budgets apply, independently: ``max_page_bytes`` (Intercom's limit: a page over it must be
split, and a block over it fails the page) and ``section_bytes`` (sized for answers: a page over
it is split at its headings so that a question finds the section that answers it, measured in
docs/answer-fitness.md). A page over either becomes one External Page per section:

* the first section keeps the page's own ``external_id``, title and url (so the page is still
  found where it always was); every other section is ``<external_id>#<slug>``, titled
  ``Page title — Section`` with the deep-link url ``<url>#<anchor>`` (the anchor
  percent-encoded: a heading id is raw text, ``a" onmouseover=`` must stay inside the url).
  A section that starts at a sub-heading is named with the headings it belongs to
  (``Pydantic — v2.11.0 — Fixes``, not one of five ``Pydantic — Fixes``), and a heading that
  repeats the page title is not said twice;
* the split happens at the highest heading level the page uses (layout wrappers such as a
  saved web page's nested ``<div>``s are opened until its headings are reached); a section
  still over the budget is split again at its next heading level, and one with no heading
  left is cut between blocks into numbered parts. A single block over the budget (one giant
  table) is an error, never a silent truncation;
* for ``section_bytes`` only, a run of blocks with no heading left is cut into parts only when
  it is over ``HEADINGLESS_FACTOR`` times ``section_bytes`` (an article without headings has
  no place a reader would call a section; cutting it anywhere measured worse), into parts of
  about even size, a last part under ``1/TAIL_FRACTION`` of the budget (a copyright line, a
  database's "269 rows.") ending the part before it; a single block over ``section_bytes`` is
  a part of its own, never an error;
* a split that leaves one section returns the page untouched (same HTML, same hash: a page
  under the budgets is never re-sent because the budgets exist);
* for ``max_page_bytes`` alone, sections are never merged, so an edit to one section changes
  only that section (its hash); for ``section_bytes``, neighbouring sections of one level share
  a section while together they fit the budget (a changelog with a heading every 600 bytes is
  a few sections of ``section_bytes``, not one per heading: fewer calls, and tiny sections
  outrank real answers; measured in docs/answer-fitness.md), and what leads a section too
  long for one (a banner image, a release's heading and its one line) opens that section's
  first piece when they fit together, or when the lead is under ``1/TAIL_FRACTION`` of the
  budget and both fit ``max_page_bytes``: never a page of its own; a tail that small (a
  release's "New contributors") ends the section before it. An edit that changes a
  section's size can move the boundaries after it, re-sending at most that page's sections;
* an in-page link (``#cite_note-1``) whose target lands in another section points at the
  page's url with that fragment (the source page holds every anchor); one whose target is in
  its own section stays a fragment. Links are measured in their long form, so rewriting never
  takes a section over the budget.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, NamedTuple, TypeAlias

import lxml.html  # type: ignore[import-untyped,unused-ignore]

from ingestor.convert._canonical import content_hash
from ingestor.convert._clean import free_void_contents, github_slug, serialize_html
from ingestor.convert._pipeline import ConvertedPage
from ingestor.convert._urls import safe_url, with_fragment
from ingestor.errors import PageError

__all__ = ["HEADINGLESS_FACTOR", "SECTION_SEPARATOR", "split_page"]

#: Between the page title and the section heading in a section's title.
SECTION_SEPARATOR = " — "
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_WRAPPERS = ("div", "article", "section", "main")

#: A run of blocks without headings is cut for answers only past this many ``section_bytes``
#: (benchmarks/answer_fitness.py --headingless measures 1, 2, 4, 8 and never).
HEADINGLESS_FACTOR = 4
#: Sized for answers, a heading-less run's last part under ``1/TAIL_FRACTION`` of the part
#: budget joins the part before it (within ``max_page_bytes``), which may then be up to that
#: much over the budget: a footer or a table's row count alone is no section.
TAIL_FRACTION = 8

#: An enclosing heading longer than this names no section: a subtitle set as a heading (a
#: news article's standfirst) is left out of the titles of the sections under it.
_PATH_CHARS = 80

Block: TypeAlias = Any  # lxml.html.HtmlElement (lxml ships no type hints)


class _Budgets(NamedTuple):
    """UTF-8 bytes of HTML: a section's at headings, a heading-less part's, and the hard limit;
    ``pack``: sized for answers, neighbouring sections share one while they fit ``section``."""

    section: int
    part: int
    hard: int
    pack: bool = False


def split_page(page: ConvertedPage, budget: int, *, section_bytes: int = 0) -> list[ConvertedPage]:
    """``[page]`` when it fits ``budget`` and ``section_bytes`` (UTF-8 bytes of HTML; 0: no
    section budget), else its sections.

    Raises:
        PageError: One block alone is over ``budget``, so no split can make it fit.
    """
    budgets = _Budgets(budget, budget, budget)
    if 0 < section_bytes < budget:
        part = min(budget, section_bytes * HEADINGLESS_FACTOR)
        budgets = _Budgets(section_bytes, part, budget, pack=True)
    if _size(page.html) <= budgets.section:
        return [page]
    root = lxml.html.fragment_fromstring(page.html, create_parent="div")
    free_void_contents(root)  # a <wbr> must not hold the rest of its paragraph
    fragment_links = _page_url_fragments(root, page.url)
    blocks = _child_blocks(root)
    while len(blocks) == 1 and blocks[0].tag in _WRAPPERS and len(blocks[0]):
        blocks = _opened(blocks[0])  # descend through a lone wrapper to the real blocks
    while any(map(_holds_heading, blocks)):
        # a saved web page's layout <div>s hide its headings: open those that hold one
        blocks = [c for b in blocks for c in (_opened(b) if _holds_heading(b) else [b])]
    groups = _split(page, blocks, budgets, level=0)
    if len(groups) == 1 and _size(page.html) <= budgets.hard:
        return [page]  # nothing to split at for answers: the page as it is (hash unchanged)
    if fragment_links:
        for _heading, group in groups:
            _local_fragments(group, fragment_links)
    return _sections(page, groups, _enclosing_headings(blocks))


def _holds_heading(block: Block) -> bool:
    return block.tag in _WRAPPERS and next(block.iter(*_HEADINGS), None) is not None


def _opened(wrapper: Block) -> list[Block]:
    """A wrapper's child blocks, the text after it kept as a paragraph of its own."""
    if (wrapper.tail or "").strip():
        wrapper.append(_paragraph(wrapper.tail))
        wrapper.tail = None
    return _child_blocks(wrapper)


def _child_blocks(parent: Block) -> list[Block]:
    """The children of ``parent``; loose text before the first one becomes a paragraph of its
    own (blocks are serialized one by one, and ``parent.text`` would be lost)."""
    if (parent.text or "").strip():
        parent.insert(0, _paragraph(parent.text))
        parent.text = None
    return list(parent)


def _paragraph(text: str) -> Block:
    paragraph = lxml.html.Element("p")
    paragraph.text = text
    return paragraph


def _page_url_fragments(root: Block, url: str | None) -> dict[Block, str]:
    """Point every in-page link at ``<url>#fragment``; the links, with their fragments."""
    if not url:
        return {}
    base = url.split("#", 1)[0]
    links: dict[Block, str] = {}
    for link in root.iter("a"):
        href = (link.get("href") or "").strip()
        if href.startswith("#") and len(href) > 1:
            links[link] = href[1:]
            link.set("href", safe_url(f"{base}{href}"))
    return links


def _local_fragments(group: list[Block], fragment_links: dict[Block, str]) -> None:
    """Links of ``group`` whose target is in ``group`` become fragments again."""
    ids: set[str] = set()
    for block in group:
        ids.update(str(v) for v in block.xpath("descendant-or-self::*/@id"))
        ids.update(str(v) for v in block.xpath("descendant-or-self::a/@name"))
    for block in group:
        for link in block.iter("a"):
            fragment = fragment_links.get(link)
            if fragment is not None and fragment in ids:
                link.set("href", f"#{fragment}")


def _split(
    page: ConvertedPage, blocks: list[Block], budgets: _Budgets, level: int
) -> list[tuple[Block | None, list[Block]]]:
    """Groups of blocks, each under the budget, led by the heading that names it (if any)."""
    if _blocks_size(blocks) <= budgets.section:
        return [(_lead_heading(blocks), blocks)]
    for depth in range(level, len(_HEADINGS)):
        tag = _HEADINGS[depth]
        if not any(b.tag == tag for b in blocks[1:]):
            continue
        groups: list[list[Block]] = [[]]
        for block in blocks:
            if block.tag == tag and groups[-1]:
                groups.append([])
            groups[-1].append(block)
        if len(groups) > 1 and all(b.tag in _HEADINGS for b in groups[0]):
            groups[1:2] = [groups[0] + groups[1]]  # lone parent headings lead the next group
            del groups[0]
        return _packed(page, groups, budgets, depth + 1)
    return _parts(page, blocks, budgets)


def _packed(
    page: ConvertedPage, groups: list[list[Block]], budgets: _Budgets, level: int
) -> list[tuple[Block | None, list[Block]]]:
    """Sibling groups in order: one over the budget split at ``level``; with ``budgets.pack``,
    consecutive ones that fit share a section while together they fit (named by the first)."""
    result: list[tuple[Block | None, list[Block]]] = []
    run: list[Block] = []
    filled = 0
    for group in groups:
        size = _blocks_size(group)
        if budgets.pack and size <= budgets.section:
            if run and filled + size > budgets.section:
                joined = _opens(filled, size, budgets)  # a tiny lead joins even so
                result.append((_lead_heading(run), run + group if joined else run))
                run, filled = [], 0
                if joined:
                    continue
            run, filled = run + group, filled + size
            continue
        pieces = _split(page, group, budgets, level)
        if run and budgets.pack and _opens(filled, _blocks_size(pieces[0][1]), budgets):
            # what leads an oversized group (a banner image, a release's heading and its one
            # line) opens the group's first section rather than being a page of its own
            pieces[0] = (_lead_heading(run), run + pieces[0][1])
        elif run:
            result.append((_lead_heading(run), run))
        run, filled = [], 0
        result += pieces
    if run and result and budgets.pack and _ends(result[-1][1], filled, budgets):
        result[-1] = (result[-1][0], result[-1][1] + run)  # "New contributors" is no page
    elif run:
        result.append((_lead_heading(run), run))
    return result


def _opens(lead: int, first: int, budgets: _Budgets) -> bool:
    """Whether a lead of ``lead`` bytes opens the next section of ``first`` bytes: when both fit
    the section budget, or when the lead is tiny and both fit the hard limit."""
    if lead + first <= budgets.section:
        return True
    return _tiny(lead, budgets.section) and lead + first <= budgets.hard


def _ends(section: list[Block], tail: int, budgets: _Budgets) -> bool:
    """Whether a tail of ``tail`` bytes ends ``section``: when it is tiny and both fit the hard
    limit."""
    return _tiny(tail, budgets.section) and _blocks_size(section) + tail <= budgets.hard


def _tiny(size: int, budget: int) -> bool:
    """Too small to be a section of its own: under ``1/TAIL_FRACTION`` of ``budget``."""
    return size * TAIL_FRACTION < budget


def _parts(
    page: ConvertedPage, blocks: list[Block], budgets: _Budgets
) -> list[tuple[Block | None, list[Block]]]:
    """No heading left to split at: cut between blocks into consecutive parts (a block over
    the part budget but under the hard limit is a part of its own). Sized for answers, the
    parts are of about even size and a tiny last part ends the one before it (a page just
    over the budget is two halves, not the page and its copyright line); for
    ``max_page_bytes`` alone each part is filled in turn, so an edit moves no cut before it."""
    budget = budgets.part
    total = _blocks_size(blocks)
    if total <= budget:
        return [(_lead_heading(blocks), blocks)]
    target = total / -(-total // budget) if budgets.pack else budget
    parts: list[list[Block]] = [[]]
    filled = 0
    for block in blocks:
        size = _blocks_size([block])
        if size > budgets.hard:
            tag = block.tag if isinstance(block.tag, str) else "block"
            raise PageError(
                f"{page.external_id}: one <{tag}> alone is {size:,} bytes, over "
                f"max_page_bytes ({budgets.hard:,}); it cannot be split at a heading, so the page "
                "is not uploaded (raise max_page_bytes)"
            )
        full = filled + size > budget or (budgets.pack and filled + size / 2 > target)
        if (
            parts[-1]
            and full
            and (not all(b.tag in _HEADINGS for b in parts[-1]) or filled + size > budgets.hard)
        ):  # a heading stays with the block it leads whenever the hard limit allows
            parts.append([])
            filled = 0
        parts[-1].append(block)
        filled += size
    tiny_tail = budgets.pack and len(parts) > 1 and _tiny(filled, budget)
    if tiny_tail and _blocks_size(parts[-2]) + filled <= budgets.hard:
        parts[-2:] = [parts[-2] + parts[-1]]  # a copyright line is no page of its own
    lead = _lead_heading(blocks)
    return [(lead, part) for part in parts]


def _sections(
    page: ConvertedPage,
    groups: list[tuple[Block | None, list[Block]]],
    enclosing: dict[Block, list[Block]],
) -> list[ConvertedPage]:
    sections: list[ConvertedPage] = []
    used: set[str] = set()
    counts: dict[int, int] = {}
    for index, (heading, blocks) in enumerate(groups):
        html = "".join(serialize_html(b) for b in blocks)
        if heading is not None:  # the first part of a heading-led run counts too
            counts[id(heading)] = counts.get(id(heading), 0) + 1
        if index == 0:
            digest = content_hash(page.title, page.url, html)
            sections.append(replace(page, html=html, content_hash=digest))
            continue
        part = counts.get(id(heading), 1)
        slug = github_slug(_text(heading)) or "section"
        label = _label(page.title, heading, enclosing)
        if part > 1:
            slug = f"{slug}-part-{part}"
            label = f"{label} (part {part})" if label else f"part {part}"
        slug = _unique(slug, used)
        anchor = heading.get("id") if heading is not None and part == 1 else None
        url = with_fragment(page.url, anchor or slug) if page.url else None
        if heading is None:
            label = f"part {index + 1}"
        title = f"{page.title}{SECTION_SEPARATOR}{label}" if label else page.title
        sections.append(
            ConvertedPage(
                external_id=f"{page.external_id}#{slug}",
                title=title,
                url=url,
                html=html,
                content_hash=content_hash(title, url, html),
                warnings=(),
                linked_pages=page.linked_pages,
                linked_urls=page.linked_urls,
            )
        )
    return sections


def _enclosing_headings(blocks: list[Block]) -> dict[Block, list[Block]]:
    """Each heading's enclosing headings, outermost first (the page's outline above it)."""
    enclosing: dict[Block, list[Block]] = {}
    open_headings: list[Block] = []
    for block in blocks:
        if block.tag not in _HEADINGS:
            continue
        while open_headings and open_headings[-1].tag >= block.tag:  # "h2" >= "h3" is False
            open_headings.pop()
        enclosing[block] = list(open_headings)
        open_headings.append(block)
    return enclosing


def _label(page_title: str, heading: Block | None, enclosing: dict[Block, list[Block]]) -> str:
    """What names a section after the page title: its heading after the headings it belongs
    to (those of a sensible length); a heading that repeats the page title adds nothing (a
    README's ``# Rich`` under the title "Rich")."""
    if heading is None:
        return ""
    above = [name for h in enclosing.get(heading, ()) if len(name := _text(h)) <= _PATH_CHARS]
    said = _text_key(page_title)
    names = (n for n in (*above, _text(heading)) if n and _text_key(n) != said)
    return SECTION_SEPARATOR.join(names)


def _text(heading: Block | None) -> str:
    return " ".join(heading.text_content().split()) if heading is not None else ""


def _text_key(text: str) -> str:
    """Headings compared as their letters and digits: "annotated-types" repeats "Annotated
    types"."""
    return "".join(char for char in text.casefold() if char.isalnum())


def _lead_heading(blocks: list[Block]) -> Block | None:
    return blocks[0] if blocks and blocks[0].tag in _HEADINGS else None


def _unique(slug: str, used: set[str]) -> str:
    candidate, n = slug, 1
    while candidate in used:
        n += 1
        candidate = f"{slug}-{n}"
    used.add(candidate)
    return candidate


def _blocks_size(blocks: list[Block]) -> int:
    return sum(_size(serialize_html(b)) for b in blocks)


def _size(html: str) -> int:
    return len(html.encode("utf-8"))
