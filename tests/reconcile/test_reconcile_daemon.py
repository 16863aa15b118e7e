"""The daemon's reconcile: ``daemon.reconcile_schedule`` validates, and a real daemon runs it."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from ingestor.config import parse_config
from ingestor.daemon import Daemon
from ingestor.daemon._reconcile_job import RECONCILE_JOB_ID
from ingestor.emulator import EmulatorServer
from ingestor.errors import ConfigError
from ingestor.state import Store

from .conftest import Site

ENV = {"T": "tok_abcdefgh"}


def _daemon_section(value: str | None, tmp_path: Path) -> Any:
    text = "intercom: {token: '${T}'}\n"
    if value is not None:
        text += f"daemon:\n  reconcile_schedule: {value}\n"
    text += "connectors:\n  - {name: docs, type: filesystem, url: https://d.example.com/, "
    text += f"root: {tmp_path}}}\n"
    return parse_config(text, filename="c.yaml", config_dir=tmp_path, environ=ENV).daemon


@pytest.mark.parametrize(
    ("value", "every", "cron"),
    [
        (None, timedelta(days=1), None),  # the default: daily
        ("12h", timedelta(hours=12), None),
        ("{every: 30m, jitter: 5m}", timedelta(minutes=30), None),
        ("{cron: '0 3 * * *'}", None, "0 3 * * *"),
    ],
)
def test_reconcile_schedule_values(
    value: str | None, every: timedelta | None, cron: str | None, tmp_path: Path
) -> None:
    schedule = _daemon_section(value, tmp_path).reconcile_schedule
    assert (schedule.every, schedule.cron) == (every, cron)


@pytest.mark.parametrize("value", ["off", "'off'", "never"])
def test_reconcile_schedule_off(value: str, tmp_path: Path) -> None:
    assert _daemon_section(value, tmp_path).reconcile_schedule is None


@pytest.mark.parametrize(
    ("value", "said"),
    [("soon", "is not a duration"), ("{cron: '61 * * * *'}", "invalid cron"), ("true", "or off")],
)
def test_a_bad_reconcile_schedule_names_its_key_and_line(
    value: str, said: str, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError) as caught:
        _daemon_section(value, tmp_path)
    text = "\n".join(str(issue) for issue in caught.value.issues)
    assert "daemon.reconcile_schedule" in text and said in text and "c.yaml:3" in text


def _wait(condition: Callable[[], Any], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.1)
    return value


@pytest.mark.timeout(90)
def test_a_running_daemon_reconciles_on_its_schedule(
    tmp_path: Path, emulator: EmulatorServer, state_location: Path | str
) -> None:
    site = Site(tmp_path, emulator, state_location)
    site.pages(5)
    site.sync()
    data = yaml.safe_load(site.config_path.read_text(encoding="utf-8"))
    data["daemon"] = {"schedule": {"every": "1h"}, "reconcile_schedule": "1s"}
    site.config_path.write_text(yaml.safe_dump(data), encoding="utf-8")
    gone = site.intercom()["p0002.md"]
    emulator.delete_page(gone["id"])
    daemon = Daemon(site.config_path, site.config(), environ=site.env)
    codes: list[int] = []
    thread = threading.Thread(target=lambda: codes.append(daemon.run()), daemon=True)
    thread.start()
    try:
        assert daemon.started.wait(15)
        _wait(lambda: "p0002.md" in site.intercom())  # put back by the scheduled reconcile
        data["daemon"]["reconcile_schedule"] = "off"
        site.config_path.write_text(yaml.safe_dump(data), encoding="utf-8")
        assert daemon.reload()
        assert daemon.scheduler.running and daemon.scheduler.job(RECONCILE_JOB_ID) is None
    finally:
        daemon.request_stop()
        thread.join(30)
    assert codes == [0]
    with Store.open(site.state, read_only=True) as store:
        record = store.last_reconcile("docs")
    assert record is not None and record.pid == os.getpid() and record.status == "ok"
    summaries = [json.loads(row[0]) for row in site.sql("SELECT summary FROM reconciles")]
    assert summaries[0]["missing"] == ["p0002.md"]
    assert summaries[0]["sync"]["created"] == 1
