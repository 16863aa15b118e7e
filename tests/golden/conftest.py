"""Golden tests: the ``--update-golden`` option (see docs/golden-tests.md)."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register ``--update-golden``: rewrite the expected files instead of comparing."""
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="tests/golden: rewrite tests/golden/<kind>/expected/ from the current conversion "
        "(then review the change with git diff)",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """Whether this run rewrites the expected files."""
    return bool(request.config.getoption("--update-golden", default=False))
