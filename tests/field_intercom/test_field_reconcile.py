"""Field trials of ``reconcile``, ``state rebuild``, ``prune`` and the source lookup against the
hostile Intercom: lists that repeat, loop or lie, an Intercom that normalises what it keeps,
pages of other sources, a source already gone."""

from __future__ import annotations

from pathlib import Path

import pytest

from .hostile_intercom import Fault, HostileIntercom, lb_html
from .trial_site import PAGES, TrialSite, synced


def test_the_same_external_id_under_another_source_is_left_alone(
    site: TrialSite, server: HostileIntercom
) -> None:
    stranger = server.add_foreign_page("alpha.md")["source_id"]
    assert site.cli("sync").returncode == 0
    (site.root / "alpha.md").unlink()
    assert site.cli("sync").returncode == 0
    run = site.cli("reconcile")
    assert run.returncode == 0, run.stdout + run.stderr
    assert server.pages_of(stranger)["alpha.md"]["title"] == "Theirs"


def test_lists_that_repeat_reorder_and_lie_about_their_total(
    site: TrialSite, server: HostileIntercom
) -> None:
    assert site.cli("sync").returncode == 0
    server.lie_total = True
    server.page_order = lambda pages: pages[:2] + pages[:1] + pages[2:][::-1] + pages[1:2]
    run = site.cli("reconcile")
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    assert "orphan" not in out.lower() or "0 orphan" in out.lower()
    assert len(site.truthful()) == len(PAGES)


def test_a_pages_next_link_that_loops_stops_reconcile_without_deleting(
    site: TrialSite, server: HostileIntercom
) -> None:
    assert site.cli("sync").returncode == 0
    server.list_links = lambda path, page, total: f"{server.url}{path}?page=1"
    run = site.cli("reconcile")
    out = run.stdout + run.stderr
    assert run.returncode == 3, out
    assert "pagination loop" in out
    assert len(site.truthful()) == len(PAGES)


def test_intercom_normalising_what_it_stores_converges(
    tmp_path: Path, server: HostileIntercom
) -> None:
    server.normalise = True
    site = TrialSite(tmp_path, server)
    site.configure(page_url="https://Docs.Example.com/My Pages/")
    site.write("alpha.md", "# Alpha  \n\nLine one  \nline two.\n")
    assert site.cli("sync").returncode == 0
    second = site.cli("sync")
    assert "0 created, 0 updated, 1 unchanged" in second.stderr + second.stdout or (
        second.returncode == 0 and server.calls("POST", "/ai/external_pages") == 1
    )
    first = site.cli("reconcile")
    writes = server.calls("POST", "/ai/external_pages")
    again = site.cli("reconcile")
    out = first.stdout + first.stderr + again.stdout + again.stderr
    assert again.returncode == 0, out
    assert server.calls("POST", "/ai/external_pages") == writes, out  # no re-send every time


@pytest.mark.parametrize("how", ["answer lost, retried", "deleted out of band"])
def test_prune_delete_source_when_the_source_is_already_gone(
    site: TrialSite, server: HostileIntercom, how: str
) -> None:
    assert site.cli("sync").returncode == 0
    source_id = site.source_id()
    site.configure(name="other", source_url="https://other.example.com/")
    if how == "deleted out of band":
        with server._lock:
            server.handle("DELETE", f"/ai/content_import_sources/{source_id}", {}, None)
    else:
        server.faults.append(Fault("DELETE", "/ai/content_import_sources/", "drop_after"))
    run = site.cli("prune", "--connector", "docs", "--yes", "--delete-source")
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    assert source_id not in server.sources and server.pages == {}
    assert site.sql("SELECT count(*) FROM pages WHERE connector = 'docs'") == [(0,)]


