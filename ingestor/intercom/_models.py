"""Typed views of Intercom's AI Content objects, parsed strictly enough to trust their ids."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ContentImportSource", "ExternalPage", "MalformedPayload"]


class MalformedPayload(ValueError):
    """A 2xx answer whose body does not have the documented shape."""


def _object(data: object, kind: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise MalformedPayload(f"{kind}: expected a JSON object, got {type(data).__name__}")
    return data


def _int(data: Mapping[str, Any], kind: str, key: str) -> int:
    value = data.get(key)
    if isinstance(value, bool):
        raise MalformedPayload(f"{kind}.{key}: expected an integer, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise MalformedPayload(f"{kind}.{key}: expected an integer, got {_shown(value)}")


def _id_str(data: Mapping[str, Any], kind: str, key: str) -> str:
    value = data.get(key)
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise MalformedPayload(f"{kind}.{key}: expected a non-empty string, got {_shown(value)}")


def _str(data: Mapping[str, Any], kind: str, key: str, default: str = "") -> str:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise MalformedPayload(f"{kind}.{key}: expected a string, got {_shown(value)}")
    return value


def _optional_str(data: Mapping[str, Any], kind: str, key: str) -> str | None:
    return _str(data, kind, key) if data.get(key) is not None else None


def _bool(data: Mapping[str, Any], kind: str, key: str) -> bool:
    value = data.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise MalformedPayload(f"{kind}.{key}: expected a boolean, got {_shown(value)}")
    return value


def _timestamp(data: Mapping[str, Any], kind: str, key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedPayload(f"{kind}.{key}: expected Unix seconds, got {_shown(value)}")
    return int(value)


def _shown(value: object) -> str:
    """A short description of a bad value (never the whole of a large one)."""
    if value is None:
        return "nothing"
    text = repr(value)
    return text if len(text) <= 60 else f"{type(value).__name__} of {len(text)} characters"


@dataclass(frozen=True, slots=True)
class ContentImportSource:
    """A Content Import Source: the container of one connector's External Pages."""

    id: int
    url: str
    status: str
    sync_behavior: str
    created_at: int | None
    updated_at: int | None
    last_synced_at: int | None

    @classmethod
    def from_api(cls, data: object) -> ContentImportSource:
        """Parse Intercom's JSON object.

        Raises:
            MalformedPayload: A required field is missing or has the wrong type.
        """
        kind = "content_import_source"
        obj = _object(data, kind)
        return cls(
            id=_int(obj, kind, "id"),
            url=_str(obj, kind, "url"),
            status=_str(obj, kind, "status"),
            sync_behavior=_str(obj, kind, "sync_behavior"),
            created_at=_timestamp(obj, kind, "created_at"),
            updated_at=_timestamp(obj, kind, "updated_at"),
            last_synced_at=_timestamp(obj, kind, "last_synced_at"),
        )


@dataclass(frozen=True, slots=True)
class ExternalPage:
    """An External Page as Intercom holds it."""

    id: str
    title: str
    html: str
    url: str | None
    ai_agent_availability: bool
    ai_copilot_availability: bool
    locale: str
    source_id: int
    external_id: str
    created_at: int | None
    updated_at: int | None
    last_ingested_at: int | None

    def __repr__(self) -> str:  # the html can be megabytes; keep reprs and logs short
        return (
            f"ExternalPage(id={self.id!r}, source_id={self.source_id}, "
            f"external_id={self.external_id!r}, title={self.title!r}, url={self.url!r}, "
            f"html=<{len(self.html)} chars>)"
        )

    @classmethod
    def from_api(cls, data: object) -> ExternalPage:
        """Parse Intercom's JSON object.

        Raises:
            MalformedPayload: A required field is missing or has the wrong type.
        """
        kind = "external_page"
        obj = _object(data, kind)
        return cls(
            id=_id_str(obj, kind, "id"),
            title=_str(obj, kind, "title"),
            html=_str(obj, kind, "html"),
            url=_optional_str(obj, kind, "url"),
            ai_agent_availability=_bool(obj, kind, "ai_agent_availability"),
            ai_copilot_availability=_bool(obj, kind, "ai_copilot_availability"),
            locale=_str(obj, kind, "locale", "en"),
            source_id=_int(obj, kind, "source_id"),
            external_id=_id_str(obj, kind, "external_id"),
            created_at=_timestamp(obj, kind, "created_at"),
            updated_at=_timestamp(obj, kind, "updated_at"),
            last_ingested_at=_timestamp(obj, kind, "last_ingested_at"),
        )
