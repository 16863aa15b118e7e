"""The shared ``httpx.Client``, and sending one call through retry policy and rate budget."""

from __future__ import annotations

import logging
import os
import random
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import httpx

from ingestor import __version__
from ingestor.errors import ConfigError, ConfigIssue, IntercomUnreachable
from ingestor.http._budget import Permit, RateBudget
from ingestor.http._redact import install_log_redaction, redact
from ingestor.http._retry import (
    RetryPolicy,
    Verdict,
    classify_status,
    is_retriable_transport_error,
    parse_retry_after,
    surely_not_sent,
)

__all__ = ["USER_AGENT", "Attempt", "build_http_client", "describe_request", "send"]

log = logging.getLogger("ingestor.http")

USER_AGENT = f"fin-ingestor/{__version__}"


def _ssl_context(verify: bool | str | os.PathLike[str]) -> ssl.SSLContext | bool:
    if isinstance(verify, bool):
        return verify
    path = Path(verify)
    if not path.exists():
        issue = ConfigIssue("verify", f"CA bundle {path} does not exist", file=str(path))
        raise ConfigError([issue])
    try:
        if path.is_dir():
            return ssl.create_default_context(capath=str(path))
        return ssl.create_default_context(cafile=str(path))
    except (ssl.SSLError, OSError) as exc:
        issue = ConfigIssue("verify", f"CA bundle {path} cannot be loaded: {exc}", file=str(path))
        raise ConfigError([issue]) from exc


def build_http_client(
    base_url: str,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30.0,
    transport: httpx.BaseTransport | None = None,
    verify: bool | str | os.PathLike[str] = True,
    max_connections: int = 32,
) -> httpx.Client:
    """An ``httpx.Client`` set up the way every fin-ingestor client wants it.

    Proxies and CA settings come from the environment (``trust_env=True``: ``HTTPS_PROXY``,
    ``NO_PROXY``, ``SSL_CERT_FILE``); redirects are never followed (a redirect could carry
    credentials to another host); the pool allows ``max_connections`` concurrent calls; httpx's
    own request log lines are redacted (they show query strings).

    Args:
        base_url: Root of the API, e.g. ``https://api.intercom.io``.
        headers: Sent with every request (authorization, API version...).
        timeout: Seconds for connect, read, write and pool waits.
        transport: Replaces the network (``httpx.MockTransport`` in tests).
        verify: True, False, or the path of a CA bundle file or directory.
        max_connections: Size of the connection pool.

    Raises:
        ConfigError: ``verify`` names a CA bundle that does not exist or cannot be loaded.
    """
    install_log_redaction()
    all_headers = {"User-Agent": USER_AGENT}
    all_headers.update(headers or {})
    return httpx.Client(
        base_url=base_url,
        headers=all_headers,
        timeout=httpx.Timeout(timeout),
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        ),
        transport=transport,
        verify=_ssl_context(verify),
        trust_env=True,
        follow_redirects=False,
    )


