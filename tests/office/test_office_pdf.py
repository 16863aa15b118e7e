"""pdf_to_html on real PDFs made with fpdf2, and blocks_to_html on hand-made layouts."""

from __future__ import annotations

import pytest

from ingestor.connectors.office import tidy_title
from ingestor.connectors.office.pdf import pdf_to_html
from ingestor.connectors.office.pdf_layout import TextBlock, TextLine, blocks_to_html
from ingestor.errors import ConnectorError, PageSkipped

from .conftest import encrypted_pdf, image_only_pdf, text_pdf

LONG = "Our travel policy covers flights, hotels and meals for every employee who travels. " * 3
POLICY = [
    [
        ("h1", "Travel Policy"),
        ("p", LONG),
        ("h2", "Booking"),
        ("p", "- Book through the portal\n- Keep receipts"),
        ("p", "Claims must be filed within thirty days, and the manager who approved the"),
    ],
    [("p", "trip signs them off."), ("b", "Per diem"), ("p", "The per diem is 40 EUR.")],
    [("h2", "Contacts"), ("p", "Write to travel@example.com.")],
]


def policy_pdf(title: str | None = "Travel Policy 2026") -> bytes:
    return text_pdf(POLICY, title=title, header="ACME internal - do not share", page_numbers=True)


def test_headings_paragraphs_and_lists_are_recovered() -> None:
    result = pdf_to_html(policy_pdf())
    html = result.html
    assert result.title == "Travel Policy 2026"
    assert html.startswith("<h1>Travel Policy</h1><p>Our travel policy")
    assert "<h2>Booking</h2>" in html and "<h2>Contacts</h2>" in html
    assert "<h3>Per diem</h3>" in html  # bold at body size: one level below the sized ones
    assert "<ul><li>Book through the portal</li><li>Keep receipts</li></ul>" in html
    assert html.count("<p>Our travel policy") == 1  # a wrapped paragraph stays one paragraph


def test_a_sentence_cut_by_a_page_break_is_joined_across_header_and_footer() -> None:
    html = pdf_to_html(policy_pdf()).html
    assert (
        "<p>Claims must be filed within thirty days, and the manager who approved the trip "
        "signs them off.</p>" in html
    )
    assert "ACME internal" not in html  # running header on every page
    assert "Page 1 of 3" not in html and "Page 2" not in html  # page numbers


def test_a_pdf_whose_only_text_repeats_at_the_top_of_each_page_is_not_emptied() -> None:
    # one record per page, printed at the top: the "running head" is the whole document
    pages = [[("p", f"Order {number} ships from the Lyon warehouse.")] for number in range(6)]
    html = pdf_to_html(text_pdf(pages, page_numbers=True)).html
    assert html.count("ships from the Lyon warehouse.") == 6
    assert "Order 0 ships" in html and "Order 5 ships" in html
    assert "Page 1 of 6" not in html  # page numbers still go


def test_title_falls_back_to_the_first_line() -> None:
    assert pdf_to_html(policy_pdf(title=None)).title == "Travel Policy"


def test_image_only_pdf_is_skipped_as_no_extractable_text() -> None:
    with pytest.raises(PageSkipped, match="no extractable text on any of its 2 pages"):
        pdf_to_html(image_only_pdf(2))


def test_pdf_needing_a_password_is_skipped_as_encrypted() -> None:
    with pytest.raises(PageSkipped, match="encrypted PDF: it needs a password"):
        pdf_to_html(encrypted_pdf())


def test_pdf_encrypted_with_an_empty_user_password_is_read() -> None:
    assert "Confidential salary bands." in pdf_to_html(encrypted_pdf(user_password=None)).html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04 a zip renamed to .pdf", "not a PDF file"),
        (b"%PDF-1.7\n" + b"\x00garbage" * 50, "corrupted PDF"),
        (policy_pdf()[:400], "corrupted PDF"),
    ],
    ids=["not-pdf", "garbage", "truncated"],
)
def test_corrupted_pdfs_are_reported(data: bytes, message: str) -> None:
    with pytest.raises(ConnectorError, match=message):
        pdf_to_html(data)


def test_mixed_pdf_warns_about_pages_without_text() -> None:
    data = text_pdf([[("p", "Only the first page has text.")], [], []])
    result = pdf_to_html(data)
    assert "Only the first page has text." in result.html
    assert result.warnings[0] == "no text on page(s) 2, 3 (scanned or image-only?)"


# -- layout rules on hand-made blocks -----------------------------------------------------------


def block(page: int, *lines: str, size: float = 10.0, bold: bool = False) -> TextBlock:
    return TextBlock(page, tuple(TextLine(text, size, bold) for text in lines))


def test_hyphenated_line_ends_are_rejoined_and_numbered_items_make_ordered_lists() -> None:
    html, first = blocks_to_html(
        [
            block(0, "Configure the net-", "work first, then the", "printer."),
            block(0, "1. Open settings", "and scroll down", "2. Save"),
        ]
    )
    assert first == "Configure the net-"
    assert "<p>Configure the network first, then the printer.</p>" in html
    assert "<ol><li>Open settings and scroll down</li><li>Save</li></ol>" in html


def test_a_new_capitalised_paragraph_on_the_next_page_is_not_merged() -> None:
    html, _ = blocks_to_html([block(0, "End of a sentence."), block(1, "Next thought.")])
    assert html == "<p>End of a sentence.</p><p>Next thought.</p>"


def test_text_is_escaped() -> None:
    html, _ = blocks_to_html([block(0, "if a < b & c > d")])
    assert html == "<p>if a &lt; b &amp; c &gt; d</p>"


@pytest.mark.parametrize(
    ("raw", "tidy"),
    [
        ("Microsoft Word - Leave Policy.docx", "Leave Policy"),
        ("  Quarterly   report ", "Quarterly report"),
        ("untitled", None),
        ("Document1", None),
        (None, None),
    ],
)
def test_tidy_title(raw: str | None, tidy: str | None) -> None:
    assert tidy_title(raw) == tidy
