"""Settings of a ``type: confluence_export`` connector."""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from ingestor.connectors.export_common import ExportSettings

__all__ = ["VIEW_PAGE_PATH", "ConfluenceExportSettings"]

#: What a Data Center/Server page url looks like, under the site root (``base_url``).
VIEW_PAGE_PATH = "/pages/viewpage.action?pageId={id}"
_HTTP = re.compile(r"https?://\S+$", re.I)


class ConfluenceExportSettings(ExportSettings):
    """Settings of a ``type: confluence_export`` connector (an HTML space export)."""

    type: Literal["confluence_export"] = Field(
        default="confluence_export", description="Connector kind: 'confluence_export'."
    )
    path: Path = Field(
        description=(
            "A Confluence HTML space export ('Export space' > HTML): the .zip Confluence "
            "writes, a folder where such zips land (the newest wins) or an unpacked export "
            "folder (a folder holding several unpacked exports: the newest wins). A relative "
            "path is resolved against the folder of the config file."
        )
    )
    base_url: str | None = Field(
        default=None,
        description=(
            "Root of the Confluence site the export comes from, e.g. "
            "'https://confluence.example.com' (with its context path, if any). Page urls "
            "default to '<base_url>/pages/viewpage.action?pageId={id}' (the ids the "
            "'confluence' connector uses too) and site-relative links resolve against it. "
            "Required unless url_template is set."
        ),
    )
    url_template: str | None = Field(
        default=None,
        description=(
            "URL Fin cites for a page, and the target of links between exported pages; "
            "{id} is the Confluence page id, e.g. "
            "'https://confluence.example.com/pages/viewpage.action?pageId={id}'. "
            "Default: base_url + '/pages/viewpage.action?pageId={id}'."
        ),
    )
    asset_base_url: str | None = Field(
        default=None,
        description=(
            "Where the export's attachments and images are published: "
            "'attachments/123/456.png' becomes '<asset_base_url>/attachments/123/456.png', and "
            "each page's attachment list is kept. Unset: such links and images become a "
            "visible '[file not included: name]' note and attachment lists are left out."
        ),
    )

    @field_validator("base_url", "asset_base_url", mode="after")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not _HTTP.match(value):
            raise ValueError(f"must be an http(s) URL: {value!r}")
        return value.rstrip("/") if value is not None else None

    @field_validator("url_template", mode="after")
    @classmethod
    def _template_is_known(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not _HTTP.match(value):
            raise ValueError(f"url_template must start with http:// or https://: {value!r}")
        try:
            fields = list(string.Formatter().parse(value))
        except ValueError as exc:
            raise ValueError(f"url_template is malformed ({exc})") from exc
        names = {name for _text, name, _spec, _conv in fields if name is not None}
        if names != {"id"} or any(spec or conv for _t, n, spec, conv in fields if n is not None):
            raise ValueError("url_template takes exactly one placeholder, {id}: pages need ids")
        return value

    @model_validator(mode="after")
    def _needs_a_url(self) -> Self:
        if self.base_url is None and self.url_template is None:
            raise ValueError("set base_url (the Confluence site) or url_template")
        return self

    def page_url_template(self) -> str:
        """``url_template``, or the Data Center page url under ``base_url``."""
        if self.url_template is not None:
            return self.url_template
        return f"{self.base_url}{VIEW_PAGE_PATH}"

    def site_url(self) -> str:
        """The site root site-relative links resolve against (``base_url`` or the template's)."""
        if self.base_url is not None:
            return self.base_url
        match = re.match(r"https?://[^/?#]+", self.page_url_template(), re.I)
        return match.group(0) if match else self.page_url_template()

    def fingerprint(self) -> str:
        """The settings that shape page content; part of every page version."""
        return "|".join((self.page_url_template(), self.site_url(), self.asset_base_url or ""))
