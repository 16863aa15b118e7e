"""Text blocks of a PDF, as laid out on its pages, back to headings, paragraphs and lists.

A PDF stores positioned glyphs, not structure; this module recovers what it reasonably can
from the blocks pdfminer's layout analysis finds (pure functions, no PDF library involved):

* **Running headers and footers** (a block in the top or bottom 12% of the page whose text,
  digits aside, repeats on at least 3 pages and half of them) and bare page numbers in those
  margins are dropped, unless those repeated blocks are all the text the document has.
* **Headings** are short blocks (at most 3 lines, 150 characters) set larger than the body
  text (the font size most characters use): the largest size is ``h1``, the next ``h2``, then
  ``h3``; a one-line block entirely in bold at body size, not ending like a sentence, is one
  level below those.
* **Lists**: lines starting with a bullet glyph, a dash, ``1.``/``1)`` or ``a)`` start list
  items; other lines continue the item; neighbouring list blocks of one kind form one list.
* **Paragraphs**: a block's lines are joined with spaces; a word hyphenated at a line end is
  rejoined when the next line starts in lower case. A paragraph cut in two, by a page break
  or by the layout analysis (same font size, it does not end like a sentence and the next
  block goes on in lower case, or it ends with a comma or hyphen), is joined with its
  continuation, across the dropped footer and header. A block whose font size changes by 10%
  or more is cut there first (a heading glued to its first paragraph).
"""

from __future__ import annotations

import html
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["TextBlock", "TextLine", "blocks_to_html"]

_MARGIN = 0.12
_HEADING_RATIO = 1.15
_MAX_HEADING_LINES = 3
_MAX_HEADING_CHARS = 150
_MAX_TITLE_CHARS = 120
# bullets, circles, squares, arrows, check marks, dashes (escaped: ruff flags look-alikes)
_BULLETS = (
    "\u2022\u25e6\u25aa\u25ab\u2023\u2043\u2219\u00b7\u25cf\u25cb\u25a0\u25a1"
    "\u27a2\u27a4\u25ba\u25b6\u2713\u2714\u2013\u2014*-"
)
_BULLET = re.compile(f"^[{_BULLETS}]\\s+")
_BULLET_ONLY = re.compile(f"^[{_BULLETS}]$")
_NUMBERED = re.compile(r"^(?:\d{1,3}[.)]|[a-z]\))\s+")
_PAGE_NUMBER = re.compile(
    r"^(?:page\s*)?[-\u2013]?\s*\d{1,5}\s*[-\u2013]?(?:\s*(?:of|/)\s*\d{1,5})?$", re.IGNORECASE
)
_DIGITS = re.compile(r"\d+")
# Han, kana, CJK punctuation and full-width forms: scripts written without spaces (Hangul is not).
_NO_SPACE_SCRIPT = (
    "\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
)
_SPACE_IN_NO_SPACE_SCRIPT = re.compile(f"(?<=[{_NO_SPACE_SCRIPT}]) +(?=[{_NO_SPACE_SCRIPT}])")
_ENDS_NO_SPACE = re.compile(f"[{_NO_SPACE_SCRIPT}]$")
_STARTS_NO_SPACE = re.compile(f"^[{_NO_SPACE_SCRIPT}]")
_LETTER_SPACED = re.compile(r"^\S(?: \S)+$")
_WORD_GAP = re.compile(r" {2,}")
_SENTENCE_END = re.compile(
    '[.!?:\u2026"\u201d\u2019\u00bb)\\]\u3002\uff01\uff1f\u300d\u300f\uff09]$'
)

Kind = Literal["heading", "paragraph", "ul", "ol"]


@dataclass(frozen=True, slots=True)
class TextLine:
    """One line of text with the median size and the boldness of its characters."""

    text: str
    size: float
    bold: bool = False


@dataclass(frozen=True, slots=True)
class TextBlock:
    """A block of lines on one page; ``top``/``bottom`` are fractions of the page height
    measured from its top edge (0.0 is the top)."""

    page: int
    lines: tuple[TextLine, ...]
    top: float = 0.5
    bottom: float = 0.5


@dataclass(slots=True)
class _Part:
    kind: Kind
    page: int
    texts: list[str] = field(default_factory=list)  # paragraph/heading: one; lists: items
    level: int = 0
    size: float = 0.0


