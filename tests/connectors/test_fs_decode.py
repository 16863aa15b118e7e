"""Bytes to text: byte order marks, declared charsets, UTF-8, the never-failing fallback."""

from __future__ import annotations

import codecs

import pytest

from connectors.decode import declared_html_charset, decode_text, looks_binary

TEXT = "Café \u2013 “quoted” ✓ 😀"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "utf-16-le"),
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16-be"),
        (codecs.BOM_UTF32_LE + TEXT.encode("utf-32-le"), "utf-32-le"),
        (codecs.BOM_UTF32_BE + TEXT.encode("utf-32-be"), "utf-32-be"),
        (TEXT.encode("utf-8"), "utf-8"),
    ],
)
def test_byte_order_marks_and_utf8(data: bytes, encoding: str) -> None:
    for kind in ("markdown", "html", "text"):
        assert decode_text(data, kind=kind) == (TEXT, encoding)


def test_utf16_without_a_mark_is_recognized() -> None:
    text = "Plain ASCII notes exported by an old Windows tool.\r\n"
    assert decode_text(text.encode("utf-16-le"), kind="text") == (text, "utf-16-le")
    assert decode_text(text.encode("utf-16-be"), kind="text") == (text, "utf-16-be")


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b'<meta charset="iso-8859-15">', "iso8859-15"),
        (b"<META CHARSET=windows-1251>", "cp1251"),
        (b'<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">', "shift_jis"),
        (b'<?xml version="1.0" encoding="koi8-r"?><html>', "koi8-r"),
        (b'<meta charset="iso-8859-1">', "cp1252"),  # as browsers do
        (b'<meta charset="us-ascii">', "cp1252"),
        (b'<meta charset="utf-16">', "utf-8"),  # impossible without a mark: browsers use UTF-8
        (b'<meta charset="no-such-charset">', None),
        (b"<p>no declaration</p>", None),
    ],
)
def test_declared_html_charset(head: bytes, expected: str | None) -> None:
    data = head if head.startswith(b"<?xml") else b"<html><head>" + head + b"</head>"
    assert declared_html_charset(data) == expected


def test_declared_charset_decodes_html_but_not_markdown() -> None:
    data = '<meta charset="windows-1251"><p>Привет</p>'.encode("cp1251")
    assert decode_text(data, kind="html") == (
        '<meta charset="windows-1251"><p>Привет</p>',
        "cp1251",
    )
    text, encoding = decode_text(data, kind="markdown")
    assert encoding == "cp1252"  # Markdown cannot declare; not UTF-8 -> fallback, no crash
    assert "Привет" not in text


def test_a_wrong_declaration_falls_back_to_what_the_bytes_say() -> None:
    data = '<meta charset="utf-8"><p>caf\xe9</p>'.encode("cp1252")
    assert decode_text(data, kind="html") == ('<meta charset="utf-8"><p>café</p>', "cp1252")
    data = '<meta charset="shift_jis"><p>✓</p>'.encode()
    assert decode_text(data, kind="html")[0].endswith("<p>✓</p>")


def test_a_declaration_after_the_prescan_window_is_ignored() -> None:
    data = b"<!--" + b"x" * 5000 + b'--><meta charset="koi8-r">'
    assert declared_html_charset(data) is None


@pytest.mark.parametrize(
    "data",
    [
        b"caf\xe9 cr\xe8me \x93quoted\x94 \x80",  # cp1252
        b"undefined in cp1252: \x81 \x8d \x8f \x90 \x9d",
        b"truncated utf-8: \xe2\x82",
        b"\xff\xfe\xff",  # a UTF-16 mark and half a character
        b"",
    ],
)
def test_fallback_never_raises(data: bytes) -> None:
    text, encoding = decode_text(data, kind="markdown")
    assert isinstance(text, str)
    assert encoding in {"cp1252", "utf-16-le", "utf-8"}


def test_cp1252_fallback_reads_windows_text() -> None:
    assert decode_text(b"caf\xe9 \x93ok\x94", kind="text") == ("café “ok”", "cp1252")


@pytest.mark.parametrize(
    ("data", "binary"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", True),
        (b"PK\x03\x04\x14\x00\x06\x00", True),
        (bytes(range(1, 9)) * 100, True),  # control bytes without NUL
        (b"# Title\n\nText\twith tabs\r\n\x0c", False),
        ("Text".encode("utf-16"), False),
        ("Text only ASCII here".encode("utf-16-le"), False),
        ("Text".encode("utf-32"), False),
        (b"", False),
        ("caf\xe9".encode("cp1252"), False),
    ],
)
def test_looks_binary(data: bytes, binary: bool) -> None:
    assert looks_binary(data) is binary
