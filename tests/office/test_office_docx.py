"""docx_to_html on real Word files: structure, title, images, notes, revisions, broken files."""

from __future__ import annotations

import io
import zipfile

import pytest

from ingestor.connectors.base import Document
from ingestor.connectors.office.docx import docx_to_html
from ingestor.convert import convert_document
from ingestor.errors import ConnectorError, PageSkipped

from .conftest import para, raw_docx, rich_docx

FOOTNOTES = (
    '<w:footnotes xmlns:w="W_NS">'
    '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
    '<w:footnote w:id="1"><w:p><w:r><w:t>Source: HR survey 2025.</w:t></w:r></w:p></w:footnote>'
    "</w:footnotes>"
)
COMMENTS = (
    '<w:comments xmlns:w="W_NS"><w:comment w:id="0" w:author="Bob">'
    "<w:p><w:r><w:t>SECRET REVIEW NOTE</w:t></w:r></w:p></w:comment></w:comments>"
)


def test_rich_document_becomes_semantic_html() -> None:
    result = docx_to_html(rich_docx())
    html = result.html
    assert result.title == "Employee Handbook"  # core properties win over the first heading
    assert "<h1>Welcome aboard</h1>" in html and "<h2>Your first week</h2>" in html
    assert "<strong>carefully</strong>" in html and "<em>soon</em>" in html
    assert '<a href="https://intranet.example.com/policies">the policies</a>' in html
    assert "<ul><li>Get a laptop</li><li>Meet the team</li></ul>" in html
    assert "<ol><li>Sign the contract</li><li>Open a bank account</li></ol>" in html
    assert "<table>" in html and "Monday" in html and "Onboarding" in html
    assert "<em>[Image: Office floor plan]</em>" in html
    assert "<img" not in html and "base64" not in html
    assert result.images_dropped == 1  # the second image had no alt text


def test_title_falls_back_to_the_first_heading_then_none() -> None:
    assert docx_to_html(rich_docx(title=None)).title == "Welcome aboard"
    plain = docx_to_html(raw_docx(para("Just a paragraph.")))
    assert plain.title is None  # the connector then uses the file name


@pytest.mark.parametrize("junk", ["Untitled", "Document1", "  ", "Microsoft Word - .docx"])
def test_placeholder_titles_from_tools_are_ignored(junk: str) -> None:
    result = docx_to_html(raw_docx(para("Heading text", "Heading1"), title=junk))
    assert result.title == "Heading text"


def test_footnotes_become_plain_superscripts_and_an_end_list() -> None:
    body = (
        '<w:p><w:r><w:t>Most staff agree</w:t></w:r><w:r><w:footnoteReference w:id="1"/>'
        "</w:r></w:p>"
    )
    html = docx_to_html(raw_docx(body, parts={"footnotes": FOOTNOTES})).html
    assert "<sup>[1]</sup>" in html
    assert "Source: HR survey 2025." in html
    assert 'href="#' not in html and "\u2191" not in html  # no dangling in-page links
    assert html.index("<hr>") < html.index("Source: HR survey")


def test_comments_are_excluded() -> None:
    body = (
        '<w:p><w:commentRangeStart w:id="0"/><w:r><w:t>Commented text</w:t></w:r>'
        '<w:commentRangeEnd w:id="0"/><w:r><w:commentReference w:id="0"/></w:r></w:p>'
    )
    html = docx_to_html(raw_docx(body, parts={"comments": COMMENTS})).html
    assert "Commented text" in html
    assert "SECRET REVIEW NOTE" not in html and "[C" not in html


def test_tracked_changes_read_as_the_current_text_without_marks() -> None:
    body = (
        '<w:p><w:r><w:t xml:space="preserve">Price is </w:t></w:r>'
        '<w:del w:id="1" w:author="A"><w:r><w:delText>10 EUR</w:delText></w:r></w:del>'
        '<w:ins w:id="2" w:author="A"><w:r><w:t>12 EUR</w:t></w:r></w:ins></w:p>'
        '<w:p><w:moveFrom w:id="3" w:author="A"><w:r><w:t>Moved away</w:t></w:r></w:moveFrom></w:p>'
    )
    html = docx_to_html(raw_docx(body)).html
    assert "Price is 12 EUR" in html
    assert "10 EUR" not in html and "Moved away" not in html
    assert "<del" not in html and "<ins" not in html


HIDDEN_STYLES = (
    '<w:styles xmlns:w="W_NS">'
    '<w:style w:type="character" w:styleId="Secret"><w:rPr><w:vanish/></w:rPr></w:style>'
    '<w:style w:type="paragraph" w:styleId="Instructions"><w:rPr><w:vanish/></w:rPr></w:style>'
    "</w:styles>"
)


