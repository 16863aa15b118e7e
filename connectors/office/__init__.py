"""Office documents (DOCX, PDF) to HTML, each conversion bounded in time and memory.

The converters are pure functions of a file's bytes
(:func:`connectors.office.docx.docx_to_html`, :func:`connectors.office.pdf.pdf_to_html`);
:func:`convert_office` runs one in a child process within :class:`ConversionLimits` (see
:mod:`connectors.office.sandbox`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from ingestor.connectors.office.result import OfficeResult, tidy_title
from ingestor.connectors.office.sandbox import ConversionLimits, run_bounded

__all__ = [
    "CONVERTERS",
    "ConversionLimits",
    "OfficeFormat",
    "OfficeResult",
    "convert_office",
    "run_bounded",
    "tidy_title",
]

OfficeFormat = Literal["docx", "pdf"]


# mammoth and pdfminer cost the engine process about 30 MB; only the children convert, so the
# converters are imported there (the forkserver preloads them once, see _PRELOAD).
def _docx_to_html(data: bytes) -> OfficeResult:
    from ingestor.connectors.office.docx import docx_to_html

    return docx_to_html(data)


def _pdf_to_html(data: bytes) -> OfficeResult:
    from ingestor.connectors.office.pdf import pdf_to_html

    return pdf_to_html(data)


CONVERTERS: dict[OfficeFormat, Callable[[bytes], OfficeResult]] = {
    "docx": _docx_to_html,
    "pdf": _pdf_to_html,
}
# "__main__" too, as multiprocessing does by default: children then skip re-importing it.
_PRELOAD = ("__main__", "ingestor.connectors.office.docx", "ingestor.connectors.office.pdf")


def convert_office(kind: OfficeFormat, data: bytes, limits: ConversionLimits) -> OfficeResult:
    """Convert one office file in a bounded child process.

    Args:
        kind: Which converter to use.
        data: The file's bytes.
        limits: Time and memory bounds of the conversion.

    Returns:
        The converted document.

    Raises:
        PageSkipped: Nothing to publish in it (no text).
        ConnectorError: Encrypted, corrupted, over a limit, or the converter crashed; the
            message names no file (the caller adds it).
    """
    return run_bounded(CONVERTERS[kind], data, limits, preload=_PRELOAD)
