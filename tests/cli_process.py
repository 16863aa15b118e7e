"""The real `ingestor` command in a subprocess, as the e2e, daemon, reconcile and field-trial
sites run it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


def run_ingestor(
    config_path: Path,
    args: tuple[str, ...],
    env: Mapping[str, str],
    *,
    timeout: float = 120,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """``python -m ingestor ARGS -c CONFIG`` with ``env`` over this process's environment and
    a wide terminal (rich wraps at 80 columns otherwise, and tests match whole lines)."""
    return subprocess.run(
        [sys.executable, "-m", "ingestor", *args, "-c", str(config_path)],
        capture_output=True,
        text=True,
        env={**os.environ, **env, "COLUMNS": "200"},
        input=stdin,
        timeout=timeout,
        check=False,
    )
