"""``--json`` and ``sync --report``: the real command in a subprocess, against the emulator over
sockets, every document validated against its schema file in docs/schemas/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from .conftest import Site

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "schemas"
BOX = set("│─┃━╭╮╰╯┏┓┗┛")


def checked(kind: str, text: str) -> dict[str, Any]:
    """``text`` as one JSON document valid against ``docs/schemas/<kind>.v1.json``."""
    document = json.loads(text)  # fails on anything but exactly one JSON document
    schema = json.loads((SCHEMAS / f"{kind}.v1.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    Draft202012Validator(schema).validate(document)
    assert document["schema"] == f"fin-ingestor/{kind}/v1"
    return document


def run(site: Site, *args: str, token: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    if token:
        env.update(site.env)
    else:
        env.pop("TEST_INTERCOM_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "ingestor", *args, "-c", str(site.config_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def pages(site: Site, count: int) -> None:
    for n in range(count, 0, -1):  # written in reverse: order must come from sorting
        site.write(f"kb/p{n:02d}.md", f"# Page {n}\n\nText of page {n}, long enough to publish.\n")


def test_every_schema_is_a_valid_json_schema() -> None:
    files = sorted(SCHEMAS.glob("*.v1.json"))
    assert [f.name for f in files] == [
        "doctor.v1.json",
        "plan.v1.json",
        "run-report.v1.json",
        "status.v1.json",
        "sync.v1.json",
        "validate.v1.json",
    ]
    for path in files:
        Draft202012Validator.check_schema(json.loads(path.read_text(encoding="utf-8")))


def test_sync_json_is_alone_on_stdout_and_the_report_lists_every_page(
    site: Site, tmp_path: Path
) -> None:
    pages(site, 12)
    site.write("kb/empty.md", "")  # nothing to publish: skipped, with its reason
    report = tmp_path / "report.json"

    done = run(site, "sync", "--json", "--report", str(report), "--log-format", "json")

    assert done.returncode == 0, done.stderr
    document = checked("sync", done.stdout)
    (docs,) = document["connectors"]
    assert docs["connector"] == "docs" and docs["status"] == "ok"
    assert docs["counts"]["created"] == 12 and docs["counts"]["skipped"] == 1
    full = checked("run-report", report.read_text(encoding="utf-8"))
    listed = full["connectors"][0]["pages"]
    assert [p["external_id"] for p in listed] == ["kb/empty.md"] + [
        f"kb/p{n:02d}.md" for n in range(1, 13)
    ]
    assert listed[0]["outcome"] == "skipped" and listed[0]["reason"]
    assert {p["outcome"] for p in listed[1:]} == {"created"}
    # the end-of-run log line carries the counts as fields, for log collectors
    ends = [json.loads(line) for line in done.stderr.splitlines() if '"counts"' in line]
    assert [(e["status"], e["counts"]["created"], e["counts"]["skipped"]) for e in ends] == [
        ("ok", 12, 1)
    ]


def test_a_dry_run_lists_its_changes_in_page_order(site: Site) -> None:
    pages(site, 9)
    done = run(site, "sync", "--dry-run", "--json")
    assert done.returncode == 0, done.stderr
    changes = checked("sync", done.stdout)["connectors"][0]["changes"]
    assert [c["external_id"] for c in changes] == [f"kb/p{n:02d}.md" for n in range(1, 10)]
    assert {c["outcome"] for c in changes} == {"created"}


def test_plan_prints_the_same_pages_in_the_same_order_every_run(site: Site) -> None:
    pages(site, 30)
    first, second = run(site, "plan", "--json"), run(site, "plan", "--json")
    assert first.returncode == second.returncode == 5, first.stderr
    assert first.stdout == second.stdout
    plan = checked("plan", first.stdout)
    assert plan["would_change"] is True and plan["orphans"] == []
    ids = [c["external_id"] for c in plan["connectors"][0]["changes"]]
    assert ids == sorted(ids) and len(ids) == 30
    human = [run(site, "plan").stdout for _ in range(2)]
    assert human[0] == human[1]
    lines = human[0].splitlines()
    listed = [line.split(": ")[1].split(" ")[0] for line in lines if line.startswith("create")]
    assert listed == ids


def test_status_reads_local_state_without_a_token(site: Site) -> None:
    before = run(site, "status", "--json", token=False)
    assert before.returncode == 0, before.stderr  # no sync yet: said so, exit 0 as for people
    assert checked("status", before.stdout)["state_exists"] is False
    pages(site, 3)
    assert run(site, "sync").returncode == 0
    done = run(site, "status", "--json", token=False)
    assert done.returncode == 0, done.stderr
    status = checked("status", done.stdout)
    assert status["state_exists"] is True
    (docs,) = status["connectors"]
    assert docs["pages"] == 3 and docs["last_run"]["created"] == 3
    human = run(site, "status", token=False)
    assert human.returncode == 0 and "docs" in human.stdout
    assert not BOX & set(human.stdout)  # piped: plain columns, grep-able


def test_human_sync_output_piped_has_no_box_drawing(site: Site) -> None:
    pages(site, 2)
    done = run(site, "sync")
    assert done.returncode == 0, done.stderr
    assert not BOX & set(done.stdout + done.stderr)
    (row,) = [line for line in done.stdout.splitlines() if line.split()[:2] == ["docs", "ok"]]
    assert row.split()[:4] == ["docs", "ok", "2", "0"]


def test_validate_json_valid_and_invalid(site: Site) -> None:
    good = run(site, "validate", "--json")
    assert good.returncode == 0, good.stderr
    document = checked("validate", good.stdout)
    assert document["valid"] is True and document["errors"] == []
    assert [c["name"] for c in document["connectors"]] == ["docs"]

    site.config_path.write_text(
        site.config_path.read_text(encoding="utf-8") + "    depth: many\n", encoding="utf-8"
    )
    bad = run(site, "validate", "--json")
    assert bad.returncode == 2
    document = checked("validate", bad.stdout)
    assert document["valid"] is False
    (error,) = document["errors"]
    last_line = len(site.config_path.read_text(encoding="utf-8").splitlines())  # the bad key
    assert error["file"] == str(site.config_path) and error["line"] == last_line
    assert error["key"] == "connectors[0].depth"


def test_doctor_json(site: Site) -> None:
    site.write("a.md", "# A\n\nSome text for the first page.\n")
    done = run(site, "doctor", "--json")
    assert done.returncode == 0, done.stderr
    document = checked("doctor", done.stdout)
    assert document["ok"] is True
    assert [c["name"] for c in document["checks"]][:2] == ["intercom token", "rate limit"]


@pytest.mark.parametrize("command", ["sync", "plan", "status", "validate", "doctor"])
def test_json_is_documented_in_each_commands_help(command: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ingestor", command, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "80"},
        check=False,
    )
    assert done.returncode == 0
    assert "--json" in done.stdout and "docs/schemas/" in " ".join(done.stdout.split())


def test_page_events_are_kept_only_when_a_report_asks_for_them() -> None:
    # a sync without --report must not keep a million pages' events (~250 MB) until it ends
    from ingestor.commands.machine import PageRecorder
    from ingestor.engine.report import Outcome, PageEvent

    seen: list[str] = []

    class Progress:
        def listed(self, connector: str, *, total: int, to_process: int) -> None:
            return None

        def page_done(self, connector: str, event: PageEvent) -> None:
            seen.append(event.external_id)

    for keep in (False, True):
        recorder = PageRecorder(Progress(), keep=keep)
        recorder.listed("docs", total=2, to_process=2)
        for eid in ("a.md", "b.md"):
            recorder.page_done("docs", PageEvent(eid, Outcome.CREATED))
        kept = [e.external_id for e in recorder.pages["docs"]]
        assert kept == (["a.md", "b.md"] if keep else [])
    assert seen == ["a.md", "b.md"] * 2  # the progress bar hears every page either way
