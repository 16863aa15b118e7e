"""Word documents (.docx) to semantic HTML with mammoth: a pure function of the file's bytes.

mammoth maps Word's *styles* to HTML (Heading 1-6 and Title to ``h1``-``h6``, list numbering to
``ul``/``ol``, tables, bold/italic, hyperlinks, footnotes and endnotes) instead of copying
fonts and sizes, which is what a knowledge base wants. On top of mammoth:

* Images are never read: each becomes an inline note ``[Image: <alt text>]`` when it has alt
  text and is dropped otherwise (their count is reported).
* Comments are left out; tracked changes read as Word's "No Markup" view (pending insertions
  kept, deletions and moved-from text gone, no revision marks). Text formatted as hidden is
  left out, as Word shows and prints it; simple fields show their result; imported HTML
  (``w:altChunk``, how HTML-to-DOCX tools write whole documents) is read
  (:mod:`.docx_package`).
* Footnote and endnote references become plain superscripts and the notes a numbered list at
  the end, and links to bookmarks become plain text: the sanitizer keeps no ``id`` outside
  headings, so in-page links would dangle. A table of contents (``TOC n`` styles) is left
  out: Intercom shows its own outline, and page numbers mean nothing on a web page.
* Strict OOXML (ISO 29500 namespaces) is read like transitional; text boxes come from the
  VML fallback Word writes next to them.
* The title is the core properties' ``dc:title``, else the first heading, else None (the
  caller falls back to the file name).
* A document embedded style map and external files it links to are ignored (no file access).

Errors raise :class:`~ingestor.errors.ConnectorError` with a message for the admin (the
caller adds the file name); a document without any text raises
:class:`~ingestor.errors.PageSkipped`.
"""

from __future__ import annotations

import contextlib
import io
import zipfile
from typing import Any

import lxml.html  # type: ignore[import-untyped,unused-ignore]  # lxml ships no stubs
import mammoth  # type: ignore[import-untyped]  # mammoth ships no type hints
import mammoth.html  # type: ignore[import-untyped]
from lxml import etree

from ingestor.connectors.office.docx_chunks import insert_chunks
from ingestor.connectors.office.docx_package import PreparedDocx, prepared_docx
from ingestor.connectors.office.result import OfficeResult, tidy_title
from ingestor.errors import ConnectorError, PageSkipped

__all__ = ["MAX_XML_BYTES", "docx_to_html"]

#: Refuse documents whose XML parts expand beyond this (a ZIP bomb, or not a document).
MAX_XML_BYTES = 256_000_000

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_CORE_REL_TYPES = (
    "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties",
    "http://purl.oclc.org/ooxml/officeDocument/relationships/metadata/core-properties",
)
_DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"
_PACKAGE_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_STYLE_MAP = """
p[style-name='Title'] => h1:fresh
p[style-name='Subtitle'] => p:fresh
p[style-name='Quote'] => blockquote > p:fresh
p[style-name='Intense Quote'] => blockquote > p:fresh
p[style-name^='toc '] => !
p[style-name='TOC Heading'] => !
"""
# Messages mammoth emits for every document with custom styles; noise for an admin.
_IGNORED_MESSAGE_PREFIXES = ("Unrecognised paragraph style", "Unrecognised run style")
_XML_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True
)
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_NOTE_MARK = "data-image-note"


def docx_to_html(data: bytes) -> OfficeResult:
    """Convert a .docx file to an HTML fragment with its title.

    Args:
        data: The whole file.

    Returns:
        The HTML, the title (or None), warnings and the number of images left out.

    Raises:
        PageSkipped: The document has no text at all (only images, or empty).
        ConnectorError: Encrypted, a legacy .doc, not a ZIP, or corrupted; the message says which.
    """
    archive = _open_package(data)
    with archive:
        _check_expanded_size(archive)
        title = tidy_title(_core_title(archive))
        prepared = PreparedDocx(data)
        # broken XML: mammoth reads the original and reports what is wrong
        with contextlib.suppress(etree.XMLSyntaxError, zipfile.BadZipFile, ValueError):
            prepared = prepared_docx(archive, data)
    images = _ImageNotes()
    try:
        result = mammoth.convert_to_html(
            io.BytesIO(prepared.data),
            style_map=_STYLE_MAP,
            convert_image=images,
            include_embedded_style_map=False,
            external_file_access=False,
        )
    except MemoryError:
        raise
    except OSError as exc:  # mammoth's "Could not find main document part"
        raise ConnectorError(f"not a Word document: {exc}") from exc
    except Exception as exc:  # broken XML, missing parts, unexpected structures
        raise ConnectorError(
            f"corrupted or unsupported Word document ({type(exc).__name__}: {exc})"
        ) from exc
    warnings = [
        f"mammoth: {message.message}"
        for message in result.messages
        if not message.message.startswith(_IGNORED_MESSAGE_PREFIXES)
    ] + prepared.chunks.warnings
    html, first_heading, has_text = _finish(insert_chunks(str(result.value), prepared.chunks))
    if not has_text:
        raise PageSkipped(
            "no text in this Word document"
            + (f" (only {images.count} images)" if images.count else " (it is empty)")
        )
    return OfficeResult(
        html=html,
        title=title or first_heading,
        warnings=tuple(warnings),
        images_dropped=images.dropped,
    )


