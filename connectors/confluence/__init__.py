"""The Confluence connector: Cloud (REST v2) and Data Center/Server (REST v1).

See ``docs/connectors/confluence.md`` for settings, identity, versions and incremental runs.
"""

from __future__ import annotations

from ingestor.connectors.confluence._connector import ConfluenceConnector
from ingestor.connectors.confluence._html import clean_confluence_html
from ingestor.connectors.confluence._settings import ConfluenceSettings

__all__ = ["ConfluenceConnector", "ConfluenceSettings", "clean_confluence_html"]
