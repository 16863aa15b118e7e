"""Loading a config file: YAML, then every section and connector validated, every issue at once."""

from __future__ import annotations

import difflib
import logging
import os
import re
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ingestor.config._models import Config
from ingestor.config._yaml import KeyPath, YamlDocument, format_path, read_yaml
from ingestor.connectors.audience import unreachable_fields
from ingestor.connectors.base import Connector, ConnectorSettings, load_connector_classes
from ingestor.errors import ConfigError, ConfigIssue

__all__ = ["load_config", "parse_config"]

log = logging.getLogger(__name__)

_SECTIONS = ("intercom", "state", "defaults", "daemon")
# Values under keys named like this are treated as secrets and blanked out of every message.
_SECRET_KEY = re.compile(r"token|secret|password|passwd|api_?key|credential", re.IGNORECASE)
_MSG_PREFIXES = ("Value error, ", "Assertion failed, ")


def load_config(
    path: Path,
    *,
    environ: Mapping[str, str] | None = None,
    connector_classes: Mapping[str, type[Connector[Any]]] | None = None,
    need_token: bool = True,
) -> Config:
    """Read and validate a YAML config file.

    Args:
        path: The config file. Relative paths inside it resolve against its folder.
        environ: Where ``${VAR}`` references are looked up; default ``os.environ``.
        connector_classes: Connector classes by ``type``; default: the registered plugins.
        need_token: False for commands that only read local state (``status``, ``preview``):
            an unset or unusable ``intercom.token`` is then no error, and the returned
            config's token is a placeholder no Intercom accepts.

    Raises:
        ConfigError: With every problem found, each naming the file, line and key path.
    """
    filename = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError([ConfigIssue("", "config file not found", filename)]) from None
    except UnicodeDecodeError as exc:
        issue = ConfigIssue("", f"not UTF-8 text (invalid byte at offset {exc.start})", filename)
        raise ConfigError([issue]) from None
    except OSError as exc:
        issue = ConfigIssue("", f"cannot read config file: {exc.strerror or exc}", filename)
        raise ConfigError([issue]) from None
    config = parse_config(
        text,
        filename=filename,
        config_dir=path.parent.resolve(),
        environ=environ,
        connector_classes=connector_classes,
        need_token=need_token,
    )
    return config.model_copy(update={"source_path": path.resolve()})


def parse_config(
    text: str,
    *,
    filename: str,
    config_dir: Path,
    environ: Mapping[str, str] | None = None,
    connector_classes: Mapping[str, type[Connector[Any]]] | None = None,
    need_token: bool = True,
) -> Config:
    """Validate config text; see :func:`load_config`.

    Args:
        text: YAML source.
        filename: Name used in error messages.
        config_dir: Folder that relative paths (``state.path``, connector roots) resolve against.
        environ: Where ``${VAR}`` references are looked up; default ``os.environ``.
        connector_classes: Connector classes by ``type``; default: the registered plugins.
        need_token: See :func:`load_config`.

    Raises:
        ConfigError: With every problem found.
    """
    env = os.environ if environ is None else environ
    classes = load_connector_classes() if connector_classes is None else connector_classes
    doc = read_yaml(text, filename=filename, environ=env)
    if doc.data is None:
        if not doc.issues:
            doc.issues.append(
                ConfigIssue(
                    "",
                    "the file is empty; expected a mapping with intercom, state, defaults "
                    "and connectors",
                    filename,
                    1,
                )
            )
        raise ConfigError(doc.issues)
    if not isinstance(doc.data, dict):
        doc.issues.append(
            ConfigIssue(
                "",
                "the top level must be a mapping (intercom:, connectors: ...), "
                f"not {_describe(doc.data)}",
                filename,
                doc.line_of(()),
            )
        )
        raise ConfigError(doc.issues)
    if not need_token:
        _without_token(doc)
    return _Validation(doc, filename, {"config_dir": config_dir, "environ": env}, classes).run()


#: The token a config loaded with ``need_token=False`` carries; no Intercom accepts it.
NO_TOKEN = "not-needed-by-local-commands"


