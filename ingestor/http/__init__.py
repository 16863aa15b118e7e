"""Shared HTTP plumbing for every client of fin-ingestor (Intercom now, wiki connectors later).

* :func:`build_http_client`: one configured ``httpx.Client`` (proxies from the environment, CA
  bundle, pool size, User-Agent, no redirects).
* :func:`send`: one call through a :class:`RetryPolicy` (bounded exponential backoff with full
  jitter, ``Retry-After``) and an optional shared :class:`RateBudget` (``X-RateLimit-*``).
  It knows no API's error envelope: the caller classifies responses and maps errors.
* :func:`by_offset` / :func:`by_token`: pagination that is complete or raises
  :class:`~ingestor.errors.IncompleteListing` (offsets advance by what arrived; loops, repeats
  and short totals are caught).
* :func:`redact`: strips bearer tokens, ``token=`` values and URL passwords from text; every
  log line and message that could contain a request goes through it.
"""

from __future__ import annotations

from ingestor.http._budget import Permit, RateBudget, RateBudgetStats, RateLimitInfo
from ingestor.http._client import USER_AGENT, Attempt, build_http_client, describe_request, send
from ingestor.http._paging import DEFAULT_MAX_PAGES, Page, by_offset, by_token
from ingestor.http._redact import REDACTED, RedactingFilter, install_log_redaction, redact
from ingestor.http._retry import (
    RetryPolicy,
    Verdict,
    classify_status,
    is_retriable_transport_error,
    parse_retry_after,
    surely_not_sent,
)

__all__ = [
    "DEFAULT_MAX_PAGES",
    "REDACTED",
    "USER_AGENT",
    "Attempt",
    "Page",
    "Permit",
    "RateBudget",
    "RateBudgetStats",
    "RateLimitInfo",
    "RedactingFilter",
    "RetryPolicy",
    "Verdict",
    "build_http_client",
    "by_offset",
    "by_token",
    "classify_status",
    "describe_request",
    "install_log_redaction",
    "is_retriable_transport_error",
    "parse_retry_after",
    "redact",
    "send",
    "surely_not_sent",
]
