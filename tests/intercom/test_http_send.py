"""ingestor.http.send: which failures are retried, how long it waits, what it raises."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import httpx
import pytest

from ingestor.errors import ConnectorError, IntercomUnreachable
from ingestor.http import Attempt, RateBudget, RetryPolicy, build_http_client, send

from .intercom_fakes import FakeClock

Step = httpx.Response | Exception


class Script:
    """A transport answering from a list of responses/exceptions, recording every request."""

    def __init__(self, *steps: Step) -> None:
        self.steps: deque[Step] = deque(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps.popleft() if self.steps else httpx.Response(200)
        if isinstance(step, Exception):
            raise step
        return step


def run(
    script: Script,
    clock: FakeClock,
    *,
    idempotent: bool = True,
    policy: RetryPolicy | None = None,
    budget: RateBudget | None = None,
    url: str = "/thing",
    unreachable: Callable[[str], Exception] = IntercomUnreachable,
    attempts: list[Attempt] | None = None,
) -> httpx.Response:
    with build_http_client("https://api.test", transport=httpx.MockTransport(script)) as client:
        return send(
            client,
            lambda: client.build_request("POST", url, json={"a": 1}),
            policy=policy or RetryPolicy(base_delay=1.0, max_delay=8.0, jitter=False),
            budget=budget,
            idempotent=idempotent,
            sleep=clock.sleep,
            observer=attempts.append if attempts is not None else None,
            unreachable=unreachable,
        )


def test_5xx_is_retried_with_exponential_backoff_then_succeeds(clock: FakeClock) -> None:
    script = Script(
        httpx.Response(500), httpx.Response(502), httpx.Response(503), httpx.Response(200)
    )
    attempts: list[Attempt] = []
    response = run(script, clock, attempts=attempts)
    assert response.status_code == 200
    assert len(script.requests) == 4
    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert [a.number for a in attempts] == [1, 2, 3, 4]
    assert [a.retry_in for a in attempts] == [1.0, 2.0, 4.0, None]


def test_retries_stop_after_max_attempts_and_return_the_last_answer(clock: FakeClock) -> None:
    script = Script(*[httpx.Response(503) for _ in range(10)])
    response = run(script, clock, policy=RetryPolicy(max_attempts=3, jitter=False))
    assert response.status_code == 503
    assert len(script.requests) == 3


def test_total_wait_is_bounded(clock: FakeClock) -> None:
    script = Script(*[httpx.Response(500) for _ in range(10)])
    policy = RetryPolicy(
        max_attempts=10, base_delay=1.0, max_delay=100, jitter=False, max_total_wait=7
    )
    response = run(script, clock, policy=policy)
    assert response.status_code == 500
    assert clock.sleeps == [1.0, 2.0, 4.0]  # the next (8 s) would pass 7 s in total
    assert sum(clock.sleeps) <= 7


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_other_4xx_are_never_retried(clock: FakeClock, status: int) -> None:
    script = Script(httpx.Response(status))
    assert run(script, clock).status_code == status
    assert len(script.requests) == 1
    assert clock.sleeps == []


def test_retry_after_on_503_is_honoured(clock: FakeClock) -> None:
    script = Script(httpx.Response(503, headers={"Retry-After": "5"}), httpx.Response(200))
    assert run(script, clock).status_code == 200
    assert clock.sleeps == [5.0]


def test_429_without_budget_waits_for_the_reset_header(clock: FakeClock) -> None:
    import time

    reset = int(time.time()) + 6
    script = Script(
        httpx.Response(429, headers={"X-RateLimit-Reset": str(reset)}), httpx.Response(200)
    )
    assert run(script, clock).status_code == 200
    assert len(clock.sleeps) == 1
    assert 4.0 <= clock.sleeps[0] <= 7.0


def test_429_with_budget_is_waited_out_by_the_budget(clock: FakeClock) -> None:
    budget = RateBudget(clock=clock.time, sleep=clock.sleep, reset_jitter=0.0)
    headers = {
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(int(clock.now) + 10),
    }
    script = Script(httpx.Response(429, headers=headers), httpx.Response(200))
    start = clock.now
    assert run(script, clock, budget=budget).status_code == 200
    assert clock.now == pytest.approx(start + 10)
    assert budget.rate_limited == 1
    assert budget.calls == 2


def test_429_exhausting_attempts_returns_the_429(clock: FakeClock) -> None:
    script = Script(*[httpx.Response(429, headers={"Retry-After": "1"}) for _ in range(4)])
    response = run(script, clock, policy=RetryPolicy(max_attempts=4))
    assert response.status_code == 429
    assert len(script.requests) == 4


def test_transport_errors_are_retried_then_raise_unreachable(clock: FakeClock) -> None:
    script = Script(
        httpx.ReadTimeout("read timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("connection reset"),
    )
    with pytest.raises(IntercomUnreachable, match=r"ReadError.*3 attempts"):
        run(script, clock, policy=RetryPolicy(max_attempts=3, jitter=False))
    assert len(script.requests) == 3


def test_the_caller_picks_the_unreachable_error(clock: FakeClock) -> None:
    script = Script(httpx.ConnectError("refused"))
    with pytest.raises(ConnectorError, match="refused"):
        run(script, clock, policy=RetryPolicy(max_attempts=1), unreachable=ConnectorError)


def test_a_transport_error_recovers(clock: FakeClock) -> None:
    script = Script(httpx.ConnectError("refused"), httpx.Response(200))
    assert run(script, clock).status_code == 200


def test_non_idempotent_call_is_not_retried_after_it_may_have_been_processed(
    clock: FakeClock,
) -> None:
    script = Script(httpx.Response(500))
    assert run(script, clock, idempotent=False).status_code == 500
    assert len(script.requests) == 1

    dropped = Script(httpx.RemoteProtocolError("Server disconnected without sending a response."))
    with pytest.raises(IntercomUnreachable, match="1 attempt"):
        run(dropped, clock, idempotent=False)
    assert len(dropped.requests) == 1

    timed_out = Script(httpx.ReadTimeout("timed out"))
    with pytest.raises(IntercomUnreachable):
        run(timed_out, clock, idempotent=False)
    assert len(timed_out.requests) == 1


def test_non_idempotent_call_is_retried_when_surely_not_processed(clock: FakeClock) -> None:
    script = Script(
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("connect timed out"),
        httpx.Response(429, headers={"Retry-After": "2"}),
        httpx.Response(200),
    )
    assert run(script, clock, idempotent=False).status_code == 200
    assert len(script.requests) == 4


def test_unretriable_transport_errors_raise_at_once(clock: FakeClock) -> None:
    script = Script(httpx.UnsupportedProtocol("Request URL has an unsupported protocol"))
    with pytest.raises(IntercomUnreachable):
        run(script, clock)
    assert len(script.requests) == 1
    assert clock.sleeps == []


def test_messages_and_logs_are_redacted(clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    script = Script(
        httpx.Response(500),
        httpx.ConnectError("failed for https://u:pw@proxy.test?token=sekrit"),
        httpx.ConnectError("again ?token=sekrit"),
    )
    with pytest.raises(IntercomUnreachable) as info:
        run(
            script,
            clock,
            url="/thing?token=sekrit",
            policy=RetryPolicy(max_attempts=3, jitter=False),
        )
    assert "sekrit" not in str(info.value)
    assert "pw@" not in str(info.value)
    assert "sekrit" not in caplog.text
    assert "retrying" in caplog.text  # warnings on retries
    assert info.value.__cause__ is None  # httpx's message (with the url) is not chained


def test_an_unexpected_exception_releases_the_budget_and_propagates(clock: FakeClock) -> None:
    budget = RateBudget(clock=clock.time, sleep=clock.sleep)
    script = Script(RuntimeError("bug in a transport"))
    with pytest.raises(RuntimeError, match="bug in a transport"):
        run(script, clock, budget=budget)
    assert budget.stats().in_flight == 0
