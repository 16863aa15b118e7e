"""What the wiki connectors (MediaWiki, DokuWiki) share: settings, HTTP, login, HTML helpers."""

from __future__ import annotations

from ingestor.connectors.wikikit._html import (
    distinct_link_targets,
    drop_elements,
    has_class,
    parse_fragment,
    serialize_children,
    unwrap,
)
from ingestor.connectors.wikikit._http import WikiHttp
from ingestor.connectors.wikikit._login import LoginSession
from ingestor.connectors.wikikit._settings import WikiSettings

__all__ = [
    "LoginSession",
    "WikiHttp",
    "WikiSettings",
    "distinct_link_targets",
    "drop_elements",
    "has_class",
    "parse_fragment",
    "serialize_children",
    "unwrap",
]
