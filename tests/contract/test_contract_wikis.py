"""The contract over the MediaWiki and DokuWiki connectors: the real wikis of tests/wikis
(Debian's packages under ``php -S``), edited through their APIs as a person would. Each
source works on pages of its own (a title prefix or namespace), and "breaking" it points
the connector at a port nothing listens on."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from ingestor.connectors.base import Connector, Item
from ingestor.connectors.dokuwiki import DokuWikiConnector, DokuWikiSettings
from ingestor.connectors.mediawiki import MediaWikiConnector, MediaWikiSettings
from ingestor.connectors.testkit import ConnectorContract, ContractSource

from ..wikis.conftest import DokuWikiSite, MediaWikiSite
from ..wikis.servers import free_port
from .edits import EDIT

#: Numbers the sources, so each test's pages are its own.
_sources = itertools.count(1)
#: Fail fast once broken: one attempt, short timeout (a refused connection answers at once).
FAIL_FAST = {"max_attempts": 1, "timeout_seconds": 5}

MW_PAGES = {
    "Refunds": "Refunds take '''5 days'''. See [[Contract/Invoices]].",
    "Invoices": "== Where ==\nInvoices are under Billing.",
    "Getting started": "Install the app, then sign in.\n* one\n* two",
}
DW_PAGES = {
    "refunds": "====== Refunds ======\n\nRefunds take **5 days**.\n",
    "invoices": "====== Invoices ======\n\nInvoices are under Billing.\n",
    "start": "====== Getting started ======\n\nInstall the app, then sign in.\n",
}


def dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


class MediaWikiSource(ContractSource):
    def __init__(self, site: MediaWikiSite) -> None:
        self.site = site
        self.prefix = f"Contract{next(_sources)}/"
        self.texts = {
            str(site.admin.edit(self.prefix + title, text)): (self.prefix + title, text)
            for title, text in MW_PAGES.items()
        }
        self.wiki_url = site.server.url
        self.api_url = site.api_url

    def connect(self) -> Connector[Any]:
        settings = MediaWikiSettings.model_validate(
            {
                "name": "wiki",
                "url": self.wiki_url + "/",
                "api_url": self.api_url,
                "include_prefixes": [self.prefix],
                **FAIL_FAST,
            }
        )
        return MediaWikiConnector(settings)

    def mutate(self, item: Item) -> None:
        title, text = self.texts[item.external_id]
        self.texts[item.external_id] = (title, f"{text}\n\n{EDIT}")
        self.site.admin.edit(title, self.texts[item.external_id][1])

    def break_source(self) -> None:
        self.api_url = dead_url() + "/api.php"


class DokuWikiSource(ContractSource):
    def __init__(self, site: DokuWikiSite) -> None:
        self.site = site
        self.namespace = f"contract{next(_sources)}"
        self.texts: dict[str, str] = {}
        for name, text in DW_PAGES.items():
            site.admin.put(f"{self.namespace}:{name}", text)
            self.texts[f"{self.namespace}:{name}"] = text
        self.url = site.url

    def connect(self) -> Connector[Any]:
        settings = DokuWikiSettings.model_validate(
            {
                "name": "dw",
                "url": self.site.url,
                "wiki_url": self.url,
                "namespaces": [self.namespace],
                **FAIL_FAST,
            }
        )
        return DokuWikiConnector(settings)

    def mutate(self, item: Item) -> None:
        self.texts[item.external_id] += f"\n{EDIT}\n"
        self.site.admin.put(item.external_id, self.texts[item.external_id])

    def break_source(self) -> None:
        self.url = dead_url() + "/"


class TestMediaWikiContract(ConnectorContract):
    @pytest.fixture
    def contract_source(self, mediawiki: MediaWikiSite) -> ContractSource:
        return MediaWikiSource(mediawiki)


class TestDokuWikiContract(ConnectorContract):
    @pytest.fixture
    def contract_source(self, dokuwiki: DokuWikiSite) -> ContractSource:
        return DokuWikiSource(dokuwiki)
