"""Settings of a ``type: dokuwiki`` connector, validated when the YAML loads."""

from __future__ import annotations

import re
import string
from datetime import timedelta
from typing import Literal

from pydantic import Field, field_validator

from ingestor.connectors.base import Duration
from ingestor.connectors.wikikit import WikiSettings

__all__ = ["URL_PLACEHOLDERS", "DokuWikiSettings", "normalize_namespace"]

URL_PLACEHOLDERS = ("id", "path")
_NAMESPACE = re.compile(r"^[a-z0-9_.:-]*$")


def normalize_namespace(value: str) -> str:
    """``Team/Support:`` -> ``team:support`` (DokuWiki ids are lowercase, ``:``-separated)."""
    return value.strip().lower().replace("/", ":").strip(":")


class DokuWikiSettings(WikiSettings):
    """Settings of a ``type: dokuwiki`` connector (the XML-RPC API)."""

    type: Literal["dokuwiki"] = Field(default="dokuwiki", description="Connector kind: 'dokuwiki'.")
    wiki_url: str = Field(
        pattern=r"^https?://\S+$",
        description="Where the wiki's doku.php lives, e.g. 'https://wiki.example.com/'.",
    )
    xmlrpc_url: str | None = Field(
        default=None,
        pattern=r"^https?://\S+$",
        description="The XML-RPC endpoint. Default: wiki_url + 'lib/exe/xmlrpc.php'.",
    )
    namespaces: list[str] = Field(
        default_factory=list,
        description=(
            "Namespaces to sync, with their sub-namespaces, e.g. ['support', 'products:faq']. "
            "Default: the whole wiki."
        ),
    )
    exclude_namespaces: list[str] = Field(
        default_factory=list,
        description="Namespaces skipped with their sub-namespaces, e.g. ['playground', 'wiki'].",
    )
    page_url_template: str | None = Field(
        default=None,
        description=(
            "Url Fin cites for a page. Placeholders: {id} (page id, e.g. 'support:login') and "
            "{path} (the id with '/' for ':', for wikis with URL rewriting). Default: "
            "wiki_url + 'doku.php?id={id}'."
        ),
    )
    incremental_max_age: Duration = Field(
        default=timedelta(days=7),
        description=(
            "A cursor older than this triggers a full listing instead (set it to the wiki's "
            "'recent_days', 7 by default; older changes are trimmed from its changelog)."
        ),
    )

    @field_validator("wiki_url", mode="after")
    @classmethod
    def _wiki_url(cls, value: str) -> str:
        if "?" in value or "#" in value:
            raise ValueError(f"wiki_url must be the wiki's base url, without a query: {value!r}")
        return value.removesuffix("doku.php").rstrip("/") + "/"

    @field_validator("namespaces", "exclude_namespaces", mode="after")
    @classmethod
    def _namespaces(cls, value: list[str]) -> list[str]:
        names = []
        for name in value:
            normalized = normalize_namespace(name)
            if not _NAMESPACE.match(normalized):
                raise ValueError(f"not a DokuWiki namespace: {name!r}")
            names.append(normalized)
        return names

    @field_validator("page_url_template", mode="after")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.match(r"https?://", value, re.I):
            raise ValueError(f"page_url_template must start with http:// or https://: {value!r}")
        try:
            fields = [f for _text, f, _spec, _conv in string.Formatter().parse(value) if f]
        except ValueError as exc:
            raise ValueError(f"page_url_template is malformed: {exc}") from exc
        unknown = [f for f in fields if f not in URL_PLACEHOLDERS]
        if unknown:
            raise ValueError(
                f"page_url_template: unknown placeholder {{{unknown[0]}}}; known: {{id}}, {{path}}"
            )
        return value

    @property
    def endpoint(self) -> str:
        """The XML-RPC url."""
        return self.xmlrpc_url or self.wiki_url + "lib/exe/xmlrpc.php"
