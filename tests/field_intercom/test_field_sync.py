"""Field trials of the real ``ingestor sync`` / ``reconcile`` commands against the hostile
Intercom: for each misbehaviour, nothing duplicated or lost in Intercom, state truthful, a
message naming the page, the exit code, and a next run that converges."""

from __future__ import annotations

import json

import pytest

from .hostile_intercom import Fault, HostileIntercom, lb_html
from .trial_site import PAGES, TrialSite, synced


def test_a_token_revoked_mid_run_stops_with_exit_3_and_the_next_run_converges(
    site: TrialSite, server: HostileIntercom
) -> None:
    unauthorized = json.dumps(
        {
            "type": "error.list",
            "errors": [{"code": "unauthorized", "message": "Access Token Invalid"}],
        }
    ).encode()
    server.faults.append(
        Fault(
            "POST", "/ai/external_pages", "answer", status=401, body=unauthorized, after=1, times=99
        )
    )
    run = site.cli("sync")
    assert run.returncode == 3, run.stdout + run.stderr
    assert "Access Token Invalid" in run.stdout + run.stderr
    site.truthful()  # the one page that made it is recorded; nothing else claims to be
    synced(site)


def test_403_on_deletes_only_keeps_the_page_known_and_says_which_call(
    site: TrialSite, server: HostileIntercom
) -> None:
    assert site.cli("sync").returncode == 0
    (site.root / "beta.md").unlink()
    forbidden = json.dumps(
        {"type": "error.list", "errors": [{"code": "forbidden", "message": "Forbidden"}]}
    ).encode()
    server.faults.append(
        Fault("DELETE", "/ai/external_pages/", "answer", status=403, body=forbidden, times=99)
    )
    run = site.cli("sync")
    out = run.stdout + run.stderr
    assert run.returncode == 3, out
    assert "delete external page" in out
    assert "beta.md" in site.recorded()  # still known: the delete is tried again
    remote = synced(site)
    assert "beta.md" not in remote


def test_a_page_refused_with_422_is_named_and_the_others_go_through(
    site: TrialSite, server: HostileIntercom
) -> None:
    invalid = json.dumps(
        {
            "type": "error.list",
            "errors": [{"code": "data_invalid", "message": "Html is too long", "field": "html"}],
        }
    ).encode()
    server.faults.append(
        Fault(
            "POST",
            "/ai/external_pages",
            "answer",
            status=422,
            body=invalid,
            times=99,
            body_has=b'"external_id": "gamma.md"',
        )
    )
    run = site.cli("sync")
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    assert "gamma.md" in out and "Html is too long (field html)" in out
    assert sorted(site.truthful()) == ["alpha.md", "beta.md", "delta.md"]
    synced(site)


def test_pages_deleted_in_intercom_behind_our_back(
    site: TrialSite, server: HostileIntercom
) -> None:
    assert site.cli("sync").returncode == 0
    remote = site.truthful()
    with server._lock:
        del server.pages[str(remote["alpha.md"]["id"])]  # then edited at the source: update
        del server.pages[str(remote["beta.md"]["id"])]  # then deleted at the source: delete
    site.write("alpha.md", "# Alpha\n\nA new meaning of alpha.\n")
    (site.root / "beta.md").unlink()
    run = site.cli("sync")
    assert run.returncode == 0, run.stdout + run.stderr
    after = site.truthful()
    assert sorted(after) == ["alpha.md", "delta.md", "gamma.md"]
    assert after["alpha.md"]["id"] != remote["alpha.md"]["id"]  # re-created, new id recorded
    synced(site)


def test_our_source_deleted_out_of_band_is_recreated_and_refilled(
    site: TrialSite, server: HostileIntercom
) -> None:
    assert site.cli("sync").returncode == 0
    old = site.source_id()
    with server._lock:
        server.handle("DELETE", f"/ai/content_import_sources/{old}", {}, None)
    run = site.cli("sync")
    assert run.returncode == 0, run.stdout + run.stderr
    assert site.source_id() != old
    assert len(site.truthful()) == len(PAGES)


@pytest.mark.parametrize("status", [400, 404])
def test_our_source_deleted_mid_run_is_recreated_and_refilled(
    site: TrialSite, server: HostileIntercom, status: int
) -> None:
    server.unknown_source_status = status

    def delete_source() -> None:
        with server._lock:
            for sid in list(server.sources):
                server.handle("DELETE", f"/ai/content_import_sources/{sid}", {}, None)

    assert site.cli("sync").returncode == 0
    site.write("alpha.md", "# Alpha\n\nChanged.\n")
    site.write("beta.md", "# Beta\n\nChanged.\n")  # gamma and delta: unchanged
    server.faults.append(Fault("POST", "/ai/external_pages", "call", before=delete_source))
    first = site.cli("sync")
    second = site.cli("sync")
    out = first.stdout + first.stderr + second.stdout + second.stderr
    assert second.returncode == 0, out
    remote = site.truthful()  # every page, changed or not, is in the new source
    assert sorted(remote) == sorted(f"{n}.md" for n in PAGES), out


