"""The pure comparison of state, Intercom and the source."""

from __future__ import annotations

from ingestor.gate import Availability
from ingestor.intercom import ExternalPage
from ingestor.reconcile import compare
from ingestor.state import SentPage, html_digest

BOTH = Availability(True, True)


def sent(eid: str, **fields: object) -> SentPage:
    values: dict[str, object] = {
        "external_id": eid,
        "intercom_id": f"id-{eid}",
        "title": eid,
        "url": f"https://x/{eid}",
        "digest": html_digest(f"<p>{eid}</p>"),  # state keeps the digest of the HTML sent
        "audience": "customers",
        "hidden": False,
    }
    values.update(fields)
    return SentPage(**values)  # type: ignore[arg-type]


def copy(eid: str, **fields: object) -> ExternalPage:
    values: dict[str, object] = {
        "id": f"id-{eid}",
        "title": eid,
        "html": f"<p>{eid}</p>",
        "url": f"https://x/{eid}",
        "ai_agent_availability": True,
        "ai_copilot_availability": True,
        "locale": "en",
        "source_id": 1,
        "external_id": eid,
        "created_at": None,
        "updated_at": None,
        "last_ingested_at": None,
    }
    values.update(fields)
    return ExternalPage(**values)  # type: ignore[arg-type]


def test_each_kind_of_finding() -> None:
    state = {e: sent(e) for e in ("same", "gone", "edited", "rewritten", "team")}
    state["team"] = sent("team", audience="team")
    remote = {
        "same": copy("same"),
        "edited": copy("edited", title="T", url=None),
        "rewritten": copy("rewritten", html="<p>rewritten </p>"),
        "team": copy("team", ai_agent_availability=False),
        "new": copy("new"),
        "old": copy("old"),
        "new#section": copy("new#section"),
    }
    listed = {"same", "edited", "rewritten", "team", "new"}
    found = compare(state, remote, listed, default=BOTH)
    assert found.matching == 2
    assert found.missing == ["gone"]
    assert found.drifted == {"edited": ["title", "url"], "rewritten": ["html"]}
    assert found.drifted_copies == {e: remote[e] for e in ("edited", "rewritten")}
    assert sorted(found.unknown) == ["new", "new#section"]  # a section of a listed page
    assert found.orphans == [("old", "id-old")]


def test_an_incomplete_listing_makes_no_orphan() -> None:
    found = compare({}, {"old": copy("old")}, None, default=BOTH)
    assert found.orphans == [] and list(found.unknown) == ["old"]


def test_a_hidden_page_expects_both_flags_false_and_unknown_audiences_the_default() -> None:
    state = {"h": sent("h", hidden=True), "legacy": sent("legacy", audience=None)}
    remote = {
        "h": copy("h", ai_agent_availability=False, ai_copilot_availability=False),
        "legacy": copy("legacy", ai_agent_availability=False),
    }
    found = compare(state, remote, {"h", "legacy"}, default=Availability(False, True))
    assert found.matching == 2 and not found.drifted


def test_html_unknown_to_state_is_not_compared() -> None:
    found = compare({"a": sent("a", digest=None)}, {"a": copy("a", html="x")}, {"a"}, default=BOTH)
    assert found.matching == 1
