"""Field trials of the Intercom client against the hostile server (real sockets): rate limits,
load balancers, cut and lost answers, answers about another object than the one asked."""

from __future__ import annotations

import json
from email.utils import formatdate

import pytest

from ingestor.errors import (
    AuthenticationError,
    FatalError,
    IntercomUnreachable,
    PageError,
    RateLimitedError,
    RetriableError,
)
from ingestor.intercom import IntercomClient, PageUpsert

from .conftest import Clock, client_for
from .hostile_intercom import Fault, HostileIntercom, lb_html


def upsert(source_id: int, eid: str = "a.md", title: str = "A") -> PageUpsert:
    return PageUpsert(
        source_id=source_id,
        external_id=eid,
        title=title,
        html="<p>a</p>",
        url=f"https://docs.example.com/{eid}",
        ai_agent_availability=True,
        ai_copilot_availability=True,
    )


def envelope(code: str, message: str) -> bytes:
    return json.dumps(
        {"type": "error.list", "request_id": "r1", "errors": [{"code": code, "message": message}]}
    ).encode()


RATE_LIMITED = envelope("rate_limit_exceeded", "Exceeded rate limit of 167 in 10_seconds")


# -- 429 ---------------------------------------------------------------------------------------


def test_429_without_any_header_waits_blind_then_succeeds(
    server: HostileIntercom, client: IntercomClient, clock: Clock
) -> None:
    sid = server.add_source("https://docs.example.com/")
    server.faults.append(Fault("POST", "/ai/external_pages", "answer", times=2, status=429))
    page = client.upsert_page(upsert(sid))
    assert server.pages_of(sid)["a.md"]["id"] == page.id
    assert 1.0 <= sum(clock.slept) <= 10.0  # 1 s, then 2 s: bounded, never a busy loop


def test_429_with_retry_after_as_http_date_waits_that_long(
    server: HostileIntercom, client: IntercomClient, clock: Clock
) -> None:
    sid = server.add_source("https://docs.example.com/")
    when = formatdate(clock.now() + 7, usegmt=True)
    server.faults.append(
        Fault("POST", "/ai/external_pages", "answer", status=429, headers={"Retry-After": when})
    )
    client.upsert_page(upsert(sid))
    assert 5.0 <= sum(clock.slept) <= 8.5


