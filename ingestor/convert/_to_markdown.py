"""HTML to normalized Markdown with markdownify, for diffs and previews (not the hot path)."""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdownify import MarkdownConverter

__all__ = ["to_markdown"]

_TRAILING_SPACE = re.compile(r"[ \t]+$", re.M)
_BLANK_RUN = re.compile(r"\n{3,}")


@cache
def _converter() -> MarkdownConverter:
    # Imported on first use: markdownify and BeautifulSoup cost a sync process about 12 MB it
    # only needs for `ingestor plan --diff`.
    from markdownify import MarkdownConverter

    return MarkdownConverter(
        heading_style="ATX",
        bullets="-",
        strong_em_symbol="*",
        newline_style="backslash",  # trailing-space line breaks would not survive normalization
        bs4_options="lxml",
    )


def to_markdown(html: str) -> str:
    """Convert HTML to Markdown normalized for stable diffs.

    ATX headings, ``-`` bullets, backslash line breaks, no trailing spaces, at most one blank
    line in a row, and exactly one final newline (an empty string for empty input).

    Args:
        html: Any HTML; usually :attr:`ConvertedPage.html`.

    Returns:
        The Markdown text.
    """
    # The wrapper keeps BeautifulSoup from mistaking a bare url or file name for a locator
    # (it would warn, and warnings are errors under test).
    markdown: str = _converter().convert(f"<div>{html}</div>")
    markdown = _BLANK_RUN.sub("\n\n", _TRAILING_SPACE.sub("", markdown)).strip("\n")
    return markdown + "\n" if markdown else ""
