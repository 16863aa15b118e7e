"""/metrics of a real daemon against Prometheus's rules, and the alert rules and Grafana dashboard
in deploy/ against that /metrics: every metric they name must be one the daemon exports.

promtool (Debian package ``prometheus``, installed by .ci/run) checks the exposition, the rules
and the rules' unit tests (deploy/prometheus/alerts.test.yml) and parses the dashboard's queries;
the naming rules are also checked here without it (tests/daemon/metric_lint.py).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from ingestor.emulator import EmulatorServer, EmulatorSettings

from ..conftest import require_system_package
from .conftest import DaemonProcess, Deployment, wait_for
from .metric_lint import lint_exposition, sample_names

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parents[2]
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
ALERT_TESTS = ROOT / "deploy" / "prometheus" / "alerts.test.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "fin-ingestor.json"
#: Series Prometheus makes itself for every target; no exporter serves them.
SCRAPE_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
_PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool"}
_PROMQL_WORDS |= {"and", "or", "unless", "offset", "inf", "nan"}


@pytest.fixture
def promtool() -> str:
    """promtool's path; skips without it (fails on CI, which installs it)."""
    found = shutil.which("promtool")
    require_system_package(
        None if found else "promtool is not installed (`apt-get install prometheus`)"
    )
    assert found is not None
    return found


@pytest.fixture(scope="module")
def scraped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Any]]]:
    """/metrics of a daemon after one run of 5 pages, and what the emulator saw (a rate limit
    it announces, so that the daemon exports the limit it learnt)."""
    with EmulatorServer(EmulatorSettings(rate_limit=1000, window_seconds=10)) as server:
        deployment = Deployment(tmp_path_factory.mktemp("scrape"), server)
        for i in range(5):
            deployment.write("docs", f"p{i}.md", f"# P{i}\n\nText {i}.\n")
        deployment.write_config(
            [deployment.connector("docs")],
            daemon={"listen": "127.0.0.1:0", "schedule": {"every": "1h"}, "run_on_start": True},
        )
        daemon = DaemonProcess(deployment)
        try:
            daemon.wait_event(connector="docs", status="ok")
            recorded = 'fin_ingestor_runs_total{connector="docs",status="ok"} 1.0'
            wait_for(lambda: recorded in daemon.get("/metrics")[1], what="the run in /metrics")
            status, text = daemon.get("/metrics")
            assert status == 200
            yield text, server.stats()
            assert daemon.stop() == 0
        finally:
            daemon.kill()


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_the_exposition_follows_prometheus_naming_rules(scraped: tuple[str, Any]) -> None:
    text, _ = scraped
    assert lint_exposition(text) == []


def test_promtool_accepts_the_exposition(scraped: tuple[str, Any], promtool: str) -> None:
    text, _ = scraped
    checked = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )
    assert (checked.returncode, checked.stdout + checked.stderr) == (0, "")


def test_histograms_agree_with_the_counters_and_the_emulator(scraped: tuple[str, Any]) -> None:
    text, emulator = scraped
    samples = _samples(text)
    docs = (("connector", "docs"),)
    sent: dict[str, float] = {}
    timed: dict[str, float] = {}
    for (name, labels), value in samples.items():
        found = dict(labels)
        if name == "fin_ingestor_intercom_requests_total":
            assert found["status_code"] == "200", found
            sent[found["operation"]] = sent.get(found["operation"], 0) + value
        elif name == "fin_ingestor_intercom_request_duration_seconds_count":
            timed[found["operation"]] = value
    assert sent == timed == {op: n for op, n in emulator["by_operation"].items() if n}
    assert samples["fin_ingestor_page_conversion_duration_seconds_count", docs] == 5
    assert samples["fin_ingestor_page_conversion_duration_seconds_sum", docs] > 0
    assert samples["fin_ingestor_run_duration_seconds_count", docs] == 1
    run_took = samples["fin_ingestor_run_duration_seconds_sum", docs]
    assert run_took == pytest.approx(samples["fin_ingestor_last_run_duration_seconds", docs])
    finished = samples["fin_ingestor_last_run_timestamp_seconds", docs]
    assert samples["fin_ingestor_last_complete_run_timestamp_seconds", docs] == finished
    assert samples["fin_ingestor_last_success_timestamp_seconds", docs] == finished
    assert samples["fin_ingestor_ready", ()] == 1
    checks = {dict(k[1])["check"] for k in samples if k[0] == "fin_ingestor_readiness_check"}
    assert checks == {"config", "state", "intercom", "scheduler"}


