"""Notion workspace exports ("Markdown & CSV" or "HTML"; zipped, multi-part or unpacked).

Public API: :class:`NotionExportConnector` and its :class:`NotionExportSettings`. See
``docs/connectors/notion_export.md`` for settings, identity and limits.
"""

from __future__ import annotations

from ingestor.connectors.notion_export._connector import NotionExportConnector
from ingestor.connectors.notion_export._settings import NotionExportSettings

__all__ = ["NotionExportConnector", "NotionExportSettings"]
