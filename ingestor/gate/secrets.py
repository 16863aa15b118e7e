"""The secrets detector: credentials in what a page would send to Intercom.

:func:`scan_page` is pure and deterministic: it reads everything sent for a page (title, url
and HTML), and the fetched source only to report line numbers and honour the
``fin-ingestor: allow-secret`` marker. The engine holds a page with findings (see
docs/secrets.md for what is detected, what is ignored as a placeholder, and known gaps).

How it reads the page (:mod:`._secret_text`): markup and entities are removed so they cannot
hide a secret, attribute values are read too. Each detector (:mod:`._secret_patterns`)
proposes spans; where spans overlap the more specific kind wins (``token: ghp_…`` is a
``github_token``, not a ``password_assignment``), and one secret is reported once per kind.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from ingestor.gate._secret_patterns import DETECTORS, Candidate
from ingestor.gate._secret_text import ALLOW_MARKER, SourceLines, scan_text
from ingestor.gate._secret_values import PUBLIC_EXAMPLES, mask

__all__ = ["ALLOW_MARKER", "KINDS", "SecretFinding", "scan_page"]

#: Every kind a finding can have.
KINDS = (
    "private_key",
    "gcp_service_account",
    "aws_access_key_id",
    "aws_secret_access_key",
    "azure_connection_string",
    "github_token",
    "gitlab_token",
    "slack_token",
    "stripe_key",
    "intercom_token",
    "google_api_key",
    "openai_key",
    "anthropic_key",
    "atlassian_token",
    "npm_token",
    "pypi_token",
    "sendgrid_key",
    "huggingface_token",
    "shopify_token",
    "digitalocean_token",
    "jwt",
    "bearer_token",
    "url_password",
    "password_assignment",
)


@dataclass(frozen=True, slots=True)
class SecretFinding:
    """One credential found in a page.

    Attributes:
        kind: What it is: one of :data:`KINDS`.
        line: 1-based line of the source where the secret appears; 0 when it is not on a
            line of the source (a url template, a title, a converted Word file...).
        masked: The secret's first few characters then "…" (at most 6, at most a fifth).
    """

    kind: str
    line: int
    masked: str


_ASCII_LOWER = {code: code + 32 for code in range(ord("A"), ord("Z") + 1)}


def _most_specific(candidates: list[Candidate]) -> list[Candidate]:
    """Candidates that no overlapping, more specific candidate covers, in text order."""
    kept: list[tuple[int, int, Candidate]] = []  # sorted by start, never overlapping
    for candidate in sorted(candidates, key=lambda c: (-c.priority, c.start, c.end)):
        index = bisect.bisect_left(kept, candidate.start, key=lambda entry: entry[0])
        before = kept[index - 1] if index else None
        after = kept[index] if index < len(kept) else None
        if (before and before[1] > candidate.start) or (after and after[0] < candidate.end):
            continue
        kept.insert(index, (candidate.start, candidate.end, candidate))
    return sorted((entry[2] for entry in kept), key=lambda c: (c.start, c.end, c.kind))


def _line(candidate: Candidate, source: SourceLines) -> int | None:
    """The line to report, 0 when unknown, or None when every line holding it is allowed."""
    lines = source.lines_of(candidate.needle)
    if candidate.kind in ("private_key", "gcp_service_account"):
        # A key is reported (and allowed) at its BEGIN line, just above its first body line.
        lines = [n - 1 if "PRIVATE KEY" in source.line_text(n - 1) else n for n in lines]
        allowed = {n for n in lines if n in source.marked or n + 1 in source.marked}
    else:
        allowed = {n for n in lines if n in source.marked}
    if lines and len(allowed) == len(lines):
        return None
    return next((n for n in lines if n not in allowed), 0)


def scan_page(sent: str, source: str) -> list[SecretFinding]:
    """Find secrets in ``sent`` (everything sent to Intercom: title + "\\n" + url + "\\n" + html).

    Lines of ``source`` (the fetched body, whose line numbers the admin knows) carrying the
    marker ``fin-ingestor: allow-secret`` release the secrets that appear on them; a secret
    also found on a line without the marker is still reported, at that line.

    Returns:
        The findings by source line, those on no line last (otherwise in the order the
        secrets occur in ``sent``, attribute values after the text), each secret once per
        kind.
    """
    text = scan_text(sent)
    lowered = text.lower()
    if len(lowered) != len(text):  # "İ" lowers to two characters: keep offsets aligned
        lowered = text.translate(_ASCII_LOWER)
    candidates = [
        c
        for detector in DETECTORS
        for c in detector(text, lowered)
        if c.value not in PUBLIC_EXAMPLES
    ]
    if not candidates:
        return []
    lines = SourceLines(source)
    findings: list[SecretFinding] = []
    seen: set[tuple[str, str]] = set()
    for candidate in _most_specific(candidates):
        key = (candidate.kind, candidate.value)
        if key in seen:
            continue
        seen.add(key)
        line = _line(candidate, lines)
        if line is not None:
            findings.append(SecretFinding(candidate.kind, line, mask(candidate.value)))
    # By source line (what the admin reads first), then those on no line; stable otherwise.
    return sorted(findings, key=lambda finding: (finding.line == 0, finding.line))
