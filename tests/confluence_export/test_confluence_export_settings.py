"""Settings of a ``confluence_export`` connector: what loads, and the message when it does not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from ingestor.connectors.base import load_connector_classes
from ingestor.connectors.confluence_export import (
    ConfluenceExportConnector,
    ConfluenceExportSettings,
)


def settings(path: Path, **values: Any) -> ConfluenceExportSettings:
    return ConfluenceExportSettings(name="cx", url="https://c.example.com/", path=path, **values)


def test_it_is_registered_under_its_kind() -> None:
    assert load_connector_classes()["confluence_export"] is ConfluenceExportConnector


def test_base_url_gives_the_data_center_page_url(tmp_path: Path) -> None:
    made = settings(tmp_path, base_url="https://wiki.example.com/confluence/")
    assert made.page_url_template() == (
        "https://wiki.example.com/confluence/pages/viewpage.action?pageId={id}"
    )
    assert made.site_url() == "https://wiki.example.com/confluence"


def test_url_template_wins_and_gives_the_site(tmp_path: Path) -> None:
    made = settings(tmp_path, url_template="https://help.example.com/kb/{id}")
    assert made.page_url_template() == "https://help.example.com/kb/{id}"
    assert made.site_url() == "https://help.example.com"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "set base_url"),
        ({"base_url": "confluence.example.com"}, "must be an http"),
        ({"url_template": "https://h.example.com/p"}, r"exactly one placeholder, \{id\}"),
        ({"url_template": "https://h.example.com/{title}"}, r"exactly one placeholder"),
        ({"url_template": "https://h.example.com/{id:>5}"}, r"exactly one placeholder"),
        ({"url_template": "ftp://h.example.com/{id}"}, "must start with http"),
        ({"base_url": "https://c.example.com", "asset_base_url": "files"}, "must be an http"),
    ],
)
def test_bad_settings_say_what_is_wrong(
    tmp_path: Path, values: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        settings(tmp_path, **values)


def test_the_path_must_be_a_zip_or_a_folder(tmp_path: Path) -> None:
    (tmp_path / "export.tar").write_bytes(b"x")
    with pytest.raises(ValidationError, match=r"not a \.zip file or a folder"):
        settings(tmp_path / "export.tar", base_url="https://c.example.com")
    missing = settings(tmp_path / "missing.zip", base_url="https://c.example.com")
    assert missing.source_problems() == [
        f"path: export does not exist (yet?): {tmp_path / 'missing.zip'}"
    ]
