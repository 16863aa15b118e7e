"""View restrictions (own and inherited) and audience facts, against the fake in both flavours.

Calls per page are counted from the fake's request log: the numbers the docs state.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

from ingestor.connectors.base import Item
from ingestor.connectors.confluence import ConfluenceConnector
from ingestor.errors import ConnectorError

from .fake_confluence import FakeConfluence

Connect = Callable[..., ConfluenceConnector]


def fetch(connector: ConfluenceConnector, page_id: str):  # type: ignore[no-untyped-def]
    return connector.fetch(Item(page_id, "1", locator="ENG"))


def routes(fake: FakeConfluence) -> Counter[str]:
    return Counter(name for name, _ in fake.requests)


def test_facts_of_an_unrestricted_page(fake: FakeConfluence, connect: Connect) -> None:
    root = fake.add_page("ENG", "Handbook")
    page = fake.add_page("ENG", "Leave", parent=root, labels=("FAQ", "hr"))
    connector = connect(fake)
    doc = fetch(connector, page)
    assert doc.restricted is None
    assert doc.facts == {"space": ("ENG",), "label": ("faq", "hr"), "ancestor": (root, "Handbook")}
    assert ConfluenceConnector.audience_fields == frozenset({"space", "label", "ancestor"})


def test_a_page_restricted_itself_names_who_may_view_it(
    fake: FakeConfluence, connect: Connect
) -> None:
    page = fake.add_page("ENG", "Salaries")
    fake.restrict(page, users=("jane",), groups=("hr-team",))
    doc = fetch(connect(fake), page)
    assert (
        doc.restricted == f"view restricted on page {page} 'Salaries' to group hr-team, user Jane"
    )


def test_restrictions_are_inherited_from_every_ancestor(
    fake: FakeConfluence, connect: Connect
) -> None:
    hr = fake.add_page("ENG", "HR")
    middle = fake.add_page("ENG", "Policies", parent=hr)
    leaf = fake.add_page("ENG", "Leave", parent=middle)
    other = fake.add_page("ENG", "Public")
    fake.restrict(hr, groups=("hr-team",))
    connector = connect(fake)
    assert (
        fetch(connector, leaf).restricted == f"view restricted on page {hr} 'HR' to group hr-team"
    )
    assert fetch(connector, middle).restricted is not None
    assert fetch(connector, other).restricted is None


def test_cloud_folders_restrict_the_pages_below_them(
    fake_cloud: FakeConfluence, connect: Connect
) -> None:
    folder = fake_cloud.add_folder("ENG", "Incidents")
    page = fake_cloud.add_page("ENG", "Outage 12", parent=folder)
    sub = fake_cloud.add_page("ENG", "Timeline", parent=page)
    fake_cloud.restrict(folder, groups=("sre",))
    connector = connect(fake_cloud)
    for page_id in (page, sub):
        assert fetch(connector, page_id).restricted == (
            f"view restricted on folder {folder} to group sre"
        )
    # v1 left the folder out; v2 ancestors (once per distinct parent) found it
    assert routes(fake_cloud)["v2.ancestors"] == 2
    assert routes(fake_cloud)["v1.restriction"] == 1  # the folder, cached for the second page


def test_a_draft_ancestor_fails_the_batch_and_each_page_is_checked_alone(
    fake_cloud: FakeConfluence, connect: Connect
) -> None:
    hr = fake_cloud.add_page("ENG", "HR")
    draft = fake_cloud.add_page("ENG", "Reorg (draft)", parent=hr, status="draft")
    page = fake_cloud.add_page("ENG", "Org chart", parent=draft)
    sibling = fake_cloud.add_page("ENG", "Budget", parent=draft)
    fake_cloud.restrict(hr, groups=("hr-team",))
    connector = connect(fake_cloud)
    doc = fetch(connector, page)
    assert doc.restricted is not None
    assert f"view restricted on page {hr} 'HR' to group hr-team" in doc.restricted
    # the draft's own restrictions cannot be read: the page is not let through on a guess
    assert f"page {draft} 'Reorg (draft)' cannot be read" in doc.restricted
    calls = fake_cloud.calls("v1.page")
    assert len(calls) == 2 and "ancestors.restrictions" in calls[0]
    assert "ancestors.restrictions" not in calls[1]
    # a sibling goes straight to the fallback, and the ancestors' verdicts are cached
    assert fetch(connector, sibling).restricted == doc.restricted
    assert len(fake_cloud.calls("v1.page")) == 3
    assert len(fake_cloud.calls("v1.restriction")) == 2  # HR and the draft, once each


def test_an_older_data_center_without_the_expansions_is_asked_page_by_page(
    connect: Connect,
) -> None:
    fake = FakeConfluence("datacenter").start()
    try:
        fake.restriction_expansions = False
        hr = fake.add_page("ENG", "HR")
        pages = [fake.add_page("ENG", f"Policy {n}", parent=hr) for n in range(5)]
        fake.restrict(hr, groups=("hr-team",))
        connector = connect(fake)
        assert all(fetch(connector, p).restricted for p in pages)
        # each page's own restrictions, plus the shared parent once
        assert routes(fake)["v1.restriction"] == len(pages) + 1
        # the cache lives for one run: a new listing forgets it
        fake.restrict(hr)
        assert fetch(connector, pages[0]).restricted  # same run: cached verdict
        list(connector.list())
        assert fetch(connector, pages[0]).restricted is None
    finally:
        fake.stop()


def test_calls_per_page_under_one_restricted_parent(fake: FakeConfluence, connect: Connect) -> None:
    parent = fake.add_page("ENG", "Restricted parent")
    children = [fake.add_page("ENG", f"Child {n}", parent=parent) for n in range(40)]
    fake.restrict(parent, groups=("staff",))
    connector = connect(fake)
    fake.requests.clear()
    assert all(fetch(connector, c).restricted for c in children)
    counted = routes(fake)
    if fake.deployment == "cloud":  # v2 page + v1 facts; v2 ancestors once for the parent
        assert counted == Counter({"v2.page": 40, "v1.page": 40, "v2.ancestors": 1})
    else:  # the page fetch carries everything
        assert counted == Counter({"v1.page": 40})


def test_user_restrictions_left_unexpanded_never_pass_a_page_as_unrestricted(
    fake: FakeConfluence, connect: Connect
) -> None:
    """A block that names its users only under ``_expandable`` says nothing about them: a
    page restricted to one user must not be taken for unrestricted because no group is named."""
    fake.expands_users = False
    hr = fake.add_page("ENG", "HR")
    mine = fake.add_page("ENG", "Only me")
    child = fake.add_page("ENG", "Leave", parent=hr)
    fake.restrict(mine, users=("jane",))
    fake.restrict(hr, users=("jane",))
    connector = connect(fake)
    for page in (mine, child):
        with pytest.raises(ConnectorError, match="does not list its user and group"):
            fetch(connector, page)
    fake.expands_users = True  # a server that answers in full: the verdicts come back
    connector = connect(fake)
    mine_reason = f"view restricted on page {mine} 'Only me' to user Jane"
    assert fetch(connector, mine).restricted == mine_reason
    assert fetch(connector, child).restricted == f"view restricted on page {hr} 'HR' to user Jane"


def test_a_page_that_includes_a_restricted_page_is_restricted(
    fake: FakeConfluence, connect: Connect
) -> None:
    """Confluence renders an include for the API user, who may view the included page: its
    content is in the including page's body, so that page is as restricted as what it shows."""
    hr = fake.add_page("HR", "HR")
    salaries = fake.add_page("HR", "Salaries", "<p>CEO earns 1M</p>", parent=hr)
    fake.restrict(hr, groups=("hr-team",))
    snippet = fake.add_page("ENG", "Support hours", "<p>9 to 5</p>")
    handbook = fake.add_page("ENG", "Handbook", "<p>Welcome.</p>")
    faq = fake.add_page("ENG", "FAQ", "<p>Questions.</p>")
    fake.include(handbook, snippet)
    fake.include(handbook, salaries)
    fake.include(faq, salaries, excerpt=True)
    fake.include(snippet, snippet)  # a page including itself shows nothing more of itself
    connector = connect(fake)

    doc = fetch(connector, handbook)
    assert "CEO earns 1M" in doc.body  # what the API user got back
    assert doc.restricted == (
        f"includes page {salaries} 'Salaries' (view restricted on page {hr} 'HR' to group hr-team)"
    )
    assert fetch(connector, faq).restricted == doc.restricted  # excerpt-include too
    assert fetch(connector, snippet).restricted is None  # includes only itself
    salaries_searches = [c for c in fake.calls("v1.search") if "Salaries" in c]
    assert len(salaries_searches) == 1  # found and checked once this run
    fake.restrict(hr)
    assert fetch(connector, handbook).restricted is not None  # verdicts kept for the run
    list(connector.list())  # a new run asks again
    assert fetch(connector, handbook).restricted is None


