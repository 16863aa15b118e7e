"""Source text to HTML: YAML front matter, Markdown (pyromark) and plain text.

Every function here is pure. The HTML they return is *not* safe yet: raw HTML inside Markdown is
passed through on purpose so that it goes through the same cleaning and sanitizing as HTML pages.
"""

from __future__ import annotations

import datetime
import html
import re
from dataclasses import dataclass, field

import pyromark

from ingestor.convert._urls import is_absolute_http_url

__all__ = ["FrontMatter", "markdown_to_html", "split_front_matter", "text_to_html"]

# The opening line must be exactly "---"; the block ends at a "---" or "..." line (YAML's own
# document end marker), as Jekyll, Hugo and Obsidian accept.
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<yaml>.*?)^(?:---|\.\.\.)[ \t]*$\n?", re.S | re.M)
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)*")


@dataclass(frozen=True, slots=True)
class FrontMatter:
    """What a Markdown file's front matter says, and the Markdown left once it is cut off."""

    body: str
    title: str | None = None
    url: str | None = None
    warnings: tuple[str, ...] = ()
    #: Every scalar key (and list of scalars) as text, for audience rules: ``audience: team``
    #: gives ``{"front_matter.audience": ("team",)}``.
    facts: dict[str, tuple[str, ...]] = field(default_factory=dict)


def split_front_matter(text: str) -> FrontMatter:
    """Cut a YAML front matter block off the top of a Markdown text.

    Only ``title`` and ``url`` are used; other keys are ignored. A block whose YAML does not
    parse is still cut off (it was clearly meant as front matter) and reported as a warning. A
    block that parses to something other than a mapping (``---`` then a line then ``---`` is
    also a thematic break plus a setext heading) is left in the body, with a warning.

    Args:
        text: Markdown source, line endings already normalized to ``\\n``.

    Returns:
        The body without the block, the title and url it set, and any warnings.
    """
    match = _FRONT_MATTER.match(text)
    if match is None:
        return FrontMatter(body=text)
    body = text[match.end() :]
    # imported here: a conversion worker that meets no front matter never loads it (~2 MB)
    import yaml

    # yaml.safe_load's loader, in C (libyaml) when available: same rules, faster.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(match.group("yaml"), Loader=loader)  # a safe loader, see above
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 2}" if where is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        warning = f"front matter ignored: invalid YAML{at}: {problem}"
        return FrontMatter(body=body, warnings=(warning,))
    if data is None:
        return FrontMatter(body=body)
    if not isinstance(data, dict):
        kind = type(data).__name__
        return FrontMatter(
            body=text,
            warnings=(f"front matter ignored: expected a mapping of keys, got a {kind}",),
        )
    warnings: list[str] = []
    title = _scalar_text(data.get("title"), "title", warnings)
    url = _scalar_text(data.get("url"), "url", warnings)
    if url is not None and not is_absolute_http_url(url):
        warnings.append(
            f"front matter url ignored: not an absolute http(s) URL: {url[:200]!r}; "
            "the page keeps its own url"
        )
        url = None
    return FrontMatter(
        body=body, title=title, url=url, warnings=tuple(warnings), facts=_facts(data)
    )


def _facts(data: dict[object, object]) -> dict[str, tuple[str, ...]]:
    """``front_matter.<key>`` facts: scalars as text, lists of scalars as several values."""
    facts: dict[str, tuple[str, ...]] = {}
    for key, value in data.items():
        items = value if isinstance(value, list) else [value]
        texts = tuple(
            (str(item).lower() if isinstance(item, bool) else str(item)).strip()
            for item in items
            if isinstance(item, str | int | float | bool | datetime.date)
        )
        if isinstance(key, str | int) and texts:
            facts[f"front_matter.{key}"] = texts
    return facts


def _scalar_text(value: object, key: str, warnings: list[str]) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float | datetime.date):
        warnings.append(f"front matter {key} ignored: expected text, got a {type(value).__name__}")
        return None
    text = str(value).strip()
    return text or None


# Task list items: pulldown-cmark renders "[ ]"/"[x]" as a disabled checkbox, which the
# sanitizer would drop; they become boxes, as Notion exports render to-dos.
_TASK_BOXES = (
    ('<input disabled="" type="checkbox"/>\n', "<span>\u2610</span> "),
    ('<input disabled="" type="checkbox" checked=""/>\n', "<span>\u2611</span> "),
)
# CommonMark plus GFM tables, strikethrough, task lists and footnotes. Raw HTML is kept so that
# it is cleaned by the same code as HTML pages rather than shown as escaped tags.
_OPTIONS = (
    pyromark.Options.ENABLE_TABLES
    | pyromark.Options.ENABLE_STRIKETHROUGH
    | pyromark.Options.ENABLE_TASKLISTS
    | pyromark.Options.ENABLE_FOOTNOTES
)


def markdown_to_html(markdown: str) -> str:
    """Render Markdown (CommonMark, tables, strikethrough, task lists, footnotes) to
    unsanitized HTML, with pyromark (pulldown-cmark, in Rust).

    Args:
        markdown: Markdown without front matter.

    Returns:
        An HTML fragment; raw HTML from the source is kept for the cleaner to deal with.
    """
    # <s> as markdown-it-py wrote it: the same strikethrough, and pages keep their hash
    rendered = pyromark.html(markdown, options=_OPTIONS).replace("<del>", "<s>")
    rendered = rendered.replace("</del>", "</s>")
    if "<input" in rendered:
        for checkbox, box in _TASK_BOXES:
            rendered = rendered.replace(checkbox, box)
    return rendered


def text_to_html(text: str) -> str:
    """Turn plain text into escaped paragraphs: blank lines separate them, line breaks stay.

    Args:
        text: Plain text, line endings already normalized to ``\\n``.

    Returns:
        A fragment of ``<p>`` elements, with ``<br>`` for the line breaks inside a paragraph.
    """
    paragraphs = []
    for block in _BLANK_LINES.split(text.strip("\n")):
        lines = [html.escape(line.strip(), quote=False) for line in block.split("\n")]
        lines = [line for line in lines if line]
        if lines:
            paragraphs.append("<p>" + "<br>\n".join(lines) + "</p>")
    return "\n".join(paragraphs)
