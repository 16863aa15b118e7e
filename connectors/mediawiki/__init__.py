"""The ``mediawiki`` connector: a MediaWiki through its Action API (``api.php``)."""

from __future__ import annotations

from ingestor.connectors.mediawiki._clean import clean_mediawiki_html
from ingestor.connectors.mediawiki._connector import MediaWikiConnector
from ingestor.connectors.mediawiki._settings import MediaWikiSettings

__all__ = ["MediaWikiConnector", "MediaWikiSettings", "clean_mediawiki_html"]
