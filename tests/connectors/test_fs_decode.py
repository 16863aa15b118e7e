"""Bytes to text: byte order marks, declared charsets, UTF-8, the detector, and the files whose
encoding cannot be told (skipped with a message, never uploaded as mojibake)."""

from __future__ import annotations

import codecs
import random

import pytest

from ingestor.connectors.decode import declared_html_charset, decode_text, looks_binary
from ingestor.errors import PageSkipped

from .encoding_samples import SAMPLES, encodable

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
    # Markdown cannot declare its charset: the detector finds it all the same.
    assert decode_text(data, kind="markdown")[1] == "cp1251"


def test_a_wrong_declaration_falls_back_to_what_the_bytes_say() -> None:
    data = '<meta charset="utf-8"><p>caf\xe9</p>'.encode("cp1252")
    assert decode_text(data, kind="html") == ('<meta charset="utf-8"><p>café</p>', "cp1252")
    data = '<meta charset="shift_jis"><p>✓</p>'.encode()
    assert decode_text(data, kind="html")[0].endswith("<p>✓</p>")


@pytest.mark.parametrize("label", ["iso-8859-1", "windows-1252", "windows-1251", "koi8-r"])
def test_a_page_resaved_as_utf8_under_its_old_declaration_reads_as_utf8(label: str) -> None:
    html = f'<meta charset="{label}"><p>Le café crème à la française. Привет, мир.</p>'
    assert decode_text(html.encode(), kind="html") == (html, "utf-8")
    ascii_only = f'<meta charset="{label}"><p>Plain text</p>'.encode()
    assert decode_text(ascii_only, kind="html")[1] != "utf-8"  # nothing to tell: the label


def test_a_declaration_after_the_prescan_window_is_ignored() -> None:
    data = b"<!--" + b"x" * 5000 + b'--><meta charset="koi8-r">'
    assert declared_html_charset(data) is None


def test_sparse_western_accents_read_as_windows_1252() -> None:
    assert decode_text(b"caf\xe9 \x93ok\x94", kind="text") == ("café “ok”", "cp1252")
    data = b"na\xefve r\xe9sum\xe9 of the team\n" * 3
    assert decode_text(data, kind="text") == (data.decode("cp1252"), "cp1252")


@pytest.mark.parametrize(
    "data",
    [
        b"truncated utf-8: \xe2\x82",
        bytes(range(0x80, 0x100)),
        bytes(random.Random(5).randrange(0x80, 0x100) for _ in range(3000)),
    ],
)
def test_bytes_whose_encoding_cannot_be_told_are_skipped_with_a_reason(data: bytes) -> None:
    with pytest.raises(PageSkipped, match=r"cannot tell the text encoding.*'encoding'"):
        decode_text(data, kind="markdown")


def test_the_connector_setting_replaces_the_detector_but_not_utf8_or_marks() -> None:
    data = "Пароль".encode("cp1251")  # too short for the detector alone
    assert decode_text(data, kind="text", encoding="cp1251") == ("Пароль", "cp1251")
    assert decode_text("Пароль".encode(), kind="text", encoding="cp1251")[1] == "utf-8"
    marked = codecs.BOM_UTF16_LE + "Пароль".encode("utf-16-le")
    assert decode_text(marked, kind="text", encoding="cp1251") == ("Пароль", "utf-16-le")


def test_empty_input_is_empty_text() -> None:
    assert decode_text(b"", kind="markdown") == ("", "utf-8")


_CASES = [(lang, codec) for lang, (_, codecs_) in SAMPLES.items() for codec in codecs_]


@pytest.mark.parametrize(("lang", "codec"), _CASES, ids=[f"{lang}-{c}" for lang, c in _CASES])
def test_legacy_code_pages_come_back_as_the_original_text(lang: str, codec: str) -> None:
    text = encodable(SAMPLES[lang][0], codec)
    for kind in ("markdown", "text"):
        assert decode_text(text.encode(codec), kind=kind)[0] == text
    html = f"<html><body><p>{text}</p></body></html>"
    assert decode_text(html.encode(codec), kind="html")[0] == html


@pytest.mark.parametrize("lang", sorted(SAMPLES))
@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_and_without_a_mark_in_every_script(lang: str, codec: str) -> None:
    text = SAMPLES[lang][0]
    bom = codecs.BOM_UTF16_LE if codec == "utf-16-le" else codecs.BOM_UTF16_BE
    for data in (bom + text.encode(codec), text.encode(codec)):
        assert not looks_binary(data)
        assert decode_text(data, kind="text") == (text, codec)


def test_iso_2022_jp_is_not_taken_for_ascii() -> None:
    text = SAMPLES["japanese"][0]
    assert decode_text(text.encode("iso2022_jp"), kind="text") == (text, "iso2022_jp")


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
