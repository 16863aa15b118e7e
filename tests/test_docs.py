"""The docs cannot drift from the code: every config key, command and the CI command."""

from __future__ import annotations

import re
from pathlib import Path

from ingestor.commands.cli import ExitCode
from ingestor.config import config_keys, config_reference_markdown

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_config_reference_is_current() -> None:
    assert config_reference_markdown().strip() in README, (
        "README's config table is stale: paste the output of "
        "`python -c 'from ingestor.config import config_reference_markdown as r; print(r())'`"
    )
    for key in config_keys():
        assert f"`{key.path}`" in README


def test_ci_runs_exactly_the_readme_test_command() -> None:
    commands = re.findall(r"^(python3 -m venv .*)$", README, flags=re.MULTILINE)
    assert len(commands) >= 2, "README must open with the demo and the test command"
    demo, tests = commands[0], commands[1]
    assert "ingestor demo" in demo
    assert "pytest" in tests
    assert tests in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_exit_code_is_documented() -> None:
    table = README.split("### Exit codes", 1)[1]
    for code in ExitCode:
        assert f"| {int(code)} |" in table, code
