"""PDFs in Japanese (vertical), Chinese and Korean, and letter-spaced Latin headings: text in
reading order, no invented spaces, and titles that are never a lone character."""

from __future__ import annotations

import re

import pytest

from ingestor.connectors.office.pdf import pdf_to_html
from ingestor.connectors.office.pdf_layout import TextBlock, TextLine, blocks_to_html

from .script_pdfs import CHINESE, JAPANESE, KOREAN, horizontal_pdf, letter_spaced_pdf, vertical_pdf


def paragraphs(html: str) -> list[str]:
    return re.findall(r"<(?:h\d|p)>(.*?)</(?:h\d|p)>", html)


def test_vertical_japanese_reads_in_column_order_as_whole_paragraphs() -> None:
    result = pdf_to_html(vertical_pdf())
    assert result.title == JAPANESE[0]
    assert paragraphs(result.html) == list(JAPANESE)  # columns joined, no space inserted


def test_the_metadata_title_wins_over_the_first_heading() -> None:
    assert pdf_to_html(vertical_pdf(title="社内マニュアル")).title == "社内マニュアル"


def test_chinese_lines_are_joined_without_spaces() -> None:
    result = pdf_to_html(horizontal_pdf("zh", CHINESE, per_line=23))
    assert result.title == CHINESE[0]
    assert paragraphs(result.html) == list(CHINESE)


def test_korean_keeps_the_spaces_between_its_words() -> None:
    found = paragraphs(pdf_to_html(horizontal_pdf("ko", KOREAN, per_line=24)).html)
    assert found[0] == KOREAN[0]
    # a line that ends a sentence may end the paragraph (as in Latin text); words stay apart
    assert " ".join(found[1:]) == KOREAN[1]


def test_a_letter_spaced_heading_is_joined_into_words() -> None:
    body = "This guide explains how to configure the service for the first time."
    result = pdf_to_html(letter_spaced_pdf("Getting started", body))
    assert result.title == "Getting started"
    assert paragraphs(result.html) == ["Getting started", body]


@pytest.mark.parametrize(
    ("line", "joined"),
    [
        ("G e t t i n g   s t a r t e d", "Getting started"),
        ("S U M M A R Y", "SUMMARY"),
        ("A B", "A B"),  # too short to tell: kept
        ("a b c d e and more words", "a b c d e and more words"),  # not all single letters
        ("再 設 定", "再設定"),
    ],
)
def test_invented_spaces_are_removed(line: str, joined: str) -> None:
    html, _ = blocks_to_html([TextBlock(0, (TextLine(line, 10.0),))])
    assert html == f"<p>{joined}</p>"


def test_a_title_is_never_a_lone_character_or_a_number() -> None:
    blocks = [
        TextBlock(0, (TextLine("み", 20.0),)),
        TextBlock(0, (TextLine("12", 10.0),)),
        TextBlock(0, (TextLine("Body text of the first page, long enough.", 10.0),)),
    ]
    assert blocks_to_html(blocks)[1] == "Body text of the first page, long enough."
