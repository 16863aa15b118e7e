"""Fixtures: the fake Confluence (Cloud and Data Center) on real sockets, and connectors for it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ingestor.connectors.confluence import ConfluenceConnector, ConfluenceSettings
from ingestor.http import RetryPolicy

from .fake_confluence import FakeConfluence

#: Fast retries: tests must not sleep through real backoff (Retry-After is still honoured).
FAST = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=2.0)


def settings_for(fake: FakeConfluence, **overrides: Any) -> ConfluenceSettings:
    """Valid settings pointing at ``fake`` (credentials match the fake's)."""
    values: dict[str, Any] = {
        "name": "wiki",
        "url": "https://wiki.example.com/",
        "base_url": fake.url,
        "deployment": fake.deployment,
        "spaces": ["ENG"],
    }
    if fake.deployment == "cloud":
        values |= {"email": "bot@example.com", "api_token": "cloud-api-token"}
    else:
        values |= {"personal_access_token": "dc-personal-token"}
    values |= overrides
    return ConfluenceSettings.model_validate(values)


@pytest.fixture(params=["cloud", "datacenter"])
def fake(request: pytest.FixtureRequest) -> Iterator[FakeConfluence]:
    """A fake of each deployment (the Data Center one under a /confluence context path)."""
    context = "/confluence" if request.param == "datacenter" else None
    server = FakeConfluence(request.param, context=context).start()
    yield server
    server.stop()


@pytest.fixture
def fake_cloud() -> Iterator[FakeConfluence]:
    server = FakeConfluence("cloud").start()
    yield server
    server.stop()


@pytest.fixture
def connect() -> Iterator[Callable[..., ConfluenceConnector]]:
    """Build connectors for a fake; all are closed after the test."""
    made: list[ConfluenceConnector] = []

    def build(fake: FakeConfluence, **overrides: Any) -> ConfluenceConnector:
        connector = ConfluenceConnector(settings_for(fake, **overrides), policy=FAST)
        made.append(connector)
        return connector

    yield build
    for connector in made:
        connector.close()
