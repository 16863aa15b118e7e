"""Settings of a ``type: notion_export`` connector."""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from ingestor.connectors.export_common import ExportSettings

__all__ = ["DEFAULT_URL_TEMPLATE", "URL_PLACEHOLDERS", "NotionExportSettings"]

DEFAULT_URL_TEMPLATE = "https://www.notion.so/{id}"
URL_PLACEHOLDERS = ("id", "uuid")


class NotionExportSettings(ExportSettings):
    """Settings of a ``type: notion_export`` connector."""

    type: Literal["notion_export"] = Field(
        default="notion_export", description="Connector kind: 'notion_export'."
    )
    path: Path = Field(
        description=(
            "A Notion workspace export: a .zip file (multi-part and zip-in-zip exports work), "
            "a folder where exports land (the newest .zip export wins, all its -Part-N.zip "
            "files together) or an already unpacked export folder. Both 'Markdown & CSV' and "
            "'HTML' exports are read. A relative path is resolved against the folder of the "
            "config file. Nothing outside the export is read, even through links; / and "
            "folders under /proc, /sys and /dev are refused."
        )
    )
    url_template: str = Field(
        default=DEFAULT_URL_TEMPLATE,
        description=(
            "URL Fin cites for a page, and the target of links between pages. Placeholders: "
            "{id} (the 32-hex Notion page id) and {uuid} (the same with dashes), e.g. "
            "'https://notion.so/{id}' or 'https://docs.example.com/p/{uuid}'."
        ),
    )
    asset_base_url: str | None = Field(
        default=None,
        description=(
            "Where the export's files (images, attachments) are published: a link to "
            "'Page 1a2b.../image.png' becomes '<asset_base_url>/Page%201a2b.../image.png'. "
            "Unset: such links are replaced by a visible '[file not included: name]' note."
        ),
    )
    include_databases: bool = Field(
        default=True,
        description=(
            "Sync databases: each CSV (or HTML table) database becomes one page listing its "
            "rows, and each row that has its own page is a page too. When false, databases "
            "and their row pages are skipped."
        ),
    )

    @field_validator("url_template", mode="after")
    @classmethod
    def _template_is_known(cls, value: str) -> str:
        if not re.match(r"https?://", value, re.I):
            raise ValueError(f"url_template must start with http:// or https://: {value!r}")
        try:
            fields = list(string.Formatter().parse(value))
        except ValueError as exc:
            raise ValueError(f"url_template is malformed ({exc})") from exc
        names = [name for _text, name, _spec, _conv in fields if name is not None]
        for _text, name, spec, conversion in fields:
            if name is not None and (name not in URL_PLACEHOLDERS or spec or conversion):
                known = ", ".join("{" + p + "}" for p in URL_PLACEHOLDERS)
                raise ValueError(f"url_template: unknown placeholder {{{name}}}; known: {known}")
        if not names:
            raise ValueError("url_template must contain {id} or {uuid}: pages need distinct urls")
        return value

    @field_validator("asset_base_url", mode="after")
    @classmethod
    def _asset_base_is_http(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"https?://\S+$", value, re.I):
            raise ValueError(f"asset_base_url must be an http(s) URL: {value!r}")
        return value

    def fingerprint(self) -> str:
        """The settings that shape page content; part of every page version."""
        return "|".join((self.url_template, self.asset_base_url or "", str(self.include_databases)))
