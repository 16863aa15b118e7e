"""Reconcile: Intercom's copy against state and the sources, and the repairs that follow.

* :mod:`._remote`: Intercom's sources and pages, listed once (deep-paging cap fallback);
* :mod:`._compare` (pure): missing, drifted, unknown (adopted), orphan pages;
* :mod:`._repair`: state marks, orphan deletion behind the guard, duplicates;
* :mod:`._connector`: one connector's reconcile, ending with the normal sync;
* :mod:`._run`: every selected connector; :mod:`._rebuild`: ``ingestor state rebuild``.

See docs/reconcile.md.
"""

from __future__ import annotations

from ingestor.reconcile._compare import Findings, compare
from ingestor.reconcile._connector import reconcile_connector
from ingestor.reconcile._rebuild import move_aside, rebuild_state
from ingestor.reconcile._remote import LIST_PER_PAGE, RemoteView
from ingestor.reconcile._report import Duplicate, ReconcileOptions, ReconcileReport
from ingestor.reconcile._run import reconcile_connectors, reconcile_with

__all__ = [
    "LIST_PER_PAGE",
    "Duplicate",
    "Findings",
    "ReconcileOptions",
    "ReconcileReport",
    "RemoteView",
    "compare",
    "move_aside",
    "rebuild_state",
    "reconcile_connector",
    "reconcile_connectors",
    "reconcile_with",
]
