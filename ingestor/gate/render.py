"""How ``sync``, ``plan`` and ``status`` print the gate's decisions (rich markup, escaped)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rich.markup import escape

from ingestor.engine.report import Outcome, PageEvent, SyncReport
from ingestor.untrusted import visible_text

__all__ = ["audience_tag", "rule_counts_line", "withheld_line", "withheld_lines"]

#: Withheld pages printed per connector (the state database has them all).
MAX_WITHHELD_LISTED = 50


def _shown(text: str) -> str:
    """Outside text (page ids, reasons) as inert rich text: no markup, no terminal escapes."""
    return escape(visible_text(text))


def audience_tag(event: PageEvent) -> str:
    """`` → customers (rule 1 (public))`` for a page the gate decided; "" otherwise."""
    if not event.audience:
        return ""
    return _shown(f" → {event.audience} ({event.matched})")


def withheld_line(connector: str, external_id: str, audience: str, reason: str) -> str:
    """One excluded or held page and why (secrets are masked before they get here)."""
    if audience == "held":
        verb, style = "  held", "red"
    else:
        verb, style = "exclude", "magenta"
    return (
        f"[{style}]{verb:>7}[/{style}] {_shown(connector)}: {_shown(external_id)} "
        f"({_shown(reason)})"
    )


def withheld_lines(report: SyncReport) -> list[str]:
    """The run's excluded and held pages, held first (they need an admin)."""
    events = sorted(report.withheld, key=lambda e: (e.outcome is not Outcome.HELD, e.external_id))
    lines = [
        withheld_line(report.connector, e.external_id, e.audience, e.reason)
        for e in events[:MAX_WITHHELD_LISTED]
    ]
    more = report.excluded + report.held - len(lines)
    if more > 0:
        lines.append(f"{_shown(report.connector)}: … {more} more excluded or held pages")
    return lines


def rule_counts_line(connector: str, counts: Mapping[str, int], *, what: str) -> str | None:
    """``docs: pages per rule (read this run): rule 1 (public) 4, default 2``."""
    if not counts:
        return None
    parts = ", ".join(f"{rule} {n}" for rule, n in _ordered(counts.items()))
    return _shown(f"{connector}: pages per rule ({what}): {parts}")


def _ordered(items: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    """Rules in their config order, then default and restricted."""

    def key(item: tuple[str, int]) -> tuple[int, int, str]:
        rule = item[0]
        if rule.startswith("rule "):
            number = rule[5:].split(" ", 1)[0]
            return (0, int(number) if number.isdigit() else 0, rule)
        return (1, 0, rule)

    return sorted(items, key=key)
