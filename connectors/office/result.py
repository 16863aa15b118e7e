"""What an office converter returns, and the small text helpers both converters share."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["OfficeResult", "tidy_title"]

_WHITESPACE = re.compile(r"\s+")
# Titles that tools write on their own: "Microsoft Word - report.docx", "Document1", "untitled".
_TOOL_PREFIX = re.compile(r"^(microsoft\s+(word|powerpoint)\s*-\s*)", re.I)
_PLACEHOLDER = re.compile(r"^(untitled|document|title|slide|presentation)\s*\d*$", re.I)
_FILE_NAME = re.compile(r"\.(docx?|pdf|rtf|odt|txt|html?|md)$", re.I)


@dataclass(frozen=True, slots=True)
class OfficeResult:
    """A converted office document.

    Attributes:
        html: An HTML fragment (headings, paragraphs, lists, tables), not yet sanitized.
        title: The document's own title (metadata, else its first heading or line), or None.
        warnings: Problems that did not stop the conversion, for the admin's log.
        images_dropped: How many embedded images were left out.
    """

    html: str
    title: str | None
    warnings: tuple[str, ...] = ()
    images_dropped: int = 0


def tidy_title(value: str | None) -> str | None:
    """A metadata title made presentable, or None when it is blank or a tool's placeholder.

    Args:
        value: A title from document properties, e.g. ``"Microsoft Word - Plan.docx"``.

    Returns:
        ``"Plan"`` for that example; None for ``""``, ``"Untitled"``, ``"Document1"``.
    """
    if value is None:
        return None
    text = _WHITESPACE.sub(" ", value.replace("\x00", "")).strip()
    prefixed = _TOOL_PREFIX.match(text)
    if prefixed:
        text = _FILE_NAME.sub("", text[prefixed.end() :]).strip()
    if not text or _PLACEHOLDER.fullmatch(text):
        return None
    return text