def blocks_to_html(blocks: Sequence[TextBlock]) -> tuple[str, str | None]:
    """Rebuild a document's structure from its text blocks.

    Args:
        blocks: Every text block of the document, page by page in reading order.

    Returns:
        The HTML fragment and the document's first line of text (None when there is no text).
    """
    kept = [part for block in _drop_running_heads(blocks) for part in _split_on_style(block)]
    body_size = _body_size(kept)
    levels = _heading_levels(kept, body_size)
    parts: list[_Part] = []
    bullet_pending = False
    for block in kept:
        lines = [line.text.strip() for line in block.lines if line.text.strip()]
        if not lines:
            continue
        if len(lines) == 1 and _BULLET_ONLY.match(lines[0]):
            bullet_pending = True  # a bullet glyph laid out as its own block
            continue
        level = levels.get(id(block))
        if level is not None and not bullet_pending:
            parts.append(_Part("heading", block.page, [_join(lines)], level))
        elif bullet_pending or _list_kind(lines[0]) is not None:
            kind = _list_kind(lines[0]) or "ul"
            _add_list(parts, kind, block.page, lines)
        else:
            _add_paragraph(parts, block.page, _join(lines), _size(block))
        bullet_pending = False
    headings = (part.texts[0] for part in parts if part.kind == "heading")
    all_lines = (_unspace(line.text.strip()) for block in kept for line in block.lines)
    title = next((text for text in headings if _is_title(text)), None)
    title = title or next((line for line in all_lines if _is_title(line)), None)
    return "".join(_render(part) for part in parts), _short_title(title)


def _is_title(text: str) -> bool:
    """At least two letters: never a lone character or a bare number."""
    return sum(char.isalpha() for char in text) >= 2


