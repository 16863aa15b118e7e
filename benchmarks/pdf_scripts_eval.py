"""Which pdfminer layout parameters read PDFs in every script in reading order.

Generates the PDFs of ``tests/office/script_pdfs.py`` (vertical Japanese, horizontal Chinese
and Korean, a letter-spaced Latin heading) plus the Latin policy PDF of the office tests, runs
``connectors.office.pdf.pdf_to_html`` with each candidate ``LAParams``, and reports how much of
the expected text comes back in order: difflib's ratio between the expected characters and
the extracted ones (spaces ignored), and whether the title is the heading.

Run: ``.venv/bin/python benchmarks/pdf_scripts_eval.py`` (needs the test extras: reportlab,
fpdf2).
"""

from __future__ import annotations

import difflib
import html
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingestor.connectors.office import pdf as pdf_module  # noqa: E402
from tests.office.conftest import text_pdf  # noqa: E402
from tests.office.script_pdfs import (  # noqa: E402
    CHINESE,
    JAPANESE,
    KOREAN,
    horizontal_pdf,
    letter_spaced_pdf,
    vertical_pdf,
)

SPACED_BODY = "This guide explains how to configure the service for the first time."
POLICY = [
    [("h1", "Travel Policy"), ("p", "Flights, hotels and meals are covered for every trip.")],
    [("h2", "Booking"), ("p", "Book through the portal and keep the receipts.")],
]
CASES = {
    "Latin, two pages": (
        text_pdf(POLICY, title=None),
        ("Travel Policy", POLICY[0][1][1], "Booking", POLICY[1][1][1]),
    ),
    "Japanese, vertical": (vertical_pdf(), JAPANESE),
    "Chinese, horizontal": (horizontal_pdf("zh", CHINESE, per_line=23), CHINESE),
    "Korean, horizontal": (horizontal_pdf("ko", KOREAN, per_line=24), KOREAN),
    "Latin, letter-spaced": (
        letter_spaced_pdf("Getting started", SPACED_BODY),
        ("Getting started", SPACED_BODY),
    ),
}
CANDIDATES: dict[str, dict[str, object]] = {
    "pdfminer defaults": {"all_texts": True},
    "detect_vertical (chosen)": {"all_texts": True, "detect_vertical": True},
    "detect_vertical, boxes_flow=None": {
        "all_texts": True,
        "detect_vertical": True,
        "boxes_flow": None,
    },
}


def _text(markup: str) -> str:
    return re.sub(r"\s+", "", html.unescape(re.sub(r"<[^>]+>", "", markup)))


def main() -> None:
    print("| layout parameters | " + " | ".join(CASES) + " |")
    print("|---|" + "---:|" * len(CASES))
    for name, params in CANDIDATES.items():
        cells = []
        for data, expected in CASES.values():
            pdf_module.LAYOUT_PARAMS = params
            result = pdf_module.pdf_to_html(data)
            ratio = difflib.SequenceMatcher(
                None, _text("".join(expected)), _text(result.html), autojunk=False
            ).ratio()
            title_ok = "title ok" if result.title == expected[0] else f"title {result.title!r}"
            cells.append(f"{ratio:.3f} ({title_ok})")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
