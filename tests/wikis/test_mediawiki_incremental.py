"""``start_cursor``/``list_changes`` of the MediaWiki connector against a real wiki."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from ingestor.connectors.base import Incremental, Item
from ingestor.connectors.mediawiki import MediaWikiConnector, MediaWikiSettings
from ingestor.connectors.mediawiki._changes import format_cursor, parse_cursor

from .conftest import MediaWikiSite


@pytest.fixture
def connector(mediawiki: MediaWikiSite) -> Iterator[MediaWikiConnector]:
    settings = MediaWikiSettings.model_validate(
        {
            "name": "wiki",
            "url": mediawiki.server.url + "/",
            "api_url": mediawiki.api_url,
            "include_prefixes": ["T/inc/"],
            "exclude_categories": ["Hidden"],
        }
    )
    with MediaWikiConnector(settings) as wiki:
        yield wiki


def listed(connector: MediaWikiConnector) -> dict[str, Item]:
    return {item.external_id: item for item in connector.list() if isinstance(item, Item)}


def test_list_changes_reports_exactly_what_happened_since_the_cursor(
    mediawiki: MediaWikiSite, connector: MediaWikiConnector
) -> None:
    assert isinstance(connector, Incremental)
    admin = mediawiki.admin
    ids = {name: admin.edit(f"T/inc/{name}", f"{name} text.") for name in "ABCDEFG"}
    admin.edit("T/outside", "Not under the prefix.")
    before = listed(connector)
    cursor = connector.start_cursor()
    assert parse_cursor(cursor) is not None

    admin.edit("T/inc/A", "A edited.")  # edit
    new = admin.edit("T/inc/New", "Brand new.")  # creation
    admin.delete("T/inc/B")  # deletion
    admin.move("T/inc/C", "T/inc/C renamed", leave_redirect=False)  # move inside scope
    admin.move("T/inc/D", "T/elsewhere/D", leave_redirect=False)  # move out of scope
    admin.edit("T/inc/E", "#REDIRECT [[T/inc/A]]")  # became a redirect
    admin.edit("T/inc/F", "Now hidden. [[Category:Hidden]]")  # into an excluded category
    admin.edit("T/unrelated", "Not in scope at all.")

    changes = connector.list_changes(cursor)
    assert changes is not None
    changed = {item.external_id: item for item in changes.changed}
    really_changed = {str(ids["A"]), str(new), str(ids["C"])}
    assert really_changed <= set(changed)
    # the overlap window re-reads edits made just before the cursor: same versions, no upload
    for page_id in set(changed) - really_changed:
        assert changed[page_id].version == before[page_id].version
    assert set(changes.deleted) == {str(ids[n]) for n in "BDEF"}
    # versions and urls are the ones a full listing gives now
    now = listed(connector)
    for page_id, item in changed.items():
        assert item.version == now[page_id].version
        assert item.locator == now[page_id].locator
    assert changed[str(ids["A"])].version != before[str(ids["A"])].version
    assert changed[str(ids["C"])].locator.endswith("/index.php/T/inc/C_renamed")
    assert set(now) == (set(before) - set(changes.deleted)) | {str(new)}

    # the next cursor comes from the wiki's clock; nothing new happened since
    again = connector.list_changes(changes.cursor)
    assert again is not None
    # the overlap window re-reads recent entries: only unchanged versions come back
    assert {i.external_id: i.version for i in again.changed}.items() <= {
        k: v.version for k, v in now.items()
    }.items()


def test_fetch_after_a_move_has_the_new_title(
    mediawiki: MediaWikiSite, connector: MediaWikiConnector
) -> None:
    page_id = mediawiki.admin.edit("T/inc/Before move", "Moving soon.")
    cursor = connector.start_cursor()
    mediawiki.admin.move("T/inc/Before move", "T/inc/After move")
    changes = connector.list_changes(cursor)
    assert changes is not None
    [item] = [i for i in changes.changed if i.external_id == str(page_id)]
    document = connector.fetch(item)
    assert document.title == "T/inc/After move"
    assert document.url == f"{mediawiki.server.url}/index.php/T/inc/After_move"
    assert "Moving soon." in document.body


def test_too_old_or_foreign_cursor_asks_for_a_full_listing(
    connector: MediaWikiConnector,
) -> None:
    old = format_cursor(datetime.now(UTC) - timedelta(days=91))
    assert connector.list_changes(old) is None
    assert connector.list_changes("dw1:1700000000") is None
    assert connector.list_changes("mw1:not a time") is None
