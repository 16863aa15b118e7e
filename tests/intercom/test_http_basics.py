"""ingestor.http: redaction, retry policy, Retry-After parsing, classification, client building."""

from __future__ import annotations

import random
from email.utils import formatdate
from pathlib import Path

import httpx
import pytest

from ingestor.errors import ConfigError
from ingestor.http import (
    USER_AGENT,
    RetryPolicy,
    Verdict,
    build_http_client,
    classify_status,
    parse_retry_after,
    redact,
)


@pytest.mark.parametrize(
    ("text", "secret_part"),
    [
        ("Authorization: Bearer dG9rOmFiYzEyMw==", "dG9rOmFiYzEyMw=="),
        ("authorization: bearer abc.def-ghi_jkl", "abc.def-ghi_jkl"),
        ("GET https://wiki.example/api?format=json&token=s3cr3t&x=1", "s3cr3t"),
        ("POST /api.php?action=login&lgpassword=x&password=hunter2", "hunter2"),
        ("https://user:pa55word@wiki.example/path", "pa55word"),
        ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
        ("?api_key=K3Y&access_token=T0K", "K3Y"),
    ],
)
def test_redact_masks_credentials(text: str, secret_part: str) -> None:
    cleaned = redact(text)
    assert secret_part not in cleaned
    assert "[REDACTED]" in cleaned


def test_redact_masks_explicit_secrets_anywhere_and_keeps_ordinary_text() -> None:
    assert redact("echo tok_42 back", ["tok_42", ""]) == "echo [REDACTED] back"
    assert redact("Access Token Invalid") == "Access Token Invalid"
    assert redact("GET /ai/external_pages?page=2") == "GET /ai/external_pages?page=2"


def test_backoff_is_exponential_capped_and_fully_jittered() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0, jitter=False)
    assert [policy.backoff(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert policy.backoff(10_000) == 4.0  # no overflow
    jittered = RetryPolicy(base_delay=0.5, max_delay=4.0)
    rng = random.Random(7)
    samples = [jittered.backoff(3, rng) for _ in range(500)]
    assert all(0.0 <= s <= 2.0 for s in samples)
    assert max(samples) > 1.5 and min(samples) < 0.5  # spread over the whole range


def test_delay_prefers_retry_after_but_caps_it() -> None:
    policy = RetryPolicy(max_delay=30.0)
    assert policy.delay(1, retry_after=7.0) == 7.0
    assert policy.delay(1, retry_after=3600.0) == 30.0


@pytest.mark.parametrize(
    "kwargs", [{"max_attempts": 0}, {"base_delay": -1.0}, {"max_delay": float("inf")}]
)
def test_policy_rejects_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="RetryPolicy"):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_parse_retry_after_seconds_and_http_date() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after(httpx.Headers({"Retry-After": "12"}), now) == 12.0
    assert parse_retry_after(httpx.Headers({"Retry-After": "-3"}), now) == 0.0
    date = formatdate(now + 42, usegmt=True)
    assert parse_retry_after(httpx.Headers({"Retry-After": date}), now) == pytest.approx(42, abs=1)
    assert parse_retry_after(httpx.Headers({"Retry-After": "soon"}), now) is None
    assert parse_retry_after(httpx.Headers({"Retry-After": "nan"}), now) is None
    assert parse_retry_after(httpx.Headers(), now) is None


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (200, Verdict.SUCCESS),
        (204, Verdict.SUCCESS),
        (301, Verdict.FAIL),
        (400, Verdict.FAIL),
        (401, Verdict.FAIL),
        (404, Verdict.FAIL),
        (408, Verdict.RETRY),
        (422, Verdict.FAIL),
        (429, Verdict.RATE_LIMITED),
        (500, Verdict.RETRY),
        (501, Verdict.FAIL),
        (502, Verdict.RETRY),
        (503, Verdict.RETRY),
        (504, Verdict.RETRY),
    ],
)
def test_classify_status(status: int, verdict: Verdict) -> None:
    assert classify_status(httpx.Response(status)) is verdict


def test_build_http_client_sets_user_agent_headers_and_no_redirects() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(302, headers={"Location": "https://elsewhere.test/"})

    with build_http_client(
        "https://api.test",
        headers={"X-Extra": "1"},
        transport=httpx.MockTransport(handler),
    ) as client:
        assert client.trust_env
        response = client.get("/x")
    assert response.status_code == 302  # not followed
    assert len(seen) == 1
    assert seen[0].headers["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith("fin-ingestor/")
    assert seen[0].headers["X-Extra"] == "1"


def test_build_http_client_accepts_a_ca_bundle_path() -> None:
    bundle = Path("/etc/ssl/certs/ca-certificates.crt")
    if not bundle.exists():
        pytest.skip("no system CA bundle on this machine")
    with build_http_client("https://api.test", verify=bundle):
        pass


def test_build_http_client_names_a_missing_ca_bundle(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    with pytest.raises(ConfigError, match=r"nope\.pem"):
        build_http_client("https://api.test", verify=missing)
    broken = tmp_path / "broken.pem"
    broken.write_text("not a certificate")
    with pytest.raises(ConfigError, match=r"broken\.pem"):
        build_http_client("https://api.test", verify=str(broken))
