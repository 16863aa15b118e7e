"""Full listings against the fake, Cloud and Data Center: pagination, scope rules, errors."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from ingestor.connectors.base import Item, ListingProblem
from ingestor.connectors.confluence import ConfluenceConnector
from ingestor.errors import ConnectorError

from .fake_confluence import FakeConfluence

Connect = Callable[..., ConfluenceConnector]


def listed(connector: ConfluenceConnector) -> dict[str, str]:
    items = list(connector.list())
    assert all(isinstance(i, Item) for i in items), items
    ids = [i.external_id for i in items if isinstance(i, Item)]
    assert len(ids) == len(set(ids))
    return {i.external_id: i.version for i in items if isinstance(i, Item)}


def test_more_than_1000_pages_are_followed_to_the_end(
    fake: FakeConfluence, connect: Connect
) -> None:
    ids = {fake.add_page("ENG", f"Page {n}") for n in range(1203)}
    fake.add_page("OTHER", "Not synced")
    result = listed(connect(fake, page_size=250))
    assert set(result) == ids
    assert set(result.values()) == {"1"}
    route = "v2.space_pages" if fake.deployment == "cloud" else "v1.scan"
    # Cloud honours 250 per call; Data Center caps it at 100 and says so only in "limit".
    assert len(fake.calls(route)) == (5 if fake.deployment == "cloud" else 13)


def test_cloud_follows_the_cursor_the_server_hands_out(
    fake_cloud: FakeConfluence, connect: Connect
) -> None:
    for n in range(30):
        fake_cloud.add_page("ENG", f"Page {n}")
    assert len(listed(connect(fake_cloud, page_size=10))) == 30
    calls = fake_cloud.calls("v2.space_pages")
    assert len(calls) == 3 and "cursor=" not in calls[0]
    assert all("cursor=" in call and "status=current" in call for call in calls[1:])


def test_versions_drafts_archived_and_trashed_pages(fake: FakeConfluence, connect: Connect) -> None:
    edited = fake.add_page("ENG", "Edited")
    fake.edit(edited, body="<p>v2</p>")
    fake.edit(edited, body="<p>v3</p>")
    kept = fake.add_page("ENG", "Kept")
    fake.add_page("ENG", "Draft", status="draft")
    fake.add_page("ENG", "Archived", status="archived")
    fake.add_page("ENG", "Trashed", status="trashed")
    assert listed(connect(fake)) == {edited: "3", kept: "1"}


def test_labels_include_and_exclude(fake: FakeConfluence, connect: Connect) -> None:
    faq = fake.add_page("ENG", "FAQ", labels=("faq",))
    faq_internal = fake.add_page("ENG", "FAQ internal", labels=("faq", "internal"))
    howto = fake.add_page("ENG", "How to", labels=("howto",))
    plain = fake.add_page("ENG", "Plain")
    fake.add_page("OTHER", "FAQ elsewhere", labels=("faq",))
    assert set(listed(connect(fake, include_labels=["FAQ", "howto"]))) == {faq, faq_internal, howto}
    assert set(listed(connect(fake, exclude_labels=["internal"]))) == {faq, howto, plain}
    both = connect(fake, include_labels=["faq"], exclude_labels=["internal"])
    assert set(listed(both)) == {faq}


def test_root_pages_keep_their_descendants_and_exclusions_drop_subtrees(
    fake: FakeConfluence, connect: Connect
) -> None:
    home = fake.add_page("ENG", "Home")
    guide = fake.add_page("ENG", "Guide", parent=home)
    chapter = fake.add_page("ENG", "Chapter", parent=guide)
    section = fake.add_page("ENG", "Section", parent=chapter)
    drafts = fake.add_page("ENG", "Drafts", parent=guide)
    draft_child = fake.add_page("ENG", "Draft child", parent=drafts)
    other = fake.add_page("ENG", "Other root")
    everything = set(listed(connect(fake)))
    assert everything == {home, guide, chapter, section, drafts, draft_child, other}
    scoped = connect(fake, root_page_ids=[guide], exclude_page_ids=[drafts])
    assert set(listed(scoped)) == {guide, chapter, section}


def test_a_root_page_that_is_gone_makes_the_listing_incomplete(
    fake: FakeConfluence, connect: Connect
) -> None:
    root = fake.add_page("ENG", "Root")
    child = fake.add_page("ENG", "Child", parent=root)
    entries = list(connect(fake, root_page_ids=[root, "424242"]).list())
    assert [e.external_id for e in entries if isinstance(e, Item)] == [root, child]
    [problem] = [e for e in entries if isinstance(e, ListingProblem)]
    assert problem.where == "root page 424242" and "root_page_ids" in problem.message


def test_a_missing_space_fails_the_listing(fake: FakeConfluence, connect: Connect) -> None:
    fake.add_page("ENG", "Page")
    with pytest.raises(ConnectorError, match="NOPE"):
        list(connect(fake, spaces=["ENG", "NOPE"]).list())


def test_a_space_key_in_the_wrong_case_fails_with_a_hint(
    fake: FakeConfluence, connect: Connect
) -> None:
    """The API matches keys case-sensitively (sphinx-contrib/confluencebuilder #23, observed
    on Cloud): "eng" finds nothing, and nothing is listed (so nothing is deleted)."""
    fake.add_page("ENG", "Page")
    with pytest.raises(ConnectorError, match=r"space\(s\) eng not found.*case-sensitive"):
        list(connect(fake, spaces=["eng"]).list())
    with pytest.raises(ConnectorError) as caught:
        list(connect(fake, spaces=["NOPE"]).list())
    assert "case-sensitive" not in str(caught.value)  # an upper-case key gets no case hint


def test_a_500_mid_listing_raises_after_retries(fake: FakeConfluence, connect: Connect) -> None:
    for n in range(25):
        fake.add_page("ENG", f"Page {n}")
    route = "v2.space_pages" if fake.deployment == "cloud" else "v1.scan"
    fake.inject(route, 500, after=1, times=100)
    seen: list[str] = []
    with pytest.raises(ConnectorError, match="HTTP 500"):
        for item in connect(fake, page_size=10).list():
            assert isinstance(item, Item)
            seen.append(item.external_id)
    assert seen == []  # a space is listed whole before its pages are yielded (ancestry)
    assert len(fake.calls(route)) == 1 + 4  # FAST policy: 4 attempts at the failing page


def test_429_and_503_with_retry_after_are_retried(fake: FakeConfluence, connect: Connect) -> None:
    for n in range(15):
        fake.add_page("ENG", f"Page {n}")
    route = "v2.space_pages" if fake.deployment == "cloud" else "v1.scan"
    fake.inject(route, 429, retry_after="0", times=1)
    fake.inject(route, 503, retry_after="0", after=1, times=1)
    assert len(listed(connect(fake, page_size=10))) == 15
    assert len(fake.calls(route)) == 4  # two pages of results, each retried once


def test_retry_after_seconds_are_waited(
    fake_cloud: FakeConfluence, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    fake_cloud.add_page("ENG", "Page")
    fake_cloud.inject("v2.space_pages", 429, retry_after="1", times=1)
    with caplog.at_level(logging.WARNING, logger="ingestor.http"):
        assert len(listed(connect(fake_cloud))) == 1
    retries = [r.getMessage() for r in caplog.records if "429" in r.getMessage()]
    assert len(retries) == 1 and "retrying in 1.00s" in retries[0]


def test_bad_credentials_fail_clearly_without_the_token(
    fake_cloud: FakeConfluence, connect: Connect
) -> None:
    connector = connect(fake_cloud, api_token="wrong-secret-token")
    with pytest.raises(ConnectorError) as caught:
        list(connector.list())
    message = str(caught.value)
    assert "401" in message and "credentials" in message
    assert "wrong-secret-token" not in message


@pytest.mark.parametrize(
    ("deployment", "scan"),
    [("cloud", False), ("datacenter", True), ("datacenter", False)],
    ids=["cloud", "datacenter-scan", "datacenter-offsets"],
)
def test_a_next_loop_makes_the_listing_incomplete(
    connect: Connect, deployment: str, scan: bool
) -> None:
    fake = FakeConfluence(deployment).start()
    try:
        ids = [fake.add_page("ENG", f"Page {n}") for n in range(25)]
        fake.quirks.scan = scan
        fake.quirks.loop = True  # every next link leads back to the first page
        entries = list(connect(fake, page_size=10).list())
    finally:
        fake.stop()
    problems = [e for e in entries if isinstance(e, ListingProblem)]
    listed_ids = {e.external_id for e in entries if isinstance(e, Item)}
    if deployment == "datacenter" and not scan:
        # Offsets never follow next: the loop is not even seen and the listing is whole.
        assert listed_ids == set(ids) and problems == []
        return
    [problem] = problems
    assert problem.where == "space ENG" and "pagination loop" in problem.message
    assert listed_ids == set(ids[:10])  # what was listed still syncs
