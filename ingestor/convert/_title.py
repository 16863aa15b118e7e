"""Which title a page gets, and how titles are tidied."""

from __future__ import annotations

import re
from typing import Literal

from ingestor.untrusted import strip_bidi_controls, strip_controls

__all__ = ["TitleSource", "choose_title", "normalize_title"]

TitleSource = Literal["document", "front_matter", "h1", "head_title", "fallback", "external_id"]

_WHITESPACE = re.compile(r"\s+")


def normalize_title(value: str | None) -> str | None:
    """Strip a title, drop its control characters and BIDI embedding/override/isolate
    controls (a title must read as what it is), collapse its inner whitespace (U+2028/9
    included); blank titles become None.

    Args:
        value: A candidate title.

    Returns:
        The tidy title, or None when nothing is left.
    """
    if value is None:
        return None
    tidy = _WHITESPACE.sub(" ", strip_bidi_controls(strip_controls(value))).strip()
    return tidy or None


def choose_title(
    *,
    external_id: str,
    document_title: str | None = None,
    front_matter_title: str | None = None,
    first_h1: str | None = None,
    head_title: str | None = None,
    fallback_title: str | None = None,
) -> tuple[str, TitleSource]:
    """Pick the first usable title, most authoritative first.

    The order is: the source's own title (a wiki page title), the front matter ``title``, the
    first ``<h1>`` of the kept article, the ``<title>`` of the page, the connector's fallback
    (e.g. a readable file name), and finally the external id, which always exists.

    Args:
        external_id: The page id; the last resort.
        document_title: ``Document.title``.
        front_matter_title: ``title`` from YAML front matter.
        first_h1: Text of the first non-empty ``<h1>`` of the cleaned body.
        head_title: Text of ``<head><title>``.
        fallback_title: ``Document.fallback_title``.

    Returns:
        The title and where it came from.
    """
    candidates: tuple[tuple[str | None, TitleSource], ...] = (
        (document_title, "document"),
        (front_matter_title, "front_matter"),
        (first_h1, "h1"),
        (head_title, "head_title"),
        (fallback_title, "fallback"),
    )
    for value, source in candidates:
        title = normalize_title(value)
        if title is not None:
            return title, source
    return normalize_title(external_id) or external_id, "external_id"
