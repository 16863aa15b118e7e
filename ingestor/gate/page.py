"""The gate between conversion and upload: may this page be sent, and to whom?

Pure: a fetched ``Document`` and its ``ConvertedPage`` in, a :class:`GateDecision` out. The
audience comes first (an excluded page is never scanned: it is not sent anyway); a page that
would be sent is then scanned for secrets, and one with a finding that no ``allow_secrets``
entry releases is held. Findings are reported masked, never whole.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ingestor.connectors.base import ConnectorSettings, Document
from ingestor.connectors.globs import GlobError, compile_globs
from ingestor.convert import ConvertedPage
from ingestor.gate.audience import AudienceDecision, AudienceRules, Availability
from ingestor.gate.secrets import SecretFinding, scan_page

__all__ = ["GATE_VERSION", "GateDecision", "PageGate", "describe_findings"]

#: Bump when the gate decides differently for the same page and settings (a better secrets
#: detector): every page is then read and checked again once (and re-sent only if its
#: audience changed, thanks to the hash gate).
GATE_VERSION = "1"


@dataclass(frozen=True, slots=True)
class GateDecision:
    """What the gate decided for one page."""

    #: ``customers``, ``team`` (or another flag combination), ``exclude`` or ``held``.
    audience: str
    #: The flags to send the page with; None when it is not sent.
    availability: Availability | None
    #: The audience rule the page matched: ``rule 2 (internal)``, ``default``, ``restricted``
    #: (a held page keeps the rule it matched; its reason says why it is held).
    matched: str
    #: Why, for people; secrets appear masked.
    reason: str

    @property
    def send(self) -> bool:
        return self.availability is not None

    @property
    def held(self) -> bool:
        return self.audience == "held"


class PageGate:
    """One connector's gate for one run."""

    def __init__(self, settings: ConnectorSettings, fallback: Availability) -> None:
        self.rules = AudienceRules(settings.audiences, settings.restricted, fallback)
        self.allow_ids = frozenset(settings.allow_secrets)
        try:
            self.allow_globs = compile_globs(settings.allow_secrets)
        except GlobError:  # an id with stray slashes only: kept as an exact id
            self.allow_globs = None
        self.fingerprint = _fingerprint(settings)

    def check(self, document: Document, page: ConvertedPage) -> GateDecision:
        """Decide for one page (the whole page: its sections share the decision)."""
        audience = self.rules.decide(_facts(document, page), document.restricted)
        if audience.excluded:
            return _decided(audience)
        if self._secrets_allowed(document.external_id):
            return _decided(audience)
        sent = f"{page.title}\n{page.url or ''}\n{page.html}"
        findings = scan_page(sent, document.body)
        if not findings:
            return _decided(audience)
        reason = "secret: " + describe_findings(findings)
        return GateDecision("held", None, audience.matched, reason)

    def _secrets_allowed(self, external_id: str) -> bool:
        if external_id in self.allow_ids:
            return True
        return self.allow_globs is not None and self.allow_globs.fullmatch(external_id) is not None


def describe_findings(findings: Sequence[SecretFinding]) -> str:
    """``aws_access_key_id line 12 AKIA…``, then how many more (values masked)."""
    first = findings[0]
    where = f" line {first.line}" if first.line else ""
    text = f"{first.kind}{where} {first.masked}"
    return text + (f" (and {len(findings) - 1} more)" if len(findings) > 1 else "")


def _decided(audience: AudienceDecision) -> GateDecision:
    return GateDecision(audience.audience, audience.availability, audience.matched, audience.reason)


def _facts(document: Document, page: ConvertedPage) -> Mapping[str, Sequence[str]]:
    if not page.facts:
        return document.facts
    return {**page.facts, **document.facts}  # the connector's own facts win


def _fingerprint(settings: ConnectorSettings) -> str:
    """Changes whenever the gate could decide differently: the rules, ``restricted``,
    ``allow_secrets``, ``broken_links`` and :data:`GATE_VERSION`."""
    raw = json.dumps(
        [
            GATE_VERSION,
            [rule.model_dump(mode="json") for rule in settings.audiences],
            settings.restricted,
            sorted(settings.allow_secrets),
            settings.broken_links,
        ],
        sort_keys=True,
    )
    return hashlib.sha256(raw.encode()).hexdigest()[:12]
