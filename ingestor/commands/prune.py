"""``ingestor prune``: take a removed connector's pages out of Intercom and forget it.

A connector taken out of the config leaves its pages in Fin: no run lists its source any more,
so nothing deletes them. Pruning deletes them one by one (Intercom has no bulk delete), forgets
each as it goes (an interrupted prune resumes where it stopped), and forgets the connector
once every page is gone. Its Content Import Source stays unless asked for: deleting a source
deletes its pages irreversibly, and an empty source costs nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from ingestor.config import Config
from ingestor.engine.deletion import remove_page
from ingestor.errors import ConfigError, ConfigIssue, FatalError, PageError
from ingestor.intercom import IntercomClient
from ingestor.state import Store

__all__ = ["PruneResult", "foreign_sources", "orphans", "prune_connector"]

log = logging.getLogger("ingestor.prune")


@dataclass(slots=True)
class PruneResult:
    """What a prune did."""

    connector: str
    deleted: int = 0
    failed: list[str] = field(default_factory=list)
    source_deleted: int | None = None

    @property
    def complete(self) -> bool:
        return not self.failed


def orphans(config: Config, store: Store) -> dict[str, int]:
    """Connectors the state database knows but the config does not: name -> pages."""
    configured = {c.name for c in config.connectors}
    return {s.connector: s.pages for s in store.summary() if s.connector not in configured}


def foreign_sources(client: IntercomClient, config: Config, store: Store) -> list[tuple[int, str]]:
    """Intercom's API sources that no connector of this config owns, by id and url: a removed
    connector's, or another installation's."""
    owned = {_normal(c.url) for c in config.connectors}
    recorded = {s.source_id for s in store.summary() if s.source_id is not None}
    return [
        (int(source.id), source.url)
        for source in client.list_sources()
        if _normal(source.url) not in owned and int(source.id) not in recorded
    ]


def _normal(url: str) -> str:
    return url.strip().rstrip("/").lower()


def check_prunable(config: Config, store: Store, name: str) -> int:
    """The number of pages ``name`` has in state.

    Raises:
        ConfigError: ``name`` is still in the config, or the state database does not know it.
    """
    if any(c.name == name for c in config.connectors):
        issue = f"{name!r} is still in the config; remove it there first (or disable it)"
        raise ConfigError([ConfigIssue("--connector", issue)])
    known = orphans(config, store)
    if name not in known:
        listed = ", ".join(sorted(known)) or "none"
        issue = f"the state database knows no removed connector {name!r} (removed ones: {listed})"
        raise ConfigError([ConfigIssue("--connector", issue)])
    return known[name]


def prune_connector(
    client: IntercomClient,
    store: Store,
    name: str,
    *,
    delete_source: bool = False,
    progress: Callable[[int], None] | None = None,
) -> PruneResult:
    """Delete every page of connector ``name`` from Intercom, then forget the connector.

    Pages Intercom refuses to delete stay in state (a later prune retries them), and then the
    connector and its source are kept too.
    """
    result = PruneResult(name)
    for external_id, record in store.page_index(name).items():
        try:
            remove_page(client, store, name, external_id, record.intercom_id)
            result.deleted += 1
        except PageError as exc:
            log.warning("prune %s: page %s stays: %s", name, external_id, exc)
            result.failed.append(external_id)
        if progress is not None:
            progress(result.deleted + len(result.failed))
    if not result.complete:
        return result
    source = store.get_source(name)
    if delete_source and source is not None:
        try:
            client.delete_source(source.source_id)
        except FatalError as exc:  # a source call's refusal (not a PageError); 404: gone already
            if exc.status_code != 404:
                raise
        result.source_deleted = source.source_id
    store.forget_connector(name)
    log.info("prune %s: %d page(s) deleted; connector forgotten", name, result.deleted)
    return result
