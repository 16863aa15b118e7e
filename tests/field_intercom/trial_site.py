"""A folder of pages synced by the real ``ingestor`` command into the hostile Intercom."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from ..cli_process import run_ingestor
from ..state_sql import state_sql
from .hostile_intercom import TOKEN, HostileIntercom

__all__ = ["PAGES", "TrialSite", "synced"]

#: The pages every trial site starts with (``<name>.md``).
PAGES = ("alpha", "beta", "gamma", "delta")

CONFIG = """\
intercom:
  token: ${{FIELD_TRIAL_TOKEN}}
  base_url: {base_url}
  max_attempts: {max_attempts}
  timeout_seconds: {timeout}
state:
  path: {state}
defaults:
  deletion: {deletion}
  max_delete_fraction: 0.9
connectors:
  - name: {name}
    type: filesystem
    url: {source_url}
    root: {root}
    url_template: "{page_url}{{path}}"
"""


class TrialSite:
    """A share folder, its config and state file, and the hostile server they sync into."""

    def __init__(self, tmp_path: Path, server: HostileIntercom) -> None:
        self.server = server
        self.root = tmp_path / "share"
        self.root.mkdir()
        self.state = tmp_path / "state.db"
        self.config_path = tmp_path / "config.yaml"
        self.configure()

    def configure(
        self,
        *,
        max_attempts: int = 3,
        timeout: float = 5.0,
        deletion: str = "delete",
        source_url: str = "https://docs.example.com/",
        page_url: str = "https://docs.example.com/",
        name: str = "docs",
    ) -> None:
        self.config_path.write_text(
            CONFIG.format(
                base_url=self.server.url,
                max_attempts=max_attempts,
                timeout=timeout,
                state=self.state,
                root=self.root,
                deletion=deletion,
                source_url=source_url,
                page_url=page_url,
                name=name,
            ),
            encoding="utf-8",
        )

    def write(self, rel: str, text: str) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return run_ingestor(self.config_path, args, {"FIELD_TRIAL_TOKEN": TOKEN}, timeout=timeout)

    def sql(self, statement: str, **params: Any) -> list[tuple[Any, ...]]:
        return state_sql(self.state, statement, **params)

    def recorded(self) -> dict[str, str | None]:
        """State's Intercom id of every page, by external_id."""
        rows = self.sql("SELECT external_id, intercom_id FROM pages WHERE connector = 'docs'")
        return {eid: iid for eid, iid in rows}

    def source_id(self) -> int:
        rows = self.sql("SELECT source_id FROM sources WHERE connector = 'docs'")
        return int(rows[0][0])

    def truthful(self) -> dict[str, dict[str, Any]]:
        """Intercom's pages under our source; asserts state records exactly their ids."""
        remote = self.server.pages_of(self.source_id())
        recorded = {eid: iid for eid, iid in self.recorded().items() if iid is not None}
        assert recorded == {eid: p["id"] for eid, p in remote.items()}
        return remote


def synced(site: TrialSite) -> dict[str, dict[str, Any]]:
    """Sync once more with no fault left; it must converge: exit 0, every page of the share
    in Intercom once, state recording exactly their ids."""
    site.server.faults.clear()
    again = site.cli("sync")
    assert again.returncode == 0, again.stdout + again.stderr
    remote = site.truthful()
    assert sorted(remote) == sorted(f"{n}.md" for n in PAGES if (site.root / f"{n}.md").exists())
    return remote
