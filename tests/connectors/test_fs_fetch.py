"""FilesystemConnector.fetch() on real files: formats, encodings, refusals, urls."""

from __future__ import annotations

import codecs
import os
from pathlib import Path
from typing import Any

import pytest

from ingestor.connectors.base import Item
from ingestor.connectors.filesystem import FilesystemConnector, FilesystemSettings, readable_title
from ingestor.convert import convert_document
from ingestor.errors import ConnectorError


def connector(root: Path, **extra: Any) -> FilesystemConnector:
    settings = FilesystemSettings.model_validate(
        {"name": "kb", "url": "https://wiki.example.com/kb", "root": root} | extra
    )
    return FilesystemConnector(settings)


def fetch_bytes(root: Path, rel: str, data: bytes, **extra: Any) -> Any:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    kb = connector(root, **extra)
    item = next(i for i in kb.list() if isinstance(i, Item) and i.external_id == rel)
    return kb.fetch(item)


def test_markdown_is_passed_raw_with_its_front_matter(tmp_path: Path) -> None:
    body = "---\ntitle: Reset\nurl: https://help.example.com/reset\n---\n# Reset your password\n"
    doc = fetch_bytes(tmp_path, "guides/reset-password_howto.md", body.encode())
    assert doc.external_id == "guides/reset-password_howto.md"
    assert doc.body == body
    assert doc.body_format == "markdown"
    assert doc.title is None
    assert doc.fallback_title == "Reset password howto"
    assert doc.url == "https://wiki.example.com/kb/guides/reset-password_howto.md"
    assert doc.metadata == {"path": "guides/reset-password_howto.md", "encoding": "utf-8"}
    page = convert_document(doc)  # conversion honours the front matter
    assert (page.title, page.url) == ("Reset", "https://help.example.com/reset")


@pytest.mark.parametrize(
    ("name", "body_format"),
    [
        ("a.md", "markdown"),
        ("a.markdown", "markdown"),
        ("a.MD", "markdown"),
        ("a.html", "html"),
        ("a.htm", "html"),
        ("a.txt", "text"),
        ("a.rst", "text"),
    ],
)
def test_body_format_follows_the_extension(tmp_path: Path, name: str, body_format: str) -> None:
    doc = fetch_bytes(tmp_path, name, b"text", include=["*"])
    assert doc.body_format == body_format


@pytest.mark.parametrize(
    ("data", "text", "encoding"),
    [
        ("# Café ✓\n".encode(), "# Café ✓\n", "utf-8"),
        (codecs.BOM_UTF8 + "# Café ✓\n".encode(), "# Café ✓\n", "utf-8"),
        (codecs.BOM_UTF16_LE + "# Café ✓\n".encode("utf-16-le"), "# Café ✓\n", "utf-16-le"),
        (codecs.BOM_UTF16_BE + "# Café ✓\n".encode("utf-16-be"), "# Café ✓\n", "utf-16-be"),
        (b"# Caf\xe9 \x93quoted\x94 \x81\n", "# Café “quoted” \ufffd\n", "cp1252"),
    ],
)
def test_markdown_encodings(tmp_path: Path, data: bytes, text: str, encoding: str) -> None:
    doc = fetch_bytes(tmp_path, "page.md", data)
    assert (doc.body, doc.metadata["encoding"]) == (text, encoding)
    assert convert_document(doc).title == text.strip("# \n")


def test_html_declared_charset(tmp_path: Path) -> None:
    html = '<html><head><meta charset="windows-1251"><title>Привет</title></head><p>мир</p>'
    doc = fetch_bytes(tmp_path, "ru.html", html.encode("cp1251"))
    assert doc.metadata["encoding"] == "cp1251"
    page = convert_document(doc)
    assert page.title == "Привет" and "мир" in page.html


def test_html_utf16_with_mark_and_meta(tmp_path: Path) -> None:
    html = '<html><head><meta charset="utf-16"></head><body><h1>Zürich</h1></body></html>'
    doc = fetch_bytes(tmp_path, "u.html", codecs.BOM_UTF16_LE + html.encode("utf-16-le"))
    assert convert_document(doc).title == "Zürich"


