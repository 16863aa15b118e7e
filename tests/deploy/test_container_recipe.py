"""The container recipe, read as Docker would (no Docker engine runs here): a pinned base, a
non-root user, the state on a volume, a health check that reads the configured port, and a
build context that holds only what the image copies."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = (REPO / "deploy" / "Dockerfile").read_text(encoding="utf-8")


def instructions(name: str) -> list[str]:
    joined = DOCKERFILE.replace("\\\n", " ")
    return [
        line.split(None, 1)[1]
        for line in joined.splitlines()
        if line.strip().upper().startswith(name + " ")
    ]


def test_the_base_image_is_pinned_to_a_patch_release() -> None:
    [base] = [arg for arg in instructions("ARG") if arg.startswith("BASE=")]
    assert re.fullmatch(r"BASE=python:3\.\d+\.\d+-slim-\w+", base), base
    assert all(source.startswith("${BASE}") for source in instructions("FROM"))


def test_it_runs_as_a_non_root_user_with_the_state_on_a_volume() -> None:
    assert instructions("USER") == ["fin-ingestor"]
    assert instructions("VOLUME") == ['["/var/lib/fin-ingestor"]']
    assert "FIN_INGESTOR_DATA_DIR=/var/lib/fin-ingestor" in DOCKERFILE


def test_the_health_check_asks_the_port_the_config_names() -> None:
    [check] = instructions("HEALTHCHECK")
    assert '["ingestor", "health", "-c", "/etc/fin-ingestor/config.yaml"]' in check
    assert "9108" not in check
    assert instructions("CMD")[-1] == '["daemon", "-c", "/etc/fin-ingestor/config.yaml"]'


def test_the_build_context_is_only_what_the_image_copies() -> None:
    rules = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def included(path: str) -> bool:
        keep = True
        for rule in rules:
            negated = rule.startswith("!")
            pattern = rule.lstrip("!").rstrip("/")
            if fnmatch.fnmatch(path, pattern) or path.startswith(pattern + "/"):
                keep = negated
        return keep

    copied = [c.split()[0] for c in instructions("COPY") if not c.startswith("--from")]
    sources = [
        s for c in instructions("COPY") if not c.startswith("--from") for s in c.split()[:-1]
    ]
    assert copied and all(included(source) for source in sources)
    for secret in ("state.db", ".venv/bin/python", "config.yaml", ".git/config", "acme.env"):
        assert not included(secret), secret