def run(text: str, properties: str = "") -> str:
    return f'<w:r><w:rPr>{properties}</w:rPr><w:t xml:space="preserve">{text}</w:t></w:r>'


@pytest.mark.parametrize("strict", [False, True])
def test_hidden_text_is_left_out_as_word_shows_it(strict: bool) -> None:
    body = (
        "<w:p>"
        + run("Refunds take 5 days.")
        + run(" INTERNAL: margin is 40%.", "<w:vanish/>")
        + run(" Shown again.", '<w:vanish w:val="false"/>')
        + run(" STYLED SECRET", '<w:rStyle w:val="Secret"/>')
        + "</w:p>"
        + '<w:p><w:pPr><w:pStyle w:val="Instructions"/></w:pPr>'
        + run("TEMPLATE: delete this paragraph before sending.")
        + "</w:p>"
        + '<w:p><w:pPr><w:pStyle w:val="Instructions"/></w:pPr>'
        + run("Visible in a hidden style.", '<w:vanish w:val="0"/>')
        + "</w:p>"
    )
    html = docx_to_html(raw_docx(body, parts={"styles": HIDDEN_STYLES}, strict=strict)).html
    assert "Refunds take 5 days. Shown again." in html
    assert "Visible in a hidden style." in html
    assert "INTERNAL" not in html and "SECRET" not in html and "TEMPLATE" not in html


def test_a_document_whose_text_is_all_hidden_is_skipped() -> None:
    with pytest.raises(PageSkipped, match="no text"):
        docx_to_html(raw_docx("<w:p>" + run("Draft notes", "<w:vanish/>") + "</w:p>"))


def test_simple_fields_show_their_result_as_word_does() -> None:
    body = (
        '<w:p><w:r><w:t xml:space="preserve">See </w:t></w:r>'
        '<w:fldSimple w:instr=" REF _Ref12 \\h "><w:r><w:t>section 3</w:t></w:r></w:fldSimple>'
        '<w:r><w:t xml:space="preserve"> for prices, valid from </w:t></w:r>'
        '<w:fldSimple w:instr=" DATE "><w:r><w:rPr><w:b/></w:rPr><w:t>1 May</w:t></w:r>'
        "</w:fldSimple><w:r><w:t>.</w:t></w:r></w:p>"
    )
    html = docx_to_html(raw_docx(body)).html
    assert html == "<p>See section 3 for prices, valid from <strong>1 May</strong>.</p>"


MHT_CHUNK = (
    "MIME-Version: 1.0\r\n"
    'Content-Type: multipart/related; type="text/html"; boundary="----=mhtDocumentPart"\r\n'
    "\r\n------=mhtDocumentPart\r\n"
    'Content-Type: text/html; charset="utf-8"\r\n'
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "Content-Location: file:///C:/fake/document.html\r\n\r\n"
    "<!DOCTYPE html><html><head><title>x</title></head><body><h1>Caf=C3=A9 opening hours</h1>"
    "<p>Open <b>daily</b> from 8 to 18.</p><script>alert(1)</script>"
    "</body></html>\r\n------=mhtDocumentPart--\r\n"
)


