"""The pure gate: rule order, pattern semantics, restricted pages, fallback, held pages."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from ingestor.connectors.audience import AudienceRule, RestrictedPolicy, unreachable_fields
from ingestor.connectors.base import ConnectorSettings, Document
from ingestor.convert import convert_document
from ingestor.gate import AudienceRules, Availability, GateDecision, PageGate

DEFAULT = Availability(ai_agent=True, ai_copilot=True)


def rules(*specs: dict[str, Any], restricted: RestrictedPolicy = "exclude") -> AudienceRules:
    return AudienceRules([AudienceRule.model_validate(spec) for spec in specs], restricted, DEFAULT)


INTERNAL = {"match": {"path": "internal/"}, "audience": "exclude", "name": "internal"}
TEAM_FM = {"match": {"front_matter.audience": "team"}, "audience": "team"}
PUBLIC = {"match": {"path": ["public/**", "faq/*.md"]}, "audience": "customers"}


def test_first_matching_rule_wins_in_config_order() -> None:
    gate = rules(INTERNAL, TEAM_FM, PUBLIC)
    both = {"path": ("internal/hr.md",), "front_matter.audience": ("team",)}
    decision = gate.decide(both)
    assert (decision.audience, decision.matched) == ("exclude", "rule 1 (internal)")
    swapped = rules(TEAM_FM, INTERNAL).decide(both)
    assert (swapped.audience, swapped.matched) == ("team", "rule 1")
    assert swapped.availability == Availability(ai_agent=False, ai_copilot=True)


def test_no_rule_matches_gives_the_connector_availability() -> None:
    decision = rules(INTERNAL).decide({"path": ("guide.md",)})
    assert (decision.audience, decision.matched, decision.availability) == (
        "customers",
        "default",
        DEFAULT,
    )
    copilot_only = AudienceRules([], "exclude", Availability(False, True)).decide({})
    assert copilot_only.audience == "team"


def test_path_globs_are_gitignore_style_and_case_sensitive() -> None:
    gate = rules(PUBLIC)
    assert gate.decide({"path": ("public/a/b/c.md",)}).matched == "rule 1"
    assert gate.decide({"path": ("faq/q.md",)}).matched == "rule 1"
    assert gate.decide({"path": ("faq/deep/q.md",)}).matched == "default"  # * stops at /
    assert gate.decide({"path": ("Public/a.md",)}).matched == "default"
    internal = rules(INTERNAL)
    assert internal.decide({"path": ("internal/x/y.md",)}).excluded
    assert internal.decide({"path": ("teams/internal/y.md",)}).excluded  # any depth, as gitignore
    assert not internal.decide({"path": ("internal.md",)}).excluded


def test_other_fields_are_fnmatch_and_case_insensitive() -> None:
    gate = rules({"match": {"label": ["Intern*"], "space": "HR"}, "audience": "exclude"})
    assert gate.decide({"label": ("faq", "internal-only"), "space": ("hr",)}).excluded
    assert not gate.decide({"label": ("internal",)}).excluded  # every field must match
    assert not gate.decide({"label": ("faq",), "space": ("HR",)}).excluded
    ns = rules({"match": {"namespace": "internal:*"}, "audience": "team"})
    assert ns.decide({"namespace": ("internal:hr:leave",)}).audience == "team"


def test_restricted_pages_are_excluded_by_default_whatever_the_rules() -> None:
    gate = rules({"match": {"path": "**"}, "audience": "customers"})
    decision = gate.decide({"path": ("a.md",)}, restricted="view restricted to group hr")
    assert decision.excluded
    assert (decision.matched, decision.reason) == (
        "restricted",
        "restricted: view restricted to group hr",
    )


def test_restricted_team_caps_at_copilot_but_an_exclude_rule_still_excludes() -> None:
    gate = rules(INTERNAL, {"match": {"path": "**"}, "audience": "customers"}, restricted="team")
    capped = gate.decide({"path": ("a.md",)}, restricted="ACL")
    assert capped.availability == Availability(ai_agent=False, ai_copilot=True)
    assert capped.reason == "rule 2; restricted (ACL): team at most"
    assert gate.decide({"path": ("internal/a.md",)}, restricted="ACL").excluded
    assert rules(restricted="team").decide({}, restricted="ACL").audience == "team"  # fallback


def test_restricted_customers_lets_the_rules_decide() -> None:
    gate = rules(TEAM_FM, restricted="customers")
    assert gate.decide({}, restricted="ACL").audience == "customers"
    assert gate.decide({"front_matter.audience": ("TEAM",)}, restricted="ACL").audience == "team"


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"match": {}, "audience": "team"}, "match is empty"),
        ({"match": {"path": 5}, "audience": "team"}, "give a pattern or a list"),
        ({"match": {"path": ["a", True]}, "audience": "team"}, "must be a string, not true/false"),
        ({"match": {"path": "a"}, "audience": "public"}, "'customers', 'team' or 'exclude'"),
        ({"match": {"path": "/"}, "audience": "team"}, "empty glob pattern"),
        ({"match": {"path": "a"}, "audience": "team", "extra": 1}, "Extra inputs"),
    ],
)
def test_bad_rules_are_refused(rule: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ConnectorSettings(name="n", type="t", url="https://x", audiences=[rule])


def test_rules_on_fields_a_kind_never_fills_are_found() -> None:
    found = unreachable_fields(
        [
            AudienceRule.model_validate({"match": {"path": "a"}, "audience": "team"}),
            AudienceRule.model_validate(
                {"match": {"labels": "x", "front_matter.tier": "1"}, "audience": "exclude"}
            ),
            AudienceRule.model_validate(
                {"match": {"front_matter": "x"}, "audience": "exclude", "name": "bare"}
            ),
        ],
        frozenset({"path", "front_matter.*"}),
    )
    assert [(index, name) for index, name, _ in found] == [(1, "labels"), (2, "front_matter")]
    assert found[0][2].startswith("rule 2 can never match: this connector type never fills")
    assert found[1][2].startswith("rule 3 (bare) can never match")


def page_gate(**settings: Any) -> PageGate:
    return PageGate(ConnectorSettings(name="n", type="t", url="https://x", **settings), DEFAULT)


def check(gate: PageGate, external_id: str, body: str) -> GateDecision:
    document = Document(external_id, body, "markdown", facts={"path": (external_id,)})
    return gate.check(document, convert_document(document))


KEY = "AKIAQ3EGRZ5XJ7LMN2PB"


def test_a_secret_holds_the_page_unless_an_id_or_glob_releases_it() -> None:
    body = f"# Setup\n\nUse {KEY} here.\n"
    held = check(page_gate(), "ops/setup.md", body)
    assert (held.audience, held.send, held.matched) == ("held", False, "default")
    assert held.reason.startswith("secret: aws_access_key_id line 3 ")
    assert KEY not in held.reason
    by_glob = page_gate(allow_secrets=["ops/**"])
    assert check(by_glob, "ops/setup.md", body).send
    assert not check(by_glob, "docs/setup.md", body).send
    by_id = page_gate(allow_secrets=["[weird] id"])  # an id that is also a glob class
    assert check(by_id, "[weird] id", body).send


def test_an_excluded_page_is_not_scanned_and_the_fingerprint_follows_the_settings() -> None:
    gate = page_gate(audiences=[{"match": {"path": "ops/"}, "audience": "exclude"}])
    decision = check(gate, "ops/setup.md", f"# Setup\n\n{KEY}\n")
    assert (decision.audience, decision.reason) == ("exclude", "rule 1")
    fingerprints = {
        page_gate().fingerprint,
        gate.fingerprint,
        page_gate(restricted="team").fingerprint,
        page_gate(allow_secrets=["a.md"]).fingerprint,
    }
    assert len(fingerprints) == 4
    assert page_gate().fingerprint == page_gate().fingerprint
