"""How the deletion phase sorts vanished and hidden pages (pure: no call, no state)."""

from __future__ import annotations

from datetime import timedelta

from ingestor.engine.deletion import deletion_guard, plan_deletions
from ingestor.engine.policy import PagePolicy
from ingestor.state import SyncEntry, SyncIndex

NOW = 1_800_000_000.0
DAY = 86400.0
HIDE = PagePolicy(deletion="hide", hide_for=timedelta(days=7))


def entry(
    intercom_id: str | None, hidden_days_ago: float | None = None, parent: str | None = None
) -> SyncEntry:
    hidden_at = None if hidden_days_ago is None else NOW - hidden_days_ago * DAY
    return SyncEntry("v", "h", intercom_id, parent, hidden_at)


INDEX = SyncIndex.of(
    {
        "a": entry("1"),
        "b": entry("2"),
        "c": entry("3"),
        "old": entry("4", hidden_days_ago=8),
        "old#s": entry("5", hidden_days_ago=8, parent="old"),
        "recent": entry("6", hidden_days_ago=2),
        "back": entry("7", hidden_days_ago=9),
        "never-sent": entry(None),
    }
)


def test_fresh_pages_are_weighed_against_visible_pages_only() -> None:
    vanished = ["c", "old", "old#s", "recent", "never-sent"]
    plan = plan_deletions(INDEX, vanished, reappeared={"back"}, policy=HIDE, now=NOW)
    assert plan.fresh == [("c", "3")]
    assert plan.visible == 3  # a, b, c: hidden pages are already out of Fin
    assert plan.unsent == ["never-sent"]
    assert plan.due == [("old", "4", NOW - 8 * DAY), ("old#s", "5", NOW - 8 * DAY)]
    assert plan.waiting == 1  # recent; "back" is being restored by this run's upsert


def test_a_section_stays_while_its_page_came_back() -> None:
    plan = plan_deletions(INDEX, [], reappeared={"old"}, policy=HIDE, now=NOW)
    assert [eid for eid, _, _ in plan.due] == ["back"]


def test_deletion_delete_deletes_every_hidden_page_still_gone() -> None:
    plan = plan_deletions(INDEX, [], set(), PagePolicy(deletion="delete"), now=NOW)
    assert sorted(eid for eid, _, _ in plan.due) == ["back", "old", "old#s", "recent"]
    assert plan.waiting == 0


def test_the_guard_names_what_it_held_back() -> None:
    assert deletion_guard(1, 3, 0.5, False) is None
    blocked = deletion_guard(3, 3, 0.5, False, verb="hidden")
    assert blocked is not None and "all 3 pages" in blocked and "nothing hidden" in blocked
    assert "nothing deleted" in (deletion_guard(2, 3, 0.5, False) or "")
    assert deletion_guard(3, 3, 0.5, True, verb="hidden") is None
