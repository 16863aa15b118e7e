"""One SQL statement on a test's state database, SQLite file or PostgreSQL URL alike (the e2e
and reconcile sites both read and poke their state with it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import text

from ingestor.state._engine import StateLocation, create_state_engine

__all__ = ["state_sql"]


def state_sql(state: Path | str, statement: str, **params: Any) -> list[tuple[Any, ...]]:
    """Run ``statement`` (``:name`` parameters) in its own transaction; the rows it returns."""
    engine = create_state_engine(StateLocation.of(state))
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()
