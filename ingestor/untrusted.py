"""Text fin-ingestor did not write, made safe to store, log, print and send.

Two kinds of outside text reach our outputs:

* **Server text** (:func:`server_text`): what Intercom, Confluence, MediaWiki or DokuWiki say
  when they refuse something: error messages, codes, field names, request ids. A server (or
  whoever sits between us and it) chooses every byte, so before such text enters an
  exception, a log line, a report, the state database or ``ingestor status`` it is masked for
  our credentials (a server may echo the token back), cut to one line of at most ``limit``
  characters, and stripped of terminal escape sequences, control characters and BIDI
  overrides. Markup is still the renderer's job: the console escapes rich markup, preview
  and the daemon escape HTML.
* **Page text** (:func:`strip_controls`, :func:`strip_html_controls`): the conversion stage
  removes C0 and C1 control characters (except tab, line feed and carriage return) from
  bodies, titles and urls, so the same bytes reach Intercom whether a control character sat in
  text or in an attribute. In HTML they go before anything parses it, written raw or as a
  numeric character reference (``&#1;``, ``&#x1b;``): lxml refuses an attribute that holds
  one ("All strings must be XML compatible"). References to 128-159 stay: HTML parsers read
  them as windows-1252 (``&#128;`` is €).
  U+2028/U+2029 are kept in bodies (they are visible line breaks) and become spaces in titles
  (title tidying treats them as whitespace). BIDI embedding, override and isolate controls
  (U+202A-U+202E, U+2066-U+2069) are removed from titles and urls, where they can make a
  title or link read differently from what it is ("Trojan Source" style spoofing), and kept in
  bodies, where right-to-left writing legitimately uses them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = [
    "MAX_SERVER_TEXT",
    "server_text",
    "strip_bidi_controls",
    "strip_controls",
    "strip_html_controls",
    "visible_text",
]

#: Longest piece of a server's text quoted anywhere.
MAX_SERVER_TEXT = 300

#: C0 controls except tab, line feed and carriage return; DEL; C1 controls.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: BIDI embeddings, overrides (U+202A-U+202E) and isolates (U+2066-U+2069).
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
#: Terminal escape sequences: CSI (``ESC [`` or the C1 CSI), OSC (``ESC ]`` up to BEL or
#: ``ESC \\``: window titles, hyperlinks), DCS/PM/APC strings, and two-character escapes.
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]"
)
_NUMERIC_REFERENCE = re.compile(r"&#(?:([0-9]{1,8})|[xX]([0-9a-fA-F]{1,8}));?")
_CONTROL_CODES = frozenset(range(0x01, 0x20)) - {0x09, 0x0A, 0x0D} | {0x7F}
_LINE_BREAKS = re.compile("[\t\n\r\u2028\u2029\x85]+")
_SPACES = re.compile(r" {2,}")


def strip_controls(text: str) -> str:
    """``text`` without C0/C1 control characters; tab, line feed and carriage return stay."""
    return _CONTROLS.sub("", text) if _CONTROLS.search(text) else text


def _drop_control_reference(match: re.Match[str]) -> str:
    decimal, hexadecimal = match.groups()
    code = int(decimal) if decimal is not None else int(hexadecimal, 16)
    return "" if code in _CONTROL_CODES else match.group()


def strip_html_controls(html: str) -> str:
    """``html`` without control characters, raw or as numeric character references."""
    html = strip_controls(html)
    if "&#" in html:
        html = _NUMERIC_REFERENCE.sub(_drop_control_reference, html)
    return html


def strip_bidi_controls(text: str) -> str:
    """``text`` without BIDI embedding, override and isolate controls."""
    return _BIDI.sub("", text) if _BIDI.search(text) else text


def visible_text(text: str, *, keep_lines: bool = False) -> str:
    """``text`` as a terminal shows it, whoever wrote it: no escape sequence, control
    character or BIDI override; line breaks become spaces unless ``keep_lines`` (then only
    line feeds and tabs stay). Rich markup is not escaped here: that is the renderer's job."""
    text = _ESCAPES.sub("", text)
    if keep_lines:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    else:
        text = _LINE_BREAKS.sub(" ", text)
    return strip_bidi_controls(strip_controls(text))


def server_text(value: object, *, secrets: Iterable[str] = (), limit: int = MAX_SERVER_TEXT) -> str:
    """What a server said, fit to quote in our messages, logs, reports and state.

    Args:
        value: The server's text (anything; non-strings are converted with ``str``).
        secrets: Credential values to mask wherever they appear (the token a server echoes).
        limit: Most characters kept; longer text ends with "…".

    Returns:
        One line: escape sequences, control characters and BIDI overrides removed, credentials
        masked, runs of spaces collapsed, at most ``limit`` characters.
    """
    # imported here: conversion workers use this module, and ingestor.http brings httpx along
    from ingestor.http._redact import redact

    text = visible_text(str(value))
    text = redact(text, secrets)  # after stripping: a control character inside a token
    text = _SPACES.sub(" ", text).strip()  # must not hide it from the mask
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"
