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

import bisect
import html
import re
from collections.abc import Iterator
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
        self._source = source
        self._lines = source.split("\n")
        self._starts: list[int] = [0]  # offset where each line starts
        position = source.find("\n")
        while position >= 0:
            self._starts.append(position + 1)
            position = source.find("\n", position + 1)
        # Lines where an entity or a %-escape may spell a value differently, decoded once.
        self._decoded = {
            index: _decoded_line(line)
            for index, line in enumerate(self._lines)
            if "&" in line or "%" in line
        }
        self.marked: frozenset[int] = frozenset()
        if ALLOW_MARKER in source.lower():  # by line: lower() may change lengths ("İ")
            self.marked = frozenset(
                number
                for number, line in enumerate(self._lines, start=1)
                if ALLOW_MARKER in line.lower()
            )

    def lines_of(self, needle: str) -> list[int]:
        """1-based numbers of the lines holding ``needle`` (raw, entity- or %-decoded)."""
        if not needle:
            return []
        found = {bisect.bisect_right(self._starts, p) for p in _positions(self._source, needle)}
        found.update(index + 1 for index, text in self._decoded.items() if needle in text)
        return sorted(found)

    def line_text(self, number: int) -> str:
        """The text of 1-based line ``number`` ("" outside the source)."""
        return self._lines[number - 1] if 1 <= number <= len(self._lines) else ""


def _decoded_line(line: str) -> str:
    decoded = _decode(line)
    return decoded + "\n" + unquote(decoded) if "%" in decoded else decoded


def _positions(text: str, needle: str) -> Iterator[int]:
    position = text.find(needle)
    while position >= 0:
        yield position
        position = text.find(needle, position + 1)
