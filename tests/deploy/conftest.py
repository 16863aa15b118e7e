"""An installation as deploy/README.md makes it: Debian's python3, a fresh venv, then
``pip install`` of the wheel built from this checkout (not editable) with the project's
constraints, in a folder any user can read, so tests can run it as an unprivileged service
user. Built once per session (it downloads the dependencies, about a minute)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
#: What the wheel is built from, as deploy/Dockerfile copies it: never a checkout's stale build/
#: folder (setuptools would ship whatever an earlier build left in build/lib).
SOURCE = ("pyproject.toml", "README.md", "LICENSE", "constraints.txt", "config.example.yaml")
PACKAGES = ("ingestor", "connectors", "state")
SYSTEM_PYTHON = Path("/usr/bin/python3")


@pytest.fixture(scope="session")
def installed_ingestor() -> Iterator[Path]:
    """The ``ingestor`` command of a non-editable install in a world-readable venv."""
    if not SYSTEM_PYTHON.exists():
        pytest.skip("no /usr/bin/python3 to build the service's venv with")
    root = Path(tempfile.mkdtemp(prefix="fin-ingestor-opt-"))
    root.chmod(0o755)
    venv = root / "venv"
    try:
        subprocess.run([str(SYSTEM_PYTHON), "-m", "venv", str(venv)], check=True)
        pip = str(venv / "bin" / "pip")
        wheels = root / "wheels"
        source = _clean_source(root / "src")
        subprocess.run(
            [pip, "wheel", "-q", "--no-deps", "-w", str(wheels), str(source)],
            check=True,
            capture_output=True,
            timeout=600,
        )
        (wheel,) = wheels.glob("fin_ingestor-*.whl")
        subprocess.run(
            [pip, "install", "-q", "-c", str(REPO / "constraints.txt"), str(wheel)],
            check=True,
            capture_output=True,
            timeout=600,
        )
        yield venv / "bin" / "ingestor"
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _clean_source(target: Path) -> Path:
    """A copy of what the wheel is built from (links kept: ingestor/connectors -> ../connectors)."""
    target.mkdir()
    for name in SOURCE:
        shutil.copy2(REPO / name, target / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in PACKAGES:
        shutil.copytree(REPO / name, target / name, symlinks=True, ignore=ignore)
    return target
