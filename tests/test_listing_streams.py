"""The full listing streams against the sync index (issue 16 point 3): known pages are marked in
the index, not copied into a set beside it, and what vanished is what stayed unmarked.

The listings come from the real filesystem connector over a real folder; the duplicate case
needs a source that lists one id twice, which no folder can, so a connector of two lines
does.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ingestor.connectors.base import Connector, Document, Item, ListingProblem
from ingestor.connectors.filesystem import FilesystemConnector, FilesystemSettings
from ingestor.engine.listing import ListingRequest, list_source
from ingestor.state import SyncEntry, SyncIndex

SUFFIX = "|settings"


def share(tmp_path: Path, *names: str) -> FilesystemConnector:
    for name in names:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {name}\n\ntext\n", encoding="utf-8")
    settings = FilesystemSettings(name="share", url="https://kb.example.com/", root=tmp_path)
    return FilesystemConnector(settings)


def index_of(connector: FilesystemConnector, known: dict[str, str | None]) -> SyncIndex:
    """An index of pages in Intercom: the listed version for ``"same"``, else a stale one."""
    listed = {item.external_id: item.version for item in connector.list() if isinstance(item, Item)}
    entries = {}
    for eid, parent in known.items():
        version = listed[eid] + SUFFIX if eid in listed else "old" + SUFFIX
        entries[eid] = SyncEntry(version, "hash", f"id-{eid}", parent)
    return SyncIndex.of(entries)


def listing(connector: Connector[Any], index: SyncIndex) -> Any:
    request = ListingRequest(version_suffix=SUFFIX, full=False)
    return list_source(connector, index, request, threading.Event())


def test_vanished_pages_are_the_known_ones_left_unmarked_sections_with_their_page(
    tmp_path: Path,
) -> None:
    connector = share(tmp_path, "a.md", "kept/b.md", "new.md")
    index = index_of(
        connector,
        {
            "a.md": None,
            "kept/b.md": None,
            "kept/b.md#part": "kept/b.md",  # a section of a listed page stays
            "gone.md": None,
            "gone.md#part": "gone.md",  # a section of a vanished page goes with it
        },
    )

    result = listing(connector, index)

    assert result.complete
    assert sorted(result.vanished) == ["gone.md", "gone.md#part"]
    assert (result.listed, result.unchanged) == (3, 2)
    assert [item.external_id for item in result.to_process] == ["new.md"]
    assert all(eid in result.known for eid in ("a.md", "kept/b.md", "new.md"))
    assert len(result.known) == 3
    assert "gone.md" not in result.known and "kept/b.md#part" not in result.known
    # the index still answers for every known page after the listing marked it
    assert "a.md" in index and index["a.md"].intercom_id == "id-a.md"
    assert index.gate_version("a.md") is None  # read once by the gate, then dropped


def test_a_changed_file_is_processed_and_counts_as_listed(tmp_path: Path) -> None:
    connector = share(tmp_path, "a.md")
    index = SyncIndex.of({"a.md": SyncEntry("old" + SUFFIX, "hash", "id-a", None)})

    result = listing(connector, index)

    assert [item.external_id for item in result.to_process] == ["a.md"]
    assert result.vanished == [] and "a.md" in result.known


class _Twice(Connector[Any]):
    """Lists a known page and a new page twice each."""

    def list(self) -> Iterator[Item | ListingProblem]:
        for eid in ("known", "new", "known", "new"):
            yield Item(external_id=eid, version="1")

    def fetch(self, item: Item) -> Document:
        raise AssertionError("a listing test fetches nothing")


def test_a_page_listed_twice_is_a_problem_and_keeps_its_first_listing(tmp_path: Path) -> None:
    connector = _Twice(FilesystemSettings(name="twice", url="https://x.example/", root=tmp_path))
    index = SyncIndex.of({"known": SyncEntry("1" + SUFFIX, "hash", "id-1", None)})

    result = listing(connector, index)

    assert result.problems == [
        "known: listed twice; kept the first",
        "new: listed twice; kept the first",
    ]
    assert not result.complete and result.vanished == []  # nothing deleted on a problem
    assert (result.listed, result.unchanged) == (2, 1)
    assert "known" in result.known and "new" in result.known and "other" not in result.known
