"""Databases the lease tests race on: a real SQLite file, and PostgreSQL when
``INGESTOR_TEST_POSTGRES_URL`` names a server (one started by hand with initdb + pg_ctl until
the suite has a PostgreSQL fixture; the lead wires that one in here)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from ingestor.state import Store
from ingestor.state._engine import create_state_engine
from ingestor.state._migrations import _v8_to_v9_leases

PG_URL = os.environ.get("INGESTOR_TEST_POSTGRES_URL")


def lease_engine(url: str) -> Engine:
    """An engine on ``url`` without the store's flock (several processes race on purpose)."""
    if url.startswith("sqlite:"):
        return create_state_engine(Path(url.removeprefix("sqlite:///")))
    return create_engine(url)


@pytest.fixture(name="lease_db_url", params=["sqlite", "postgresql"])
def lease_db_url_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A state database with the lease tables, empty, as a URL."""
    if request.param == "sqlite":
        path = tmp_path / "state.db"
        Store.open(path).close()  # created and migrated as the daemon would
        yield f"sqlite:///{path}"
        return
    if PG_URL is None:
        pytest.skip("INGESTOR_TEST_POSTGRES_URL is not set")
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    with engine.begin() as conn:
        _v8_to_v9_leases(conn)  # the lease step alone: the store's schema is not ported here
    engine.dispose()
    yield PG_URL
