"""The test PostgreSQL (tests/pg_server.py) serves a fresh, empty database per test."""

from __future__ import annotations

from sqlalchemy import create_engine, text


def test_each_test_gets_an_empty_database_of_its_own(postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    try:
        with engine.begin() as conn:
            tables = conn.execute(
                text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            ).scalar()
            conn.execute(text("CREATE TABLE probe (id INTEGER PRIMARY KEY)"))
            name = conn.execute(text("SELECT current_database()")).scalar()
    finally:
        engine.dispose()
    assert tables == 0
    assert postgres_url.endswith(f"/{name}")
