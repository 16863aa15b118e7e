"""IntercomClient: the token never leaks; stats, latency and suggested concurrency."""

from __future__ import annotations

import logging
import threading
import time

import httpx
import pytest

from ingestor.errors import ConfigError, IntercomUnreachable, SyncError
from ingestor.http import Attempt, RateBudget, RetryPolicy
from ingestor.intercom import IntercomClient
from ingestor.intercom._stats import StatsRecorder

from .intercom_fakes import BASE_URL, TOKEN, FakeIntercom, envelope, filler_page, make_client


def test_token_absent_from_logs_errors_and_reprs(
    fake: FakeIntercom, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    errors: list[BaseException] = []
    policy = RetryPolicy(max_attempts=2, base_delay=0.0, jitter=False)
    with make_client(fake, policy=policy) as client:
        source = client.create_source("https://x.example/")
        fake.faults.extend(
            [
                envelope(500, "server_error", f"boom Bearer {TOKEN}"),
                httpx.ConnectError(f"refused, Authorization: Bearer {TOKEN}"),
                envelope(400, "parameter_invalid", f"bad token {TOKEN}"),
                httpx.ReadError(f"dropped {TOKEN}"),
                httpx.ReadError(f"dropped {TOKEN}"),
                envelope(401, "unauthorized", "Access Token Invalid"),
            ]
        )
        for call in (
            lambda: client.get_source(source.id),
            lambda: client.get_page("1"),
            lambda: client.get_page("2"),
            lambda: client.get_page("3"),
        ):
            try:
                call()
            except SyncError as exc:
                errors.append(exc)
        reprs = [repr(client), repr(client.budget), repr(client.stats())]
    assert len(errors) == 4
    assert any(isinstance(e, IntercomUnreachable) for e in errors)
    assert "Access Token Invalid" in str(errors[-1])
    for text in [caplog.text, *map(str, errors), *map(repr, errors), *reprs]:
        assert TOKEN not in text
    assert any(r.levelno == logging.DEBUG and r.name == "ingestor.intercom" for r in caplog.records)
    assert any(
        r.levelno == logging.WARNING and "retrying" in r.getMessage() for r in caplog.records
    )


@pytest.mark.parametrize(
    "token", ["tök_0123456789", "tok_0123\u201d456789", "tok 0123", "tok\x7f0123"]
)
def test_a_token_no_header_can_carry_is_a_config_error_never_shown(token: str) -> None:
    # httpx raises UnicodeEncodeError (a traceback) on the first call with such a header
    with pytest.raises(ConfigError) as caught:
        IntercomClient(token, base_url=BASE_URL)
    assert str(caught.value.issues[0]) == (
        "<config>: intercom.token: the access token contains whitespace, a control or a "
        "non-ASCII character (never shown)"
    )
    assert token not in str(caught.value)


def test_debug_lines_name_method_path_status_request_id(
    client: IntercomClient, fake: FakeIntercom, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="ingestor.intercom")
    fake.faults.append(envelope(404, "not_found", "Resource Not Found", request_id="rid-9"))
    with pytest.raises(SyncError):
        client.get_page("77")
    line = [r.getMessage() for r in caplog.records if r.name == "ingestor.intercom"][-1]
    assert "GET /ai/external_pages/77" in line and "404" in line and "rid-9" in line
    assert "getExternalPage" in line


def test_stats_count_calls_retries_and_failures(fake: FakeIntercom) -> None:
    with make_client(fake, policy=RetryPolicy(base_delay=0.0, jitter=False)) as client:
        fake.faults.extend(
            [
                envelope(503, "x", "y"),
                httpx.ConnectError("no"),
                envelope(429, "rate_limit_exceeded", "z"),
            ]
        )
        list(client.list_sources())
        client.create_source("https://x.example/")
        stats = client.stats()
    assert stats.calls_by_operation == {
        "listContentImportSources": 4,
        "createContentImportSource": 1,
    }
    assert (
        stats.calls,
        stats.retries,
        stats.server_errors,
        stats.transport_errors,
        stats.rate_limited,
    ) == (
        5,
        3,
        1,
        1,
        1,
    )
    assert stats.latency_ewma is not None and stats.latency_ewma >= 0
    assert stats.budget.calls == 5 and stats.budget.rate_limited == 1
    assert stats.calls_by_status == {  # a call that got no answer is "error"
        ("listContentImportSources", "503"): 1,
        ("listContentImportSources", "error"): 1,
        ("listContentImportSources", "429"): 1,
        ("listContentImportSources", "200"): 1,
        ("createContentImportSource", "200"): 1,
    }
    latency = {op: h.count for op, h in stats.latency_by_operation.items()}
    assert latency == stats.calls_by_operation  # every attempt timed, failed ones too


def _attempt(elapsed: float) -> Attempt:
    request = httpx.Request("POST", "https://x.test/ai/external_pages")
    return Attempt(
        request, "POST /ai/external_pages", 1, elapsed, httpx.Response(200), None, None, None, 0.0
    )


def test_suggested_concurrency_follows_littles_law() -> None:
    budget = RateBudget()
    recorder = StatsRecorder(budget, max_connections=32)
    assert recorder.suggested_concurrency() == 8  # nothing known yet

    permit = budget.acquire()
    reset = str(int(time.time()) + 5)
    budget.complete(
        permit,
        200,
        httpx.Headers(
            {
                "X-RateLimit-Limit": "1666",
                "X-RateLimit-Remaining": "1600",
                "X-RateLimit-Reset": reset,
            }
        ),
    )
    for _ in range(50):
        recorder.record("createExternalPage", _attempt(0.05))
    # 166.6 calls/s x 0.05 s = 8.3 in flight, x 1.5 headroom -> 13
    assert recorder.suggested_concurrency() == 13
    for _ in range(50):
        recorder.record("createExternalPage", _attempt(2.0))
    assert recorder.suggested_concurrency() == 32  # clamped to the pool

    slow_small = RateBudget()
    small = StatsRecorder(slow_small, max_connections=32)
    small.record("x", _attempt(0.01))  # no header yet: assume Intercom's documented 10,000/min
    assert small.suggested_concurrency() == 3
    tiny = StatsRecorder(RateBudget(), max_connections=1)
    assert tiny.suggested_concurrency() == 1


def test_client_suggested_concurrency_before_any_call(client: IntercomClient) -> None:
    assert client.suggested_concurrency() == 8
    with IntercomClient(TOKEN, base_url=BASE_URL, max_connections=4) as small:
        assert small.suggested_concurrency() == 4


def test_one_client_serves_many_threads(fake: FakeIntercom) -> None:
    lock = threading.Lock()
    inner = fake.transport()

    class Serialised(httpx.BaseTransport):  # the fake's dicts are not thread-safe; the client is
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            with lock:
                return inner.handle_request(request)

    with IntercomClient(TOKEN, base_url=BASE_URL, transport=Serialised()) as client:
        source = client.create_source("https://x.example/")
        failures: list[BaseException] = []

        def worker(start: int) -> None:
            try:
                for n in range(start, start + 25):
                    client.upsert_page(filler_page(source.id, f"p{n}"))
            except BaseException as exc:  # pragma: no cover - reported below
                failures.append(exc)

        threads = [threading.Thread(target=worker, args=(k * 100,)) for k in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not failures
        assert len(fake.pages) == 200
        assert client.stats().calls_by_operation["createExternalPage"] == 200