def test_binary_content_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConnectorError, match=r"^image\.md: binary content"):
        fetch_bytes(tmp_path, "image.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))


def test_oversize_file_is_refused_naming_both_sizes(tmp_path: Path) -> None:
    with pytest.raises(
        ConnectorError, match=r"^big\.md: file is 1,001 bytes, over max_file_bytes \(1,000\)$"
    ):
        fetch_bytes(tmp_path, "big.md", b"x" * 1001, max_file_bytes=1000)
    assert fetch_bytes(tmp_path, "ok.md", b"x" * 1000, max_file_bytes=1000).body == "x" * 1000


def test_vanished_file_is_a_connector_error(tmp_path: Path) -> None:
    (tmp_path / "gone.md").write_text("x")
    kb = connector(tmp_path)
    item = next(i for i in kb.list() if isinstance(i, Item))
    (tmp_path / "gone.md").unlink()
    with pytest.raises(ConnectorError, match=r"^gone\.md: file no longer exists"):
        kb.fetch(item)


def test_a_fifo_in_place_of_a_file_does_not_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.md")
    item = Item(external_id="pipe.md", version="1:1", locator=str(tmp_path / "pipe.md"))
    with pytest.raises(ConnectorError, match=r"^pipe\.md: not a regular file"):
        connector(tmp_path).fetch(item)


def test_items_without_locator_stay_inside_the_root(tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "in.md").write_text("# In")
    (tmp_path / "secret.md").write_text("# Secret")
    kb = connector(tmp_path / "root")
    assert kb.fetch(Item(external_id="in.md", version="")).body == "# In"
    for bad in ("../secret.md", "/etc/passwd", "a/../../secret.md", ""):
        with pytest.raises(ConnectorError, match="not a path inside"):
            kb.fetch(Item(external_id=bad, version=""))


@pytest.mark.parametrize(
    ("template", "rel", "url"),
    [
        (
            None,
            "Getting Started/Café menu.md",
            "https://wiki.example.com/kb/Getting%20Started/Caf%C3%A9%20menu.md",
        ),
        (
            "https://w.example/{path_no_ext}",
            "Getting Started/Café menu.md",
            "https://w.example/Getting%20Started/Caf%C3%A9%20menu",
        ),
        (
            "https://w.example/p?name={name}&stem={stem}",
            "a b/x#1&y.md",
            "https://w.example/p?name=x%231%26y.md&stem=x%231%26y",
        ),
        (
            "https://w.example/{path}",
            "dir/100% done?.txt",
            "https://w.example/dir/100%25%20done%3F.txt",
        ),
        (
            "https://w.example/{{literal}}/{stem}",
            "日本語.md",
            "https://w.example/{literal}/%E6%97%A5%E6%9C%AC%E8%AA%9E",
        ),
    ],
)
def test_url_templates(tmp_path: Path, template: str | None, rel: str, url: str) -> None:
    extra = {"url_template": template} if template else {}
    doc = fetch_bytes(tmp_path, rel, b"text", **extra)
    assert doc.url == url


def test_default_url_joins_with_or_without_trailing_slash(tmp_path: Path) -> None:
    settings = {"name": "kb", "root": tmp_path}
    for base in ("https://w.example/kb", "https://w.example/kb/"):
        kb = FilesystemConnector(FilesystemSettings.model_validate(settings | {"url": base}))
        assert kb.url_for("a/b.md") == "https://w.example/kb/a/b.md"


@pytest.mark.parametrize(
    ("stem", "title"),
    [
        ("getting-started_guide", "Getting started guide"),
        ("iOS-setup", "iOS setup"),
        ("FAQ", "FAQ"),
        ("  spaced  out ", "Spaced out"),
        ("---", "---"),
        ("ünicode", "Ünicode"),
    ],
)
def test_readable_title(stem: str, title: str) -> None:
    assert readable_title(stem) == title


def test_an_empty_file_is_skipped_not_failed(tmp_path: Path) -> None:
    from ingestor.errors import PageSkipped

    with pytest.raises(PageSkipped, match=r"notes\.md: empty file \(0 bytes\)"):
        fetch_bytes(tmp_path, "notes.md", b"")


ANSWER = "Refunds reach your card within five business days of the return reaching us. " * 3
FAQ = (
    "<html><head><title>FAQ</title></head><body><main><h1>Refunds FAQ</h1>"
    '<h3 onclick="toggle(1)">How long do refunds take?</h3>'
    f'<div class="answer" style="color: red; display: none !important">{ANSWER}</div>'
    "<h3>Can I cancel?</h3><div hidden>Yes, at any time from Settings.</div>"
    "</main></body></html>"
).encode()


def test_collapsed_faq_answers_are_left_out_with_a_warning_by_default(tmp_path: Path) -> None:
    page = convert_document(fetch_bytes(tmp_path, "faq.html", FAQ))
    assert "How long do refunds take?" in page.html and "five business days" not in page.html
    hidden = len(ANSWER.strip()) + len("Yes, at any time from Settings.")
    assert page.warnings == (
        f"{hidden} characters of text hidden with display:none or the hidden attribute were "
        "left out (collapsed FAQ answers or tabs a script shows?)",
    )


def test_hidden_html_show_publishes_what_a_script_would_reveal(tmp_path: Path) -> None:
    page = convert_document(fetch_bytes(tmp_path, "faq.html", FAQ, hidden_html="show"))
    assert "Refunds reach your card within five business days" in page.html
    assert "Yes, at any time from Settings." in page.html
    assert page.warnings == ()
    default = next(i for i in connector(tmp_path).list() if isinstance(i, Item))
    shown = next(i for i in connector(tmp_path, hidden_html="show").list() if isinstance(i, Item))
    assert default.version != shown.version  # switching it re-reads every file once
