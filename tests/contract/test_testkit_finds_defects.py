"""The kit fails connectors that break the contract: each defect below is one a connector
could plausibly have, planted in a subclass of the real filesystem connector over a real
folder, and the matching check must reject it (and the healthy connector passes them all,
in tests/contract/test_contract_files.py)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ingestor.connectors.base import Changes, Connector, Document, Incremental, Item, ListingProblem
from ingestor.connectors.filesystem import FilesystemConnector
from ingestor.connectors.testkit import (
    ContractSource,
    check_errors_are_connector_errors,
    check_fetch,
    check_incremental_resumes,
    check_listing,
    check_stable_ids,
    check_versions_follow_content,
)

from .test_contract_files import ShareSource

_ticks = itertools.count()


class ReadsBodiesWhileListing(FilesystemConnector):
    def list(self) -> Iterator[Item | ListingProblem]:
        for entry in super().list():
            if isinstance(entry, Item):
                self.fetch(entry)  # e.g. to hash the body: not cheap
            yield entry


class YieldsRawPaths(FilesystemConnector):
    def list(self) -> Iterator[Item | ListingProblem]:
        yield from super().list()
        yield "stray.md"  # type: ignore[misc]


class VersionFromTheClock(FilesystemConnector):
    def list(self) -> Iterator[Item | ListingProblem]:
        for entry in super().list():
            yield replace(entry, version=f"t{next(_ticks)}") if isinstance(entry, Item) else entry


class IdsCollide(FilesystemConnector):
    def list(self) -> Iterator[Item | ListingProblem]:
        for entry in super().list():
            yield replace(entry, external_id="page") if isinstance(entry, Item) else entry


class FetchesTheWrongPage(FilesystemConnector):
    def fetch(self, item: Item) -> Document:
        return replace(super().fetch(item), external_id=item.external_id + "#copy")


class LosesTheUrl(FilesystemConnector):
    def fetch(self, item: Item) -> Document:
        return replace(super().fetch(item), url=None)


class VersionIgnoresContent(FilesystemConnector):
    def list(self) -> Iterator[Item | ListingProblem]:
        for entry in super().list():
            yield replace(entry, version="v1") if isinstance(entry, Item) else entry


class VersionOfTheWholeShare(FilesystemConnector):
    def list(self) -> Iterator[Item | ListingProblem]:
        entries = [e for e in super().list() if isinstance(e, Item)]
        combined = "|".join(e.version for e in entries)
        yield from (replace(e, version=combined) for e in entries)


class EmptyWhenUnmounted(FilesystemConnector):
    def list(self) -> Iterator[Item | ListingProblem]:
        if self.settings.root.is_dir():
            yield from super().list()


class OSErrorEscapes(FilesystemConnector):
    def list(self) -> Iterator[Item | ListingProblem]:
        yield from (Item(p.name, "1") for p in self.settings.root.iterdir())


class ForgetfulIncremental(FilesystemConnector, Incremental):
    def start_cursor(self) -> str:
        return "c1"

    def list_changes(self, cursor: str) -> Changes | None:
        return Changes(changed=[], deleted=[], cursor=cursor)


class Planted(ShareSource):
    """The share of the healthy contract test, read by a defective connector class."""

    def __init__(self, tmp_path: Path, cls: type[FilesystemConnector]) -> None:
        super().__init__(tmp_path)
        self.cls = cls

    def connect(self) -> Connector[Any]:
        healthy = super().connect()
        return self.cls(healthy.settings)


Check = Callable[[ContractSource], object]


@pytest.mark.parametrize(
    ("defect", "check", "message"),
    [
        (ReadsBodiesWhileListing, check_listing, "called fetch"),
        (YieldsRawPaths, check_listing, "not an Item"),
        (VersionFromTheClock, check_stable_ids, "not stable"),
        (IdsCollide, check_stable_ids, "more than once"),
        (FetchesTheWrongPage, check_fetch, "returned a Document of"),
        (LosesTheUrl, check_fetch, "not an http(s) url"),
        (VersionIgnoresContent, check_versions_follow_content, "the version stayed"),
        (VersionOfTheWholeShare, check_versions_follow_content, "other pages' versions"),
        (EmptyWhenUnmounted, check_errors_are_connector_errors, "reads as deleted"),
        (ForgetfulIncremental, check_incremental_resumes, "is not in list_changes()"),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_the_kit_rejects_the_defect(
    tmp_path: Path, defect: type[FilesystemConnector], check: Check, message: str
) -> None:
    with pytest.raises(AssertionError, match=re.escape(message)):
        check(Planted(tmp_path, defect))


def test_an_exception_other_than_connector_error_escapes_the_kit(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        check_errors_are_connector_errors(Planted(tmp_path, OSErrorEscapes))


def test_a_connector_that_is_not_incremental_is_reported_as_such(tmp_path: Path) -> None:
    assert check_incremental_resumes(ShareSource(tmp_path)) is False
