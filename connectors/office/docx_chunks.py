"""Imported HTML in a DOCX package (``w:altChunk``), read so that its text is not lost (pure).

Word keeps an "alternative format chunk" (HTML, an MHT web archive, RTF...) as it was imported
and converts it only when the document is opened; tools that build DOCX from HTML
(html-docx-js, CMS and wiki exports) write the whole document as one such chunk. mammoth ignores
them, so those documents read as empty. Each HTML or MHT chunk is replaced by a marker paragraph
before mammoth runs (:func:`mark_chunks`), and the marker by the chunk's body afterwards
(:func:`insert_chunks`); the chunk's HTML then goes through the same cleaning and sanitizing
as every page. Other formats (RTF, a nested DOCX) stay left out, with a warning.
"""

from __future__ import annotations

import email
import email.policy
import html as html_lib
import posixpath
import zipfile
from dataclasses import dataclass, field

import lxml.html  # type: ignore[import-untyped,unused-ignore]  # lxml ships no stubs
from lxml import etree  # type: ignore[import-untyped,unused-ignore]

from ingestor.connectors.decode import decode_text
from ingestor.errors import PageSkipped

__all__ = ["Chunks", "insert_chunks", "mark_chunks"]

#: A chunk bigger than this is not read (the document's XML is bounded the same way).
MAX_CHUNK_BYTES = 50_000_000
_HTML_EXTENSIONS = (".htm", ".html", ".xhtml", ".mht", ".mhtml")
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)
#: Deep HTML is read whole here; the page's conversion flattens it (ingestor.convert._depth).
_HTML_PARSER = lxml.html.HTMLParser(no_network=True, huge_tree=True)


@dataclass(slots=True)
class Chunks:
    """The chunks of one document: marker text -> body HTML, and what could not be read."""

    html: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def mark_chunks(archive: zipfile.ZipFile, part: str, root: etree._Element, chunks: Chunks) -> bool:
    """Replace the ``w:altChunk`` elements of ``part`` (parsed as ``root``) by marker paragraphs,
    in place, recording each HTML chunk's body in ``chunks``; whether there was any."""
    found = [element for element in root.iter() if _local(element) == "altChunk"]
    if not found:
        return False
    targets = _relationship_targets(archive, part)
    for element in found:
        rel_id = next((v for k, v in element.attrib.items() if str(k).endswith("}id")), None)
        target = targets.get(str(rel_id))
        body = _chunk_body(archive, target, chunks) if target else None
        parent = element.getparent()
        if parent is None:
            continue
        if body is None:
            parent.remove(element)
            continue
        marker = f"\u2063fin-chunk-{len(chunks.html)}\u2063"
        chunks.html[marker] = body
        namespace = element.tag.split("}", 1)[0] + "}" if "}" in element.tag else ""
        paragraph = etree.Element(f"{namespace}p")
        run = etree.SubElement(paragraph, f"{namespace}r")
        etree.SubElement(run, f"{namespace}t").text = marker
        parent.replace(element, paragraph)
    return True


def insert_chunks(html: str, chunks: Chunks) -> str:
    """mammoth's HTML with each marker paragraph replaced by its chunk's body."""
    for marker, body in chunks.html.items():
        html = html.replace(f"<p>{marker}</p>", body).replace(marker, body)
    return html


def _local(element: etree._Element) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _relationship_targets(archive: zipfile.ZipFile, part: str) -> dict[str, str]:
    """Relationship id -> package path, for the relationships of ``part``."""
    folder, name = posixpath.split(part)
    try:
        rels = etree.fromstring(archive.read(f"{folder}/_rels/{name}.rels"), _PARSER)
    except (KeyError, etree.XMLSyntaxError):
        return {}
    targets = {}
    for rel in rels.iter(_RELS):
        target = str(rel.get("Target") or "")
        if rel.get("TargetMode") == "External" or not target:
            continue
        path = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        targets[str(rel.get("Id"))] = posixpath.normpath(path)
    return targets


def _chunk_body(archive: zipfile.ZipFile, path: str, chunks: Chunks) -> str | None:
    name = posixpath.basename(path)
    if not path.lower().endswith(_HTML_EXTENSIONS):
        chunks.warnings.append(f"imported content {name} left out (only HTML and MHT are read)")
        return None
    try:
        info = archive.getinfo(path)
    except KeyError:
        chunks.warnings.append(f"imported content {name} is missing from the package")
        return None
    if info.file_size > MAX_CHUNK_BYTES:
        chunks.warnings.append(f"imported content {name} left out: over {MAX_CHUNK_BYTES:,} bytes")
        return None
    text = _html_text(archive.read(path), mht=path.lower().endswith((".mht", ".mhtml")))
    if text is None:
        chunks.warnings.append(f"imported content {name} left out: no readable HTML in it")
        return None
    return _body_of(text)


def _html_text(raw: bytes, *, mht: bool) -> str | None:
    if mht:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        for part in message.walk():
            if part.get_content_type() in ("text/html", "application/xhtml+xml"):
                content = part.get_content()
                return content if isinstance(content, str) else None
        if message.is_multipart() or message.get_content_type() != "text/plain":
            return None  # a web archive without a page; a bare .mht is read as HTML below
    try:
        return decode_text(raw, kind="html")[0]
    except PageSkipped:
        return None


def _body_of(text: str) -> str | None:
    try:
        document = lxml.html.document_fromstring(text, parser=_HTML_PARSER)
    except (etree.ParserError, ValueError):
        return None
    body = document.find("body")
    if body is None:
        return None
    inner = html_lib.escape(body.text or "", quote=False)
    return inner + "".join(lxml.html.tostring(child, encoding="unicode") for child in body)
