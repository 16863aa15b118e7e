"""Every error rule: auth, Intercom-Version, JSON, required/invalid fields, unknown ids, routes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from ingestor.emulator import EmulatorServer

ClientFactory = Callable[..., httpx.Client]
PageBody = Callable[..., dict[str, Any]]


def _codes(response: httpx.Response) -> list[tuple[str, str | None]]:
    return [(error["code"], error.get("field")) for error in response.json()["errors"]]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/ai/content_import_sources"),
        ("POST", "/ai/content_import_sources"),
        ("GET", "/ai/content_import_sources/1"),
        ("PUT", "/ai/content_import_sources/1"),
        ("DELETE", "/ai/content_import_sources/1"),
        ("GET", "/ai/external_pages"),
        ("POST", "/ai/external_pages"),
        ("GET", "/ai/external_pages/1"),
        ("PUT", "/ai/external_pages/1"),
        ("DELETE", "/ai/external_pages/1"),
    ],
)
@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_every_operation_needs_a_valid_bearer_token(
    emulator: EmulatorServer, client_for: ClientFactory, method: str, path: str, token: str | None
) -> None:
    response = client_for(emulator, token=token).request(method, path, json={})

    assert response.status_code == 401
    body = response.json()
    assert body["type"] == "error.list"
    assert body["errors"] == [{"code": "unauthorized", "message": "Access Token Invalid"}]
    assert "x-ratelimit-limit" not in response.headers


def test_other_auth_schemes_are_rejected(emulator: EmulatorServer) -> None:
    headers = {"Authorization": f"Basic {emulator.token}"}

    response = httpx.get(emulator.url + "/ai/external_pages", headers=headers, trust_env=False)

    assert response.status_code == 401


def test_absent_intercom_version_is_served_as_2_14(
    emulator: EmulatorServer, client_for: ClientFactory
) -> None:
    assert client_for(emulator, version=None).get("/ai/external_pages").status_code == 200


@pytest.mark.parametrize("version", ["2.14", "2.0", "1.4"])
def test_versions_of_the_spec_enum_are_accepted(
    emulator: EmulatorServer, client_for: ClientFactory, version: str
) -> None:
    assert client_for(emulator, version=version).get("/ai/external_pages").status_code == 200


@pytest.mark.parametrize("version", ["2.15", "3", "latest", ""])
def test_other_versions_are_400_intercom_version_invalid(
    emulator: EmulatorServer, client_for: ClientFactory, version: str
) -> None:
    response = client_for(emulator, version=version).get("/ai/external_pages")

    assert response.status_code == 400
    assert _codes(response) == [("intercom_version_invalid", "Intercom-Version")]


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object_is_400(api: httpx.Client, raw: bytes) -> None:
    for path in ("/ai/external_pages", "/ai/content_import_sources"):
        response = api.post(path, content=raw, headers={"Content-Type": "application/json"})

        assert response.status_code == 400
        assert _codes(response) == [("bad_request", None)]


def test_every_missing_required_field_is_reported(api: httpx.Client) -> None:
    response = api.post("/ai/external_pages", json={})

    assert response.status_code == 400
    assert _codes(response) == [
        ("parameter_not_found", field)
        for field in ("title", "html", "locale", "source_id", "external_id")
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", 7),
        ("title", None),
        ("title", "   "),
        ("html", ["<p>"]),
        ("locale", "fr"),
        ("source_id", "12"),
        ("source_id", 1.5),
        ("source_id", True),
        ("external_id", 42),
        ("external_id", ""),
        ("url", "kb.example.com/page"),
        ("url", "ftp://kb.example.com/page"),
        ("ai_agent_availability", 1),
        ("ai_copilot_availability", "true"),
    ],
)
def test_wrong_type_enum_or_value_is_400_parameter_invalid(
    api: httpx.Client,
    new_source: Callable[..., int],
    page_body: PageBody,
    field: str,
    value: object,
) -> None:
    body = page_body(new_source(), "p")
    body[field] = value

    response = api.post("/ai/external_pages", json=body)

    assert response.status_code == 400
    assert _codes(response) == [("parameter_invalid", field)]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"url": "https://kb.example.com/"}, [("parameter_not_found", "sync_behavior")]),
        ({"sync_behavior": "api"}, [("parameter_not_found", "url")]),
        (
            {"sync_behavior": "automated", "url": "https://kb.example.com/"},
            [("parameter_invalid", "sync_behavior")],
        ),
        (
            {"sync_behavior": "api", "url": "https://kb.example.com/", "status": "paused"},
            [("parameter_invalid", "status")],
        ),
        ({"sync_behavior": "api", "url": "not a url"}, [("parameter_invalid", "url")]),
    ],
)
def test_source_body_rules(
    api: httpx.Client, body: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    response = api.post("/ai/content_import_sources", json=body)

    assert response.status_code == 400
    assert _codes(response) == expected


def test_unknown_fields_are_ignored(api: httpx.Client) -> None:
    body = {"sync_behavior": "api", "url": "https://kb.example.com/", "colour": "blue"}

    assert api.post("/ai/content_import_sources", json=body).status_code == 200


def test_a_source_id_that_names_no_source_is_404_on_that_field(
    api: httpx.Client, emulator: EmulatorServer, page_body: PageBody
) -> None:
    response = api.post("/ai/external_pages", json=page_body(999_999, "orphan"))

    assert response.status_code == 404
    assert _codes(response) == [("not_found", "source_id")]
    assert emulator.pages() == []


@pytest.mark.parametrize("page_id", ["424242", "abc", "-1", "1.0", "9" * 30])
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_unknown_page_ids_are_404_not_found(
    api: httpx.Client,
    new_source: Callable[..., int],
    page_body: PageBody,
    page_id: str,
    method: str,
) -> None:
    body = page_body(new_source(), "x")

    response = api.request(method, f"/ai/external_pages/{page_id}", json=body)

    assert response.status_code == 404
    assert _codes(response) == [("not_found", None)]


@pytest.mark.parametrize("source_id", ["424242", "abc"])
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_unknown_source_ids_are_404_not_found(
    api: httpx.Client, source_id: str, method: str
) -> None:
    body = {"sync_behavior": "api", "url": "https://kb.example.com/"}

    response = api.request(method, f"/ai/content_import_sources/{source_id}", json=body)

    assert response.status_code == 404
    assert _codes(response) == [("not_found", None)]


def test_unknown_paths_are_404_and_wrong_methods_405(api: httpx.Client) -> None:
    unknown = api.get("/ai/articles")
    wrong_method = api.patch("/ai/external_pages/1")

    assert (unknown.status_code, _codes(unknown)) == (404, [("not_found", None)])
    assert (wrong_method.status_code, _codes(wrong_method)) == (405, [("method_not_allowed", None)])
    assert "PUT" in wrong_method.headers["allow"]


def test_every_error_has_a_fresh_request_id(api: httpx.Client) -> None:
    ids = {api.get("/ai/external_pages/0").json()["request_id"] for _ in range(3)}

    assert len(ids) == 3
