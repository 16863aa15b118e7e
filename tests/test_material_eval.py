"""The real-material evaluation (benchmarks/material_eval.py) keeps its floors: no page of the
shipped material fails, none is sent with mojibake, and what is sent keeps the words."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "material_eval.py"


@pytest.mark.slow
def test_real_material_reaches_fin_whole_and_readable() -> None:
    spec = importlib.util.spec_from_file_location("material_eval", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["material_eval"] = module
    spec.loader.exec_module(module)
    results = {r.kind: r for r in module.run_all()}
    assert len(results) == 8
    for result in results.values():
        assert result.failed == 0, result
        assert result.mojibake_pages == 0, result
        assert result.recall >= 0.93, result
        assert result.sent + sum(result.skipped.values()) == result.listed
    # the only skips are the sample export's two pages holding a title alone
    assert sum(r.sent for r in results.values()) == sum(r.listed for r in results.values()) - 2
