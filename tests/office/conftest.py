"""Real office files for the tests, written with python-docx, fpdf2 and Pillow, or by hand.

Hand-written DOCX packages (:func:`raw_docx`) cover what python-docx cannot write: footnotes,
comments, tracked changes, text boxes and Strict OOXML namespaces.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

import docx
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from fpdf import FPDF
from PIL import Image

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STRICT_W_NS = "http://purl.oclc.org/ooxml/wordprocessingml/main"
STRICT_R_NS = "http://purl.oclc.org/ooxml/officeDocument/relationships"
REL_BASE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STRICT_REL_BASE = "http://purl.oclc.org/ooxml/officeDocument/relationships"


def png(width: int = 40, height: int = 30) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def rich_docx(*, title: str | None = "Employee Handbook", with_image: bool = True) -> bytes:
    """A realistic Word document: headings, formatting, lists, a table, a link, an image."""
    document = docx.Document()
    document.core_properties.title = title or ""
    document.add_heading("Welcome aboard", level=1)
    intro = document.add_paragraph("Read this ")
    intro.add_run("carefully").bold = True
    intro.add_run(" and ")
    intro.add_run("soon").italic = True
    intro.add_run(". See ")
    _add_hyperlink(intro, "https://intranet.example.com/policies", "the policies")
    intro.add_run(".")
    document.add_heading("Your first week", level=2)
    document.add_paragraph("Get a laptop", style="List Bullet")
    document.add_paragraph("Meet the team", style="List Bullet")
    document.add_paragraph("Sign the contract", style="List Number")
    document.add_paragraph("Open a bank account", style="List Number")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Day"
    table.cell(0, 1).text = "Activity"
    table.cell(1, 0).text = "Monday"
    table.cell(1, 1).text = "Onboarding"
    if with_image:
        document.add_picture(io.BytesIO(png()))
        document.inline_shapes[0]._inline.docPr.set("descr", "Office floor plan")
        document.add_picture(io.BytesIO(png()))  # no alt text: dropped silently
    document.add_paragraph("Last paragraph.").runs[0].add_break(WD_BREAK.LINE)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _add_hyperlink(paragraph: object, url: str, text: str) -> None:
    part = paragraph.part  # type: ignore[attr-defined]
    rel_id = part.relate_to(url, f"{REL_BASE}/hyperlink", is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rel_id)
    run = OxmlElement("w:r")
    text_element = OxmlElement("w:t")
    text_element.text = text
    run.append(text_element)
    link.append(run)
    paragraph._p.append(link)  # type: ignore[attr-defined]


def raw_docx(
    body: str,
    *,
    parts: dict[str, str] | None = None,
    title: str | None = None,
    strict: bool = False,
) -> bytes:
    """A minimal DOCX package around ``body`` (the inside of ``w:body``), by hand.

    ``parts`` adds e.g. ``{"footnotes": xml}`` or ``{"comments": xml}`` with their relationships.
    """
    w_ns, r_ns, rel_base = (
        (STRICT_W_NS, STRICT_R_NS, STRICT_REL_BASE) if strict else (W_NS, R_NS, REL_BASE)
    )
    pkg_rel = "http://schemas.openxmlformats.org/package/2006/relationships"
    core_type = f"{pkg_rel}/metadata/core-properties"
    rels = [
        f'<Relationship Id="rId1" Type="{rel_base}/officeDocument" Target="word/document.xml"/>'
    ]
    files: dict[str, str] = {}
    if title is not None:
        rels.append(f'<Relationship Id="rId2" Type="{core_type}" Target="docProps/core.xml"/>')
        files["docProps/core.xml"] = (
            '<?xml version="1.0" encoding="UTF-8"?><cp:coreProperties xmlns:cp="http://schemas'
            '.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.'
            f'org/dc/elements/1.1/"><dc:title>{title}</dc:title></cp:coreProperties>'
        )
    doc_rels = []
    for index, (name, xml) in enumerate((parts or {}).items(), start=1):
        doc_rels.append(
            f'<Relationship Id="rP{index}" Type="{rel_base}/{name}" Target="{name}.xml"/>'
        )
        files[f"word/{name}.xml"] = xml.replace("W_NS", w_ns)
    files["[Content_Types].xml"] = (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
        'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
        '"application/xml"/></Types>'
    )
    files["_rels/.rels"] = f'<Relationships xmlns="{pkg_rel}">{"".join(rels)}</Relationships>'
    files["word/_rels/document.xml.rels"] = (
        f'<Relationships xmlns="{pkg_rel}">{"".join(doc_rels)}</Relationships>'
    )
    files["word/document.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{w_ns}" xmlns:r="{r_ns}" '
        'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:v="urn:schemas-microsoft-com:vml" '
        'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        f"<w:body>{body}</w:body></w:document>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return out.getvalue()


def para(text: str, style: str | None = None) -> str:
    style_xml = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return f'<w:p>{style_xml}<w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'


def text_pdf(
    pages: Sequence[Sequence[tuple[str, str]]],
    *,
    title: str | None = None,
    header: str | None = None,
    page_numbers: bool = False,
) -> bytes:
    """A PDF with real text: each page is a list of (kind, text), kind in h1/h2/b/p."""
    pdf = FPDF()
    pdf.set_auto_page_break(False)
    if title:
        pdf.set_title(title)
    for number, blocks in enumerate(pages, start=1):
        pdf.add_page()
        if header:
            pdf.set_font("helvetica", size=8)
            pdf.set_xy(10, 5)
            pdf.cell(0, 4, header)
            pdf.set_xy(10, 30)
        for kind, text in blocks:
            size, style, height = {"h1": (22, "B", 12), "h2": (15, "B", 9), "b": (11, "B", 7)}.get(
                kind, (11, "", 5)
            )
            pdf.set_font("helvetica", style, size)
            pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(5)
        if page_numbers:
            pdf.set_font("helvetica", size=8)
            pdf.set_xy(10, 287)
            pdf.cell(0, 4, f"Page {number} of {len(pages)}", align="C")
    return bytes(pdf.output())


def image_only_pdf(pages: int = 2) -> bytes:
    pdf = FPDF()
    for _ in range(pages):
        pdf.add_page()
        pdf.image(io.BytesIO(png(300, 400)), x=10, y=10, w=150)
    return bytes(pdf.output())


def encrypted_pdf(*, user_password: str | None = "s3cret") -> bytes:
    pdf = FPDF()
    pdf.set_encryption(owner_password="owner-pw", user_password=user_password)
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "Confidential salary bands.")
    return bytes(pdf.output())
