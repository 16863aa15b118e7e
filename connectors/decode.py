"""Bytes from files to text: byte order marks, declared HTML charsets, UTF-8, then a fallback.

Pure functions shared by connectors that read files (file shares, exports). Decoding never
raises: the last resort is cp1252 with replacement characters, so a stray Windows-1252 byte in
an otherwise readable page costs one odd character, not the page.
"""

from __future__ import annotations

import codecs
import re
from typing import Literal

__all__ = ["TextKind", "declared_html_charset", "decode_text", "looks_binary"]

TextKind = Literal["html", "markdown", "text"]

# Longest first: the UTF-32 LE mark starts with the UTF-16 LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_FALLBACK = "cp1252"
#: How far into an HTML file a charset declaration is looked for (the HTML spec says 1024).
_PRESCAN_BYTES = 4096
_META_CHARSET = re.compile(
    rb"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I | re.S
)
_XML_ENCODING = re.compile(rb"""\A\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)""")
# The WHATWG encoding standard maps these labels to windows-1252; browsers do the same.
_WINDOWS_1252_LABELS = frozenset({"latin1", "iso8859-1", "ascii", "us-ascii", "cp1252"})
_CONTROL_BYTES = bytes(range(0x00, 0x09)) + bytes(range(0x0E, 0x1B)) + bytes(range(0x1C, 0x20))


def decode_text(data: bytes, *, kind: TextKind) -> tuple[str, str]:
    """Decode a file's bytes; never raises.

    Order: a byte order mark (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE); for HTML a declared charset
    (``<meta charset>``, ``http-equiv`` Content-Type, an XML declaration) in the first 4 KiB;
    UTF-16 without a mark when the zero bytes say so; strict UTF-8; cp1252 with replacement.

    Args:
        data: The file content.
        kind: What the file holds; only HTML can declare its charset inside.

    Returns:
        The text (without byte order mark) and the Python codec name that decoded it.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace"), encoding
    if kind == "html":
        declared = declared_html_charset(data)
        if declared is not None:
            try:
                return data.decode(declared), declared
            except UnicodeDecodeError:
                pass  # the declaration is wrong; fall through to what the bytes say
    unmarked = _sniff_utf16(data)
    if unmarked is not None:
        return data.decode(unmarked, errors="replace"), unmarked
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode(_FALLBACK, errors="replace"), _FALLBACK


def declared_html_charset(data: bytes) -> str | None:
    """The Python codec an HTML document declares for itself, if any and if Python knows it.

    A declared UTF-16/32 without a byte order mark cannot be true (the declaration itself was
    readable as ASCII), so it counts as UTF-8, as in browsers; latin-1 and ASCII labels count as
    cp1252, as in browsers.

    Args:
        data: The start of the file (only the first 4 KiB is looked at).

    Returns:
        A codec name for :meth:`bytes.decode`, or None.
    """
    head = data[:_PRESCAN_BYTES]
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    if match is None:
        return None
    label = match.group(1).decode("ascii").lower()
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    if name.startswith(("utf-16", "utf-32")):
        return "utf-8"
    if name in _WINDOWS_1252_LABELS or label in _WINDOWS_1252_LABELS:
        return _FALLBACK
    return name


def _sniff_utf16(data: bytes) -> str | None:
    """UTF-16 without a byte order mark: mostly-ASCII text has a zero in every other byte."""
    sample = data[:4096]
    pairs = len(sample) // 2
    if pairs < 4:
        return None
    zeros_even = sample[0 : pairs * 2 : 2].count(0)
    zeros_odd = sample[1 : pairs * 2 : 2].count(0)
    if zeros_odd >= 0.9 * pairs and zeros_even <= 0.05 * pairs:
        return "utf-16-le"
    if zeros_even >= 0.9 * pairs and zeros_odd <= 0.05 * pairs:
        return "utf-16-be"
    return None


def looks_binary(data: bytes) -> bool:
    """Whether bytes are not a text page: NUL bytes (outside UTF-16/32) or mostly control bytes.

    Args:
        data: The file content (only the first 8 KiB is looked at, as git does).

    Returns:
        True for images, archives, executables, office documents and the like.
    """
    sample = data[:8192]
    if not sample:
        return False
    if any(sample.startswith(bom) for bom, _ in _BOMS) or _sniff_utf16(sample) is not None:
        return False
    if b"\x00" in sample:
        return True
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls > 0.1 * len(sample)
