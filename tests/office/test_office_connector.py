"""The filesystem connector with office formats: settings, listing, fetch, refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from ingestor.connectors.base import Item
from ingestor.connectors.filesystem import FilesystemConnector, FilesystemSettings, file_format
from ingestor.convert import convert_document
from ingestor.errors import ConnectorError, PageSkipped

from .conftest import encrypted_pdf, image_only_pdf, para, raw_docx, rich_docx, text_pdf


def connector(root: Path, **extra: Any) -> FilesystemConnector:
    settings = FilesystemSettings.model_validate(
        {"name": "share", "url": "https://share.example.com/docs", "root": root} | extra
    )
    return FilesystemConnector(settings)


def share(root: Path) -> Path:
    files = {
        "guide.md": b"# Guide\n",
        "page.html": b"<h1>Page</h1>",
        "notes.txt": b"notes",
        "hr/Handbook.docx": rich_docx(),
        "hr/Policy.pdf": text_pdf([[("h1", "Policy"), ("p", "Body text.")]]),
        "scans/SCAN_001.PDF": image_only_pdf(1),
        "old/Legacy.DocX": rich_docx(),
        "hr/~$Handbook.docx": b"\x05owner lock file",
    }
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def listed(kb: FilesystemConnector) -> list[str]:
    return [i.external_id for i in kb.list() if isinstance(i, Item)]


def fetch(kb: FilesystemConnector, rel: str) -> Any:
    return kb.fetch(next(i for i in kb.list() if isinstance(i, Item) and i.external_id == rel))


def test_office_formats_are_off_by_default(tmp_path: Path) -> None:
    kb = connector(share(tmp_path))
    assert kb.settings.formats == ["md", "html", "txt"]  # type: ignore[attr-defined]
    assert listed(kb) == ["guide.md", "notes.txt", "page.html"]


def test_enabling_docx_and_pdf_lists_them_in_any_letter_case(tmp_path: Path) -> None:
    kb = connector(share(tmp_path), formats=["md", "docx", "pdf"])
    assert listed(kb) == [
        "guide.md", "hr/Handbook.docx", "hr/Policy.pdf", "old/Legacy.DocX", "scans/SCAN_001.PDF"
    ]  # fmt: skip


def test_an_explicit_include_is_filtered_by_formats(tmp_path: Path) -> None:
    kb = connector(share(tmp_path), include=["hr/**", "*.md"], formats=["pdf"])
    assert listed(kb) == ["hr/Policy.pdf"]


@pytest.mark.parametrize("formats", [[], ["doc"], ["md", "pptx"]])
def test_unknown_or_no_formats_are_refused(tmp_path: Path, formats: list[str]) -> None:
    with pytest.raises(ValidationError, match="formats"):
        connector(tmp_path, formats=formats)


def test_file_format_follows_the_extension() -> None:
    assert [file_format(n) for n in ("a.MD", "b.htm", "c.rst", "d.Docx", "e.pdf", "f")] == [
        "md", "html", "txt", "docx", "pdf", "txt"
    ]  # fmt: skip


def test_docx_is_fetched_as_html_with_its_title(tmp_path: Path) -> None:
    kb = connector(share(tmp_path), formats=["docx"])
    doc = fetch(kb, "hr/Handbook.docx")
    assert (doc.body_format, doc.title) == ("html", "Employee Handbook")
    assert doc.url == "https://share.example.com/docs/hr/Handbook.docx"
    assert doc.metadata == {
        "path": "hr/Handbook.docx", "format": "docx", "warnings": [], "images_dropped": 1
    }  # fmt: skip
    page = convert_document(doc)
    assert page.title == "Employee Handbook"
    assert "<h1>Welcome aboard</h1>" in page.html and "<table>" in page.html


def test_pdf_is_fetched_as_html_and_untitled_files_get_their_name(tmp_path: Path) -> None:
    (tmp_path / "release-notes_v2.docx").write_bytes(raw_docx(para("No heading here.")))
    kb = connector(share(tmp_path), formats=["docx", "pdf"])
    assert fetch(kb, "release-notes_v2.docx").title == "Release notes v2"
    pdf = fetch(kb, "hr/Policy.pdf")
    assert (pdf.body_format, pdf.title) == ("html", "Policy")
    assert "<p>Body text.</p>" in pdf.body


def test_broken_office_files_are_reported_with_their_name(tmp_path: Path) -> None:
    share(tmp_path)
    (tmp_path / "locked.pdf").write_bytes(encrypted_pdf())
    (tmp_path / "broken.docx").write_bytes(b"not a zip at all")
    kb = connector(tmp_path, formats=["docx", "pdf"])
    with pytest.raises(PageSkipped, match=r"^scans/SCAN_001\.PDF: no extractable text"):
        fetch(kb, "scans/SCAN_001.PDF")
    with pytest.raises(ConnectorError, match=r"^locked\.pdf: encrypted PDF"):
        fetch(kb, "locked.pdf")
    with pytest.raises(ConnectorError, match=r"^broken\.docx: not a DOCX file"):
        fetch(kb, "broken.docx")


def test_office_limits_apply(tmp_path: Path) -> None:
    share(tmp_path)
    small = connector(tmp_path, formats=["docx"], office_max_file_bytes=1000)
    with pytest.raises(ConnectorError, match=r"^hr/Handbook\.docx: .* over office_max_file_bytes"):
        fetch(small, "hr/Handbook.docx")
    hasty = connector(tmp_path, formats=["pdf"], office_timeout="1ms")
    with pytest.raises(ConnectorError, match=r"^hr/Policy\.pdf: conversion took longer than"):
        fetch(hasty, "hr/Policy.pdf")
