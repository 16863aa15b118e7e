"""PLACEHOLDER secrets detector (the real one replaces this file at merge).

It has the real module's interface and finds only PEM private-key blocks and AWS access key
ids, honouring the ``fin-ingestor: allow-secret`` marker: enough to test how the gate holds
pages. Pure: text in, findings out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ALLOW_MARKER", "SecretFinding", "scan_page"]

ALLOW_MARKER = "fin-ingestor: allow-secret"

_PATTERNS = (
    ("private_key", re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----")),
    ("aws_access_key_id", re.compile(r"(?<![A-Z0-9])AKIA[0-9A-Z]{16}(?![A-Z0-9])")),
)


@dataclass(frozen=True, slots=True)
class SecretFinding:
    """One secret found in a page."""

    kind: str
    #: 1-based line in ``source`` where the secret appears; 0 when it is not on a source line.
    line: int
    #: The secret masked (a few leading chars then "…"), never the whole value.
    masked: str


def scan_page(sent: str, source: str) -> list[SecretFinding]:
    """Find secrets in ``sent`` (everything sent: title, url and html); lines of ``source``
    (the fetched body) carrying the marker ``fin-ingestor: allow-secret`` release what is on
    them."""
    source_lines = source.splitlines()
    released = {
        value
        for line in source_lines
        if ALLOW_MARKER in line
        for _, pattern in _PATTERNS
        for value in (m.group(0) for m in pattern.finditer(line))
    }
    findings: list[SecretFinding] = []
    for kind, pattern in _PATTERNS:
        for value in dict.fromkeys(m.group(0) for m in pattern.finditer(sent)):
            if value in released:
                continue
            line = next((n for n, text in enumerate(source_lines, 1) if value in text), 0)
            findings.append(SecretFinding(kind, line, value[:4] + "…"))
    return findings
