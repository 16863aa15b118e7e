"""Bytes from files to text: byte order marks, declared charsets, UTF-8, then a detector.

Pure functions shared by connectors that read files (file shares, exports). Order, most
trustworthy first: a byte order mark; for HTML a declared charset (``<meta charset>``, an XML
declaration) unless the bytes are valid UTF-8 with non-ASCII text in them; UTF-16 without a
mark when the zero bytes say so; strict UTF-8; the connector's ``encoding`` setting; then
chardet's detector. When nothing is confident the file is skipped with a message
(:class:`~ingestor.errors.PageSkipped`), never uploaded as mojibake.

chardet (7.x) was chosen over charset-normalizer by measurement: on 105 samples of 16
languages in 31 legacy code pages (``benchmarks/encoding_eval.py``) chardet decoded all of them
back to the original text, charset-normalizer 91 %, and chardet's confidence separates random
bytes (at most 0.05) from real text (0.08 and up, 0.15 and up from 80 bytes on).
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from typing import Literal

from ingestor.errors import PageSkipped

__all__ = [
    "TextKind",
    "declared_html_charset",
    "decode_text",
    "detect_encoding",
    "looks_binary",
]

TextKind = Literal["html", "markdown", "text"]

# Longest first: the UTF-32 LE mark starts with the UTF-16 LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_WINDOWS_1252 = "cp1252"
#: How far into an HTML file a charset declaration is looked for (the HTML spec says 1024).
_PRESCAN_BYTES = 4096
_META_CHARSET = re.compile(
    rb"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I | re.S
)
_XML_ENCODING = re.compile(rb"""\A\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)""")
# The WHATWG encoding standard maps these labels to windows-1252; browsers do the same.
_WINDOWS_1252_LABELS = frozenset({"latin1", "iso8859-1", "ascii", "us-ascii", "cp1252"})
_HIGH_BYTES = bytes(range(0x80, 0x100))
_CONTROL_BYTES = bytes(range(0x00, 0x09)) + bytes(range(0x0E, 0x1B)) + bytes(range(0x1C, 0x20))
#: The detector reads this much; more changes no answer and costs time on big files.
_DETECT_BYTES = 256 * 1024
#: chardet's confidence from which its answer is taken as it is (random bytes score <= 0.05,
#: real text of 80 bytes or more >= 0.17 in benchmarks/encoding_eval.py).
MIN_CONFIDENCE = 0.15
#: Multi-byte code pages: bytes that decode strictly in one of them are strong evidence, so a
#: lower confidence suffices (random bytes rarely form valid sequences).
_MULTIBYTE = frozenset(
    {
        "gb18030",
        "gbk",
        "gb2312",
        "big5",
        "big5hkscs",
        "cp950",
        "shift_jis",
        "cp932",
        "euc_jp",
        "euc_kr",
        "cp949",
        "johab",
    }
)
MIN_MULTIBYTE_CONFIDENCE = 0.08
#: Below MIN_CONFIDENCE, chardet's answer is still taken from here on when what it reads is
#: made of letters, marks and punctuation only (short pages score lower).
MIN_PLAUSIBLE_CONFIDENCE = 0.08
#: ... and only with this many non-ASCII bytes: a word or two is too little to tell cp1251
#: from koi8-r or Hebrew from Kazakh, and a wrong guess reads as words too.
MIN_PLAUSIBLE_SAMPLE = 16
#: Typographic marks of windows-1252 text besides letters. Marks whose bytes are letters in
#: windows-1250 (¹ ³ ¼ ¾ ª º ¥...) are left out, so Central European text is not taken for it.
_WESTERN_MARKS = frozenset("\u2019\u2018“”„\u2013—…€°«»·•©®™§¿¡£\xa0\ufffd")
#: ISO-2022-JP is 7-bit (so valid UTF-8): its escape sequences give it away.
_ISO2022_JP_ESCAPES = (b"\x1b$B", b"\x1b$@", b"\x1b(J", b"\x1b(B")


def decode_text(data: bytes, *, kind: TextKind, encoding: str | None = None) -> tuple[str, str]:
    """Decode a file's bytes.

    Args:
        data: The file content.
        kind: What the file holds; only HTML can declare its charset inside.
        encoding: The connector's ``encoding`` setting: used for files that are not UTF-8 and
            carry no byte order mark or declaration, instead of the detector.

    Returns:
        The text (without byte order mark) and the Python codec name that decoded it.

    Raises:
        PageSkipped: No decoding is confident; the message gives the detector's best guess.
    """
    for bom, bom_encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(bom_encoding, errors="replace"), bom_encoding
    if kind == "html":
        declared = declared_html_charset(data)
        if declared is not None:
            # A page re-saved as UTF-8 by an editor that kept its old declaration: legacy text
            # with accents is all but never valid UTF-8, so valid UTF-8 outranks the label.
            if declared != "utf-8" and not data.isascii() and _decodes(data, "utf-8"):
                return data.decode("utf-8"), "utf-8"
            try:
                return data.decode(declared), declared
            except UnicodeDecodeError:
                pass  # the declaration is wrong; fall through to what the bytes say
    unmarked = _sniff_utf16(data)
    if unmarked is not None:
        return data.decode(unmarked, errors="replace"), unmarked
    if any(escape in data for escape in _ISO2022_JP_ESCAPES) and _decodes(data, "iso2022_jp"):
        return data.decode("iso2022_jp"), "iso2022_jp"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if encoding is not None:
        return data.decode(encoding, errors="replace"), codecs.lookup(encoding).name
    detected = detect_encoding(data)
    return data.decode(detected, errors="replace"), detected


def detect_encoding(data: bytes) -> str:
    """The legacy code page of bytes that are not UTF-8, when it can be told with confidence.

    chardet's answer is taken when it is confident and decodes every byte. Below that, mostly
    Western text (a few accented letters and typographic marks between ASCII, never three in a
    row as mojibake of other scripts has) is read as windows-1252, as browsers do.

    Raises:
        PageSkipped: Neither rule holds.
    """
    import chardet  # about 30 ms to import; only files that are not UTF-8 need it

    guess = chardet.detect(data[:_DETECT_BYTES])
    name, confidence = guess.get("encoding"), float(guess.get("confidence") or 0.0)
    codec = _codec_name(name)
    if codec is not None and _decodes(data, codec):
        least = MIN_MULTIBYTE_CONFIDENCE if codec in _MULTIBYTE else MIN_CONFIDENCE
        if confidence >= least:
            return codec
        if (
            confidence >= MIN_PLAUSIBLE_CONFIDENCE
            and len(data) - len(data.translate(None, _HIGH_BYTES)) >= MIN_PLAUSIBLE_SAMPLE
            and _reads_as_words(data.decode(codec))
        ):
            return codec
    if _reads_as_western(data):
        return _WINDOWS_1252
    best = f"{name} at confidence {confidence:.2f}" if name else "none"
    raise PageSkipped(
        f"cannot tell the text encoding (not UTF-8, no byte order mark or declared charset; "
        f"best guess {best}); set the connector's 'encoding' if its files share one"
    )


def _codec_name(label: str | None) -> str | None:
    if not label:
        return None
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _decodes(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _reads_as_words(text: str) -> bool:
    """Whether every non-ASCII character of ``text`` is a letter, a combining mark, punctuation,
    a space, a digit or a currency sign: what writing is made of, unlike mojibake or noise."""
    return all(
        char.isascii() or unicodedata.category(char)[0] in "LMPN" or char in "\xa0€$£¥"
        for char in text
    )


def _reads_as_western(data: bytes) -> bool:
    """Whether windows-1252 reads ``data`` as plausible Western text: every non-ASCII character
    a letter or a typographic mark, at most two of them in a row, and at most two bytes that
    windows-1252 leaves undefined (a stray byte costs one odd character, not the page)."""
    text = data.decode(_WINDOWS_1252, errors="replace")
    if text.count("\ufffd") > 2:
        return False
    run = 0
    for char in text:
        if char.isascii():
            run = 0
            continue
        run += 1
        if run > 2:
            return False
        if char not in _WESTERN_MARKS and not unicodedata.category(char).startswith("L"):
            return False
    return True


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
        return _WINDOWS_1252
    return name


def _sniff_utf16(data: bytes) -> str | None:
    """UTF-16 without a byte order mark.

    Mostly-ASCII text has a zero in every other byte. Other scripts (CJK has no zero bytes at
    all) are told by reading both byte orders: text reads as words with its spaces and line
    breaks in one of them, while the other gives unassigned code points and no whitespace.
    """
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
    if len(data) % 2 or (zeros_even + zeros_odd) == 0:
        return None  # UTF-16 text has line breaks or spaces: some high bytes are zero
    readable = [enc for enc in ("utf-16-le", "utf-16-be") if _reads_as_utf16_text(sample, enc)]
    return readable[0] if len(readable) == 1 else None


def _reads_as_utf16_text(sample: bytes, encoding: str) -> bool:
    try:
        text = sample[: len(sample) // 2 * 2].decode(encoding)
    except UnicodeDecodeError:
        return False  # lone surrogates (a cut at the sample's end can split a pair: rare)
    spaces = sum(1 for char in text if char in " \n\t")
    return spaces > 0 and all(
        char in "\n\r\t" or unicodedata.category(char)[0] in "LMNPSZ" for char in text
    )


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
