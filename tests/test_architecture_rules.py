"""The dependency rules docs/architecture.md states, checked on the imports of the code."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ingestor"
#: What a connector may import of the ingestor package (docs/architecture.md).
CONNECTOR_MAY_IMPORT = (
    "ingestor.connectors",
    "ingestor.errors",
    "ingestor.http",
    "ingestor.untrusted",
)


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def imports_of(folder: Path) -> list[tuple[Path, str]]:
    return [(path, name) for path in sorted(folder.rglob("*.py")) for name in imports(path)]


def test_connectors_import_nothing_of_the_engine() -> None:
    wrong = sorted(
        f"{path.relative_to(ROOT)}: {name}"
        for path, name in imports_of(ROOT / "connectors")
        if name.split(".")[0] == "ingestor"
        and not any(name == ok or name.startswith(ok + ".") for ok in CONNECTOR_MAY_IMPORT)
    )
    assert not wrong, "connectors may import only " + ", ".join(CONNECTOR_MAY_IMPORT) + f": {wrong}"


def test_the_engine_never_imports_the_commands_nor_the_daemon() -> None:
    wrong = sorted(
        f"{path.relative_to(ROOT)}: {name}"
        for folder in ("engine", "convert", "gate", "intercom", "http", "reconcile")
        for path, name in imports_of(PACKAGE / folder)
        if name.startswith(("ingestor.commands", "ingestor.daemon", "ingestor.emulator"))
    )
    assert not wrong, wrong


def test_the_daemon_never_imports_the_commands() -> None:
    """The commands start the daemon; it shares only neutral modules with them, and the status
    data: its /status serves exactly what ``ingestor status`` prints."""
    wrong = sorted(
        f"{path.relative_to(ROOT)}: {name}"
        for path, name in imports_of(PACKAGE / "daemon")
        if name.startswith("ingestor.commands") and name != "ingestor.commands.status"
    )
    assert not wrong, wrong


def test_state_and_conversion_stand_alone() -> None:
    """The store knows nothing of the engine; conversion knows nothing of Intercom or state."""
    wrong = sorted(
        f"{path.relative_to(ROOT)}: {name}"
        for path, name in imports_of(ROOT / "state")
        if name.startswith("ingestor.")
        and not name.startswith(("ingestor.state", "ingestor.errors"))
    ) + sorted(
        f"{path.relative_to(ROOT)}: {name}"
        for path, name in imports_of(PACKAGE / "convert")
        if name.startswith(("ingestor.intercom", "ingestor.state", "ingestor.engine", "httpx"))
    )
    assert not wrong, wrong


def test_one_import_namespace_with_the_design_cards_folders() -> None:
    """connectors/ and state/ stay folders of the repository, installed as ingestor.connectors
    and ingestor.state (links inside the package); nothing imports them top-level."""
    for name in ("connectors", "state"):
        link = PACKAGE / name
        assert link.is_symlink() and link.resolve() == (ROOT / name).resolve()
    top_level = sorted(
        f"{path.relative_to(ROOT)}: {name}"
        for folder in (ROOT / "ingestor", ROOT / "connectors", ROOT / "state", ROOT / "tests")
        for path, name in imports_of(folder)
        if name.split(".")[0] in ("connectors", "state")
    )
    assert not top_level, top_level
