"""The gate: the stage between conversion and upload that decides who may see each page.

``list → version gate → fetch → convert (pure) → GATE → hash gate → upsert → record``

* :mod:`ingestor.gate.audience` (pure): a page's facts and the connector's ``audiences`` rules
  and ``restricted`` setting give its audience: ``customers`` (AI Agent and Copilot), ``team``
  (Copilot only) or ``exclude``;
* :mod:`ingestor.gate.secrets` (pure): credentials found in what would be sent;
* :mod:`ingestor.gate.page` (pure): both together, as one :class:`GateDecision` per page;
* :mod:`ingestor.gate.withhold`: what the engine does with an excluded or held page (take an
  earlier version down, record why).

See docs/what-reaches-fin.md.
"""

from __future__ import annotations

from ingestor.gate.audience import AudienceDecision, AudienceRules, Availability, audience_name
from ingestor.gate.page import GATE_VERSION, GateDecision, PageGate, describe_findings

__all__ = [
    "GATE_VERSION",
    "AudienceDecision",
    "AudienceRules",
    "Availability",
    "GateDecision",
    "PageGate",
    "audience_name",
    "describe_findings",
]