def test_our_source_deactivated_out_of_band_is_a_config_error_naming_it(
    site: TrialSite, server: HostileIntercom
) -> None:
    assert site.cli("sync").returncode == 0
    server.sources[site.source_id()]["status"] = "deactivated"
    site.write("alpha.md", "# Alpha\n\nChanged.\n")
    run = site.cli("sync")
    out = run.stdout + run.stderr
    assert run.returncode == 2, out
    assert f"Content Import Source {site.source_id()}" in out and "Reactivate" in out
    server.sources[site.source_id()]["status"] = "active"
    synced(site)


def test_our_source_deactivated_mid_run_fails_the_pages_and_the_next_run_says_why(
    site: TrialSite, server: HostileIntercom
) -> None:
    def deactivate() -> None:
        for source in server.sources.values():
            source["status"] = "deactivated"

    server.faults.append(Fault("POST", "/ai/external_pages", "call", after=1, before=deactivate))
    run = site.cli("sync")
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    assert "not active" in out
    site.truthful()
    assert site.cli("sync").returncode == 2
    for source in server.sources.values():
        source["status"] = "active"
    synced(site)


@pytest.mark.parametrize("action", ["drop_after", "cut_after", "drop_before"])
def test_lost_answers_to_upserts_and_the_source_create_duplicate_nothing(
    site: TrialSite, server: HostileIntercom, action: str
) -> None:
    server.faults += [
        Fault("POST", "/ai/content_import_sources", action),
        Fault("POST", "/ai/external_pages", action, times=2),
    ]
    run = site.cli("sync")
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    assert len(server.sources) == 1
    assert len(site.truthful()) == len(PAGES)
    synced(site)


def test_a_slow_answer_times_out_and_the_retry_duplicates_nothing(
    site: TrialSite, server: HostileIntercom
) -> None:
    site.configure(timeout=1.0)
    server.faults.append(Fault("POST", "/ai/external_pages", "slow_after", delay=2.5, times=2))
    run = site.cli("sync")
    assert run.returncode == 0, run.stdout + run.stderr
    assert len(site.truthful()) == len(PAGES)


def test_a_load_balancer_down_for_every_upsert_fails_the_pages_quoting_no_html(
    site: TrialSite, server: HostileIntercom
) -> None:
    server.faults.append(
        Fault(
            "POST",
            "/ai/external_pages",
            "answer",
            status=502,
            headers={"Content-Type": "text/html"},
            body=lb_html(502),
            times=999,
        )
    )
    run = site.cli("sync")
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    assert "<html" not in out and "Bad Gateway" in out
    assert site.recorded() == {f"{n}.md": None for n in PAGES}
    synced(site)


def test_429_without_headers_on_some_calls_is_waited_out(
    site: TrialSite, server: HostileIntercom
) -> None:
    server.rate_headers = False  # and no X-RateLimit-* on any answer either
    server.faults.append(Fault("POST", "/ai/external_pages", "answer", status=429, times=2))
    run = site.cli("sync")
    assert run.returncode == 0, run.stdout + run.stderr
    assert len(site.truthful()) == len(PAGES)


def test_an_upsert_answered_with_another_pages_id_is_not_recorded(
    site: TrialSite, server: HostileIntercom
) -> None:
    assert site.cli("sync").returncode == 0
    theirs = server.add_foreign_page("theirs")
    stranger = theirs["source_id"]
    site.write("alpha.md", "# Alpha\n\nChanged.\n")
    server.faults.append(
        Fault("POST", "/ai/external_pages", "rewrite", rewrite=lambda a: {**theirs})
    )
    run = site.cli("sync")
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    assert "alpha.md" in out and "another object" in out
    assert site.recorded()["alpha.md"] != theirs["id"]
    (site.root / "alpha.md").unlink()  # the next run deletes alpha: never their page
    run = site.cli("sync")
    assert run.returncode == 0, run.stdout + run.stderr
    assert list(server.pages_of(stranger)) == ["theirs"]


def test_hiding_never_touches_the_page_a_mixed_up_read_returns(
    site: TrialSite, server: HostileIntercom
) -> None:
    site.configure(deletion="hide")
    assert site.cli("sync").returncode == 0
    theirs = server.add_foreign_page("theirs", ai_agent_availability=True)
    stranger = theirs["source_id"]
    (site.root / "alpha.md").unlink()
    server.faults.append(
        Fault("GET", "/ai/external_pages/", "rewrite", rewrite=lambda a: {**theirs})
    )
    run = site.cli("sync")
    assert run.returncode == 1, run.stdout + run.stderr
    assert server.pages_of(stranger)["theirs"]["ai_agent_availability"] is True
    run = site.cli("sync")
    assert run.returncode == 0, run.stdout + run.stderr
    assert server.pages_of(site.source_id())["alpha.md"]["ai_agent_availability"] is False