def test_without_a_storage_body_a_rendered_include_makes_the_page_restricted(
    fake: FakeConfluence, connect: Connect
) -> None:
    hr = fake.add_page("ENG", "HR", "<p>CEO earns 1M</p>")
    fake.restrict(hr, groups=("hr-team",))
    including = fake.add_page("ENG", "Handbook", "<p>Welcome.</p>")
    plain = fake.add_page("ENG", "Plain", "<p>Nothing included.</p>")
    fake.include(including, hr)
    fake.storage_bodies = False
    connector = connect(fake)
    reason = fetch(connector, including).restricted
    assert reason is not None and "includes other pages" in reason
    assert fetch(connector, plain).restricted is None


@pytest.mark.parametrize("route", ["v1.page", "v1.restriction"])
def test_a_failing_check_fails_the_page(route: str, connect: Connect) -> None:
    fake = FakeConfluence("cloud").start()
    try:
        hr = fake.add_page("ENG", "HR")
        draft = fake.add_page("ENG", "Draft", parent=hr, status="draft")
        page = fake.add_page("ENG", "Leave", parent=draft)  # forces byOperation for HR
        fake.inject(route, 500, times=100, after=1 if route == "v1.page" else 0)
        with pytest.raises(ConnectorError, match="HTTP 500"):
            fetch(connect(fake), page)
    finally:
        fake.stop()


