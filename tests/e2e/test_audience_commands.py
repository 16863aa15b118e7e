"""What `plan`, `preview`, `status` and `validate` say about audiences, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

from ingestor.commands.preview import write_preview

from .conftest import Site, write_calls

RULES = """\
    audiences:
      - match: {path: "internal/"}
        audience: exclude
        name: internal-folders
      - match: {front_matter.audience: team}
        audience: team
"""


def configure(site: Site, extra: str) -> None:
    site.write_config()
    site.config_path.write_text(site.config_path.read_text() + extra, encoding="utf-8")


def seed(site: Site) -> None:
    site.write("guide.md", "# Guide\n\nFor everyone.\n")
    site.write("ops.md", "---\naudience: team\n---\n# Ops\n\nFor the team.\n")
    site.write("internal/hr.md", "# HR\n\nNot for Fin.\n")


def test_plan_shows_each_pages_audience_exclusions_and_rule_counts(site: Site) -> None:
    seed(site)
    configure(site, RULES)
    result = site.cli("plan")
    assert result.returncode == 5, result.stdout + result.stderr
    out = result.stdout
    assert "create docs: guide.md (new page) → customers (default)" in out
    assert "create docs: ops.md (new page) → team (rule 2)" in out
    assert "exclude docs: internal/hr.md (rule 1 (internal-folders))" in out
    assert (
        "docs: pages per rule (pages read): rule 1 (internal-folders) 1, rule 2 1, default 1"
        in (out)
    )
    assert "2 to create, 0 to update, 0 to delete, 0 unchanged (skipped), 1 excluded" in out
    assert write_calls(site.server.stats()) == 0


def test_plan_after_a_rule_change_names_the_audience_change_and_the_take_down(
    site: Site,
) -> None:
    seed(site)
    configure(site, "")
    assert site.cli("sync", "--no-progress").returncode == 0
    configure(site, RULES)
    result = site.cli("plan")
    assert result.returncode == 5, result.stdout + result.stderr
    assert "update docs: ops.md (audience changed (was customers)) → team (rule 2)" in (
        result.stdout
    )
    assert (
        "exclude docs: internal/hr.md (rule 1 (internal-folders); taken down from Intercom)"
        in result.stdout
    )
    assert "1 to update" in result.stdout


def test_status_shows_pages_by_audience_and_the_excluded_ones(site: Site) -> None:
    seed(site)
    configure(site, RULES)
    result = site.cli("sync", "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "exclude docs: internal/hr.md (rule 1 (internal-folders))" in result.stdout
    status = site.cli("status")
    assert status.returncode == 0, status.stderr
    assert (
        "docs: pages by audience: customers 1 (default), exclude 1 (rule 1 (internal-folders)), "
        "team 1 (rule 2)" in status.stdout
    )
    assert "exclude docs: internal/hr.md (rule 1 (internal-folders))" in status.stdout
    last_run = "docs: pages per rule (last run): rule 1 (internal-folders) 1, rule 2 1, default 1"
    assert last_run in status.stdout


def test_preview_writes_each_pages_flags_and_no_file_for_excluded_pages(
    site: Site, tmp_path: Path
) -> None:
    seed(site)
    site.write("keys.md", "# Keys\n\nThe deploy user is AKIAQ3EGRZ5XJ7LMN2PB.\n")
    configure(site, RULES)
    out = tmp_path / "preview"
    rows = {row.external_id: row for row in write_preview(site.config(), out)}
    keys = rows["keys.md"]
    assert (keys.file, keys.audience) == (None, "held")
    assert keys.warnings[0].startswith("held, not sent: secret: aws_access_key_id line 3 ")
    written = "".join(p.read_text() for p in out.rglob("*") if p.is_file())
    assert "AKIAQ3EGRZ5XJ7LMN2PB" not in written
    ops = json.loads((out / str(rows["ops.md"].file)).with_suffix(".json").read_text())
    assert (ops["ai_agent_availability"], ops["ai_copilot_availability"]) == (False, True)
    assert rows["ops.md"].audience == "team (rule 2)"
    hr = rows["internal/hr.md"]
    assert (hr.file, hr.audience) == (None, "exclude")
    assert hr.warnings == ["excluded, not sent: rule 1 (internal-folders)"]
    assert not list((out / "docs").glob("internal_hr*"))
    index = (out / "index.html").read_text()
    assert "excluded, not sent: rule 1 (internal-folders)" in index


def test_validate_reports_a_rule_on_a_field_the_kind_never_fills(site: Site) -> None:
    configure(
        site,
        """\
    audiences:
      - match: {path: "docs/**"}
        audience: customers
      - match: {label: internal}
        audience: exclude
        name: labels-do-not-exist-here
""",
    )
    result = site.cli("validate")
    assert result.returncode == 2
    line = next(n for n, text in enumerate(site.config_path.read_text().splitlines(), 1)
                if "label: internal" in text)  # fmt: skip
    assert (
        f"config.yaml:{line}: connectors[0].audiences[1].match.label: rule 2 "
        "(labels-do-not-exist-here) can never match: this connector type never fills 'label' "
        "(fields: front_matter.*, path)"
    ) in " ".join(result.stderr.split())


def test_bad_rules_are_config_errors_with_file_line_and_key(site: Site) -> None:
    configure(
        site,
        """\
    audiences:
      - match: {}
        audience: team
      - match: {path: 5}
        audience: customers
      - match: {path: "a"}
        audience: public
""",
    )
    result = site.cli("validate")
    assert result.returncode == 2
    err = " ".join(result.stderr.split())
    assert "connectors[0].audiences[0].match: match is empty" in err
    assert "connectors[0].audiences[1].match: match.path: give a pattern or a list" in err
    assert "connectors[0].audiences[2].audience: Input should be 'customers', 'team'" in err
    assert err.count("config.yaml:") == 3
