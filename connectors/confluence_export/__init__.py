"""Confluence HTML space exports ("Export space" > HTML; zipped, in a drop folder or unpacked).

Public API: :class:`ConfluenceExportConnector` and its :class:`ConfluenceExportSettings`. See
``docs/connectors/confluence_export.md`` for settings, layout, identity and limits.
"""

from __future__ import annotations

from ingestor.connectors.confluence_export._connector import ConfluenceExportConnector
from ingestor.connectors.confluence_export._settings import ConfluenceExportSettings

__all__ = ["ConfluenceExportConnector", "ConfluenceExportSettings"]
