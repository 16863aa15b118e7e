"""Schedules and the daemon's config keys: parsing, errors with lines, triggers, backoff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ingestor.config import config_keys, parse_config, parse_listen
from ingestor.connectors.base import Schedule, crontab_fields, format_duration, parse_duration
from ingestor.daemon import backoff_delay, build_trigger, effective_schedule, resolve_format
from ingestor.errors import ConfigError

ENV = {"T": "tok_abcdefgh"}


def config_text(root: Path, daemon: str = "", connector: str = "") -> str:
    return (
        "intercom: {token: '${T}'}\n"
        + (f"daemon:\n{daemon}" if daemon else "")
        + "connectors:\n"
        + "  - name: docs\n"
        + "    type: filesystem\n"
        + "    url: https://docs.example.com/\n"
        + f"    root: {root}\n"
        + connector
    )


def issues(text: str, tmp_path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, filename="c.yaml", config_dir=tmp_path, environ=ENV)
    return [str(issue) for issue in caught.value.issues]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("15m", 900), ("2h", 7200), ("1d", 86400), ("1h30m", 5400), ("500ms", 0.5)],
)
def test_durations_parse_and_print_back(text: str, seconds: float) -> None:
    parsed = parse_duration(text)
    assert parsed.total_seconds() == seconds
    assert parse_duration(format_duration(parsed)) == parsed


@pytest.mark.parametrize("text", ["", "soon", "5", "1x", "m5", "1h 30x"])
def test_bad_durations_say_how_to_write_one(text: str) -> None:
    with pytest.raises(ValueError, match=r"write e\.g\. 30s, 15m"):
        parse_duration(text)


def test_crontab_weekdays_keep_their_unix_meaning() -> None:
    assert crontab_fields("0 9 * * 1-5")["day_of_week"] == "mon,tue,wed,thu,fri"
    assert crontab_fields("0 9 * * 0")["day_of_week"] == "sun"
    assert crontab_fields("0 9 * * 7")["day_of_week"] == "sun"
    assert crontab_fields("0 9 * * */2")["day_of_week"] == "sun,tue,thu,sat"
    assert crontab_fields("0 9 * * SAT,sun")["day_of_week"] == "sun,sat"
    assert crontab_fields("0 */2 * * *") == {
        "minute": "0",
        "hour": "*/2",
        "day": "*",
        "month": "*",
        "day_of_week": "*",
    }


def test_cron_trigger_fires_in_its_time_zone_on_the_right_weekday() -> None:
    trigger = build_trigger(Schedule(cron="30 9 * * 0", timezone="Europe/Paris"))
    monday = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
    fire = trigger.get_next_fire_time(None, monday)
    assert fire == datetime(2024, 1, 7, 9, 30, tzinfo=ZoneInfo("Europe/Paris"))  # a Sunday


def test_interval_trigger_and_jitter() -> None:
    schedule = Schedule(every=timedelta(minutes=30), jitter=timedelta(seconds=20))
    trigger = build_trigger(schedule)
    now = datetime(2024, 1, 1, tzinfo=UTC)
    fire = trigger.get_next_fire_time(now, now)
    assert timedelta(minutes=30) <= fire - now <= timedelta(minutes=30, seconds=20)
    assert schedule.describe() == "every 30m, jitter 20s"


def test_schedule_keys_load_and_default(tmp_path: Path) -> None:
    text = config_text(
        tmp_path,
        daemon="  schedule: {every: 10m}\n  listen: 127.0.0.1:9108\n",
        connector="    schedule: {cron: '0 */2 * * *', timezone: Europe/Paris, jitter: 1m}\n"
        "    run_on_start: true\n",
    )
    config = parse_config(text, filename="c.yaml", config_dir=tmp_path, environ=ENV)
    [docs] = config.connectors
    assert docs.run_on_start is True
    assert effective_schedule(config, docs).describe() == (
        "cron 0 */2 * * * (Europe/Paris), jitter 1m"
    )
    assert config.daemon.listen_address == ("127.0.0.1", 9108)
    plain = parse_config(config_text(tmp_path), filename="c.yaml", config_dir=tmp_path, environ=ENV)
    assert effective_schedule(plain, plain.connectors[0]).describe() == "every 1h"
    assert plain.daemon.listen_address is None and plain.daemon.log_format == "auto"


def test_schedule_errors_name_line_and_key(tmp_path: Path) -> None:
    text = config_text(
        tmp_path,
        daemon="  listen: localhost\n  grace_period: 0s\n"
        "  schedule: {every: 5m, cron: '* * * * *'}\n",
        connector="    schedule:\n      cron: '0 9 * * 8'\n      timezone: Mars/Olympus\n",
    )
    assert issues(text, tmp_path) == [
        "c.yaml:3: daemon.listen: 'localhost' is not host:port; write e.g. 127.0.0.1:9108, "
        "0.0.0.0:9108 or [::1]:9108",
        "c.yaml:4: daemon.grace_period: must be longer than 0s",
        "c.yaml:5: daemon.schedule: give exactly one of every (e.g. 30m) or cron "
        "(e.g. '0 */2 * * *')",
        "c.yaml:12: connectors[0].schedule.cron: invalid cron expression '0 9 * * 8': "
        "weekday '8' must be 0-7 (0 and 7 are Sunday) or sun-sat",
        "c.yaml:13: connectors[0].schedule.timezone: unknown time zone 'Mars/Olympus'; use an "
        "IANA name such as Europe/Paris",
    ]


def test_timezone_without_cron_and_bad_cron_fields(tmp_path: Path) -> None:
    text = config_text(
        tmp_path, connector="    schedule: {every: 1h, timezone: UTC}\n    run_on_start: maybe\n"
    )
    found = issues(text, tmp_path)
    assert found[0] == "c.yaml:7: connectors[0].schedule: timezone applies to cron schedules only"
    assert found[1].startswith("c.yaml:8: connectors[0].run_on_start:")
    bad_minute = config_text(tmp_path, connector="    schedule: {cron: '61 * * * *'}\n")
    [message] = issues(bad_minute, tmp_path)
    assert "invalid cron expression '61 * * * *'" in message


def test_listen_addresses() -> None:
    assert parse_listen("0.0.0.0:9108") == ("0.0.0.0", 9108)
    assert parse_listen("[::1]:0") == ("::1", 0)
    assert parse_listen("localhost:80") == ("localhost", 80)
    with pytest.raises(ValueError, match="out of range"):
        parse_listen("127.0.0.1:70000")


def test_backoff_doubles_up_to_the_cap() -> None:
    delays = [backoff_delay(n, 60, 3600) for n in range(9)]
    assert delays == [0, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert backoff_delay(10**6, 60, 3600) == 3600  # months of failures do not overflow


def test_log_format_auto_follows_the_terminal() -> None:
    assert resolve_format("auto", is_tty=True) == "text"
    assert resolve_format("auto", is_tty=False) == "json"
    assert resolve_format("json", is_tty=True) == "json"
    with pytest.raises(ValueError):
        resolve_format("xml", is_tty=False)


def test_reference_documents_every_daemon_and_schedule_key() -> None:
    keys = {key.path: key for key in config_keys()}
    for path in (
        "daemon.listen",
        "daemon.log_format",
        "daemon.grace_period",
        "daemon.schedule.every",
        "daemon.schedule.cron",
        "daemon.backoff_max",
        "connectors[].schedule.timezone",
        "connectors[].schedule.jitter",
        "connectors[].run_on_start",
    ):
        assert keys[path].description, path
    assert keys["daemon.schedule"].default == "{every: 1h}"
    assert keys["daemon.grace_period"].type == "duration"
    assert keys["daemon.grace_period"].default == "30s"


def test_a_cron_expression_that_never_fires_is_refused(tmp_path: Path) -> None:
    # valid fields, no such date: the connector would silently never sync
    for cron in ("0 0 31 2 *", "0 9 31 4 1-5"):
        text = config_text(tmp_path, connector=f"    schedule: {{cron: '{cron}'}}\n")
        assert issues(text, tmp_path) == [
            f"c.yaml:7: connectors[0].schedule.cron: cron expression '{cron}' never fires: "
            "no date matches its day and month"
        ]
    leap_day = config_text(tmp_path, connector="    schedule: {cron: '0 0 29 2 *'}\n")
    loaded = parse_config(leap_day, filename="c.yaml", config_dir=tmp_path, environ=ENV)
    schedule = loaded.connectors[0].schedule
    assert schedule is not None and schedule.cron == "0 0 29 2 *"  # rare, not never
