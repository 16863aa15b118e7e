"""The built wheel, installed with the project's constraints into an empty venv, is a working
fin-ingestor on its own: the demo runs, ``init`` writes the shipped example, and the
distribution carries its licence (nothing is read from this checkout: every command runs in an
empty folder)."""

from __future__ import annotations

import re
import subprocess
from importlib.metadata import PathDistribution
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run(ingestor: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ingestor), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)},
    )


def distribution(ingestor: Path) -> PathDistribution:
    venv = ingestor.parents[1]
    (info,) = venv.glob("lib/python3*/site-packages/fin_ingestor-*.dist-info")
    return PathDistribution(info)


def test_the_installed_wheel_runs_the_demo(installed_ingestor: Path, tmp_path: Path) -> None:
    done = run(installed_ingestor, tmp_path, "demo")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    # the summary says ok, and the emulator's pages (printed before it stops) hold the handbook
    assert re.search(r"\bhandbook\b.*\bok\b", done.stdout), done.stdout
    assert "Getting started" in done.stdout and "Login issues" in done.stdout


def test_the_installed_wheel_ships_the_example_config(
    installed_ingestor: Path, tmp_path: Path
) -> None:
    assert run(installed_ingestor, tmp_path, "init").returncode == 0
    written = (tmp_path / "config.yaml").read_text(encoding="utf-8")
    assert written == (REPO / "config.example.yaml").read_text(encoding="utf-8")


def test_the_distribution_declares_its_licence_urls_and_version(installed_ingestor: Path) -> None:
    dist = distribution(installed_ingestor)
    files = {str(path) for path in dist.files or ()}
    assert any(name.endswith("licenses/LICENSE") for name in files)
    assert dist.metadata["License-Expression"] == "MIT"
    urls = dist.metadata.get_all("Project-URL") or []
    assert {url.split(",")[0] for url in urls} >= {"Homepage", "Changelog", "Issues"}
    version = run(installed_ingestor, installed_ingestor.parent, "--version").stdout
    assert version.strip() == f"fin-ingestor {dist.version}"


def test_the_distribution_installs_one_import_namespace(installed_ingestor: Path) -> None:
    dist = distribution(installed_ingestor)
    top_level = {str(path).split("/")[0] for path in dist.files or () if str(path).endswith(".py")}
    assert top_level == {"ingestor"}, top_level
    for package in ("ingestor/connectors/base.py", "ingestor/state/_store.py"):
        assert any(str(path) == package for path in dist.files or ()), package
    plugins = {ep.value for ep in dist.entry_points if ep.group == "fin_ingestor.connectors"}
    assert plugins and all(value.startswith("ingestor.connectors.") for value in plugins)
