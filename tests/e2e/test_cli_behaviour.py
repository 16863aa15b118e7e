"""The command line as an admin meets it: every bad value is exit 2 with one line (never a
traceback), help that fits 80 columns, shell completion, quiet libraries, a progress bar with
rate and ETA that log lines do not draw over. The real command in a subprocess."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from rich.console import Console

from ingestor.commands.cli import app
from ingestor.commands.console import RichProgress
from ingestor.engine.report import Outcome, PageEvent
from ingestor.logs import setup_logging

from .conftest import Site


def ingestor(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ingestor", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "80", **(env or {})},
        check=False,
    )


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of an exit-2 refusal."""
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.mark.parametrize("command", ["sync", "plan", "daemon"])
def test_an_unknown_log_level_is_exit_2_in_one_line(site: Site, command: str) -> None:
    done = ingestor(command, "-c", str(site.config_path), "--log-level", "LOUD", env=site.env)
    assert one_line_error(done) == (
        "error: --log-level must be DEBUG, INFO, WARNING or ERROR, not 'LOUD'"
    )


def test_a_report_into_a_missing_folder_is_refused_before_the_run(site: Site) -> None:
    site.write("a.md", "# A\n\nSome text for the first page.\n")
    missing = site.root.parent / "no-such-folder" / "report.json"
    done = ingestor("sync", "-c", str(site.config_path), "--report", str(missing), env=site.env)
    assert one_line_error(done) == (
        f"error: --report {missing}: the folder {missing.parent} does not exist"
    )
    assert site.server.pages() == []  # refused before anything was sent


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("intercom:\n  token: ab\x01cd\n", ":2: character U+0001 at column 12 is not allowed"),
        ("x: " + "[" * 5000 + "\n", ":1: nested more than 64 levels deep"),
        (
            "intercom: {token: '${T}'}\ndaemon: {grace_period: 100000000000000000000d}\n"
            "connectors: []\n",
            ":2: daemon.grace_period: must be at most 366d (a year)",
        ),
    ],
    ids=["control-character", "nested-5000", "duration-10^20-days"],
)
def test_hostile_configs_are_exit_2_with_file_and_line(
    tmp_path: Path, text: str, expected: str
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(text, encoding="utf-8")
    for command in ("validate", "sync", "daemon"):
        line = one_line_error(ingestor(command, "-c", str(config), env={"T": "t0123456789"}))
        assert line.startswith(f"error: {config}{expected}"), line


@pytest.mark.parametrize("token", ["tök_0123456789", "tok 0123456789"])
def test_a_token_with_non_ascii_or_whitespace_is_exit_2_in_one_line(site: Site, token: str) -> None:
    done = ingestor("sync", "-c", str(site.config_path), env={"TEST_INTERCOM_TOKEN": token})
    line = one_line_error(done)
    assert line.startswith(f"error: {site.config_path}:2: intercom.token: the token contains")
    assert token not in done.stderr


def test_preview_and_status_need_no_token(site: Site, tmp_path: Path) -> None:
    site.write("a.md", "# A\n\nSome text for the first page.\n")
    env = {k: v for k, v in os.environ.items() if k != "TEST_INTERCOM_TOKEN"}
    out = tmp_path / "preview"
    preview = subprocess.run(
        [
            sys.executable,
            "-m",
            "ingestor",
            "preview",
            "-c",
            str(site.config_path),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert preview.returncode == 0, preview.stderr
    assert (out / "index.html").is_file()
    status = ingestor("status", "-c", str(site.config_path), env=env)
    assert status.returncode == 0 and "no sync has run" in status.stdout
    sync = ingestor("sync", "-c", str(site.config_path), env=env)  # sync does need it
    assert "environment variable TEST_INTERCOM_TOKEN is not set" in one_line_error(sync)


def _commands() -> list[tuple[str, Any]]:
    """Every command and sub-command, as typer builds them (typer vendors its own click)."""
    root: Any = typer.main.get_command(app)
    found: list[tuple[str, Any]] = []
    for name, command in sorted(root.commands.items()):
        if hasattr(command, "commands"):
            found += [(f"{name} {sub}", c) for sub, c in sorted(command.commands.items())]
        else:
            found.append((name, command))
    return found


@pytest.mark.parametrize(("name", "command"), _commands(), ids=[n for n, _ in _commands()])
def test_help_fits_80_columns_with_every_option_whole(name: str, command: Any) -> None:
    done = ingestor(*name.split(), "--help")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    words = set(done.stdout.replace(",", " ").replace("/", " ").split())
    for param in command.params:
        if param.param_type_name != "option":
            continue
        for option in (*param.opts, *param.secondary_opts):
            assert option in words, f"{name}: {option} cut or missing"
        if param.is_flag:  # a flag takes no value: no placeholder after it
            (line,) = [ln for ln in lines if param.opts[-1] in ln.split()]
            after = line.split(param.opts[-1], 1)[1].split()
            assert not after or not after[0].startswith("<"), line
    assert "<bool>" not in done.stdout and "…" not in done.stdout


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "COMPREPLY"),
        ("zsh", "#compdef ingestor"),
        ("fish", "complete --command ingestor"),
    ],
)
def test_shell_completion_scripts(shell: str, marker: str) -> None:
    # typer detects the shell from the parent process; its documented switch lets a test name it
    done = ingestor(
        "--show-completion", shell, env={"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    )
    assert done.returncode == 0, done.stderr
    assert marker in done.stdout and "_INGESTOR_COMPLETE=complete_" in done.stdout


def test_library_debug_lines_stay_out_unless_asked_for(site: Site) -> None:
    site.write("a.md", "# A\n\nSome *text* for the [first](b.md) page.\n")

    def loggers(*extra: str) -> set[str]:
        done = ingestor(
            "sync", "-c", str(site.config_path), "--full", "--log-level", "DEBUG",
            "--log-format", "json", *extra, env=site.env,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return {json.loads(line)["logger"].split(".")[0] for line in done.stderr.splitlines()}

    quiet = loggers()
    assert "ingestor" in quiet
    assert not quiet & {"markdown_it", "httpx", "httpcore", "urllib3", "apscheduler"}, quiet
    assert {"httpx", "httpcore"} <= loggers("--verbose-libs")
    # markdown-it (the Notion export's renderer) follows the same switch
    setup_logging("DEBUG", "text")
    assert not logging.getLogger("markdown_it").isEnabledFor(logging.DEBUG)
    setup_logging("DEBUG", "text", verbose_libs=True)
    assert logging.getLogger("markdown_it").isEnabledFor(logging.DEBUG)
    setup_logging("INFO", "text", verbose_libs=True)  # --verbose-libs alone changes nothing
    assert not logging.getLogger("markdown_it").isEnabledFor(logging.DEBUG)


def test_log_lines_print_above_a_live_progress_bar_with_rate_and_eta() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=120, color_system=None)
    bar = RichProgress(console)
    setup_logging("INFO", "text")
    try:
        with bar:
            bar.listed("docs", total=10, to_process=4)
            bar.page_done("docs", PageEvent("a.md", Outcome.CREATED))
            logging.getLogger("ingestor.test").warning("a line while the bar is live")
            bar.page_done("docs", PageEvent("b.md", Outcome.UPDATED))
    finally:
        setup_logging("WARNING", "text")
    out = screen.getvalue()
    # the line went through rich (which clears the bar, prints, redraws), not around it
    assert "a line while the bar is live" in out
    assert out.index("a line while the bar is live") < out.rindex("2/4")  # bar redrawn below
    final = [line for line in out.splitlines() if "2/4" in line][-1]
    assert "pages/s" in final and "eta" in final, final


def _into_closed_pipe(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``ingestor ARGS`` writing its stdout into a pipe nobody reads any more (``| head``)."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the command writes anything
    try:
        return subprocess.run(
            [sys.executable, "-m", "ingestor", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            env={**os.environ, "COLUMNS": "80", **env},
            check=False,
        )
    finally:
        os.close(write_end)


def test_a_reader_closing_stdout_early_is_exit_141_not_a_failed_sync(site: Site) -> None:
    site.write("a.md", "# A\n\nSome text for the first page.\n")
    config = ("-c", str(site.config_path))
    # exit 1 would tell a script that pages failed; the sync did its work and recorded it
    sync = _into_closed_pipe("sync", *config, "--no-progress", env=site.env)
    assert sync.returncode == 141, sync.stderr
    assert "Traceback" not in sync.stderr
    assert [p["external_id"] for p in site.server.pages()] == ["a.md"]
    status = ingestor("status", *config, "--json", env=site.env)
    assert status.returncode == 0
    assert json.loads(status.stdout)["connectors"][0]["last_run"]["status"] == "ok"
    for args in (("status", *config), ("plan", *config, "--json"), ("sync", "--help")):
        done = _into_closed_pipe(*args, env=site.env)
        assert done.returncode == 141, (args, done.stderr)
        assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


# Runs the command's entry point with Ctrl-C arriving while it imports the CLI (the first
# half second of every command), as a meta-path finder that raises it there.
_CTRL_C_WHILE_IMPORTING = """
import sys
class CtrlC:
    def find_spec(self, name, path=None, target=None):
        if name == "ingestor.commands.cli":
            raise KeyboardInterrupt
        return None
sys.meta_path.insert(0, CtrlC())
from ingestor.__main__ import main
sys.argv = ["ingestor", "status", "--help"]
main()
"""


def test_ctrl_c_while_the_command_starts_is_exit_130_without_a_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _CTRL_C_WHILE_IMPORTING],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr


def test_a_warning_from_loading_the_config_comes_out_in_the_log_format(site: Site) -> None:
    # logged while the config is read, before it says the log format: it came out bare
    text = site.config_path.read_text(encoding="utf-8")
    site.config_path.write_text(
        text.replace("${TEST_INTERCOM_TOKEN}", site.server.token), encoding="utf-8"
    )
    site.write("a.md", "# A\n\nSome text for the first page.\n")
    config = ("-c", str(site.config_path))
    sync = ingestor("sync", *config, "--log-format", "json", "--no-progress")
    assert sync.returncode == 0, sync.stderr
    lines = [json.loads(line) for line in sync.stderr.splitlines()]  # every line is JSON
    inline = [r for r in lines if "intercom.token is written inline" in r["message"]]
    assert [r["level"] for r in inline] == ["warning"]
    validate = ingestor("validate", *config)
    assert validate.returncode == 0
    assert "warning: " in validate.stderr and "intercom.token is written inline" in validate.stderr
