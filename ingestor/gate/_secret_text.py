"""What the secret patterns read, and where a found secret sits in the source.

:func:`scan_text` turns what is sent (title, url and HTML) into plain text in which no markup
or encoding can hide a secret: tags go (block tags become line breaks, table and definition
cells tabs, inline tags nothing, so ``pass<b>word</b>`` reads ``password``), entities are
decoded after the tags are gone (so an escaped ``&lt;password&gt;`` in a code block reads
``<password>`` and is not mistaken for a tag), and every attribute value is appended on a line
of its own, percent-decoded too when it holds ``%`` (``href="https://u:pa%73s@h"``).

:class:`SourceLines` finds the 1-based line of ``source`` (the fetched body) holding a value,
and which lines carry the ``fin-ingestor: allow-secret`` marker.
"""

from __future__ import annotations

import html
import re
from urllib.parse import unquote

__all__ = ["ALLOW_MARKER", "SourceLines", "scan_text"]

ALLOW_MARKER = "fin-ingestor: allow-secret"

_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)([^>]*)>|<!--.*?-->", re.S)
_ATTR_VALUE = re.compile(r"""[\w:-]+\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_CELL_ENDS = frozenset({"td", "th", "dt"})
_BLOCKS = frozenset(
    {
        "p", "div", "br", "hr", "li", "ul", "ol", "dl", "dd", "tr", "table", "thead",
        "tbody", "tfoot", "caption", "pre", "blockquote", "h1", "h2", "h3", "h4", "h5",
        "h6", "section", "article", "header", "footer", "nav", "aside", "main",
        "figure", "figcaption", "details", "summary", "title", "body", "head", "html",
    }
)  # fmt: skip


def _attribute_values(attrs: str) -> list[str]:
    values: list[str] = []
    for match in _ATTR_VALUE.finditer(attrs):
        value = match.group(1) or match.group(2) or match.group(3) or ""
        if value:
            values.append(value)
    return values


def scan_text(sent: str) -> str:
    """Plain text of ``sent`` (title, url, HTML), then its attribute values, one a line."""
    if "<" not in sent:
        return _decode(sent)
    parts: list[str] = []
    attributes: list[str] = []
    position = 0
    for match in _TAG.finditer(sent):
        parts.append(sent[position : match.start()])
        position = match.end()
        name = (match.group(2) or "").lower()
        if match.group(3) and match.group(1) == "":
            attributes.extend(_attribute_values(match.group(3)))
        if name in _CELL_ENDS and match.group(1):
            parts.append("\t")
        elif name in _BLOCKS:
            parts.append("\n")
    parts.append(sent[position:])
    text = _decode("".join(parts))
    if not attributes:
        return text
    decoded = [_decode(value) for value in attributes]
    decoded += [unquote(value) for value in decoded if "%" in value]
    return text + "\n" + "\n".join(decoded)


def _decode(text: str) -> str:
    return html.unescape(text) if "&" in text else text


class SourceLines:
    """The fetched body by line: where a value appears and which lines allow secrets."""

    def __init__(self, source: str) -> None:
        self._lines = source.split("\n")
        self._decoded: dict[int, str] = {}
        lowered = source.lower()
        self.marked: frozenset[int] = frozenset()
        if ALLOW_MARKER in lowered:
            self.marked = frozenset(
                number
                for number, line in enumerate(lowered.split("\n"), start=1)
                if ALLOW_MARKER in line
            )
        self._source = source

    def _variants(self, index: int) -> str:
        cached = self._decoded.get(index)
        if cached is None:
            line = self._lines[index]
            cached = _decode(line)
            if "%" in cached:
                cached = cached + "\n" + unquote(cached)
            self._decoded[index] = cached
        return cached

    def lines_of(self, needle: str) -> list[int]:
        """1-based numbers of the lines holding ``needle`` (raw, entity- or %-decoded)."""
        if not needle:
            return []
        plain = needle in self._source
        found: list[int] = []
        for index, line in enumerate(self._lines):
            if (plain and needle in line) or (
                ("&" in line or "%" in line) and needle in self._variants(index)
            ):
                found.append(index + 1)
        return found

    def line_text(self, number: int) -> str:
        """The text of 1-based line ``number`` ("" outside the source)."""
        return self._lines[number - 1] if 1 <= number <= len(self._lines) else ""
