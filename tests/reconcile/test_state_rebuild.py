"""``ingestor state rebuild``: a lost state database recreated from Intercom and the sources
without re-sending unchanged pages (issue 14, point 2)."""

from __future__ import annotations

import pytest

from ingestor.reconcile import rebuild_state

from .conftest import Site

READ_OPS = ("listContentImportSources", "getContentImportSource", "listExternalPages",
            "getExternalPage")  # fmt: skip


@pytest.mark.state_backends
def test_rebuild_after_losing_the_state_of_1000_pages_costs_reads_only(site: Site) -> None:
    site.pages(1000)
    assert site.sync().created == 1000
    site.lose_state()
    before = site.server.stats()["by_operation"]
    total_before = site.server.stats()["total"]

    rebuilt = rebuild_state(site.config())

    after = site.server.stats()
    made = {op: n - int(before.get(op, 0)) for op, n in after["by_operation"].items()}
    made = {op: n for op, n in made.items() if n}
    assert set(made) <= set(READ_OPS), made
    # ceil(1000 / 150) = 7 list calls for the pages, 1 for the sources, then the sync's one GET
    # of its source
    assert made == {
        "listExternalPages": 7,
        "listContentImportSources": 1,
        "getContentImportSource": 1,
    }
    assert after["total"] - total_before == sum(made.values())
    (report,) = rebuilt.reports
    assert len(report.adopted) == 1000 and rebuilt.backup is None
    writes = site.writes()
    again = site.sync()
    assert (again.created, again.updated, again.deleted, again.failed) == (0, 0, 0, 0)
    assert site.writes() == writes


@pytest.mark.sqlite_only("rebuild --force moves the SQLite file aside; PostgreSQL: below")
def test_rebuild_refuses_a_state_that_holds_pages_unless_forced(site: Site) -> None:
    site.pages(3)
    site.sync()
    before = site.state.read_bytes()

    refused = site.cli("state", "rebuild")

    assert refused.returncode == 2
    assert "not empty" in refused.stderr and "--force" in refused.stderr
    assert site.state.read_bytes() == before

    forced = site.cli("state", "rebuild", "--force")

    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert "moved to" in forced.stdout
    backups = list(site.state.parent.glob("state.db.before-rebuild-*"))
    assert [b.read_bytes() for b in backups if not b.name.endswith(("-wal", "-shm"))] == [before]
    assert "3 adopted without a call" in forced.stdout
    assert site.cli("sync").returncode == 0


def test_rebuild_on_a_missing_database_adopts_the_api_source_only(site: Site) -> None:
    site.pages(2)
    site.sync()
    site.lose_state()
    site.server.add_source("https://docs.example.com/", sync_behavior="automatic")
    writes = site.writes()

    result = site.cli("state", "rebuild")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "adopted by url" in result.stdout and "DUPLICATE" not in result.stdout
    assert site.writes() == writes


def test_rebuild_refuses_a_postgresql_state_that_holds_pages(site: Site, postgres_url: str) -> None:
    site.state = postgres_url
    site.write_config()
    site.pages(3)
    site.sync()
    for args in (("state", "rebuild"), ("state", "rebuild", "--force")):
        refused = site.cli(*args)
        assert refused.returncode != 0
        assert "is not empty" in refused.stderr and "create a new database" in refused.stderr
