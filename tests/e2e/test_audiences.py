"""Audience rules over a real share and the emulator: flags as Intercom stores them, exclusion
and take-down, and an audience change costing exactly one update call."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ingestor.emulator import EmulatorServer
from ingestor.engine.report import SyncReport
from ingestor.engine.runner import sync_connectors
from ingestor.engine.sync import SyncOptions
from ingestor.state import Store

from .conftest import Site, calls, write_calls
from .test_incremental import FakeWiki
from .test_incremental import sync as sync_wiki

MIXED_RULES = """\
    audiences:
      - match: {path: "internal/"}
        audience: exclude
        name: internal
      - match: {front_matter.audience: Team}
        audience: team
        name: marked-team
      - match: {path: ["public/**", "faq.md"]}
        audience: customers
        name: public
    ai_agent_availability: false
"""


def configure(site: Site, extra: str) -> None:
    site.write_config()
    site.config_path.write_text(site.config_path.read_text() + extra, encoding="utf-8")


def seed(site: Site) -> None:
    site.write("public/refunds.md", "# Refunds\n\nThirty days.\n")
    site.write("public/deep/shipping.md", "# Shipping\n\nTwo days.\n")
    site.write("faq.md", "# FAQ\n\nAsk us.\n")
    site.write("public/runbook.md", "---\naudience: team\n---\n# Runbook\n\nRestart it.\n")
    site.write("internal/salaries.md", "---\naudience: team\n---\n# Salaries\n\nSecret.\n")
    site.write("notes.md", "# Notes\n\nNo rule matches these.\n")


def run(site: Site, **options: bool) -> SyncReport:
    [report] = sync_connectors(site.config(), options=SyncOptions(**options))
    return report


def flags(page: dict[str, Any]) -> tuple[bool, bool]:
    return page["ai_agent_availability"], page["ai_copilot_availability"]


def test_each_page_gets_its_rules_audience_as_intercom_stores_it(site: Site) -> None:
    seed(site)
    configure(site, MIXED_RULES)
    report = run(site)
    assert (report.created, report.excluded, report.status) == (5, 1, "ok")
    pages = site.intercom_pages()
    assert "internal/salaries.md" not in pages  # rule 1 wins over the front matter rule
    assert flags(pages["public/refunds.md"]) == (True, True)
    assert flags(pages["public/deep/shipping.md"]) == (True, True)
    assert flags(pages["faq.md"]) == (True, True)
    assert flags(pages["public/runbook.md"]) == (False, True)  # rule 2 before rule 3
    assert flags(pages["notes.md"]) == (False, True)  # default: the connector's settings
    assert report.rule_counts == {
        "rule 1 (internal)": 1,
        "rule 2 (marked-team)": 1,
        "rule 3 (public)": 3,
        "default": 1,
    }
    with Store.open(site.state, read_only=True) as store:
        withheld = store.withheld_pages("docs")
        audiences = store.audience_counts("docs")
    assert [(w.external_id, w.audience, w.reason) for w in withheld] == [
        ("internal/salaries.md", "exclude", "rule 1 (internal)")
    ]
    assert audiences[("customers", "rule 3 (public)")] == 3
    assert audiences[("team", "default")] == 1

    again = run(site)  # nothing changed: the excluded page is not even read again
    assert (again.unchanged, again.excluded, again.created, again.rule_counts) == (6, 0, 0, {})


def test_an_audience_change_costs_one_update_call_and_nothing_else(site: Site) -> None:
    seed(site)
    configure(site, MIXED_RULES)
    run(site)
    before = site.server.stats()
    # notes.md now matches a new rule: customers. Every other page keeps its audience.
    configure(
        site,
        MIXED_RULES.replace(
            "        name: public\n",
            "        name: public\n      - match: {path: notes.md}\n        audience: customers\n",
        ),
    )
    report = run(site)
    after = site.server.stats()
    # One upsert (Intercom's create-or-update POST), no delete, nothing else written.
    assert write_calls(after) - write_calls(before) == 1
    assert calls(after, "createExternalPage") - calls(before, "createExternalPage") == 1
    assert flags(site.intercom_pages()["notes.md"]) == (True, True)
    # The new rules made the version gate read every page again; only one was sent.
    assert sum(report.rule_counts.values()) == 6
    assert (report.updated, report.unchanged, report.excluded) == (1, 4, 1)


def test_excluding_a_sent_page_takes_it_down_and_unexcluding_sends_it_again(site: Site) -> None:
    seed(site)
    configure(site, "")
    run(site)
    assert "internal/salaries.md" in site.intercom_pages()
    configure(site, MIXED_RULES)
    before = site.server.stats()
    report = run(site)
    after = site.server.stats()
    assert "internal/salaries.md" not in site.intercom_pages()
    assert calls(after, "deleteExternalPage") - calls(before, "deleteExternalPage") == 1
    assert (report.excluded, report.taken_down, report.deleted) == (1, 1, 0)
    [event] = report.withheld
    assert event.reason == "rule 1 (internal); taken down from Intercom"
    # Four pages lost the AI Agent (ai_agent_availability: false for the default and rule 2).
    assert report.updated == 2

    configure(site, "")
    report = run(site)
    assert report.created == 1
    assert flags(site.intercom_pages()["internal/salaries.md"]) == (True, True)


def test_a_new_gate_version_rereads_every_page_without_resending(site: Site) -> None:
    """State written before audiences existed stays valid: same hash for the same flags."""
    seed(site)
    configure(site, "")
    run(site)
    before = write_calls(site.server.stats())
    configure(site, "    allow_secrets: [nothing-matches.md]\n")  # new gate settings
    report = run(site)
    assert (report.unchanged, report.created, report.updated) == (6, 0, 0)
    assert sum(report.rule_counts.values()) == 6  # read and decided again
    assert write_calls(site.server.stats()) == before


def test_new_gate_settings_make_an_incremental_connector_list_in_full(
    emulator: EmulatorServer, state_location: Path | str
) -> None:
    wiki = FakeWiki()
    for i in range(3):
        wiki.edit(f"p{i}", f"text {i}")
    state = state_location
    sync_wiki(emulator, state, wiki)
    wiki.edit("p1", "edited")
    assert sync_wiki(emulator, state, wiki).listed == 1  # from the cursor: one change
    assert wiki.full_listings == 1
    wiki.settings = wiki.settings.model_copy(update={"allow_secrets": ["p9"]})
    report = sync_wiki(emulator, state, wiki)
    assert (wiki.full_listings, report.listed, report.unchanged) == (2, 3, 3)
    sync_wiki(emulator, state, wiki)
    assert wiki.full_listings == 2  # the cursor saved under the new settings is used again