def _drop_running_heads(blocks: Sequence[TextBlock]) -> list[TextBlock]:
    """Without repeated headers/footers and page numbers in the top and bottom margins."""
    pages = {block.page for block in blocks}
    seen_on: defaultdict[str, set[int]] = defaultdict(set)
    for block in blocks:
        if _in_margin(block):
            seen_on[_margin_key(block)].add(block.page)
    threshold = max(3, (len(pages) + 1) // 2)
    repeated = {key for key, on in seen_on.items() if len(on) >= threshold}
    kept: list[TextBlock] = []
    without_numbers: list[TextBlock] = []
    for block in blocks:
        if _in_margin(block):
            text = " ".join(line.text.strip() for line in block.lines).strip()
            if _PAGE_NUMBER.match(text):
                continue
            without_numbers.append(block)
            if _margin_key(block) in repeated:
                continue
        else:
            without_numbers.append(block)
        kept.append(block)
    # A header accompanies body text: when the "running head" is all the text there is (one
    # line at the top of each page, a list printed one record per page), it is the document.
    return kept if any(_has_text(block) for block in kept) else without_numbers


def _has_text(block: TextBlock) -> bool:
    return any(line.text.strip() for line in block.lines)


def _split_on_style(block: TextBlock) -> list[TextBlock]:
    """A block cut where the font size changes by 10% or more (a heading glued to its text)."""
    groups: list[list[TextLine]] = []
    for line in block.lines:
        previous = groups[-1][-1] if groups else None
        if previous is None or abs(line.size - previous.size) >= 0.1 * max(previous.size, 1.0):
            groups.append([line])
        else:
            groups[-1].append(line)
    if len(groups) == 1:
        return [block]
    return [TextBlock(block.page, tuple(group), block.top, block.bottom) for group in groups]


def _in_margin(block: TextBlock) -> bool:
    return block.bottom <= _MARGIN or block.top >= 1 - _MARGIN


def _margin_key(block: TextBlock) -> str:
    text = " ".join(" ".join(line.text.split()) for line in block.lines)
    return _DIGITS.sub("#", text.lower())


def _body_size(blocks: Sequence[TextBlock]) -> float:
    """The font size (to half a point) that most characters are set in."""
    weights: Counter[float] = Counter()
    for block in blocks:
        for line in block.lines:
            weights[round(line.size * 2) / 2] += len(line.text.strip())
    return weights.most_common(1)[0][0] if weights else 0.0


def _heading_levels(blocks: Sequence[TextBlock], body_size: float) -> dict[int, int]:
    """Heading level by ``id(block)`` for the blocks that look like headings."""
    by_size: dict[int, float] = {}
    bold: list[int] = []
    for block in blocks:
        lines = [line for line in block.lines if line.text.strip()]
        text = " ".join(line.text.strip() for line in lines)
        if not lines or len(lines) > _MAX_HEADING_LINES or len(text) > _MAX_HEADING_CHARS:
            continue
        if not any(ch.isalpha() for ch in text) or _BULLET.match(text):
            continue
        size = statistics.median(line.size for line in lines)
        if body_size and size >= body_size * _HEADING_RATIO:
            by_size[id(block)] = round(size * 2) / 2
        elif len(lines) == 1 and lines[0].bold and not re.search(r"[.,;]$", text):
            bold.append(id(block))
    ranks = sorted(set(by_size.values()), reverse=True)[:3]
    levels = {
        key: min(ranks.index(size) + 1 if size in ranks else 3, 3) for key, size in by_size.items()
    }
    bold_level = min(len(ranks) + 1, 4)
    levels.update(dict.fromkeys(bold, bold_level))
    return levels


def _list_kind(line: str) -> Literal["ul", "ol"] | None:
    if _BULLET.match(line):
        return "ul"
    if _NUMBERED.match(line):
        return "ol"
    return None


def _add_list(parts: list[_Part], kind: Literal["ul", "ol"], page: int, lines: list[str]) -> None:
    items: list[list[str]] = []
    for index, line in enumerate(lines):
        marker = _BULLET.match(line) or _NUMBERED.match(line)
        if marker is not None or index == 0:
            items.append([line[marker.end() :] if marker else line])
        else:
            items[-1].append(line)
    texts = [_join(item) for item in items]
    last = parts[-1] if parts else None
    if last is not None and last.kind == kind:
        last.texts.extend(texts)
    else:
        parts.append(_Part(kind, page, texts))


def _add_paragraph(parts: list[_Part], page: int, text: str, size: float) -> None:
    """Append a paragraph, or continue the previous one when a page break or the layout
    analysis cut a sentence in two (same size, no sentence end, the text goes on in lower case,
    in a script without case such as Chinese, or after a comma or hyphen)."""
    last = parts[-1] if parts else None
    if last is not None and last.kind == "paragraph" and abs(last.size - size) < 0.5:
        previous = last.texts[-1]
        first = text[:1]
        goes_on = first.islower() or (first.isalpha() and not first.isupper())  # or caseless
        cut = not _SENTENCE_END.search(previous) and goes_on
        if cut or previous.endswith((",", "-")):
            last.texts[-1] = _join([previous, text])
            last.page = page
            return
    parts.append(_Part("paragraph", page, [text], size=size))


def _size(block: TextBlock) -> float:
    return float(statistics.median(line.size for line in block.lines)) if block.lines else 0.0


def _join(lines: Sequence[str]) -> str:
    """Lines of one paragraph as one string, rejoining words hyphenated at line ends (and, in
    Chinese and Japanese, lines without a space between them)."""
    out = ""
    for raw in lines:
        line = _unspace(raw.strip())
        if not out:
            out = line
        elif _ENDS_NO_SPACE.search(out) and _STARTS_NO_SPACE.match(line):
            out += line
        elif out.endswith("\u00ad") or (
            out.endswith("-") and len(out) > 1 and out[-2].isalpha() and line[:1].islower()
        ):
            out = out[:-1] + line
        else:
            out += " " + line
    return " ".join(out.replace("\u00ad", "").split())


def _unspace(line: str) -> str:
    """A line without the spaces layout analysis invents: between characters of scripts
    written without spaces, and between the letters of a letter-spaced run."""
    line = _SPACE_IN_NO_SPACE_SCRIPT.sub("", line)
    words = _WORD_GAP.split(line)
    if len(line) >= 5 and all(_LETTER_SPACED.match(word) for word in words if word):
        return " ".join(word.replace(" ", "") for word in words)
    return line


def _render(part: _Part) -> str:
    if part.kind == "heading":
        return f"<h{part.level}>{html.escape(part.texts[0], quote=False)}</h{part.level}>"
    if part.kind == "paragraph":
        return f"<p>{html.escape(part.texts[0], quote=False)}</p>"
    items = "".join(f"<li>{html.escape(text, quote=False)}</li>" for text in part.texts)
    return f"<{part.kind}>{items}</{part.kind}>"


def _short_title(line: str | None) -> str | None:
    if line is None:
        return None
    text = " ".join(line.split())
    if len(text) <= _MAX_TITLE_CHARS:
        return text
    cut = text[:_MAX_TITLE_CHARS].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-") + "…"
