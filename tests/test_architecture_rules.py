"""The dependency rules docs/architecture.md states, checked on the imports of the code."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: What a connector may import of the ingestor package (docs/architecture.md).
CONNECTOR_MAY_IMPORT = ("ingestor.errors", "ingestor.http", "ingestor.untrusted")
ENGINE = ("sync", "listing", "sources", "publish", "deletion", "pacing", "workers", "policy")


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_connectors_import_nothing_of_the_engine() -> None:
    wrong = sorted(
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / "connectors").rglob("*.py")
        for name in imports(path)
        if name.split(".")[0] == "ingestor"
        and not any(name == ok or name.startswith(ok + ".") for ok in CONNECTOR_MAY_IMPORT)
    )
    assert not wrong, "connectors may import only " + ", ".join(CONNECTOR_MAY_IMPORT) + f": {wrong}"


def test_the_engine_never_imports_the_commands() -> None:
    commands = ("ingestor.cli", "ingestor.console", "ingestor.plan", "ingestor.preview")
    wrong = sorted(
        f"{module}.py: {name}"
        for module in ENGINE
        for name in imports(ROOT / "ingestor" / f"{module}.py")
        if name.startswith(commands)
    )
    assert not wrong, wrong
