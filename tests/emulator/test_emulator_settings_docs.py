"""Every emulator setting is documented (docstring, ``--help``, docs/emulator.md) and settable
from the command line, and ``ingestor emulator --set`` reaches the running server."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from ingestor.commands.cli import app
from ingestor.emulator import EmulatorSettings
from ingestor.emulator.settings import SETTING_HELP, setting_overrides

DOCS = Path(__file__).parents[2] / "docs" / "emulator.md"
FIELDS = [field.name for field in dataclasses.fields(EmulatorSettings)]
FLAGGED = {
    "tokens",
    "latency_ms",
    "rate_limit",
    "fault_5xx_rate",
    "fault_drop_rate",
    "seed",
    "db_path",
}


def test_every_setting_has_a_help_line_and_a_docstring_entry() -> None:
    assert list(SETTING_HELP) == FIELDS
    doc = EmulatorSettings.__doc__ or ""
    assert [name for name in FIELDS if f"        {name}: " not in doc] == []


def test_docs_describe_every_setting_in_a_table_row() -> None:
    text = DOCS.read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| `")]

    tabled = [name for name in FIELDS if name not in ("tokens", "db_path")]  # flags only
    missing = [name for name in tabled if not any(row.startswith(f"| `{name}` |") for row in rows)]

    assert missing == []
    assert "## Faults and modes" in text


def test_help_names_every_setting_without_a_flag_of_its_own() -> None:
    result = CliRunner().invoke(app, ["emulator", "--help"], env={"COLUMNS": "200"})

    assert result.exit_code == 0
    flat = " ".join(result.output.split())
    assert [name for name in FIELDS if name not in FLAGGED and name not in flat] == []
    assert "--set" in flat and "PATCH /_emulator/settings" in flat


def test_set_values_are_typed_like_the_settings() -> None:
    changes = setting_overrides(
        [
            "pagination=cursor",
            "deep_paging_cap=true",
            "max_html_bytes=5000",
            "latency_jitter_ms=2.5",
            "fault_close_rate=0.1",
            "max_request_bytes=none",
        ]
    )

    assert changes == {
        "pagination": "cursor",
        "deep_paging_cap": True,
        "max_html_bytes": 5000,
        "latency_jitter_ms": 2.5,
        "fault_close_rate": 0.1,
        "max_request_bytes": None,
    }
    settings = EmulatorSettings().changed(changes)
    assert settings.max_html_bytes == 5000 and settings.deep_paging_cap is True


@pytest.mark.parametrize(
    ("pair", "named"),
    [
        ("pagination", "KEY=VALUE"),
        ("nope=1", "nope"),
        ("db_path=/x", "db_path"),
        ("deep_paging_cap=maybe", "deep_paging_cap"),
        ("storm_calls=many", "storm_calls"),
    ],
)
def test_bad_set_values_name_the_key(pair: str, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        setting_overrides([pair])


@pytest.mark.parametrize("pair", ["pagination=scroll", "fault_hang_rate=2", "max_html_bytes=0"])
def test_the_command_refuses_a_bad_set_before_serving(pair: str) -> None:
    result = CliRunner().invoke(app, ["emulator", "--port", "0", "--set", pair])

    assert result.exit_code != 0
    assert pair.split("=")[0] in " ".join(result.output.split())


def test_the_command_serves_with_the_set_modes() -> None:
    command = [
        sys.executable, "-m", "ingestor", "emulator", "--port", "0", "--seed", "4",
        "--set", "pagination=cursor", "--set", "deep_paging_cap=yes",
        "--set", "fault_close_rate=0.25",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        url = line.split("listening on ")[1].split()[0]
        shown = httpx.get(url + "/_emulator/settings", trust_env=False).json()
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)

    assert (shown["pagination"], shown["deep_paging_cap"]) == ("cursor", True)
    assert (shown["fault_close_rate"], shown["seed"]) == (0.25, 4)