def _metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (functions, labels and keywords left out)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # label values, regexes
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # ranges
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    names = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*(?!\s*\()(?![a-zA-Z0-9_:])", expr))
    return {n for n in names if n.lower() not in _PROMQL_WORDS}


def _alert_exprs() -> dict[str, str]:
    rules = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    return {r["alert"]: r["expr"] for group in rules["groups"] for r in group["rules"]}


def _dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return loaded


def _dashboard_exprs() -> dict[str, str]:
    exprs = {
        f"{panel['title']} {target['refId']}": target["expr"]
        for panel in _dashboard()["panels"]
        for target in panel.get("targets", [])
    }
    for variable in _dashboard()["templating"]["list"]:
        query = variable.get("definition", "")
        match = re.fullmatch(r"label_values\((.*),\s*\w+\)", query)
        if match:
            exprs[f"variable {variable['name']}"] = match.group(1)
    return exprs


def test_alerts_and_dashboard_name_only_metrics_the_daemon_exports(
    scraped: tuple[str, Any],
) -> None:
    exported = sample_names(scraped[0]) | SCRAPE_SERIES
    exprs = {**_alert_exprs(), **_dashboard_exprs()}
    assert len(exprs) > 30
    used: set[str] = set()
    for where, expr in exprs.items():
        names = _metric_names(expr)
        assert names, f"{where}: no metric in {expr!r}"
        assert names <= exported, f"{where}: {sorted(names - exported)} not in /metrics"
        used |= names
    # The new signals are watched, not just exported.
    for name in (
        "fin_ingestor_last_complete_run_timestamp_seconds",
        "fin_ingestor_intercom_requests_total",
        "fin_ingestor_intercom_request_duration_seconds_bucket",
        "fin_ingestor_page_conversion_duration_seconds_bucket",
        "fin_ingestor_run_duration_seconds_bucket",
        "fin_ingestor_ready",
    ):
        assert name in used


def test_every_metric_and_alert_is_documented(scraped: tuple[str, Any]) -> None:
    docs = (ROOT / "docs" / "observability.md").read_text(encoding="utf-8")
    families = re.findall(r"^# TYPE (fin_ingestor_\w+) ", scraped[0], flags=re.MULTILINE)
    assert len(families) > 20
    for name in [*families, "fin_ingestor_rate_limit_per_window", *_alert_exprs()]:
        assert f"| `{name}` |" in docs, f"{name} has no row in docs/observability.md"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/observability.md" in readme


def test_metric_names_are_found_in_promql() -> None:
    expr = (
        'sum by (connector, le) (rate(a_bucket{x=~"b|c", le!="d"}[5m])) / on(i) '
        "group_left b_total unless histogram_quantile(0.9, c) > 24 * 3600"
    )
    assert _metric_names(expr) == {"a_bucket", "b_total", "c"}


def test_the_dashboard_is_importable_as_laid_out() -> None:
    dashboard = _dashboard()
    assert dashboard["uid"] == "fin-ingestor"
    names = [v["name"] for v in dashboard["templating"]["list"]]
    assert names == ["datasource", "instance", "connector"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    cells: set[tuple[int, int]] = set()
    for panel in dashboard["panels"]:
        pos = panel["gridPos"]
        assert pos["x"] + pos["w"] <= 24, panel["title"]
        area = {(pos["x"] + dx, pos["y"] + dy) for dx in range(pos["w"]) for dy in range(pos["h"])}
        assert not area & cells, f"{panel['title']} overlaps another panel"
        cells |= area
        if panel["type"] != "row":
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            assert panel["targets"], panel["title"]


def test_promtool_checks_and_unit_tests_the_alert_rules(promtool: str) -> None:
    for command in (["check", "rules", str(ALERTS)], ["test", "rules", str(ALERT_TESTS)]):
        done = subprocess.run([promtool, *command], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "SUCCESS" in done.stdout


def test_promtool_parses_every_dashboard_query(tmp_path: Path, promtool: str) -> None:
    rules = [
        {
            "record": f"dashboard:query_{n}",
            "expr": expr.replace("$instance", ".*").replace("$connector", ".*"),
        }
        for n, expr in enumerate(_dashboard_exprs().values())
    ]
    path = tmp_path / "dashboard-rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    done = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