class _ImageNotes:
    """mammoth ``convert_image`` hook: an inline note instead of the image; never reads it."""

    def __init__(self) -> None:
        self.count = 0
        self.dropped = 0

    def __call__(self, image: Any) -> list[Any]:
        self.count += 1
        alt = " ".join(str(image.alt_text or "").split())
        if not alt:
            self.dropped += 1
            return []
        note = mammoth.html.text(f"[Image: {alt}]")
        return [mammoth.html.element("em", {_NOTE_MARK: "1"}, [note])]


def _open_package(data: bytes) -> zipfile.ZipFile:
    if data.startswith(_OLE_MAGIC):
        if _ENCRYPTED_STREAM in data:
            raise PageSkipped(  # reported, not failed: it stays unreadable until someone acts
                "encrypted (password-protected) Word document; remove the password to publish it"
            )
        raise ConnectorError(
            "a legacy binary Word file (.doc format) named .docx; save it as .docx to publish it"
        )
    if not data.startswith(b"PK"):
        raise ConnectorError("not a DOCX file (not a ZIP archive): corrupted or misnamed")
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise ConnectorError(f"corrupted DOCX file (broken ZIP archive: {exc})") from exc


def _check_expanded_size(archive: zipfile.ZipFile) -> None:
    xml_bytes = sum(
        info.file_size for info in archive.infolist() if info.filename.endswith((".xml", ".rels"))
    )
    if xml_bytes > MAX_XML_BYTES:
        raise ConnectorError(
            f"its XML expands to {xml_bytes:,} bytes, over {MAX_XML_BYTES:,} (a ZIP bomb?)"
        )


def _core_title(archive: zipfile.ZipFile) -> str | None:
    """``dc:title`` of the core properties part, found through the package relationships."""
    path = "docProps/core.xml"
    try:
        rels = etree.fromstring(archive.read("_rels/.rels"), _XML_PARSER)
        for rel in rels.iter(_PACKAGE_RELS):
            if rel.get("Type") in _CORE_REL_TYPES and rel.get("Target"):
                path = str(rel.get("Target")).lstrip("/")
                break
    except (KeyError, etree.XMLSyntaxError, zipfile.BadZipFile, ValueError):
        pass  # the body decides whether the file is usable; a title is optional
    try:
        core = etree.fromstring(archive.read(path), _XML_PARSER)
    except (KeyError, etree.XMLSyntaxError, zipfile.BadZipFile, ValueError):
        return None
    title = core.find(_DC_TITLE)
    return None if title is None else "".join(title.itertext())


def _finish(html: str) -> tuple[str, str | None, bool]:
    """Unlink note references, find the first heading, and tell whether any text is left."""
    if not html.strip():
        return "", None, False
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    for anchor in root.xpath(".//sup/a[starts-with(@href, '#')]"):
        anchor.drop_tag()  # "[1]" stays as a plain superscript
    for anchor in root.xpath(
        ".//li[starts-with(@id, 'footnote-') or starts-with(@id, 'endnote-')]"
        "//a[starts-with(@href, '#')]"
    ):
        anchor.drop_tree()  # the "↑" back-link
    for anchor in root.xpath(".//a[starts-with(@href, '#') or not(@href)]"):
        anchor.drop_tag()  # bookmarks and links to them: the sanitizer drops their ids
    notes = root.xpath("./ol[li[starts-with(@id, 'footnote-') or starts-with(@id, 'endnote-')]]")
    for notes_list in notes:
        notes_list.addprevious(etree.Element("hr"))
    first_heading = None
    for heading in root.iter(*_HEADINGS):
        text = " ".join(heading.text_content().split())
        if text:
            first_heading = text
            break
    notes_text = 0
    for note in root.xpath(f".//em[@{_NOTE_MARK}]"):
        notes_text += len(note.text_content().strip())
        del note.attrib[_NOTE_MARK]
    has_text = len(root.text_content().strip()) > notes_text
    body = "".join(etree.tostring(child, encoding="unicode", method="html") for child in root)
    return (root.text or "") + body, first_heading, has_text
