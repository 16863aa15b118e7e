"""Safe unpacking of export zips, shared by the connectors that read exports.

The rules and their implementation are the Notion export connector's
(:mod:`connectors.notion_export._archive`): no absolute path, drive letter, ``..`` segment,
NUL byte, symbolic link or device member; size, file-count and compression-ratio budgets
against zip bombs; exclusive-create writes that stay inside a private folder; corrupt and
truncated zips fail naming the zip and the member. This module only gives them a home that
does not belong to one connector, so other export connectors import them from here.
"""

from __future__ import annotations

from ingestor.connectors.notion_export._archive import (
    ExtractionLimits,
    export_parts,
    extract_zips,
    newest_export,
)

__all__ = ["ExtractionLimits", "export_parts", "extract_zips", "newest_export"]
