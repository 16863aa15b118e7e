"""Settings of a ``type: mediawiki`` connector, validated when the YAML loads."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Literal

from pydantic import Field, field_validator

from ingestor.connectors.base import Duration
from ingestor.connectors.wikikit import WikiSettings

__all__ = ["MediaWikiSettings", "normalize_title_part"]


def normalize_title_part(text: str) -> str:
    """A title (or title prefix) as MediaWiki stores it: ``_`` as space, first letter capital."""
    text = re.sub(r"[ _]+", " ", text)
    return text[:1].upper() + text[1:]


class MediaWikiSettings(WikiSettings):
    """Settings of a ``type: mediawiki`` connector (the Action API, ``api.php``)."""

    type: Literal["mediawiki"] = Field(
        default="mediawiki", description="Connector kind: 'mediawiki'."
    )
    api_url: str = Field(
        pattern=r"^https?://\S+$",
        description="The wiki's Action API endpoint, e.g. 'https://wiki.example.com/w/api.php'.",
    )
    namespaces: list[int] = Field(
        default_factory=lambda: [0],
        min_length=1,
        description="Namespace numbers to sync (0 = main, 12 = Help...). Default: [0].",
    )
    include_categories: list[str] = Field(
        default_factory=list,
        description=(
            "When set, only pages directly in at least one of these categories are synced "
            "(names without the 'Category:' prefix)."
        ),
    )
    exclude_categories: list[str] = Field(
        default_factory=list,
        description="Pages directly in any of these categories are skipped.",
    )
    include_prefixes: list[str] = Field(
        default_factory=list,
        description=(
            "When set, only pages whose title (without its namespace) starts with one of these "
            "prefixes are synced, e.g. 'Support/'."
        ),
    )
    exclude_prefixes: list[str] = Field(
        default_factory=list,
        description="Pages whose title (without its namespace) starts with one of these are "
        "skipped.",
    )
    page_size: int = Field(
        default=500,
        ge=1,
        le=5000,
        description="Results asked per listing call ('limit'); the wiki may cap it (all are read).",
    )
    maxlag: int | None = Field(
        default=5,
        description=(
            "Sent as 'maxlag' on every call: a replicated wiki whose database lags more than "
            "this many seconds answers 'maxlag' and the call is retried after its Retry-After. "
            "null disables it."
        ),
    )
    incremental_max_age: Duration = Field(
        default=timedelta(days=90),
        description=(
            "A cursor older than this triggers a full listing instead (set it to the wiki's "
            "$wgRCMaxAge, 90 days by default; older recent changes are purged)."
        ),
    )

    @field_validator("api_url", mode="after")
    @classmethod
    def _api_php(cls, value: str) -> str:
        if "?" in value or "#" in value:
            raise ValueError(f"api_url must be the bare api.php url, without a query: {value!r}")
        return value

    @field_validator("namespaces", mode="after")
    @classmethod
    def _content_namespaces(cls, value: list[int]) -> list[int]:
        for number in value:
            if number < 0:
                raise ValueError(f"namespace {number} is virtual (Special/Media): not pages")
        return sorted(set(value))

    @field_validator("include_categories", "exclude_categories", mode="after")
    @classmethod
    def _category_names(cls, value: list[str]) -> list[str]:
        names = []
        for name in value:
            bare = name.split(":", 1)[1] if name.lower().startswith("category:") else name
            bare = normalize_title_part(bare.strip())
            if not bare or any(ch in bare for ch in "|[]{}#<>"):
                raise ValueError(f"not a category name: {name!r}")
            names.append(bare)
        return names

    @field_validator("include_prefixes", "exclude_prefixes", mode="after")
    @classmethod
    def _prefixes(cls, value: list[str]) -> list[str]:
        prefixes = []
        for prefix in value:
            if not prefix.strip() or any(ch in prefix for ch in "|[]{}#<>"):
                raise ValueError(f"not a title prefix: {prefix!r}")
            prefixes.append(normalize_title_part(prefix))
        return prefixes
