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

# Three substitutions with constant replacements (done in C) instead of a Python callback
# per tag: about three times faster on long pages.
_BLOCK_TAG = re.compile(
    r"</?(?:p|div|br|hr|li|ul|ol|dl|dd|tr|table|thead|tbody|tfoot|caption|pre|blockquote|"
    r"h[1-6]|section|article|header|footer|nav|aside|main|figure|figcaption|details|summary|"
    r"title|body|head|html)(?=[\s/>])[^>]*>"
)  # lower case: the sanitizer writes tag names in lower case
_CELL_END = re.compile(r"</(?:td|th|dt)\s*>")
_ANY_TAG = re.compile(r"<[A-Za-z/!][^>]*>")  # the sanitizer escapes every other "<"
#: Attribute values (anchored on the ``="`` literal, fast to find); text holding ``="`` adds a
#: line to scan, which costs nothing but time.
_ATTR_VALUE = re.compile(r"""=(?:"([^"]*)"|'([^']*)')""")


def scan_text(sent: str) -> str:
    """Plain text of ``sent`` (title, url, HTML), then its attribute values, one a line."""
    if "<" not in sent:
        return _decode(sent)
    attributes = [a or b for a, b in _ATTR_VALUE.findall(sent) if a or b]
    text = _ANY_TAG.sub("", _BLOCK_TAG.sub("\n", _CELL_END.sub("\t", sent)))
    text = _decode(text)
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
