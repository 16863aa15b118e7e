"""Golden tests: whether this run rewrites the expected files (see docs/golden-tests.md)."""

from __future__ import annotations

import pytest


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """Whether this run rewrites the expected files."""
    return bool(request.config.getoption("--update-golden", default=False))
