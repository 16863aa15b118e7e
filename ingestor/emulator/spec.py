"""Facts taken from the vendored OpenAPI subset ``ai-content-2.14.yaml``.

The emulator may depend only on the standard library, Starlette and uvicorn, so it does not parse
the YAML at run time: the few facts it needs are written here and a test checks them against the
file. The file itself ships as package data and is served at ``/_emulator/openapi.yaml``.
"""

from __future__ import annotations

from importlib import resources

__all__ = [
    "DEFAULT_INTERCOM_VERSION",
    "INTERCOM_VERSIONS",
    "OPERATION_IDS",
    "SPEC_FILENAME",
    "spec_text",
]

SPEC_FILENAME = "ai-content-2.14.yaml"

DEFAULT_INTERCOM_VERSION = "2.14"

# components.schemas.intercom_version.enum
INTERCOM_VERSIONS: frozenset[str] = frozenset(
    [f"1.{minor}" for minor in range(5)] + [f"2.{minor}" for minor in range(15)]
)

# Every operationId of the subset, in the order of the spec's paths.
OPERATION_IDS: tuple[str, ...] = (
    "listContentImportSources",
    "createContentImportSource",
    "deleteContentImportSource",
    "getContentImportSource",
    "updateContentImportSource",
    "listExternalPages",
    "createExternalPage",
    "deleteExternalPage",
    "getExternalPage",
    "updateExternalPage",
)


def spec_text() -> str:
    """Return the vendored OpenAPI subset as text."""
    return resources.files(__package__).joinpath(SPEC_FILENAME).read_text(encoding="utf-8")