def versions(connector: ConfluenceConnector) -> dict[str, str]:
    return {i.external_id: i.version for i in connector.list() if isinstance(i, Item)}


def test_full_listings_notice_restriction_changes_without_a_new_version(
    fake: FakeConfluence, connect: Connect
) -> None:
    hr = fake.add_page("ENG", "HR")
    leave = fake.add_page("ENG", "Leave", parent=hr)
    public = fake.add_page("ENG", "Public")
    connector = connect(fake)
    assert versions(connector) == {hr: "1", leave: "1", public: "1"}
    fake.restrict(hr, groups=("hr-team",))  # Confluence bumps no version for this
    restricted = versions(connector)
    assert restricted[public] == "1"
    assert restricted[hr].startswith("1 restricted:") and restricted[leave] != "1"
    fake.restrict(hr, groups=("hr-team", "managers"))
    widened = versions(connector)
    assert widened[leave] not in ("1", restricted[leave])
    fake.restrict(hr)
    assert versions(connector) == {hr: "1", leave: "1", public: "1"}
    # one batch search per space and listing, whatever the number of pages (Data Center's
    # offset searches end on an empty page: two calls each)
    per_search = 1 if fake.deployment == "cloud" else 2
    assert len(fake.calls("v1.search")) == 4 * per_search
