"""Conformance to the OpenAPI subset: the facts the emulator hard-codes, and every documented
(operation, status) pair answered by a real server and validated against its schema."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from typing import Any

import httpx
import pytest
import yaml

from ingestor.emulator import EmulatorServer
from ingestor.emulator.api import api_routes
from ingestor.emulator.spec import INTERCOM_VERSIONS, OPERATION_IDS, SPEC_FILENAME

ClientFactory = Callable[..., httpx.Client]
PageBody = Callable[..., dict[str, Any]]


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    text = resources.files("ingestor.emulator").joinpath(SPEC_FILENAME).read_text()
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (method.upper(), path, operation["operationId"])
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "operationId" in operation
    ]


def test_hard_coded_facts_match_the_spec(spec: dict[str, Any]) -> None:
    assert set(spec["components"]["schemas"]["intercom_version"]["enum"]) == INTERCOM_VERSIONS
    assert [operation_id for _, _, operation_id in _operations(spec)] == list(OPERATION_IDS)


def test_routes_serve_exactly_the_spec_operations(spec: dict[str, Any]) -> None:
    routes = {(sorted(route.methods or ())[0], route.path, route.name) for route in api_routes()}

    assert routes == set(_operations(spec))


def test_every_documented_response_is_produced_and_conforms(
    emulator: EmulatorServer,
    client_for: ClientFactory,
    spec: dict[str, Any],
    spec_checker: Any,
    page_body: PageBody,
) -> None:
    api, anonymous = client_for(emulator), client_for(emulator, token=None)
    spec_checker.checked.clear()
    source = api.post(
        "/ai/content_import_sources", json={"sync_behavior": "api", "url": "https://a.example/"}
    ).json()
    api.get("/ai/content_import_sources")
    api.get(f"/ai/content_import_sources/{source['id']}")
    api.put(
        f"/ai/content_import_sources/{source['id']}",
        json={"sync_behavior": "api", "url": "https://b.example/"},
    )
    page = api.post("/ai/external_pages", json=page_body(source["id"], "p")).json()
    api.get("/ai/external_pages")
    api.get(f"/ai/external_pages/{page['id']}")
    api.put(f"/ai/external_pages/{page['id']}", json=page_body(source["id"], "p"))
    api.delete(f"/ai/external_pages/{page['id']}")
    api.delete(f"/ai/content_import_sources/{source['id']}")
    for method, path, _ in _operations(spec):
        anonymous.request(method, path.replace("{source_id}", "1").replace("{page_id}", "1"))

    documented = {
        (method.upper(), path, int(status))
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict)
        for status in operation["responses"]
    }
    assert set(spec_checker.checked) == documented


def test_the_checker_rejects_what_the_spec_forbids(spec_checker: Any) -> None:
    page = {
        "type": "external_page", "id": "1", "title": "t", "html": "", "locale": "en",
        "ai_agent_availability": False, "ai_copilot_availability": False, "source_id": 1,
        "external_id": "e", "created_at": 1, "updated_at": 1, "last_ingested_at": 1,
    }  # fmt: skip
    schema = {"$ref": "#/components/schemas/external_page"}
    spec_checker.validate(page, schema)

    for broken in (
        {**page, "id": 1},  # ids of pages are strings
        {**page, "locale": "fr"},
        {**page, "surprise": True},  # no fields beyond the spec's
        {key: value for key, value in page.items() if key != "external_id"},
    ):
        with pytest.raises(AssertionError, match="breaks the spec"):
            spec_checker.validate(broken, schema)
    listing = {
        "type": "list", "data": [], "total_count": 0,
        "pages": {"type": "pages", "page": 1, "per_page": 1, "total_pages": 0, "next": "/rel"},
    }  # fmt: skip
    with pytest.raises(AssertionError, match="breaks the spec"):
        spec_checker.validate(listing, {"$ref": "#/components/schemas/external_pages_list"})
