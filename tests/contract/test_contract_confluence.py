"""The contract over the Confluence connector: the route-table fake of tests/confluence (Cloud
and Data Center) on a real socket, edited through its model and finally stopped."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ingestor.connectors.base import Connector, Item
from ingestor.connectors.confluence import ConfluenceConnector
from ingestor.connectors.testkit import ConnectorContract, ContractSource

from ..confluence.conftest import FAST, settings_for
from ..confluence.fake_confluence import FakeConfluence
from .edits import EDIT

PAGES = {
    "Refunds": "<p>Refunds take <strong>5 days</strong>.</p>",
    "Invoices": "<h2>Where</h2><p>Invoices are under Billing.</p>",
    "Getting started": "<p>Install the app, then sign in.</p>",
}


class ConfluenceSource(ContractSource):
    """One space of the fake, as its REST API serves it."""

    def __init__(self, fake: FakeConfluence) -> None:
        self.fake = fake
        for title, body in PAGES.items():
            fake.add_page("ENG", title, body)

    def connect(self) -> Connector[Any]:
        return ConfluenceConnector(settings_for(self.fake), policy=FAST)

    def mutate(self, item: Item) -> None:
        page = self.fake.pages[item.external_id]
        self.fake.edit(item.external_id, body=page.body + f"<p>{EDIT}</p>")

    def break_source(self) -> None:
        self.fake.stop()  # the site is down: connections are refused


class TestConfluenceContract(ConnectorContract):
    @pytest.fixture(params=["cloud", "datacenter"])
    def contract_source(self, request: pytest.FixtureRequest) -> Iterator[ContractSource]:
        context = "/confluence" if request.param == "datacenter" else None
        fake = FakeConfluence(request.param, context=context).start()
        yield ConfluenceSource(fake)
        fake.stop()
