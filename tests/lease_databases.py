"""Databases the lease tests race on: a real SQLite file, and a fresh PostgreSQL database of the
test's own on the suite's throw-away server (the ``postgres_url`` fixture, tests/pg_server.py).

Both are created and fully migrated through the real :class:`Store`, as a daemon would."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from ingestor.state import Store
from ingestor.state._engine import StateLocation, create_state_engine


def lease_engine(url: str) -> Engine:
    """An engine on ``url`` without the store's lock (several processes race on purpose)."""
    return create_state_engine(StateLocation.of(url))


@pytest.fixture(name="lease_db_url", params=["sqlite", "postgresql"])
def lease_db_url_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A state database with every table (the leases' included), empty, as a URL."""
    if request.param == "sqlite":
        path = tmp_path / "state.db"
        url = f"sqlite:///{path}"
    else:
        url = str(request.getfixturevalue("postgres_url"))
    Store.open(url).close()  # created and migrated as the daemon would
    return url
