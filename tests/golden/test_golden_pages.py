"""Golden pages per connector kind: current conversion output against checked-in expectations.

On a mismatch the failure shows a unified diff per page; ``pytest tests/golden
--update-golden`` rewrites the expected files so the change is reviewed in ``git diff``.
"""

from __future__ import annotations

import pytest

from .golden_files import compare_golden
from .golden_sources import GOLDEN_ROOT, KINDS, render_kind


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_golden_pages_match_expected(
    kind: str, update_golden: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    pages = render_kind(kind)
    assert pages, f"tests/golden/{kind}/input produced no page"
    expected_dir = GOLDEN_ROOT / kind / "expected"
    result = compare_golden(expected_dir, pages, update=update_golden)
    if result.problems:
        pytest.fail(result.report(kind), pytrace=False)
    if result.written or result.removed:
        with capsys.disabled():  # say what --update-golden changed, next to the test name
            for name in result.written:
                print(f"\n  rewrote tests/golden/{kind}/expected/{name}", end="")
            for name in result.removed:
                print(f"\n  removed tests/golden/{kind}/expected/{name}", end="")


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_golden_rendering_is_deterministic(kind: str) -> None:
    assert render_kind(kind) == render_kind(kind)
