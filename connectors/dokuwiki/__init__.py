"""The ``dokuwiki`` connector: a DokuWiki through its XML-RPC API."""

from __future__ import annotations

from connectors.dokuwiki._clean import clean_dokuwiki_html
from connectors.dokuwiki._connector import DokuWikiConnector
from connectors.dokuwiki._settings import DokuWikiSettings

__all__ = ["DokuWikiConnector", "DokuWikiSettings", "clean_dokuwiki_html"]