def _without_token(doc: YamlDocument) -> None:
    """Put :data:`NO_TOKEN` in place of ``intercom.token`` and forget its problems."""
    section = doc.data.get("intercom")
    if section is None:
        section = doc.data["intercom"] = {}
    if not isinstance(section, dict):
        return  # a wrong shape stays an error
    where: KeyPath = ("intercom", "token")
    section["token"] = NO_TOKEN
    doc.issues = [issue for issue in doc.issues if issue.path != format_path(where)]
    doc.unresolved.discard(where)
    doc.substituted[where] = []  # not written inline: no warning about it


class _Validation:
    """Validates a parsed document section by section, collecting issues instead of stopping."""

    def __init__(
        self,
        doc: YamlDocument,
        filename: str,
        context: dict[str, Any],
        classes: Mapping[str, type[Connector[Any]]],
    ) -> None:
        self.doc = doc
        self.data: dict[str, Any] = doc.data
        self.filename = filename
        self.context = context
        self.classes = classes
        self.issues: list[ConfigIssue] = list(doc.issues)
        self.secrets = sorted(_find_secrets(self.data), key=len, reverse=True)

    def add(self, path: KeyPath, message: str) -> None:
        for secret in self.secrets:
            message = message.replace(secret, "***")
        self.issues.append(
            ConfigIssue(format_path(path), message, self.filename, self.doc.line_of(path))
        )

    def run(self) -> Config:
        # `x-` keys hold YAML anchors for reuse (as in Docker Compose); they are not settings.
        top: dict[str, Any] = {
            k: v
            for k, v in self.data.items()
            if k != "connectors" and not (isinstance(k, str) and k.startswith("x-"))
        }
        for section in _SECTIONS:
            if top.get(section) is None:  # an empty section (all keys commented out) is {}
                top[section] = {}
        if "source_path" in top:
            del top["source_path"]
            self.add(("source_path",), "unknown key (set by the loader, not by the file)")
        connectors: list[ConnectorSettings] = []
        if "connectors" in self.data:
            connectors = self.validate_connectors(self.data["connectors"])
            top["connectors"] = connectors
        config: Config | None = None
        try:
            config = Config.model_validate(top, context=self.context)
        except ValidationError as exc:
            self.add_errors(exc, (), top, Config)
        self.warn_inline_token()
        if self.issues or config is None:
            self.issues.sort(key=lambda issue: issue.line if issue.line is not None else 1 << 30)
            raise ConfigError(self.issues)
        return config

    def validate_connectors(self, entries: Any) -> list[ConnectorSettings]:
        if entries is None:
            return []
        if not isinstance(entries, list):
            self.add(
                ("connectors",), f"expected a list of connector entries, got {_describe(entries)}"
            )
            return []
        known = ", ".join(sorted(self.classes)) or "none installed"
        validated: list[ConnectorSettings] = []
        for index, entry in enumerate(entries):
            path: KeyPath = ("connectors", index)
            if not isinstance(entry, dict):
                self.add(
                    path, f"expected a mapping (name:, type:, url: ...), got {_describe(entry)}"
                )
                continue
            kind = entry.get("type")
            if kind is None:
                self.add((*path, "type"), f"required key is missing (known types: {known})")
                continue
            connector_class = self.classes.get(kind) if isinstance(kind, str) else None
            if connector_class is None:
                self.add((*path, "type"), f"unknown connector type {kind!r} (known types: {known})")
                continue
            settings_class = connector_class.Settings
            try:
                settings = settings_class.model_validate(entry, context=self.context)
            except ValidationError as exc:
                self.add_errors(exc, path, entry, settings_class)
                continue
            validated.append(settings)
            fields = connector_class.audience_fields
            for rule, name, message in unreachable_fields(settings.audiences, fields):
                self.add((*path, "audiences", rule, "match", name), message)
        self.check_unique(entries, "name", "connector name")
        self.check_unique(entries, "url", "connector url")
        self.check_renames(entries)
        return validated

    def check_renames(self, entries: list[Any]) -> None:
        """``renamed_from`` names a connector that no longer exists, and only one claims it."""
        names = {e.get("name") for e in entries if isinstance(e, dict)}
        claimed: dict[str, int] = {}
        for index, entry in enumerate(entries):
            old = entry.get("renamed_from") if isinstance(entry, dict) else None
            if not isinstance(old, str):
                continue
            where = ("connectors", index, "renamed_from")
            if old in names:
                self.add(where, f"{old!r} is still a connector of this config; remove one of them")
            elif old in claimed:
                self.add(where, f"{old!r} is also claimed by connectors[{claimed[old]}]")
            claimed.setdefault(old, index)

    def check_unique(self, entries: list[Any], key: str, what: str) -> None:
        first: dict[str, int] = {}
        for index, entry in enumerate(entries):
            value = entry.get(key) if isinstance(entry, dict) else None
            if not isinstance(value, str):
                continue
            normalized = value.rstrip("/") if key == "url" else value
            if normalized in first:
                other = ("connectors", first[normalized], key)
                self.add(
                    ("connectors", index, key),
                    f"duplicate {what} {value!r} (also {format_path(other)}, "
                    f"line {self.doc.line_of(other)})",
                )
            else:
                first[normalized] = index

    def add_errors(
        self, exc: ValidationError, prefix: KeyPath, data: Any, model: type[BaseModel]
    ) -> None:
        for error in exc.errors(include_url=False):
            loc = _data_loc(data, error)
            path = (*prefix, *loc)
            if any(path[: len(bad)] == bad for bad in self.doc.unresolved):
                continue  # already reported as an unset ${VAR}
            self.add(path, _message(error, model, loc))

    def warn_inline_token(self) -> None:
        intercom = self.data.get("intercom")
        token = intercom.get("token") if isinstance(intercom, dict) else None
        if isinstance(token, str) and token and ("intercom", "token") not in self.doc.substituted:
            log.warning(
                "%s:%s: intercom.token is written inline; use ${INTERCOM_TOKEN} instead",
                self.filename,
                self.doc.line_of(("intercom", "token")),
            )


