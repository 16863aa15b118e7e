"""``ingestor init``: the text of a commented starter config.

Without a type it is the shipped ``config.example.yaml`` (every section explained). With a type
it is a short config with one connector of that kind: its required keys filled with
placeholders an admin replaces, its other keys commented out with their defaults and
descriptions, all read from the connector's settings model, so the starter never drifts from
what ``validate`` accepts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

import ingestor
from ingestor.connectors.base import Connector, ConnectorSettings

__all__ = ["example_config_path", "starter_config"]

#: Placeholders for required keys (and keys a kind cannot work without, such as credentials).
_PLACEHOLDERS: dict[str, dict[str, str]] = {
    "filesystem": {"root": "/srv/handbook"},
    "notion_export": {"path": "/srv/exports/notion-export.zip"},
    "confluence_export": {
        "path": "/srv/exports/confluence-space.zip",
        "base_url": "https://example.atlassian.net/wiki",
    },
    "mediawiki": {"api_url": "https://wiki.example.com/w/api.php"},
    "dokuwiki": {"wiki_url": "https://docs.example.com/"},
    "confluence": {
        "base_url": "https://example.atlassian.net/wiki",
        "spaces": "[DOCS]",
        "email": "${CONFLUENCE_EMAIL}",
        "api_token": "${CONFLUENCE_API_TOKEN}",
    },
}

_HEADER = """\
# fin-ingestor configuration for one {kind} connector, written by `ingestor init`.
# Replace the placeholders, then check it with:
#   ingestor validate -c {file}
# Any value may read the environment: ${{VAR}}, or ${{VAR:-default}}. Every key is described
# in the README's configuration reference; `ingestor init` without --type writes the full
# commented example.

intercom:
  token: ${{INTERCOM_TOKEN}}      # export INTERCOM_TOKEN=... (never write it here)
  region: ${{INTERCOM_REGION:-us}}  # us, eu or au; base_url overrides it (the emulator)

# state:
#   path: /var/lib/fin-ingestor/state.db   # default: $FIN_INGESTOR_DATA_DIR/state.db

connectors:
  - name: {name}
    type: {kind}
    # The Content Import Source in Intercom: the root of this source, what Fin cites.
    url: https://{name}.example.com/
"""


def example_config_path() -> Path:
    """The full commented example shipped in the package."""
    return Path(ingestor.__file__).resolve().parent / "examples" / "config.example.yaml"


def starter_config(
    kind: str | None, classes: Mapping[str, type[Connector[Any]]], *, file: str
) -> str:
    """The starter config for ``kind`` (None: the full example), as YAML text.

    Raises:
        KeyError: ``kind`` is not a registered connector kind.
    """
    if kind is None:
        return example_config_path().read_text(encoding="utf-8")
    settings = classes[kind].Settings
    placeholders = _PLACEHOLDERS.get(kind, {})
    name = kind.replace("_", "-")
    lines = [_HEADER.format(kind=kind, file=file, name=name).rstrip("\n")]
    base = set(ConnectorSettings.model_fields)
    for key, field in settings.model_fields.items():
        if key in base:
            continue
        lines.extend(_field_lines(key, field, placeholders.get(key)))
    return "\n".join(lines) + "\n"


def _field_lines(key: str, field: FieldInfo, placeholder: str | None) -> list[str]:
    description = " ".join((field.description or "").split())
    comment = [f"    # {part}" for part in _wrap(description, 88)]
    if field.is_required() or placeholder is not None:
        value = placeholder if placeholder is not None else "CHANGE-ME"
        return [*comment, f"    {key}: {value}"]
    return [*comment, f"    # {key}: {_default_text(field)}"]


def _default_text(field: FieldInfo) -> str:
    default = field.get_default(call_default_factory=True)
    if default is None or default is PydanticUndefined:
        return "null"
    if isinstance(default, Path):
        return str(default)
    if isinstance(default, bool | int | float | str | list | dict):
        return json.dumps(default)
    return json.dumps(str(default))


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    if current:
        lines.append(current)
    return lines
