"""PDF files to HTML with pdfminer.six: a pure function of the file's bytes.

pdfminer's layout analysis groups glyphs into lines and blocks in reading order; each line
carries the median size of its characters and whether they are bold, and
:mod:`connectors.office.pdf_layout` turns the blocks back into headings, paragraphs and lists.
Text inside form XObjects (figures) is analysed too, since some generators put whole pages
there. Images, vector drawings and links are not carried over; tables come out as paragraphs.

Outcomes the caller reports (the messages name no file; the caller adds it):

* no text layer on any page (a scan or image-only PDF), or only glyphs without a Unicode
  mapping: :class:`~ingestor.errors.PageSkipped` ("no extractable text"), never an empty page;
* a user password is needed: :class:`~ingestor.errors.PageSkipped` "encrypted" (PDFs that
  open with the empty password, the usual "no printing/copying" ones, are read normally);
* no ``%PDF-`` header or an unreadable structure: ConnectorError "corrupted".

Title: the ``Title`` of the document information dictionary (tool placeholders ignored), else
the first line of text.
"""

from __future__ import annotations

import io
import re
import statistics
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

from pdfminer.converter import PDFPageAggregator
from pdfminer.layout import LAParams, LTChar, LTFigure, LTTextBox, LTTextLine
from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import resolve1
from pdfminer.psexceptions import PSException
from pdfminer.utils import decode_text

from ingestor.connectors.office.pdf_layout import TextBlock, TextLine, blocks_to_html
from ingestor.connectors.office.result import OfficeResult, tidy_title
from ingestor.errors import ConnectorError, PageSkipped

__all__ = ["pdf_to_html"]

_CID = re.compile(r"\(cid:\d+\)")
_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
_HEADER_WINDOW = 1024  # readers accept the %PDF- marker anywhere in the first KiB
#: pdfminer's layout analysis. detect_vertical: Japanese and Chinese set top to bottom read in
#: column order instead of one character a line (benchmarks/pdf_scripts_eval.py measures it).
LAYOUT_PARAMS: dict[str, Any] = {"all_texts": True, "detect_vertical": True}


def pdf_to_html(data: bytes) -> OfficeResult:
    """Convert a PDF file to an HTML fragment with its title.

    Args:
        data: The whole file.

    Returns:
        The HTML, the title (or None), and warnings (pages without text, parser complaints).

    Raises:
        PageSkipped: No page has extractable text (scanned or image-only).
        PageSkipped: Encrypted with a password (reported, never a failure of the run).
        ConnectorError: Not a PDF, or corrupted.
    """
    if b"%PDF-" not in data[:_HEADER_WINDOW]:
        raise ConnectorError("not a PDF file (no %PDF- header): corrupted or misnamed")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # pdfminer warns about recoverable damage; keep it
        try:
            document = PDFDocument(PDFParser(io.BytesIO(data)), password="")
            title = tidy_title(_info_title(document))
            blocks, page_count, empty_pages, unmapped = _read_blocks(document)
        except MemoryError:
            raise
        except PDFPasswordIncorrect as exc:
            raise PageSkipped(  # reported, not failed: it stays unreadable until someone acts
                "encrypted PDF: it needs a password to open; remove the password to publish it"
            ) from exc
        except PDFEncryptionError as exc:
            raise PageSkipped(f"encrypted PDF that cannot be opened ({exc})") from exc
        except (PSException, ValueError, TypeError, KeyError, IndexError, EOFError) as exc:
            raise ConnectorError(
                f"corrupted PDF ({type(exc).__name__}: {exc or 'unreadable structure'})"
            ) from exc
    if page_count == 0:
        raise ConnectorError("corrupted PDF (no pages found)")
    if not blocks:
        reason = (
            "only glyphs without a Unicode mapping"
            if unmapped
            else "a scanned or image-only PDF; run OCR on it to publish it"
        )
        raise PageSkipped(f"no extractable text on any of its {page_count} pages ({reason})")
    notes = [f"pdfminer: {w.message}" for w in caught][:5]
    if empty_pages:
        shown = ", ".join(str(n) for n in empty_pages[:10])
        more = "..." if len(empty_pages) > 10 else ""
        notes.insert(0, f"no text on page(s) {shown}{more} (scanned or image-only?)")
    html, first_line = blocks_to_html(blocks)
    return OfficeResult(html=html, title=title or first_line, warnings=tuple(notes))


def _info_title(document: PDFDocument) -> str | None:
    for info in document.info:
        value = resolve1(info.get("Title"))
        if isinstance(value, bytes):
            return decode_text(value)
        if isinstance(value, str):
            return value
    return None


def _read_blocks(document: PDFDocument) -> tuple[list[TextBlock], int, list[int], bool]:
    """Text blocks of every page, the page count, pages without text, and whether glyphs
    without a Unicode mapping were all that some page had."""
    resources = PDFResourceManager(caching=True)
    device = PDFPageAggregator(resources, laparams=LAParams(**LAYOUT_PARAMS))
    interpreter = PDFPageInterpreter(resources, device)
    blocks: list[TextBlock] = []
    empty_pages: list[int] = []
    unmapped = False
    page_count = 0
    for index, page in enumerate(PDFPage.create_pages(document)):
        page_count += 1
        interpreter.process_page(page)
        layout = device.get_result()
        height = float(layout.height) or 1.0
        page_blocks = []
        for box in _text_boxes(layout):
            lines = tuple(_lines(box))
            if lines:
                top = 1.0 - float(box.y1) / height
                bottom = 1.0 - float(box.y0) / height
                page_blocks.append(TextBlock(index, lines, top=top, bottom=bottom))
            elif _CID.search(box.get_text()):
                unmapped = True
        if not page_blocks:
            empty_pages.append(index + 1)
        blocks.extend(page_blocks)
    return blocks, page_count, empty_pages, unmapped


def _text_boxes(container: Iterable[object]) -> Iterator[LTTextBox]:
    for item in container:
        if isinstance(item, LTTextBox):
            yield item
        elif isinstance(item, LTFigure):
            yield from _text_boxes(item)


def _lines(box: LTTextBox) -> Iterator[TextLine]:
    for line in box:
        if not isinstance(line, LTTextLine):
            continue
        text = _CID.sub("", line.get_text()).strip()
        if not text:
            continue
        chars = [ch for ch in line if isinstance(ch, LTChar) and ch.get_text().strip()]
        size = statistics.median(ch.size for ch in chars) if chars else 0.0
        bold = bool(chars) and all(_BOLD_FONT.search(ch.fontname) for ch in chars)
        yield TextLine(text=text, size=float(size), bold=bold)
