"""A DOCX package rewritten where mammoth would read it otherwise than Word shows it.

* **Hidden text** (``w:vanish``) is taken out. Word does not show or print text formatted
  as hidden (Font > Hidden, or a style with it): authors use it for template instructions and
  internal notes. mammoth ignores the property and would publish that text, so the runs that
  Word hides are removed from the package's content parts first. A run is hidden when its own
  properties say so (``<w:vanish/>``, not ``w:val="false"``), else when its character style or
  its paragraph's style sets ``w:vanish`` (``basedOn`` chains are not followed).
* **Simple fields** (``w:fldSimple``: a cross-reference, a document property, a date, as
  LibreOffice and many generators write them) are replaced by the result Word shows, their
  runs; mammoth dropped them with their text.
* **Imported HTML** (``w:altChunk``) is replaced by marker paragraphs (:mod:`.docx_chunks`).

Parts that have none of these are left untouched, byte for byte.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

from lxml import etree  # type: ignore[import-untyped,unused-ignore]  # no stubs

from ingestor.connectors.office.docx_chunks import Chunks, mark_chunks

__all__ = ["PreparedDocx", "prepared_docx"]

_FALSE = frozenset({"0", "false", "off"})
# Parts that describe formatting, not content: never rewritten.
_NOT_CONTENT = frozenset({"styles", "stylesWithEffects", "numbering", "settings", "fontTable"})
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
_REWRITTEN_MARKERS = (b"vanish", b"fldSimple", b"altChunk")


@dataclass(slots=True)
class PreparedDocx:
    """The package to give mammoth, and the imported HTML its markers stand for."""

    data: bytes
    chunks: Chunks = field(default_factory=Chunks)


def prepared_docx(archive: zipfile.ZipFile, data: bytes) -> PreparedDocx:
    """``data`` (the package ``archive`` reads) without the runs Word hides, with simple fields
    replaced by their results and imported HTML by markers; ``data`` itself when no content
    part has any of these.

    Raises:
        etree.XMLSyntaxError: A content part that has one of them is not XML.
    """
    hidden_styles = _hidden_style_ids(archive)
    chunks = Chunks()
    rewritten: dict[str, bytes] = {}
    for info in archive.infolist():
        name = info.filename
        stem = name.rsplit("/", 1)[-1].removesuffix(".xml")
        if not name.startswith("word/") or not name.endswith(".xml") or stem in _NOT_CONTENT:
            continue
        raw = archive.read(name)
        if not any(marker in raw for marker in _REWRITTEN_MARKERS):
            continue
        root = etree.fromstring(raw, _PARSER)
        changed = _drop_hidden_runs(root, hidden_styles)
        changed |= _unwrap_simple_fields(root)
        changed |= mark_chunks(archive, name, root, chunks)
        if changed:
            rewritten[name] = etree.tostring(
                root.getroottree(), xml_declaration=True, encoding="UTF-8"
            )
    if not rewritten:
        return PreparedDocx(data, chunks)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for info in archive.infolist():
            package.writestr(info, rewritten.get(info.filename) or archive.read(info.filename))
    return PreparedDocx(out.getvalue(), chunks)


def _local(element: etree._Element) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(element: etree._Element | None, name: str) -> etree._Element | None:
    if element is None:
        return None
    return next((child for child in element if _local(child) == name), None)


def _value(element: etree._Element) -> str | None:
    """The ``w:val`` attribute, whichever WordprocessingML namespace (transitional, Strict)."""
    return next((str(v) for k, v in element.attrib.items() if str(k).endswith("}val")), None)


def _vanish(properties: etree._Element | None) -> bool | None:
    """True/False when ``properties`` (a ``w:rPr``) sets hidden on or off, None when silent."""
    flag = _child(properties, "vanish")
    if flag is None:
        return None
    value = _value(flag)
    return value is None or value.lower() not in _FALSE


def _hidden_style_ids(archive: zipfile.ZipFile) -> frozenset[str]:
    try:
        raw = archive.read("word/styles.xml")
    except KeyError:
        return frozenset()
    if b"vanish" not in raw:
        return frozenset()
    try:
        root = etree.fromstring(raw, _PARSER)
    except etree.XMLSyntaxError:
        return frozenset()  # mammoth reports broken styles; hidden styles are then unknown
    ids: set[str] = set()
    for style in root.iter():
        if _local(style) == "style" and _vanish(_child(style, "rPr")):
            ids.update(str(v) for k, v in style.attrib.items() if str(k).endswith("}styleId"))
    return frozenset(ids)


def _drop_hidden_runs(root: etree._Element, hidden_styles: frozenset[str]) -> bool:
    """Remove hidden runs in place; whether any was removed."""
    doomed = []
    for run in root.iter():
        if _local(run) != "r":
            continue
        properties = _child(run, "rPr")
        hidden = _vanish(properties)
        if hidden is None:
            hidden = _styled_hidden(run, properties, hidden_styles)
        if hidden:
            doomed.append(run)
    for run in doomed:
        parent = run.getparent()
        if parent is not None:
            parent.remove(run)
    return bool(doomed)


def _unwrap_simple_fields(root: etree._Element) -> bool:
    """Replace each ``w:fldSimple`` by its children in place; whether there was one."""
    fields = [element for element in root.iter() if _local(element) == "fldSimple"]
    for simple in reversed(fields):  # inner fields first
        parent = simple.getparent()
        if parent is None:
            continue
        at = parent.index(simple)
        for offset, child in enumerate(list(simple)):
            parent.insert(at + offset, child)
        parent.remove(simple)
    return bool(fields)


def _styled_hidden(
    run: etree._Element, properties: etree._Element | None, hidden_styles: frozenset[str]
) -> bool:
    if not hidden_styles:
        return False
    run_style = _child(properties, "rStyle")
    if run_style is not None and _value(run_style) in hidden_styles:
        return True
    paragraph = next((p for p in run.iterancestors() if _local(p) == "p"), None)
    style = _child(_child(paragraph, "pPr"), "pStyle")
    return style is not None and _value(style) in hidden_styles
