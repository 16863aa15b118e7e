"""Restriction marks: full listings notice restriction changes, which bump no page version.

Confluence does not give a page a new version when its view restrictions change, so an item
version made of the page version alone would never make the engine fetch (and re-check) a
page restricted after it was synced. A full listing therefore reads every page's *own* read
restrictions in a few batch calls (one CQL search per space, ``restrictions.read...``
expanded: no ancestors' expansion, so Cloud's CONFCLOUD-77618 cannot fail it), and appends a
mark to the version of each page whose own or ancestor pages' restrictions are non-empty: a
restriction added, changed or lifted changes the version, the page is fetched, and the fetch
checks it fully (folders included, see :mod:`._restrictions`). Unrestricted pages keep their
plain version number.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence

from ingestor.connectors.confluence._http import JsonObject, Params
from ingestor.connectors.confluence._restrictions import OWN_EXPAND, own_block, read_principals
from ingestor.connectors.confluence._scope import cql_space_pages

__all__ = ["restriction_marks"]


#: How a deployment walks a paginated search (``ConfluenceApi.walk``: cursors on Cloud,
#: complete offsets on Data Center).
Walk = Callable[[str, Params, str], Iterator[JsonObject]]


def restriction_marks(
    walk: Walk, space_key: str, lineage: Mapping[str, Sequence[str]], limit: int
) -> dict[str, str]:
    """``{page id: mark}`` for the pages of a space whose lineage carries read restrictions.

    Args:
        walk: The deployment's paginated walk.
        space_key: The space listed.
        lineage: Each listed page's ancestor ids (any order).
        limit: Results asked per call (within the search's cap for this expansion).

    Raises:
        ConnectorError: The search failed (the listing then fails: nothing is deleted).
    """
    params: Params = {"cql": cql_space_pages(space_key), "limit": limit, "expand": OWN_EXPAND}
    restricted: dict[str, tuple[str, ...]] = {}
    what = f"view restrictions of space {space_key}"
    for obj in walk("/rest/api/content/search", params, what):
        principals = read_principals(own_block(obj))
        if principals:
            restricted[str(obj["id"])] = principals
    marks: dict[str, str] = {}
    for page_id, ancestors in lineage.items():
        layers = sorted(
            (cid, restricted[cid]) for cid in {page_id, *ancestors} if cid in restricted
        )
        if layers:
            digest = hashlib.sha256(repr(layers).encode()).hexdigest()[:12]
            marks[page_id] = f"restricted:{digest}"
    return marks
