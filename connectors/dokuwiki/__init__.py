"""The ``dokuwiki`` connector: a DokuWiki through its XML-RPC API."""

from __future__ import annotations

from ingestor.connectors.dokuwiki._clean import clean_dokuwiki_html
from ingestor.connectors.dokuwiki._connector import DokuWikiConnector
from ingestor.connectors.dokuwiki._settings import DokuWikiSettings

__all__ = ["DokuWikiConnector", "DokuWikiSettings", "clean_dokuwiki_html"]
