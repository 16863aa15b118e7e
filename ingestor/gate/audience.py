"""Audience decisions: which rule a page matches, and what that means for its availability.

Pure: the facts a connector put on its ``Document`` (and the front matter conversion found),
the connector's ``audiences`` rules, its ``restricted`` setting and the fallback availability
in; a decision out. Matching:

* ``path`` patterns are :mod:`connectors.globs` globs (gitignore-style: ``*`` stops at ``/``,
  ``**`` crosses folders, ``internal/`` is the folder and everything below), case-sensitive
  like the file systems and exports they come from;
* every other field (labels, spaces, namespaces, categories, front matter and Notion
  properties) uses :mod:`fnmatch` patterns (``*`` matches anything, ``:`` and ``/`` too),
  case-insensitively: ``Internal`` and ``internal`` are the same label to people.

A rule matches when each of its fields has at least one page value matching one of its
patterns (a field the page lacks never matches). The first matching rule wins.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ingestor.connectors.audience import PATH_FIELDS, AudienceRule, RestrictedPolicy
from ingestor.connectors.globs import compile_globs

__all__ = ["AudienceDecision", "AudienceRules", "Availability", "audience_name"]

Matcher = Callable[[str], bool]


@dataclass(frozen=True, slots=True)
class Availability:
    """The two flags Intercom stores on an External Page."""

    ai_agent: bool
    ai_copilot: bool

    @property
    def audience(self) -> str:
        """``customers``, ``team``, or a name for the other combinations."""
        return audience_name(self.ai_agent, self.ai_copilot)


def audience_name(ai_agent: bool, ai_copilot: bool) -> str:
    """How reports name a pair of availability flags."""
    if ai_agent:
        return "customers" if ai_copilot else "ai-agent-only"
    return "team" if ai_copilot else "nobody"


CUSTOMERS = Availability(ai_agent=True, ai_copilot=True)
TEAM = Availability(ai_agent=False, ai_copilot=True)


@dataclass(frozen=True, slots=True)
class AudienceDecision:
    """Where one page goes and why."""

    #: The availability it is sent with; None when it is excluded (never sent).
    availability: Availability | None
    #: What decided: ``rule 2 (internal)``, ``default`` or ``restricted``.
    matched: str
    #: Why, for people: ``rule 2 (internal)``, ``restricted: view restricted to HR``...
    reason: str

    @property
    def excluded(self) -> bool:
        return self.availability is None

    @property
    def audience(self) -> str:
        """``customers``, ``team``, ``exclude`` (or a name for other flag combinations)."""
        return "exclude" if self.availability is None else self.availability.audience


class AudienceRules:
    """A connector's rules, compiled once per run."""

    def __init__(
        self,
        rules: Sequence[AudienceRule],
        restricted: RestrictedPolicy,
        fallback: Availability,
    ) -> None:
        self.rules = tuple(rules)
        self.restricted = restricted
        self.fallback = fallback
        self._compiled = [
            [(name, _matcher(name, rule.match[name])) for name in rule.match] for rule in rules
        ]

    def decide(
        self, facts: Mapping[str, Sequence[str]], restricted: str | None = None
    ) -> AudienceDecision:
        """The audience of a page with these ``facts``; ``restricted`` is why its source
        restricts it (``Document.restricted``), if it does."""
        if restricted is not None and self.restricted == "exclude":
            return AudienceDecision(None, "restricted", f"restricted: {restricted}")
        decision = self._by_rules(facts)
        if restricted is None or self.restricted == "customers" or decision.excluded:
            return decision
        # restricted: team caps the page at Copilot whatever the rules say.
        assert decision.availability is not None
        if not decision.availability.ai_agent:
            return decision
        capped = Availability(ai_agent=False, ai_copilot=decision.availability.ai_copilot)
        return AudienceDecision(
            capped, decision.matched, f"{decision.reason}; restricted ({restricted}): team at most"
        )

    def _by_rules(self, facts: Mapping[str, Sequence[str]]) -> AudienceDecision:
        for index, matchers in enumerate(self._compiled):
            if all(any(match(value) for value in facts.get(name, ())) for name, match in matchers):
                rule = self.rules[index]
                label = rule.label(index)
                availability = {"customers": CUSTOMERS, "team": TEAM}.get(rule.audience)
                return AudienceDecision(availability, label, label)
        return AudienceDecision(self.fallback, "default", "default (connector availability)")


def _matcher(name: str, patterns: Sequence[str]) -> Matcher:
    if name in PATH_FIELDS:
        regex = compile_globs(patterns)
    else:
        source = "|".join(f"(?:{fnmatch.translate(p)})" for p in patterns)
        regex = re.compile(source, re.IGNORECASE | re.DOTALL)
    assert regex is not None  # validated settings never have an empty pattern list
    return lambda value: regex.fullmatch(value) is not None
