"""Control characters out of a page before it is parsed (pure).

C0 controls (except tab, line feed and carriage return), DEL and C1 controls are invisible,
make lxml refuse an attribute that holds one ("All strings must be XML compatible"), and
``\\x1b`` starts terminal escape sequences wherever the text is shown later. So one stage
removes them from the page's HTML before anything parses it, written raw or as a numeric
character reference (``&#1;``, ``&#x1b;``): text and attributes then lose the same characters.
References to 128-159 are left alone: HTML parsers read them as windows-1252 (``&#128;`` is €).
Titles and urls are stripped where they are tidied (:mod:`._title`, :mod:`._urls`); see
:mod:`ingestor.untrusted` for what is kept (U+2028/9, BIDI controls in bodies) and why.
"""

from __future__ import annotations

import re

from ingestor.untrusted import strip_controls

__all__ = ["remove_control_characters"]

_NUMERIC_REFERENCE = re.compile(r"&#(?:([0-9]{1,8})|[xX]([0-9a-fA-F]{1,8}));?")
_CONTROL_CODES = frozenset(range(0x01, 0x20)) - {0x09, 0x0A, 0x0D} | {0x7F}


def _drop_control_reference(match: re.Match[str]) -> str:
    decimal, hexadecimal = match.groups()
    code = int(decimal) if decimal is not None else int(hexadecimal, 16)
    return "" if code in _CONTROL_CODES else match.group()


def remove_control_characters(html: str) -> str:
    """``html`` without control characters, raw or as numeric character references."""
    html = strip_controls(html)
    if "&#" in html:
        html = _NUMERIC_REFERENCE.sub(_drop_control_reference, html)
    return html