def test_an_upsert_answer_without_the_content_records_what_was_sent(
    site: TrialSite, server: HostileIntercom
) -> None:
    """An answer that leaves out title, html and url (a leaner answer than 2.14 documents)
    records what was sent: the next reconcile finds nothing drifted and sends nothing."""

    def lean(answer: dict[str, object]) -> dict[str, object]:
        return {k: v for k, v in answer.items() if k not in ("title", "html", "url")}

    server.faults.append(Fault("POST", "/ai/external_pages", "rewrite", rewrite=lean, times=99))
    assert site.cli("sync").returncode == 0
    server.faults.clear()
    writes = server.calls("POST", "/ai/external_pages")
    run = site.cli("reconcile")
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    assert "0 drifted" in out, out
    assert server.calls("POST", "/ai/external_pages") == writes


def test_a_source_url_intercom_canonicalises_is_not_updated_every_run(
    tmp_path: Path, server: HostileIntercom
) -> None:
    """Intercom keeps ``https://docs.example.com/My%20Docs/`` for the configured
    ``https://Docs.Example.com/My Docs/``: the same url, no PUT per run, no change in plan."""
    server.normalise = True
    site = TrialSite(tmp_path, server)
    site.configure(source_url="https://Docs.Example.com/My Docs/")
    site.write("alpha.md", "# Alpha\n\nWhat alpha means.\n")
    assert site.cli("sync").returncode == 0
    assert site.cli("sync").returncode == 0
    plan = site.cli("plan")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert server.calls("PUT", "/ai/content_import_sources") == 0
    assert len(server.sources) == 1


@pytest.mark.parametrize(
    "link",
    [{"type": "pages", "starting_after": "c1"}, "/ai/content_import_sources?page=1"],
    ids=["cursor", "page-number"],
)
def test_a_looping_source_list_on_the_first_run_creates_no_source(
    site: TrialSite, server: HostileIntercom, link: object
) -> None:
    """The first run looks for a source with our url before creating one: a list that cannot
    be read to its end must not lead to a second source."""
    server.add_source("https://someone-else.example.com/")
    server.list_links = lambda path, page, total: link
    run = site.cli("sync")
    out = run.stdout + run.stderr
    assert run.returncode == 3, out
    assert "pagination loop" in out
    assert len(server.sources) == 1 and server.pages == {}
    server.list_links = None
    synced(site)


def test_an_unreadable_source_list_on_the_first_run_creates_no_source(
    site: TrialSite, server: HostileIntercom
) -> None:
    server.faults.append(
        Fault(
            "GET",
            "/ai/content_import_sources",
            "answer",
            status=503,
            times=99,
            headers={"Content-Type": "text/html"},
            body=lb_html(503),
        )
    )
    run = site.cli("sync")
    out = run.stdout + run.stderr
    assert run.returncode == 3, out
    assert "Service Unavailable" in out and "<html" not in out
    assert server.sources == {} and server.pages == {}
    synced(site)


def test_state_rebuild_under_a_normalising_intercom_updates_once_then_converges(
    tmp_path: Path, server: HostileIntercom
) -> None:
    """Intercom's normalised copy never equals what a sync would send, so a rebuild cannot
    adopt it without a call: one update per page, no duplicate, then nothing more."""
    server.normalise = True
    site = TrialSite(tmp_path, server)
    site.configure(page_url="https://Docs.Example.com/My Docs/")
    for name in ("alpha", "beta"):
        site.write(f"{name}.md", f"# {name}\n\nLine  \nbreak.\n")
    assert site.cli("sync").returncode == 0
    site.state.unlink()
    rebuild = site.cli("state", "rebuild")
    assert rebuild.returncode == 0, rebuild.stdout + rebuild.stderr
    assert "2 unknown pages updated" in rebuild.stdout
    writes = server.calls("POST", "/ai/external_pages")
    again = site.cli("reconcile")
    assert again.returncode == 0 and "2 matching" in again.stdout, again.stdout + again.stderr
    assert server.calls("POST", "/ai/external_pages") == writes
    assert len(site.truthful()) == 2
