"""Conversion: pure functions from a fetched document to the clean HTML Intercom receives.

No I/O and no global configuration: the same document always gives the same page and hash.
Public API: :class:`ConvertedPage`, :func:`convert_document` and :func:`to_markdown`.
"""

from __future__ import annotations

from ingestor.convert._pipeline import (
    ConvertedPage,
    broken_targets,
    convert_document,
    require_text,
    text_beyond_title,
    without_dead_links,
)
from ingestor.convert._split import SECTION_SEPARATOR, split_page
from ingestor.convert._to_markdown import to_markdown

__all__ = [
    "SECTION_SEPARATOR",
    "ConvertedPage",
    "broken_targets",
    "convert_document",
    "require_text",
    "split_page",
    "text_beyond_title",
    "to_markdown",
    "without_dead_links",
]
