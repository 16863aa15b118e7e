"""Connectors renamed, removed and misconfigured: `renamed_from` keeps the source and pages,
`ingestor prune` takes a removed connector's pages out of Intercom, and `validate` warns about
overlapping sources and source urls Intercom may refuse."""

from __future__ import annotations

import os
import subprocess
import sys

import yaml

from .conftest import Site, calls, write_calls


def config_with(site: Site, *connectors: dict[str, object]) -> None:
    data = yaml.safe_load(site.config_path.read_text(encoding="utf-8"))
    data["connectors"] = list(connectors)
    site.config_path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def share(site: Site, name: str, folder: str, **extra: object) -> dict[str, object]:
    (site.root / folder).mkdir(exist_ok=True)
    return {
        "name": name,
        "type": "filesystem",
        "url": f"https://{name}.example.com/",
        "root": str(site.root / folder),
        **extra,
    }


def test_a_renamed_connector_keeps_its_source_and_pages(site: Site) -> None:
    site.write("kb/a.md", "# A\n\nText.\n")
    site.write("kb/b.md", "# B\n\nText.\n")
    config_with(site, share(site, "old-name", "kb"))
    assert site.cli("sync").returncode == 0
    before = site.server.stats()

    config_with(site, share(site, "new-name", "kb", renamed_from="old-name"))
    done = site.cli("sync")
    assert done.returncode == 0, done.stdout + done.stderr
    # nothing re-sent: the one write is the source's new url (PUT), as the config says
    assert write_calls(site.server.stats()) == write_calls(before) + 1
    assert calls(site.server.stats(), "updateContentImportSource") == 1
    [source] = site.server.sources()
    assert source["url"] == "https://new-name.example.com/"
    status = site.cli("status")
    assert "new-name" in status.stdout and "old-name" not in status.stdout

    clash = share(site, "other", "kb2", renamed_from="new-name")
    config_with(site, share(site, "new-name", "kb"), clash)
    refused = site.cli("validate")
    assert refused.returncode == 2 and "'new-name' is still a connector" in refused.stderr


def test_prune_deletes_a_removed_connectors_pages_only(site: Site) -> None:
    site.write("kb/a.md", "# A\n\nText.\n")
    site.write("kb/b.md", "# B\n\nText.\n")
    site.write("ops/c.md", "# C\n\nText.\n")
    config_with(site, share(site, "kb", "kb"), share(site, "ops", "ops"))
    assert site.cli("sync").returncode == 0
    assert len(site.intercom_pages()) == 3

    still_there = site.cli("prune", "--connector", "kb", "--yes")
    assert still_there.returncode == 2 and "still in the config" in still_there.stderr

    config_with(site, share(site, "ops", "ops"))
    env = {**site.env, "COLUMNS": "200"}
    unconfirmed = subprocess.run(
        [
            sys.executable,
            "-m",
            "ingestor",
            "prune",
            "-c",
            str(site.config_path),
            "--connector",
            "kb",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert unconfirmed.returncode == 2 and "--yes" in unconfirmed.stderr
    assert len(site.intercom_pages()) == 3

    done = site.cli("prune", "--connector", "kb", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 page(s) deleted" in done.stdout
    assert set(site.intercom_pages()) == {"c.md"}
    again = site.cli("prune", "--connector", "kb", "--yes")
    assert again.returncode == 2 and "knows no removed connector 'kb'" in again.stderr


def test_validate_warns_about_overlaps_and_private_urls(site: Site) -> None:
    site.write("kb/team/a.md", "# A\n\nText.\n")
    inner = share(site, "team", "kb/team")
    inner["url"] = "https://wiki.corp.internal/team"
    config_with(site, share(site, "kb", "kb"), inner)
    done = site.cli("validate")
    assert done.returncode == 0, done.stderr
    assert "team and kb read the same files" in done.stderr
    assert "'wiki.corp.internal' is under .internal" in done.stderr
    strict = site.cli("validate", "--strict")
    assert strict.returncode == 2
