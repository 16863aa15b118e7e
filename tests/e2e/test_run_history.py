"""Run history and what plan and status tell: a failed plan prints no plan, status shows the
last attempt apart from the last complete run, and sources no connector owns are named."""

from __future__ import annotations

import socket

import httpx
import yaml

from .conftest import Site


def test_a_plan_that_cannot_reach_intercom_prints_no_plan(site: Site) -> None:
    site.write("a.md", "# A\n\nText.\n")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    text = site.config_path.read_text(encoding="utf-8").replace(
        site.server.url, f"http://127.0.0.1:{closed}"
    )
    site.config_path.write_text(text.replace("max_attempts: 8", "max_attempts: 1"), "utf-8")
    done = site.cli("plan")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "to create" not in done.stdout and "would" not in done.stdout
    assert "error:" in done.stderr


def test_status_shows_the_last_attempt_and_the_last_complete_run(site: Site) -> None:
    site.write("a.md", "# A\n\nText.\n")
    assert site.cli("sync", "--no-progress").returncode == 0
    site.write("broken.html", "<html><body><p>x</p></body></html>")
    (site.root / "bad.md").write_bytes(b"\x00\x01binary")
    assert site.cli("sync", "--no-progress").returncode == 1  # partial: a page failed
    status = site.cli("status")
    assert "last attempt" in status.stdout and "last complete" in status.stdout
    assert "partial" in status.stdout


def test_plan_and_status_name_orphans(site: Site) -> None:
    site.write("kb/a.md", "# A\n\nText.\n")
    site.write("ops/b.md", "# B\n\nText.\n")
    data = yaml.safe_load(site.config_path.read_text(encoding="utf-8"))
    base = data["connectors"][0]
    data["connectors"] = [
        {**base, "name": "kb", "url": "https://kb.example.com/", "root": str(site.root / "kb")},
        {**base, "name": "ops", "url": "https://ops.example.com/", "root": str(site.root / "ops")},
    ]
    site.config_path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert site.cli("sync", "--no-progress").returncode == 0
    httpx.post(  # another installation's source on the same workspace
        f"{site.server.url}/ai/content_import_sources",
        json={"sync_behavior": "api", "url": "https://other.example.com/"},
        headers={"Authorization": f"Bearer {site.server.token}", "Intercom-Version": "2.14"},
    ).raise_for_status()
    data["connectors"] = data["connectors"][:1]
    site.config_path.write_text(yaml.safe_dump(data), encoding="utf-8")

    status = site.cli("status")
    assert (
        "ops: 1 page(s) in Intercom" in status.stdout and "prune --connector ops" in status.stdout
    )
    plan = site.cli("plan")
    assert "orphan: connector 'ops'" in plan.stdout
    assert "(https://other.example.com/) is owned by no connector" in plan.stdout
