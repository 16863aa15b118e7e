"""What the engine does with a page the gate keeps from Intercom.

An excluded or held page is never sent. If an earlier version of it (or of its sections) is in
Intercom, it is taken down first and forgotten, as a deleted page is; then state records the
decision: an excluded page's version (so it is not read again while it and the settings stay
the same), a held page so that the next run reads and checks it again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ingestor.connectors.base import Item
from ingestor.engine.deletion import remove_page
from ingestor.engine.report import Outcome, PageEvent
from ingestor.errors import PageError
from ingestor.gate.page import GateDecision
from ingestor.intercom import IntercomClient
from ingestor.state import Store

__all__ = ["Withholder"]


class Withholder:
    """Takes down and records the withheld pages of one run."""

    def __init__(
        self,
        client: IntercomClient,
        store: Store,
        connector: str,
        log: logging.LoggerAdapter[logging.Logger],
        *,
        dry_run: bool,
        version_suffix: str,
    ) -> None:
        self.client = client
        self.store = store
        self.connector = connector
        self.log = log
        self.dry_run = dry_run
        self.version_suffix = version_suffix

    def apply(
        self, item: Item, decision: GateDecision, stored: Sequence[tuple[str, str | None]]
    ) -> PageEvent:
        """Withhold ``item``; ``stored`` is ``(external_id, intercom_id)`` of the page and its
        sections as state knows them.

        Raises:
            PageError: Intercom refused to delete an earlier version; state still has it, so
                the next run tries again.
        """
        sent_before = any(intercom_id for _, intercom_id in stored)
        reason = decision.reason + ("; taken down from Intercom" if sent_before else "")
        level = logging.WARNING if decision.held else logging.INFO
        self.log.log(
            level,
            "sync %s: page %s %s: %s",
            self.connector,
            item.external_id,
            "held" if decision.held else "excluded",
            reason,
            extra={"external_id": item.external_id},
        )
        if not self.dry_run:
            self._take_down(stored, decision)
            self.store.record_withheld(
                self.connector,
                item.external_id,
                version=item.version + self.version_suffix,
                held=decision.held,
                rule=decision.matched,
                reason=decision.reason,
            )
        outcome = Outcome.HELD if decision.held else Outcome.EXCLUDED
        return PageEvent(
            item.external_id,
            outcome,
            reason,
            audience=decision.audience,
            matched=decision.matched,
            taken_down=sent_before,
        )

    def _take_down(self, stored: Sequence[tuple[str, str | None]], decision: GateDecision) -> None:
        for external_id, intercom_id in stored:
            try:
                remove_page(self.client, self.store, self.connector, external_id, intercom_id)
            except PageError as exc:
                raise PageError(
                    f"{decision.reason}, but taking down its earlier version failed: {exc}"
                ) from exc
