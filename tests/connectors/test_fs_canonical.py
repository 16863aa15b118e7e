"""A saved web page's own canonical url, read from its head (pure)."""

from __future__ import annotations

import pytest

from ingestor.connectors.html_head import canonical_url


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ('<link rel="canonical" href="https://a.example/x">', "https://a.example/x"),
        ("<link href='https://a.example/y' rel='Canonical alternate'>", "https://a.example/y"),
        ('<meta property="og:url" content="https://a.example/og">', "https://a.example/og"),
        ('<link rel="canonical" href="/relative/only">', None),
        ('<link rel="canonical" href="javascript:alert(1)">', None),
        ('<link rel="canonical" href="https://a.example/x&quot;onmouseover=1">', None),
        ("<title>no canonical</title>", None),
    ],
)
def test_canonical_url_is_an_absolute_http_url_from_the_head(
    head: str, expected: str | None
) -> None:
    assert canonical_url(f"<html><head>{head}</head><body><p>x</p></body></html>") == expected


def test_a_canonical_in_the_body_is_not_the_pages_own() -> None:
    body = '<link rel="canonical" href="https://elsewhere.example/">'
    assert canonical_url(f"<html><head></head><body>{body}</body></html>") is None
