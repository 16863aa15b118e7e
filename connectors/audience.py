"""Audience settings every connector has: which pages reach customers, the team, or no one.

The YAML (per connector)::

    audiences:
      - match: {path: ["public/**", "faq/*.md"]}
        audience: customers
        name: public-folders
      - match: {front_matter.audience: team}
        audience: team
      - match: {path: "internal/"}
        audience: exclude
    restricted: exclude          # pages the source restricts: exclude | team | customers
    allow_secrets: ["runbooks/rotate-keys.md"]

A rule matches a page when every field in ``match`` has at least one page value matching one
of its patterns; the first matching rule wins, and a page no rule matches gets the connector's
availability settings. The engine applies them in :mod:`ingestor.gate`; this module only holds
the validated settings (connectors may not import the engine).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictStr, field_validator

from ingestor.connectors.globs import GlobError, translate_glob

__all__ = [
    "AUDIENCES",
    "PATH_FIELDS",
    "AllowSecretPattern",
    "Audience",
    "AudienceRule",
    "RestrictedPolicy",
    "field_is_filled",
    "unreachable_fields",
]

Audience = Literal["customers", "team", "exclude"]
AUDIENCES: tuple[Audience, ...] = ("customers", "team", "exclude")
RestrictedPolicy = Literal["exclude", "team", "customers"]

#: Fields matched with :mod:`connectors.globs` (case-sensitive, ``*`` stops at ``/``).
PATH_FIELDS = frozenset({"path"})


def _allow_pattern(pattern: str) -> str:
    if not pattern.strip():
        raise ValueError("empty pattern: give a glob or an external id")
    return pattern


#: An ``allow_secrets`` entry: an external id, or a glob over external ids.
AllowSecretPattern = Annotated[StrictStr, AfterValidator(_allow_pattern)]


class AudienceRule(BaseModel):
    """One entry of ``audiences``: what it matches and where matching pages go."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    match: dict[StrictStr, list[StrictStr]] = Field(
        description="Page fields to match, each with a glob or a list of globs; every field "
        "must match (path: gitignore-style globs, case-sensitive; other fields: fnmatch-style, "
        "case-insensitive)."
    )
    audience: Audience = Field(
        description="customers (AI Agent and Copilot), team (Copilot only) or exclude "
        "(never sent; taken down if it was sent before)."
    )
    name: StrictStr | None = Field(
        default=None, description="Label shown in plan, preview and status (default: rule N)."
    )

    @field_validator("match", mode="before")
    @classmethod
    def _pattern_lists(cls, match: object) -> object:
        """A single pattern is a list of one; anything but strings is refused by name."""
        if not isinstance(match, dict):
            return match  # pydantic reports the type
        if not match:
            raise ValueError("match is empty: name at least one field (path, label...)")
        return {name: _pattern_list(name, patterns) for name, patterns in match.items()}

    @field_validator("match")
    @classmethod
    def _path_globs(cls, match: dict[str, list[str]]) -> dict[str, list[str]]:
        for name, patterns in match.items():
            for pattern in patterns if name in PATH_FIELDS else ():
                try:
                    translate_glob(pattern)
                except GlobError as exc:
                    raise ValueError(f"match.{name}: {exc}") from None
        return match

    def label(self, index: int) -> str:
        """How reports name this rule: ``rule 2 (internal)``; ``index`` counts from 0."""
        return f"rule {index + 1}" + (f" ({self.name})" if self.name else "")


def _pattern_list(name: object, patterns: object) -> object:
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"match field names must be non-empty strings, not {name!r}")
    values = [patterns] if isinstance(patterns, str) else patterns
    if not isinstance(values, list) or not values:
        raise ValueError(f"match.{name}: give a pattern or a list of patterns")
    for position, pattern in enumerate(values):
        if not isinstance(pattern, str):
            kind = (
                "true/false"
                if isinstance(pattern, bool)
                else "a number"
                if isinstance(pattern, int | float)
                else type(pattern).__name__
            )
            raise ValueError(f"match.{name}[{position}]: a pattern must be a string, not {kind}")
        if not pattern:
            raise ValueError(f"match.{name}[{position}]: empty pattern")
    return values


def field_is_filled(name: str, fields: frozenset[str]) -> bool:
    """Whether a connector kind whose ``audience_fields`` are ``fields`` can fill ``name``.

    An entry ending in ``.*`` stands for a family (``front_matter.*``, ``property.*``).
    """
    if name in fields:
        return True
    return any(f.endswith(".*") and name.startswith(f[:-1]) and name != f[:-1] for f in fields)


def unreachable_fields(
    rules: list[AudienceRule], fields: frozenset[str]
) -> list[tuple[int, str, str]]:
    """``(rule index, field, message)`` for each match field a kind can never fill.

    Such a rule never matches, which is rarely what its author meant (``labels`` for
    ``label``): an ``exclude`` rule that never matches would publish what it meant to hide.
    """
    known = ", ".join(sorted(fields)) or "none: this kind fills no page fields"
    found = []
    for index, rule in enumerate(rules):
        for name in rule.match:
            if not field_is_filled(name, fields):
                message = (
                    f"{rule.label(index)} can never match: this connector type never fills "
                    f"{name!r} (fields: {known})"
                )
                found.append((index, name, message))
    return found
