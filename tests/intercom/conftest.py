"""Fixtures for the Intercom client's tests (the fakes live in ``intercom_fakes``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ingestor.intercom import IntercomClient

from .intercom_fakes import FakeClock, FakeIntercom, make_client


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> FakeIntercom:
    return FakeIntercom(clock)


@pytest.fixture
def client(fake: FakeIntercom) -> Iterator[IntercomClient]:
    with make_client(fake) as c:
        yield c