def with_chunks(docx_bytes: bytes, chunks: dict[str, str]) -> bytes:
    """A DOCX whose body is one ``w:altChunk`` per file of ``chunks`` (name: content), as
    html-docx-js writes a whole document."""
    source = zipfile.ZipFile(io.BytesIO(docx_bytes))
    files = {name: source.read(name) for name in source.namelist()}
    rels = files["word/_rels/document.xml.rels"].decode()
    body = ""
    for index, name in enumerate(chunks):
        rels = rels.replace(
            "</Relationships>",
            f'<Relationship Id="chunk{index}" Type="http://schemas.openxmlformats.org/'
            f'officeDocument/2006/relationships/aFChunk" Target="/word/{name}"/></Relationships>',
        )
        body += f'<w:altChunk r:id="chunk{index}"/>'
        files[f"word/{name}"] = chunks[name].encode()
    files["word/_rels/document.xml.rels"] = rels.encode()
    files["word/document.xml"] = files["word/document.xml"].replace(
        b"<w:body>", b"<w:body>" + body.encode()
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_a_document_made_of_imported_html_is_read_and_then_sanitized() -> None:
    data = with_chunks(raw_docx(""), {"afchunk.mht": MHT_CHUNK})
    result = docx_to_html(data)
    assert result.title == "Café opening hours"
    assert "<p>Open <b>daily</b> from 8 to 18.</p>" in result.html
    page = convert_document(Document("hours.docx", result.html, "html", url="https://x.example/"))
    assert page.html == "<h1>Café opening hours</h1><p>Open <b>daily</b> from 8 to 18.</p>"


def test_imported_html_keeps_its_place_and_other_formats_are_reported() -> None:
    html_chunk = "<html><body><p>From the HTML chunk.</p></body></html>"
    data = with_chunks(
        raw_docx(para("After the chunks.")),
        {"chunk.html": html_chunk, "legacy.rtf": "{\\rtf1 RTF text}"},
    )
    result = docx_to_html(data)
    assert result.html == "<p>From the HTML chunk.</p><p>After the chunks.</p>"
    assert "imported content legacy.rtf left out (only HTML and MHT are read)" in result.warnings


def test_text_boxes_are_read_from_their_fallback_and_never_crash() -> None:
    box = (
        '<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing/></mc:Choice>'
        "<mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent>"
        "<w:p><w:r><w:t>Boxed tip</w:t></w:r></w:p>"
        "</w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent>"
        "</w:r><w:r><w:t>Around the box.</w:t></w:r></w:p>"
    )
    html = docx_to_html(raw_docx(box)).html
    assert "Boxed tip" in html and "Around the box." in html
    choice_only = (
        '<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing/></mc:Choice>'
        "</mc:AlternateContent></w:r><w:r><w:t>Text next to a modern text box.</w:t></w:r></w:p>"
    )
    assert "modern text box" in docx_to_html(raw_docx(choice_only)).html


def test_strict_ooxml_is_read_like_transitional() -> None:
    body = para("Strict heading", "Heading1") + para("Strict body text.")
    result = docx_to_html(raw_docx(body, strict=True, title="Strict title"))
    assert "Strict body text." in result.html
    assert result.title == "Strict title"


def test_document_without_text_is_skipped_not_empty() -> None:
    with pytest.raises(PageSkipped, match="no text"):
        docx_to_html(raw_docx("<w:p/>"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
            + b"\0" * 600
            + "EncryptedPackage".encode("utf-16-le"),
            "encrypted",
        ),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "legacy binary Word"),
        (b"Just some text renamed to .docx", "not a ZIP"),
        (rich_docx()[:5000], "corrupted DOCX"),
    ],
    ids=["encrypted", "legacy-doc", "not-zip", "truncated"],
)
def test_broken_files_are_reported_clearly(data: bytes, message: str) -> None:
    with pytest.raises(ConnectorError, match=message) as caught:
        docx_to_html(data)
    # encrypted: skipped (reported; a person must act); broken files fail the page
    assert isinstance(caught.value, PageSkipped) == message.startswith("encrypted")


def test_zip_without_a_document_part_is_not_a_word_document() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(ConnectorError, match="not a Word document"):
        docx_to_html(out.getvalue())


STYLES = (
    '<w:styles xmlns:w="W_NS">'
    '<w:style w:type="paragraph" w:styleId="TOC1"><w:name w:val="toc 1"/></w:style>'
    '<w:style w:type="paragraph" w:styleId="TOCHeading"><w:name w:val="TOC Heading"/></w:style>'
    '<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/></w:style>'
    "</w:styles>"
)


def test_table_of_contents_and_bookmark_links_are_left_out() -> None:
    body = (
        para("Contents", "TOCHeading")
        + '<w:p><w:pPr><w:pStyle w:val="TOC1"/></w:pPr><w:hyperlink w:anchor="_Toc1">'
        "<w:r><w:t>Refunds ..... 3</w:t></w:r></w:hyperlink></w:p>"
        + '<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:bookmarkStart w:id="0" '
        'w:name="_Toc1"/><w:r><w:t>Refunds</w:t></w:r><w:bookmarkEnd w:id="0"/></w:p>'
        + '<w:p><w:r><w:t xml:space="preserve">See </w:t></w:r><w:hyperlink w:anchor="_Toc1">'
        "<w:r><w:t>refunds</w:t></w:r></w:hyperlink></w:p>"
    )
    result = docx_to_html(raw_docx(body, parts={"styles": STYLES}))
    assert result.html == "<h1>Refunds</h1><p>See refunds</p>"
    assert result.title == "Refunds"


def test_strict_ooxml_headings_follow_their_style() -> None:
    body = para("Strict heading", "Heading1") + para("Strict body text.")
    result = docx_to_html(raw_docx(body, parts={"styles": STYLES}, strict=True))
    assert result.html == "<h1>Strict heading</h1><p>Strict body text.</p>"