def test_429_with_a_reset_in_the_past_retries_after_a_short_wait(
    server: HostileIntercom, client: IntercomClient, clock: Clock
) -> None:
    sid = server.add_source("https://docs.example.com/")
    stale = {"X-RateLimit-Limit": "167", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1"}
    server.faults.append(
        Fault("POST", "/ai/external_pages", "answer", status=429, headers=stale, body=RATE_LIMITED)
    )
    client.upsert_page(upsert(sid))
    assert sum(clock.slept) <= 1.0


def test_429_with_a_reset_far_in_the_future_waits_one_window_not_a_day(
    server: HostileIntercom, client: IntercomClient, clock: Clock
) -> None:
    sid = server.add_source("https://docs.example.com/")
    client.list_sources()  # (lazy: nothing sent)
    far = str(int(clock.now()) + 86_400)
    headers = {"X-RateLimit-Limit": "167", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": far}
    server.faults.append(Fault("POST", "/ai/external_pages", "answer", status=429, headers=headers))
    client.upsert_page(upsert(sid))
    assert 0 < sum(clock.slept) <= 11.0


def test_429_with_a_retry_after_of_a_day_gives_up_with_the_rate_limit_named(
    server: HostileIntercom, client: IntercomClient, clock: Clock
) -> None:
    sid = server.add_source("https://docs.example.com/")
    server.faults.append(
        Fault(
            "POST",
            "/ai/external_pages",
            "answer",
            status=429,
            headers={"Retry-After": "86400"},
            body=RATE_LIMITED,
            times=99,
        )
    )
    with pytest.raises(RateLimitedError, match="Exceeded rate limit"):
        client.upsert_page(upsert(sid))
    # each retry waits at most a minute (the budget's cap on one Retry-After), so a page gives
    # up after (attempts - 1) minutes; the run's breaker then ends a run where all pages do
    assert sum(clock.slept) <= 3 * 60.0
    assert server.pages_of(sid) == {}


# -- 5xx from a load balancer, odd bodies ------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_load_balancer_html_is_retried_then_succeeds(
    server: HostileIntercom, client: IntercomClient, status: int
) -> None:
    sid = server.add_source("https://docs.example.com/")
    server.faults.append(
        Fault(
            "POST",
            "/ai/external_pages",
            "answer",
            status=status,
            times=2,
            headers={"Content-Type": "text/html"},
            body=lb_html(status),
        )
    )
    client.upsert_page(upsert(sid))
    assert len(server.pages_of(sid)) == 1


@pytest.mark.parametrize(
    ("status", "body", "ctype"),
    [
        (502, lb_html(502), "text/html"),
        (500, b"", "application/json"),
        (503, b'{"message": "upstream overloaded", "status": 503}', "application/json"),
        (500, b'["not", "an", "envelope"]', "application/json"),
    ],
)
def test_5xx_that_never_heals_names_the_page_and_never_quotes_html(
    server: HostileIntercom, client: IntercomClient, status: int, body: bytes, ctype: str
) -> None:
    sid = server.add_source("https://docs.example.com/")
    server.faults.append(
        Fault(
            "POST",
            "/ai/external_pages",
            "answer",
            status=status,
            times=99,
            headers={"Content-Type": ctype},
            body=body,
        )
    )
    with pytest.raises(RetriableError) as caught:
        client.upsert_page(upsert(sid))
    message = str(caught.value)
    assert "'a.md'" in message and f"source {sid}" in message
    assert "<" not in message and "center" not in message
    assert caught.value.status_code == status


# -- lost and broken answers -----------------------------------------------------------------


@pytest.mark.parametrize("action", ["drop_after", "cut_after", "slow_after", "drop_before"])
def test_a_lost_upsert_answer_is_retried_without_a_duplicate(
    server: HostileIntercom, clock: Clock, action: str
) -> None:
    sid = server.add_source("https://docs.example.com/")
    server.faults.append(Fault("POST", "/ai/external_pages", action, delay=2.0))
    with client_for(server, clock, timeout=0.5) as client:
        page = client.upsert_page(upsert(sid))
    assert list(server.pages_of(sid)) == ["a.md"]
    assert server.pages_of(sid)["a.md"]["id"] == page.id


def test_a_lost_create_source_answer_is_not_retried_blindly(
    server: HostileIntercom, client: IntercomClient
) -> None:
    server.faults.append(Fault("POST", "/ai/content_import_sources", "cut_after"))
    with pytest.raises(IntercomUnreachable, match="POST /ai/content_import_sources"):
        client.create_source("https://docs.example.com/")
    assert len(server.sources) == 1  # created once, never twice


def test_a_lost_delete_answer_then_404_on_the_retry_is_reported_as_gone(
    server: HostileIntercom, client: IntercomClient
) -> None:
    sid = server.add_source("https://docs.example.com/")
    page = client.upsert_page(upsert(sid))
    server.faults.append(Fault("DELETE", "/ai/external_pages/", "drop_after"))
    with pytest.raises(PageError) as caught:
        client.delete_page(page.id)
    assert caught.value.status_code == 404  # what remove_page takes as "already gone"
    assert server.pages_of(sid) == {}


# -- credentials -----------------------------------------------------------------------------


def test_a_revoked_token_is_an_authentication_error_not_retried(
    server: HostileIntercom, client: IntercomClient
) -> None:
    sid = server.add_source("https://docs.example.com/")
    server.token = "rotated"
    with pytest.raises(AuthenticationError, match="Access Token Invalid"):
        client.upsert_page(upsert(sid))
    assert server.calls("POST", "/ai/external_pages") == 1


def test_403_on_one_endpoint_only(server: HostileIntercom, client: IntercomClient) -> None:
    sid = server.add_source("https://docs.example.com/")
    page = client.upsert_page(upsert(sid))
    forbidden = envelope("forbidden", "You do not have permission to delete this resource")
    server.faults.append(
        Fault("DELETE", "/ai/external_pages/", "answer", status=403, body=forbidden, times=9)
    )
    with pytest.raises(AuthenticationError, match="delete external page"):
        client.delete_page(page.id)
    assert client.get_page(page.id).id == page.id


# -- answers about something else -----------------------------------------------------------


def _other_page(answer: dict[str, object]) -> dict[str, object]:
    return {**answer, "id": "p999999", "external_id": "someone-elses.md"}


def test_an_upsert_answer_about_another_page_is_refused(
    server: HostileIntercom, client: IntercomClient
) -> None:
    sid = server.add_source("https://docs.example.com/")
    server.faults.append(Fault("POST", "/ai/external_pages", "rewrite", rewrite=_other_page))
    with pytest.raises(PageError, match=r"someone-elses\.md"):
        client.upsert_page(upsert(sid))


def test_an_upsert_answer_under_another_source_is_refused(
    server: HostileIntercom, client: IntercomClient
) -> None:
    sid = server.add_source("https://docs.example.com/")
    server.faults.append(
        Fault("POST", "/ai/external_pages", "rewrite", rewrite=lambda a: {**a, "source_id": 1})
    )
    with pytest.raises(PageError, match="source_id 1 instead of"):
        client.upsert_page(upsert(sid))


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_a_page_read_or_delete_answer_about_another_id_is_refused(
    server: HostileIntercom, client: IntercomClient, method: str
) -> None:
    sid = server.add_source("https://docs.example.com/")
    page = client.upsert_page(upsert(sid))
    server.faults.append(Fault(method, "/ai/external_pages/", "rewrite", rewrite=_other_page))
    call = client.get_page if method == "GET" else client.delete_page
    with pytest.raises(PageError, match="p999999"):
        call(page.id)


def test_a_source_answer_about_another_id_is_refused(
    server: HostileIntercom, client: IntercomClient
) -> None:
    sid = server.add_source("https://docs.example.com/")
    server.faults.append(
        Fault("GET", "/ai/content_import_sources/", "rewrite", rewrite=lambda a: {**a, "id": 7})
    )
    with pytest.raises(FatalError, match="7"):
        client.get_source(sid)


def test_unknown_fields_and_type_wrappers_are_ignored(
    server: HostileIntercom, client: IntercomClient
) -> None:
    sid = server.add_source("https://docs.example.com/")
    server.faults.append(
        Fault(
            "POST",
            "/ai/external_pages",
            "rewrite",
            rewrite=lambda a: {**a, "audience_ids": [1], "meta": {"type": "x"}, "tags": None},
        )
    )
    page = client.upsert_page(upsert(sid))
    assert page.source_id == sid and page.external_id == "a.md"


def test_a_spent_window_whose_reset_is_a_day_away_holds_calls_one_window_at_most(
    server: HostileIntercom, client: IntercomClient, clock: Clock
) -> None:
    """Remaining 0 with a reset a day ahead on 200 answers (a proxy's cached headers, a
    server clock a day fast): read as clock skew, never as a day's wait."""
    sid = server.add_source("https://docs.example.com/")
    far = str(int(clock.now()) + 86_400)
    spent = {"X-RateLimit-Limit": "167", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": far}
    server.faults.append(
        Fault(
            "GET",
            "/ai/content_import_sources/",
            "answer",
            status=200,
            headers=spent,
            body=json.dumps(server.sources[sid]).encode(),
            times=3,
        )
    )
    for _ in range(3):
        client.get_source(sid)
    client.upsert_page(upsert(sid))
    assert sum(clock.slept) <= 3 * 11.0


def test_a_redirect_to_another_region_is_not_followed_and_says_so(
    server: HostileIntercom, client: IntercomClient
) -> None:
    sid = server.add_source("https://docs.example.com/")
    moved = {"Location": "https://api.eu.intercom.io/ai/external_pages"}
    server.faults.append(
        Fault("POST", "/ai/external_pages", "answer", status=301, headers=moved, times=9)
    )
    with pytest.raises(PageError) as caught:
        client.upsert_page(upsert(sid))
    assert caught.value.status_code == 301
    assert "Moved Permanently" in str(caught.value)
    assert server.pages_of(sid) == {}


def test_a_captive_proxy_answering_200_html_is_not_taken_for_a_page(
    server: HostileIntercom, client: IntercomClient
) -> None:
    sid = server.add_source("https://docs.example.com/")
    server.faults.append(
        Fault(
            "POST",
            "/ai/external_pages",
            "answer",
            status=200,
            headers={"Content-Type": "text/html"},
            body=b"<html>Sign in to the proxy</html>",
        )
    )
    with pytest.raises(PageError, match="body is not JSON"):
        client.upsert_page(upsert(sid))


def test_a_page_delete_answered_without_the_page(
    server: HostileIntercom, client: IntercomClient
) -> None:
    """A 2xx whose body is not the page (2.14 documents 200 with it): the delete is reported as an
    unexpected answer; the engine keeps the page and the next run's delete finds it gone."""
    sid = server.add_source("https://docs.example.com/")
    page = client.upsert_page(upsert(sid))
    server.faults.append(Fault("DELETE", "/ai/external_pages/", "rewrite", rewrite=lambda a: None))
    with pytest.raises(PageError, match="unexpected answer"):
        client.delete_page(page.id)
    with pytest.raises(PageError) as again:
        client.delete_page(page.id)
    assert again.value.status_code == 404


def test_a_422_whose_body_is_not_the_envelope_still_names_the_page(
    server: HostileIntercom, client: IntercomClient
) -> None:
    sid = server.add_source("https://docs.example.com/")
    server.faults.append(
        Fault("POST", "/ai/external_pages", "answer", status=422, body=b'{"error": "bad html"}')
    )
    with pytest.raises(PageError) as caught:
        client.upsert_page(upsert(sid))
    assert "'a.md' of source" in str(caught.value)
    assert "Unprocessable" in str(caught.value) and caught.value.status_code == 422


def test_an_answer_trickled_a_byte_at_a_time_is_cut_off_and_retried(
    server: HostileIntercom, clock: Clock
) -> None:
    """Each byte comes within the read timeout, so only a bound on the whole answer ends it
    (here 1 s for an answer that would take over a minute); the retry gets it whole."""
    sid = server.add_source("https://docs.example.com/")
    server.faults.append(Fault("POST", "/ai/external_pages", "trickle_after", delay=0.2))
    client = IntercomClient(
        "field-trial-token",
        base_url=server.url,
        timeout=5.0,
        answer_deadline=1.0,
        sleep=clock.sleep,
    )
    with client:
        page = client.upsert_page(upsert(sid))
    assert server.pages_of(sid)["a.md"]["id"] == page.id
    assert server.calls("POST", "/ai/external_pages") == 1  # the trickled one is not logged


def test_gzip_answers_are_read_whole(server: HostileIntercom, client: IntercomClient) -> None:
    server.gzip = True
    sid = server.add_source("https://docs.example.com/")
    for n in range(160):  # two list pages at 150
        client.upsert_page(upsert(sid, f"p{n}.md"))
    assert len({p.external_id for p in client.list_pages()}) == 160
    assert client.get_source(sid).id == sid