def _data_loc(data: Any, error: ErrorDetails) -> KeyPath:
    """Keep the loc parts that are keys or indexes of the data; drop union-member tags."""
    loc = error["loc"]
    out: list[str | int] = []
    current = data
    for position, part in enumerate(loc):
        in_dict = isinstance(current, dict) and isinstance(part, str) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        if in_dict or in_list:
            current = current[part]
        elif error["type"] == "missing" and position == len(loc) - 1 and isinstance(part, str):
            current = None
        else:
            continue  # e.g. 'list[str]' or 'function-after[...]' from a union or validator
        out.append(part)
    return tuple(out)


def _message(error: ErrorDetails, model: type[BaseModel], loc: KeyPath) -> str:
    kind = error["type"]
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1])
        if not allowed:
            return "unknown key"
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1) if loc else []
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown key{hint} (allowed here: {', '.join(allowed)})"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping (key: value), got {_describe(error.get('input'))}"
    if kind == "list_type":
        return f"expected a list, got {_describe(error.get('input'))}"
    message = error["msg"]
    for prefix in _MSG_PREFIXES:
        message = message.removeprefix(prefix)
    return message


def _allowed_keys(model: type[BaseModel], loc: KeyPath) -> list[str]:
    """Field names of the model found at ``loc`` inside ``model``, for 'unknown key' hints."""
    annotation: Any = model
    for part in loc:
        annotation = _unwrap(annotation, list_item=isinstance(part, int))
        if isinstance(part, int):
            continue
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        field = annotation.model_fields.get(part)
        if field is None:
            return []
        annotation = field.annotation
    annotation = _unwrap(annotation, list_item=False)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [name for name in annotation.model_fields if name != "source_path"]
    return []


def _unwrap(annotation: Any, *, list_item: bool) -> Any:
    """``X | None`` -> X; ``list[X]`` -> X when stepping into an item."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return _unwrap(members[0], list_item=list_item)
    if list_item and origin is list:
        return typing.get_args(annotation)[0]
    return annotation


def _describe(value: Any) -> str:
    """Name a YAML value's kind without quoting the value (it may be a secret)."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def _find_secrets(data: Any) -> set[str]:
    """String values stored under secret-looking keys, anywhere in the document."""
    found: set[str] = set()
    stack: list[Any] = [data]
    seen: set[int] = set()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, dict):
            for key, value in current.items():
                if isinstance(key, str) and _SECRET_KEY.search(key) and isinstance(value, str):
                    if len(value) >= 4:
                        found.add(value)
                else:
                    stack.append(value)
        elif isinstance(current, list):
            stack.extend(current)
    return found
