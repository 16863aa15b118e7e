"""`ingestor doctor` against the emulator and real folders: each check's verdict and fix."""

from __future__ import annotations

import shutil
import socket

from .conftest import Site


def test_a_healthy_installation_passes_every_check(site: Site) -> None:
    site.write("a.md", "# A\n\nText.\n")
    done = site.cli("doctor")
    assert done.returncode == 0, done.stdout + done.stderr
    for line in ("intercom token", "rate limit", "clock", "state", "source docs"):
        assert line in done.stdout
    assert "accepted it" in done.stdout and "listed (filesystem): first page a.md" in done.stdout
    assert "failed" not in done.stdout


def test_a_refused_token_fails_with_the_fix(site: Site) -> None:
    site.env = {**site.env, "TEST_INTERCOM_TOKEN": "revoked-token"}
    done = site.cli("doctor")
    assert done.returncode == 1
    assert "refused the token" in done.stdout and "Developer Hub" in done.stdout
    assert "revoked-token" not in done.stdout + done.stderr


def test_an_unreachable_intercom_and_a_missing_share_fail(site: Site) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    text = site.config_path.read_text(encoding="utf-8")
    text = text.replace(site.server.url, f"http://127.0.0.1:{closed}")
    site.config_path.write_text(text.replace("max_attempts: 8", "max_attempts: 1"), "utf-8")
    shutil.rmtree(site.root)
    done = site.cli("doctor")
    assert done.returncode == 1
    assert "intercom reachable" in done.stdout and "HTTPS_PROXY" in done.stdout
    assert "source docs" in done.stdout and "mount the share" in done.stdout


def test_the_state_check_on_postgresql(site: Site, postgres_url: str) -> None:
    site.state = postgres_url
    site.write_config()
    site.write("a.md", "# A\n\nText.\n")
    fresh = site.cli("doctor")
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert "will be set up on the first sync" in fresh.stdout
    assert site.cli("sync").returncode == 0
    synced = site.cli("doctor")
    assert synced.returncode == 0 and "; last run ok" in synced.stdout
    site.state = postgres_url.rsplit("/", 1)[0] + "/no_such_database"
    site.write_config()
    missing = site.cli("doctor")
    assert missing.returncode == 1
    words = " ".join(missing.stdout.split())  # the table wraps long details
    assert 'FATAL: database "no_such_database" does not exist' in words
    assert "fix: check state.url, the server and its grants" in words
