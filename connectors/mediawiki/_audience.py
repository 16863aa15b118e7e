"""What audience rules can match on a MediaWiki page: its namespace and its categories.

* ``namespace``: the namespace's canonical (English) name, then its local name when the wiki
  calls it something else (``Project`` and ``Test Wiki``; ``Help`` and ``Hilfe``), then its
  number as text (``"12"``), so a rule can use any of the three. The main namespace has no
  name in MediaWiki: it is ``(Main)``, as MediaWiki's own menus label it, and ``"0"``.
* ``category``: every category the page is in as rendered now (``action=parse`` reports them,
  template-added ones included), without the ``Category:`` prefix and with spaces for
  underscores. Hidden categories (``__HIDDENCAT__``) are included: admins hide the
  categories they tag pages with for internal reasons, which is what rules need to see.

The namespace comes from the page title's prefix, read against the wiki's namespace names
and aliases (``meta=siteinfo``, asked once per connector).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ingestor.connectors.mediawiki._api import MediaWikiApi
from ingestor.errors import ConnectorError

__all__ = [
    "MAIN_NAMESPACE",
    "Namespace",
    "Namespaces",
    "category_facts",
    "namespace_of",
    "namespace_table",
]

#: How facts and reasons name namespace 0, which has no name in MediaWiki.
MAIN_NAMESPACE = "(Main)"


@dataclass(frozen=True, slots=True)
class Namespace:
    """One namespace of the wiki."""

    number: int
    canonical: str  # English canonical name; MAIN_NAMESPACE for 0
    local: str  # the name this wiki uses in titles ("" for 0)

    @property
    def facts(self) -> tuple[str, ...]:
        """The ``namespace`` fact values, canonical name first."""
        names = [self.canonical]
        if self.local and self.local != self.canonical:
            names.append(self.local)
        return (*names, str(self.number))


class Namespaces:
    """The wiki's namespaces by title prefix, read once (``meta=siteinfo``); thread-safe."""

    def __init__(self, api: MediaWikiApi) -> None:
        self._api = api
        self._lock = threading.Lock()
        self._by_prefix: dict[str, Namespace] | None = None

    def of_title(self, title: str) -> Namespace:
        """The namespace of a full title (``Help:Start``); main when the prefix is none.

        Raises:
            ConnectorError: The wiki could not tell its namespaces.
        """
        return namespace_of(self._load(), title)

    def _load(self) -> dict[str, Namespace]:
        with self._lock:
            if self._by_prefix is None:
                body = self._api.call(
                    {"action": "query", "meta": "siteinfo", "siprop": "namespaces|namespacealiases"}
                )
                self._by_prefix = namespace_table(body.get("query", {}), self._api.label)
            return self._by_prefix


def namespace_of(by_prefix: Mapping[str, Namespace], title: str) -> Namespace:
    """The namespace of ``title`` in a table of :func:`namespace_table`."""
    if ":" in title:
        prefix = _key(title.split(":", 1)[0])
        if prefix in by_prefix:
            return by_prefix[prefix]
    return by_prefix[""]


def namespace_table(query: Mapping[str, Any], label: str) -> dict[str, Namespace]:
    """Namespaces by every name and alias (compared case-insensitively), from a siteinfo
    ``query`` (``namespaces|namespacealiases``); ``""`` is the main namespace.

    Raises:
        ConnectorError: The answer has no namespaces.
    """
    raw = query.get("namespaces")
    if not isinstance(raw, dict):
        raise ConnectorError(f"{label}: siteinfo gave no namespaces")
    by_number: dict[int, Namespace] = {}
    table: dict[str, Namespace] = {}
    for entry in raw.values():
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), int):
            continue
        number = int(entry["id"])
        local = str(entry.get("name") or "")
        canonical = str(entry.get("canonical") or local) if number != 0 else MAIN_NAMESPACE
        namespace = Namespace(number, canonical, "" if number == 0 else local)
        by_number[number] = namespace
        for name in (local, canonical if number != 0 else ""):
            table[_key(name)] = namespace
    for alias in query.get("namespacealiases") or []:
        if isinstance(alias, dict) and alias.get("id") in by_number:
            table.setdefault(_key(str(alias.get("alias", ""))), by_number[int(alias["id"])])
    table[""] = by_number.get(0) or Namespace(0, MAIN_NAMESPACE, "")
    return table


def _key(name: str) -> str:
    """Namespace names compare case-insensitively, ``_`` as space."""
    return name.replace("_", " ").strip().casefold()


def category_facts(categories: Iterable[Any]) -> tuple[str, ...]:
    """``action=parse`` categories (``{"category": "Foo_bar", "hidden": true}``) as bare names."""
    names: list[str] = []
    for entry in categories:
        name = entry.get("category") if isinstance(entry, dict) else None
        if isinstance(name, str) and name.strip():
            bare = name.replace("_", " ").strip()
            if bare not in names:
                names.append(bare)
    return tuple(names)
