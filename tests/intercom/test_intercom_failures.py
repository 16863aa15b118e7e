"""IntercomClient: error mapping, retries, backoff, Retry-After, 429 resets, idempotency."""

from __future__ import annotations

from email.utils import formatdate

import httpx
import pytest

from ingestor.errors import (
    AuthenticationError,
    FatalError,
    IntercomUnreachable,
    PageError,
    RateLimitedError,
    RetriableError,
    SyncError,
)
from ingestor.http import RateBudget, RetryPolicy
from ingestor.intercom import IntercomClient, PageUpsert

from .intercom_fakes import FakeClock, FakeIntercom, envelope, filler_page, make_client

NO_JITTER = RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=8.0, jitter=False)


def upsert(client: IntercomClient, source_id: int = 1) -> object:
    return client.upsert_page(
        PageUpsert(
            source_id=source_id,
            external_id="a.md",
            title="A",
            html="<p>a</p>",
            url="https://x.example/a",
            ai_agent_availability=True,
            ai_copilot_availability=True,
        )
    )


@pytest.fixture
def source_id(client: IntercomClient) -> int:
    return client.create_source("https://x.example/").id


@pytest.mark.parametrize(
    ("status", "code", "page_error", "source_error"),
    [
        (400, "parameter_invalid", PageError, FatalError),
        (401, "unauthorized", AuthenticationError, AuthenticationError),
        (403, "forbidden", AuthenticationError, AuthenticationError),
        (404, "not_found", PageError, FatalError),
        (409, "conflict", PageError, FatalError),
        (422, "data_invalid", PageError, FatalError),
    ],
)
def test_refusals_map_by_status_and_operation_kind(
    client: IntercomClient,
    fake: FakeIntercom,
    status: int,
    code: str,
    page_error: type[SyncError],
    source_error: type[SyncError],
) -> None:
    fake.faults.append(envelope(status, code, "Nope: bad title", request_id="rid-42"))
    with pytest.raises(page_error) as page_info:
        client.get_page("9")
    error = page_info.value
    assert type(error) is page_error
    assert (error.status_code, error.code, error.request_id) == (status, code, "rid-42")
    assert "Nope: bad title" in str(error) and "'9'" in str(error)
    assert len(fake.requests) == 1  # never retried

    fake.faults.append(envelope(status, code, "Nope", request_id="rid-43"))
    with pytest.raises(source_error) as source_info:
        client.get_source(5)
    assert type(source_info.value) is source_error
    assert source_info.value.request_id == "rid-43"


def test_the_field_is_named_and_raw_bodies_never_quoted(
    client: IntercomClient, fake: FakeIntercom
) -> None:
    fake.faults.append(
        httpx.Response(
            422,
            json={
                "type": "error.list",
                "request_id": None,
                "errors": [
                    {"code": "parameter_invalid", "message": "is too long", "field": "title"}
                ],
            },
            headers={"X-Request-Id": "hdr-1"},
        )
    )
    with pytest.raises(PageError, match=r"is too long \(field title\)") as info:
        upsert(client)
    assert info.value.request_id == "hdr-1"
    assert "'a.md' of source 1" in str(info.value)

    fake.faults.append(httpx.Response(400, text="<html>secret internals stack trace</html>"))
    with pytest.raises(PageError) as raw:
        client.get_page("1")
    assert "internals" not in str(raw.value)
    assert raw.value.code is None and "Bad Request" in str(raw.value)


def test_5xx_is_retried_with_backoff_then_succeeds(fake: FakeIntercom, clock: FakeClock) -> None:
    with make_client(fake, policy=NO_JITTER) as client:
        source = client.create_source("https://x.example/")
        fake.faults.extend(
            [envelope(500, "server_error", "x"), envelope(503, "service_unavailable", "y")]
        )
        page = upsert(client, source.id)
        assert page is not None
        assert clock.sleeps == [1.0, 2.0]
        stats = client.stats()
        assert stats.retries == 2 and stats.server_errors == 2
        assert stats.calls_by_operation == {"createContentImportSource": 1, "createExternalPage": 3}


def test_5xx_exhausted_is_retriable(fake: FakeIntercom, clock: FakeClock) -> None:
    with make_client(fake, policy=NO_JITTER) as client:
        fake.faults.extend(envelope(502, "bad_gateway", "down") for _ in range(4))
        with pytest.raises(RetriableError) as info:
            client.get_page("1")
        assert type(info.value) is RetriableError
        assert info.value.status_code == 502
        assert len(fake.requests) == 4
        assert clock.sleeps == [1.0, 2.0, 4.0]


def test_retry_after_on_5xx_is_honoured(fake: FakeIntercom, clock: FakeClock) -> None:
    with make_client(fake, policy=NO_JITTER) as client:
        fake.faults.append(httpx.Response(503, headers={"Retry-After": "3"}))
        list(client.list_sources())
        assert clock.sleeps == [3.0]


