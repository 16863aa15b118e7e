"""``ingestor demo``: the whole product in one command, against the bundled emulator.

Starts the Intercom emulator in this process, writes a real YAML config into a scratch folder,
syncs the example pages twice (the second run shows that unchanged pages cost no call) and
prints what Fin now holds and where to look.
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
from pathlib import Path

from rich.console import Console
from rich.table import Table

import ingestor
from ingestor.commands.console import LogProgress, RichProgress, print_summary
from ingestor.config import load_config
from ingestor.emulator import EmulatorServer, EmulatorSettings
from ingestor.engine.runner import sync_connectors
from ingestor.errors import ConfigError, ConfigIssue
from ingestor.untrusted import visible_text

__all__ = ["bundled_examples", "run_demo"]

_WRITE_OPERATIONS = (
    "createContentImportSource",
    "createExternalPage",
    "updateExternalPage",
    "deleteExternalPage",
    "updateContentImportSource",
    "deleteContentImportSource",
)

_CONFIG = """\
# Written by `ingestor demo`. Copy config.example.yaml for a real deployment.
intercom:
  token: ${{DEMO_INTERCOM_TOKEN}}
  base_url: {base_url}
state:
  path: {state}
connectors:
  - name: handbook
    type: filesystem
    url: https://help.acme.example/
    root: {root}
    url_template: "https://help.acme.example/{{path_no_ext}}"
"""


def bundled_examples() -> Path:
    """The example pages shipped inside the package (``examples/`` at the repository root
    links to them)."""
    return Path(ingestor.__file__).resolve().parent / "examples" / "handbook"


def run_demo(console: Console, *, pages: Path | None = None, keep_running: bool = False) -> int:
    """Run the demo and return the exit code of its first sync."""
    from ingestor.exit_codes import exit_code_for_reports

    root = (pages or bundled_examples()).resolve()
    if not root.is_dir():
        raise ConfigError(
            [ConfigIssue("--pages", f"{root} is not a folder; pass --pages DIR to sync your own")]
        )
    scratch = Path(tempfile.mkdtemp(prefix="fin-ingestor-demo-"))
    with EmulatorServer(EmulatorSettings()) as server:
        config_path = scratch / "config.yaml"
        config_path.write_text(
            _CONFIG.format(base_url=server.url, state=scratch / "state.db", root=root),
            encoding="utf-8",
        )
        config = load_config(config_path, environ={"DEMO_INTERCOM_TOKEN": server.token})
        console.print(
            f"Intercom emulator listening on {server.url} while the demo runs", highlight=False
        )
        console.print(f"Syncing {root} (connector 'handbook')\n", highlight=False)

        observer = RichProgress(console) if console.is_terminal else LogProgress()
        with observer:
            first = sync_connectors(config, observer=observer)
        print_summary(console, first)

        before = _writes(server.stats())
        second = sync_connectors(config)
        writes = _writes(server.stats()) - before
        console.print(
            f"\nSecond run: {second[0].unchanged} pages unchanged, "
            f"{writes} write calls to Intercom.",
            highlight=False,
        )
        _print_pages(console, server.pages())
        # The emulator lives in this process: its address is worth printing only if it stays.
        emulator = (
            f"{server.url}/_emulator/pages  (every page as Fin received it)"
            if keep_running
            else "stopped with the demo; `ingestor demo --keep-running` keeps it up to browse"
        )
        console.print(
            "\nWhere to look:\n"
            f"  config      {config_path}\n"
            f"  state db    {scratch / 'state.db'}  (try: ingestor status -c {config_path})\n"
            f"  emulator    {emulator}\n"
            "  your data   ingestor init --type filesystem, edit config.yaml, then "
            "ingestor plan -c config.yaml",
            highlight=False,
            soft_wrap=True,  # paths are copied from here: never broken across lines
        )
        if keep_running:
            console.print("\nEmulator kept running; Ctrl-C to stop.", highlight=False)
            with contextlib.suppress(KeyboardInterrupt):
                threading.Event().wait()
    return int(exit_code_for_reports(first))


_AVAILABILITY = ("ai_agent_availability", "ai_copilot_availability")


def _writes(stats: dict[str, object]) -> int:
    calls = stats.get("by_operation", {})
    if not isinstance(calls, dict):
        return 0
    return sum(int(calls.get(op, 0)) for op in _WRITE_OPERATIONS)


def _print_pages(console: Console, pages: list[dict[str, object]]) -> None:
    title = "External Pages in the emulator's Fin Content Library"
    ordered = sorted(pages, key=lambda p: str(p.get("external_id")))
    if not console.is_terminal:  # piped: one tab-separated line per page, for cut and grep
        rows = ["external_id\ttitle\turl\tAI agent\tCopilot"]
        for page in ordered:
            cells = [visible_text(str(page.get(k))) for k in ("external_id", "title", "url")]
            cells += ["yes" if page.get(k) else "no" for k in _AVAILABILITY]
            rows.append("\t".join(cells))
        console.print(title, highlight=False, markup=False)
        console.file.write("\n".join(rows) + "\n")  # as is: rich would expand the tabs
        return
    # Rows are ruled: on a narrow terminal a long title or url folds onto a second line, which
    # must not read as a page of its own; urls fold rather than lose their end to an ellipsis.
    table = Table(title=title, show_lines=True)
    for column in ("title", "url", "external_id"):
        table.add_column(column, overflow="fold")
    for column in ("AI agent", "Copilot"):
        table.add_column(column, no_wrap=True)
    for page in ordered:
        table.add_row(
            str(page.get("title")),
            str(page.get("url")),
            str(page.get("external_id")),
            "yes" if page.get("ai_agent_availability") else "no",
            "yes" if page.get("ai_copilot_availability") else "no",
        )
    console.print(table)
