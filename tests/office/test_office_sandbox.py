"""run_bounded: real child processes that loop, balloon, crash or raise."""

from __future__ import annotations

import functools
import importlib
import operator
import re
from pathlib import Path

import pytest

from ingestor.connectors.office import ConversionLimits, convert_office, run_bounded
from ingestor.errors import ConnectorError, PageSkipped

from .conftest import image_only_pdf, rich_docx

# Same preload as convert_office: a process has one forkserver, made by its first caller.
PRELOAD = ("__main__", "ingestor.connectors.office.docx", "ingestor.connectors.office.pdf")
ROOMY = ConversionLimits(timeout=30, memory_bytes=512 * 2**20)


def test_the_result_comes_back_from_the_child() -> None:
    assert run_bounded(len, b"abcd", ROOMY, preload=PRELOAD) == 4
    result = convert_office("docx", rich_docx(), ROOMY)
    assert result.title == "Employee Handbook" and "<h1>Welcome aboard</h1>" in result.html


def test_a_runaway_conversion_is_stopped_at_the_timeout() -> None:
    backtracking = re.compile(rb"(a+)+$").match  # exponential: never ends on this input
    limits = ConversionLimits(timeout=0.5, memory_bytes=None)
    with pytest.raises(ConnectorError, match=r"took longer than 0\.5s and was stopped"):
        run_bounded(backtracking, b"a" * 64 + b"!", limits, preload=PRELOAD)


def test_a_conversion_over_its_memory_bound_is_stopped() -> None:
    balloon = functools.partial(operator.mul, 2**31)  # asks for 2 GiB of bytes
    limits = ConversionLimits(timeout=30, memory_bytes=128 * 2**20)
    with pytest.raises(ConnectorError, match="more than its 128 MiB limit"):
        run_bounded(balloon, b"x", limits, preload=PRELOAD)


def test_a_crashing_converter_is_reported_with_its_signal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a converter module of its own, importable by the child through the parent's sys.path
    (tmp_path / "office_crashy_converter.py").write_text(
        "import os\n\ndef convert(data):\n    os.abort()\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    crashy = importlib.import_module("office_crashy_converter")
    with pytest.raises(ConnectorError, match="crashed \\(SIGABRT\\)"):
        run_bounded(crashy.convert, b"", ROOMY, preload=PRELOAD)


def test_errors_keep_their_class_and_bugs_become_connector_errors() -> None:
    with pytest.raises(PageSkipped, match="no extractable text"):
        convert_office("pdf", image_only_pdf(1), ROOMY)
    with pytest.raises(ConnectorError, match=r"failed unexpectedly \(ValueError: invalid"):
        run_bounded(int, b"not a number", ROOMY, preload=PRELOAD)


def test_the_parent_keeps_working_after_killed_children() -> None:
    limits = ConversionLimits(timeout=0.3, memory_bytes=None)
    for _ in range(3):
        with pytest.raises(ConnectorError):
            run_bounded(re.compile(rb"(a+)+$").match, b"a" * 64 + b"!", limits, preload=PRELOAD)
    assert run_bounded(len, b"ok", ROOMY, preload=PRELOAD) == 2