def test_create_source_is_not_retried_once_it_may_have_been_processed(
    fake: FakeIntercom, clock: FakeClock
) -> None:
    with make_client(fake, policy=NO_JITTER) as client:
        fake.faults.append(envelope(500, "server_error", "oops"))
        with pytest.raises(RetriableError):
            client.create_source("https://x.example/")
        assert len(fake.requests) == 1

        fake.faults.append(
            httpx.RemoteProtocolError("Server disconnected without sending a response.")
        )
        with pytest.raises(IntercomUnreachable, match="POST /ai/content_import_sources"):
            client.create_source("https://x.example/")
        assert len(fake.requests) == 2
        assert fake.sources == {}


def test_create_source_is_retried_when_surely_not_processed(
    fake: FakeIntercom, clock: FakeClock
) -> None:
    with make_client(fake, policy=NO_JITTER) as client:
        fake.faults.extend(
            [
                httpx.ConnectError("connection refused"),
                envelope(429, "rate_limit_exceeded", "Exceeded rate limit of 1 in 10_seconds"),
            ]
        )
        source = client.create_source("https://x.example/")
        assert len(fake.requests) == 3
        assert list(fake.sources) == [source.id]
        assert client.stats().transport_errors == 1 and client.stats().rate_limited == 1


def test_dropped_upsert_is_retried(fake: FakeIntercom) -> None:
    with make_client(fake, policy=NO_JITTER) as client:
        source = client.create_source("https://x.example/")
        fake.faults.extend([httpx.ReadError("reset by peer"), httpx.ReadTimeout("timed out")])
        upsert(client, source.id)
        assert len(fake.pages) == 1
        assert client.stats().transport_errors == 2


def test_transport_errors_exhausted_raise_unreachable(fake: FakeIntercom) -> None:
    with make_client(fake, policy=NO_JITTER) as client:
        fake.faults.extend(httpx.ConnectError("connection refused") for _ in range(4))
        with pytest.raises(IntercomUnreachable, match="4 attempts") as info:
            list(client.list_pages())
        assert isinstance(info.value, RetriableError)


def test_429_waits_for_x_ratelimit_reset(fake: FakeIntercom, clock: FakeClock) -> None:
    clock.now = 1_700_000_003.0
    budget = RateBudget(clock=clock.time, sleep=clock.sleep, reset_jitter=0.0)
    with make_client(fake, budget=budget) as client:
        fake.faults.append(
            httpx.Response(
                429,
                json={"type": "error.list", "errors": [{"code": "rate_limit_exceeded"}]},
                headers={
                    "X-RateLimit-Limit": "5",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": "1700000010",
                },
            )
        )
        list(client.list_sources())
    assert clock.now == pytest.approx(1_700_000_010.0)
    assert len(fake.requests) == 2


def test_429_retry_after_http_date(fake: FakeIntercom, clock: FakeClock) -> None:
    with make_client(fake) as client:
        when = formatdate(clock.now + 4, usegmt=True)
        fake.faults.append(httpx.Response(429, headers={"Retry-After": when}))
        list(client.list_sources())
    assert 3.0 <= clock.now - 1_700_000_000.0 <= 4.5


def test_429_exhausted_is_rate_limited_error(fake: FakeIntercom) -> None:
    with make_client(fake, policy=NO_JITTER) as client:
        fake.faults.extend(
            envelope(429, "rate_limit_exceeded", "Exceeded rate limit of 5 in 10_seconds")
            for _ in range(4)
        )
        with pytest.raises(RateLimitedError, match="Exceeded rate limit") as info:
            client.get_page("1")
        assert (info.value.status_code, info.value.code) == (429, "rate_limit_exceeded")
        assert len(fake.requests) == 4


def test_rate_limited_sync_stays_under_the_limit(clock: FakeClock) -> None:
    """A sequential sync against a 20-per-window limit: ~no 429s, every window used."""
    fake = FakeIntercom(clock, rate_limit=20, latency=0.05)
    with make_client(fake) as client:
        source = client.create_source("https://x.example/")
        for n in range(200):
            client.upsert_page(filler_page(source.id, f"p{n}"))
        assert len(fake.pages) == 200
        assert fake.rejected <= 2
        assert client.stats().budget.limit_per_window == 20


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (httpx.Response(200, text="not json"), "not JSON"),
        (httpx.Response(200, json={"id": "x1"}), "source_id"),
        (httpx.Response(200, json=[1, 2]), "JSON object"),
        (
            httpx.Response(200, json={"id": None, "source_id": 1, "external_id": "e"}),
            r"external_page\.id",
        ),
    ],
)
def test_malformed_success_bodies_become_the_operations_error(
    client: IntercomClient, fake: FakeIntercom, answer: httpx.Response, error: str
) -> None:
    fake.faults.append(answer)
    with pytest.raises(PageError, match=error) as info:
        client.get_page("1")
    assert info.value.code == "invalid_response"
    fake.faults.append(httpx.Response(200, json={"id": "not-an-int"}))
    with pytest.raises(FatalError, match=r"content_import_source\.id"):
        client.get_source(1)


def test_redirects_are_not_followed(client: IntercomClient, fake: FakeIntercom) -> None:
    fake.faults.append(httpx.Response(302, headers={"Location": "https://evil.test/steal"}))
    with pytest.raises(FatalError) as info:
        client.get_source(1)
    assert info.value.status_code == 302
    assert all(r.url.host == "intercom.test" for r in fake.requests)
