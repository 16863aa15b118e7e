"""The config reference, generated from the models' field descriptions (for README and --help)."""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic_core import PydanticUndefined

from ingestor.config._models import Config
from ingestor.connectors.base import (
    Connector,
    ConnectorSettings,
    format_duration,
    load_connector_classes,
)

__all__ = ["ConfigKey", "config_keys", "config_reference_markdown"]

#: Config fields that are not YAML keys.
_NOT_KEYS = {("source_path",)}
#: Defaults computed at load time, where the field itself looks required.
_DEFAULT_TEXT = {"state.path": "state.db in the data folder"}


@dataclass(frozen=True, slots=True)
class ConfigKey:
    """One documented key of the YAML file."""

    path: str  #: e.g. "intercom.token" or "connectors[].root"
    kind: str  #: connector type the key belongs to; "" for keys every file or connector has
    type: str
    default: str  #: "required", or the default as YAML would spell it
    description: str


def config_keys(
    connector_classes: Mapping[str, type[Connector[Any]]] | None = None,
) -> list[ConfigKey]:
    """Every key a config file may contain: sections, then common and per-type connector keys."""
    classes = load_connector_classes() if connector_classes is None else connector_classes
    keys: list[ConfigKey] = []
    for name, field in Config.model_fields.items():
        if (name,) in _NOT_KEYS:
            continue
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys += _model_keys(annotation, f"{name}.", "", skip=set())
    common = set(ConnectorSettings.model_fields)
    keys += _model_keys(ConnectorSettings, "connectors[].", "", skip=set())
    for kind in sorted(classes):
        keys += _model_keys(classes[kind].Settings, "connectors[].", kind, skip=common - {"type"})
    return keys


def config_reference_markdown(
    connector_classes: Mapping[str, type[Connector[Any]]] | None = None,
) -> str:
    """The reference as a Markdown table."""
    lines = ["| key | type | default | description |", "|---|---|---|---|"]
    for key in config_keys(connector_classes):
        where = f"`{key.path}`" + (f" ({key.kind})" if key.kind else "")
        literal = key.default not in ("required", *_DEFAULT_TEXT.values())
        default = f"`{key.default}`" if literal else key.default
        description = key.description.replace("*", "\\*")  # globs are not emphasis
        cells = (where, key.type, default, description)
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def _model_keys(model: type[BaseModel], prefix: str, kind: str, skip: set[str]) -> list[ConfigKey]:
    keys = []
    for name, field in model.model_fields.items():
        if name in skip:
            continue
        if f"{prefix}{name}" in _DEFAULT_TEXT:
            default = _DEFAULT_TEXT[f"{prefix}{name}"]
        elif field.is_required():
            default = "required"
        elif field.default_factory is not None:
            try:
                default = _yaml_value(field.default_factory())  # type: ignore[call-arg]
            except Exception:  # a factory that needs context (state.path): described in text
                default = "see description"
        else:
            default = _yaml_value(field.default)
        keys.append(
            ConfigKey(
                path=f"{prefix}{name}",
                kind=kind,
                type=_type_name(field.annotation),
                default=default,
                description=" ".join((field.description or "").split()),
            )
        )
        nested = _nested_model(field.annotation)
        if nested is not None:  # a sub-mapping such as `schedule`: document its keys too
            keys += _model_keys(nested, f"{prefix}{name}.", kind, skip=set())
    return keys


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """The model of a ``Model`` or ``Model | None`` field, else None."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = members[0] if len(members) == 1 else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _yaml_value(value: Any) -> str:
    if value is None or value is PydanticUndefined:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, BaseModel):
        items = value.model_dump(exclude_none=True)
        return "{" + ", ".join(f"{k}: {_yaml_value(v)}" for k, v in items.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_yaml_value(v) for v in value) + "]"
    return str(value)


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:  # e.g. Duration: the base type names it
        return _type_name(args[0])
    if origin in (typing.Union, types.UnionType):
        names = [_type_name(a) for a in args if a is not type(None)]
        return " or ".join(names) + (" (optional)" if type(None) in args else "")
    if origin is typing.Literal:
        return " / ".join(str(a) for a in args)
    if origin is list:
        if not args:
            return "list"
        if typing.get_origin(args[0]) is typing.Literal:  # "list of: md / pdf", not "pdfs"
            return f"list of: {_type_name(args[0])}"
        return f"list of {_type_name(args[0])}s"
    if annotation is SecretStr:
        return "secret string"
    if annotation is timedelta:
        return "duration"
    if isinstance(annotation, type) and issubclass(annotation, Path):
        return "path"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "mapping"
    builtin = {str: "string", int: "integer", float: "number", bool: "boolean"}
    if isinstance(annotation, type) and annotation in builtin:
        return builtin[annotation]
    return str(getattr(annotation, "__name__", annotation))