def describe_request(request: httpx.Request, secrets: tuple[str, ...] = ()) -> str:
    """``METHOD path?query`` with credentials redacted, for logs and messages."""
    target = request.url.raw_path.decode("ascii", errors="replace")
    return redact(f"{request.method} {target}", secrets)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try of a call, as reported to the observer of :func:`send`."""

    request: httpx.Request
    label: str  # redacted "METHOD path"
    number: int  # 1 for the first try
    elapsed: float  # seconds from sending to answer or error
    response: httpx.Response | None  # None on a transport error
    error: str | None  # redacted transport error
    error_kind: str | None  # exception class name of the transport error
    retry_in: float | None  # seconds until the next try; None when this was the last one
    waited: float  # seconds the rate budget held this try before sending


Observer = Callable[[Attempt], None]


def _log_attempt(attempt: Attempt) -> None:
    status = attempt.response.status_code if attempt.response is not None else attempt.error_kind
    if attempt.retry_in is not None:
        log.warning(
            "%s -> %s (try %d), retrying in %.2fs%s",
            attempt.label,
            status,
            attempt.number,
            attempt.retry_in,
            f": {attempt.error}" if attempt.error else "",
        )
    else:
        log.debug("%s -> %s in %.3fs", attempt.label, status, attempt.elapsed)


# Keyword options with defaults, httpx style: each caller passes the few it needs (the Intercom
# client six, the wiki and Confluence clients three or four), so no bundle of them would travel.
def send(
    client: httpx.Client,
    build_request: Callable[[], httpx.Request],
    *,
    policy: RetryPolicy,
    budget: RateBudget | None = None,
    idempotent: bool = True,
    classify: Callable[[httpx.Response], Verdict] = classify_status,
    sleep: Callable[[float], None] = time.sleep,
    observer: Observer | None = None,
    unreachable: Callable[[str], Exception] = IntercomUnreachable,
    secrets: tuple[str, ...] = (),
    rng: random.Random | None = None,
    deadline: float | None = None,
) -> httpx.Response:
    """Send one call, retrying what the policy allows; return the last response.

    The response is returned for every verdict but RETRY/RATE_LIMITED, and for those too once
    attempts or the policy's total wait are used up: the caller maps its status to an error
    (only the caller knows its API's error envelope). 429s are waited out by ``budget``
    (``Retry-After`` or the window reset) or, without one, by the policy's delay. Transient
    failures (5xx by ``classify``, network errors) are retried only when ``idempotent``,
    except errors that prove the request never left (connect errors), which are always retried.

    Args:
        client: From :func:`build_http_client`.
        build_request: Builds a fresh request for every attempt.
        policy: Attempts and backoff.
        budget: Shared rate budget; every attempt is admitted through it.
        idempotent: Whether repeating a call that may have been processed is safe.
        classify: Maps a response to a :class:`Verdict`.
        sleep: Used for backoff waits (injectable for tests).
        observer: Called after every attempt; defaults to logging on ``ingestor.http``.
        unreachable: Builds the error raised when the network keeps failing.
        secrets: Values to redact from messages besides the recognised credential patterns.
        rng: Random source for backoff jitter.
        deadline: Seconds one attempt may take from sending to the answer's last byte; an
            answer still arriving then is a ``ReadTimeout`` (httpx's timeouts bound each read,
            so a proxy trickling a byte at a time would otherwise hold the call for ever).
            None: no bound beyond the client's timeouts.

    Raises:
        Whatever ``unreachable`` builds (default :class:`IntercomUnreachable`) when transport
        errors outlive the retries, or at once for a transport error that must not be retried.
    """
    sender = _Sender(
        client,
        build_request,
        policy=policy,
        budget=budget,
        idempotent=idempotent,
        classify=classify,
        sleep=sleep,
        unreachable=unreachable,
        secrets=secrets,
        notify=observer or _log_attempt,
        rng=rng,
        deadline=deadline,
    )
    return sender.run()


@dataclass(slots=True)
class _Sender:
    """One call of :func:`send` and its retries: each attempt admitted by the budget, sent,
    reported to the observer, and either retried after its delay or settled.

    The fields are :func:`send`'s arguments (``notify`` is the observer), fixed for the call;
    ``total_backoff`` is the sum of the waits slept so far.
    """

    client: httpx.Client
    build_request: Callable[[], httpx.Request]
    policy: RetryPolicy
    budget: RateBudget | None
    idempotent: bool
    classify: Callable[[httpx.Response], Verdict]
    sleep: Callable[[float], None]
    unreachable: Callable[[str], Exception]
    secrets: tuple[str, ...]
    notify: Observer
    rng: random.Random | None
    deadline: float | None = None
    total_backoff: float = 0.0

    def run(self) -> httpx.Response:
        number = 0
        while True:
            number += 1
            request = self.build_request()
            label = describe_request(request, self.secrets)
            permit = self.budget.acquire() if self.budget is not None else None
            waited = permit.waited if permit is not None else 0.0
            started = time.monotonic()
            attempt = Attempt(
                request=request,
                label=label,
                number=number,
                elapsed=0.0,
                response=None,
                error=None,
                error_kind=None,
                retry_in=None,
                waited=waited,
            )
            try:
                response = self._receive(request)
            except BaseException as exc:
                if self.budget is not None and permit is not None:
                    self.budget.cancel(permit)
                if not isinstance(exc, httpx.HTTPError):
                    raise
                attempt = replace(attempt, elapsed=time.monotonic() - started)
                delay = self._transport_failure(exc, attempt)
            else:
                attempt = replace(attempt, elapsed=time.monotonic() - started, response=response)
                settled = self._answered(response, permit, attempt)
                if settled is None:
                    return response
                delay = settled
            if delay > 0:
                self.sleep(delay)
                self.total_backoff += delay

    def _receive(self, request: httpx.Request) -> httpx.Response:
        """The whole answer, within ``deadline`` when there is one."""
        if self.deadline is None:
            return self.client.send(request)
        ends = time.monotonic() + self.deadline
        response = self.client.send(request, stream=True)
        if response.is_stream_consumed:  # a test transport's answer, read when it was made
            return response
        chunks: list[bytes] = []
        try:
            for chunk in response.iter_raw():
                chunks.append(chunk)
                if time.monotonic() > ends:
                    message = f"the answer was still arriving after {self.deadline:.0f}s"
                    raise httpx.ReadTimeout(message, request=request)
        finally:
            response.close()
        return httpx.Response(  # decoded (Content-Encoding) when its content is read
            response.status_code,
            headers=response.headers,
            content=b"".join(chunks),  # one copy of a list page's megabytes, not two
            request=request,
            extensions=response.extensions,
        )

    def _transport_failure(self, exc: httpx.HTTPError, attempt: Attempt) -> float:
        """Report a call that got no answer; its backoff, or raise when it must not retry."""
        policy, number = self.policy, attempt.number
        message = redact(str(exc) or type(exc).__name__, self.secrets)
        retriable = is_retriable_transport_error(exc) and (self.idempotent or surely_not_sent(exc))
        delay = policy.backoff(number, self.rng)
        last = (
            not retriable
            or number >= policy.max_attempts
            or self.total_backoff + delay > policy.max_total_wait
        )
        self.notify(
            replace(
                attempt,
                error=message,
                error_kind=type(exc).__name__,
                retry_in=None if last else delay,
            )
        )
        if last:
            tries = f"{number} attempt{'s' if number != 1 else ''}"
            error = self.unreachable(
                f"{attempt.label} failed: {type(exc).__name__}: {message} ({tries})"
            )
            raise error from None  # httpx's own message is not redacted: do not chain it
        return delay

    def _answered(
        self, response: httpx.Response, permit: Permit | None, attempt: Attempt
    ) -> float | None:
        """Report an answer; how long to wait before retrying it, or None to return it."""
        budget = self.budget
        if budget is not None and permit is not None:
            budget.complete(permit, response.status_code, response.headers)
        verdict = self.classify(response)
        retry_in = self._retry_delay(verdict, response, attempt.number)
        announced = retry_in
        if retry_in is not None and verdict is Verdict.RATE_LIMITED and budget is not None:
            announced = budget.delay_hint()  # the budget holds the next acquire() that long
        self.notify(replace(attempt, retry_in=announced))
        return retry_in

    def _retry_delay(self, verdict: Verdict, response: httpx.Response, number: int) -> float | None:
        """Seconds to sleep before retrying attempt ``number`` (0 = the budget does the waiting),
        or None: do not retry."""
        policy, rng = self.policy, self.rng
        if verdict in (Verdict.SUCCESS, Verdict.FAIL) or number >= policy.max_attempts:
            return None
        now = time.time()
        retry_after = parse_retry_after(response.headers, now)
        if verdict is Verdict.RATE_LIMITED:
            if self.budget is not None:
                return 0.0  # the budget holds the next acquire() until the window resets
            reset_in = _reset_in(response.headers.get("x-ratelimit-reset"), now)
            if retry_after is None and reset_in is not None:
                retry_after = reset_in + policy.backoff(1, rng) / 4
        elif not self.idempotent:  # Verdict.RETRY: the server may have done the work
            return None
        if retry_after is not None and retry_after > policy.max_total_wait:
            # The server asks for a longer wait than one call may spend (Confluence Data Center
            # sends 9223372036854775807 to a user whose allowance is zero): report it now.
            return None
        delay = policy.delay(number, retry_after=retry_after, rng=rng)
        if self.total_backoff + delay > policy.max_total_wait:
            return None
        return delay


def _reset_in(value: str | None, now: float) -> float | None:
    """Seconds until an ``X-RateLimit-Reset``: Unix seconds (Intercom) or ISO-8601 (Confluence
    Cloud, e.g. ``2024-05-01T12:00:00Z``); None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return max(0.0, int(value) - now)
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)
