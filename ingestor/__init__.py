"""fin-ingestor: keeps Intercom Fin in step with private knowledge."""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    """``__version__``, read on first use: importlib.metadata (and the email package it loads,
    about 5 MB) stays out of the conversion workers, which import ``ingestor`` but never ask."""
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:  # one source of truth: the version in pyproject.toml, as installed
        found = version("fin-ingestor")
    except PackageNotFoundError:  # pragma: no cover - running from a tree that was never installed
        found = "0+unknown"
    globals()["__version__"] = found
    return found
