"""Emulator test tools: HTTP clients whose every response is checked against the OpenAPI subset.

A response is checked against the schema the spec gives for its operation and status. Statuses
the spec leaves out (400, 404, 429, 5xx...) are checked against the ``error`` component, the
envelope Intercom uses for every error. Object schemas are made strict (no properties beyond the
spec's), so the emulator cannot invent fields either.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import yaml
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from ingestor.emulator import EmulatorServer

_UNSET: Any = object()


def _strict(node: Any) -> Any:
    """Copy a schema tree, forbidding properties the spec does not declare."""
    if isinstance(node, dict):
        copied = {key: _strict(value) for key, value in node.items()}
        if "properties" in copied and "additionalProperties" not in copied:
            copied["additionalProperties"] = False
        return copied
    if isinstance(node, list):
        return [_strict(item) for item in node]
    return node


class SpecChecker:
    """Validates emulator responses against ``ai-content-2.14.yaml``."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.components = _strict(spec["components"])
        self.format_checker = copy.deepcopy(oas30_format_checker)
        self.format_checker.checks("uri")(self._is_absolute_url)
        self.paths = [
            (re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"), template)
            for template in spec["paths"]
        ]
        # (method, path template or None, status) of every response checked so far
        self.checked: list[tuple[str, str | None, int]] = []

    @staticmethod
    def _is_absolute_url(value: object) -> bool:
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        return parts.scheme in ("http", "https") and bool(parts.netloc)

    def template(self, path: str) -> str | None:
        """Return the spec's path template matching a request path, if any."""
        for pattern, template in self.paths:
            if pattern.match(path):
                return str(template)
        return None

    def operation(self, method: str, template: str | None) -> dict[str, Any] | None:
        """Return the spec's operation object, if the subset has one."""
        if template is None:
            return None
        operation: dict[str, Any] | None = self.spec["paths"][template].get(method.lower())
        return operation

    def validate(self, body: Any, schema: dict[str, Any]) -> None:
        """Raise AssertionError listing every way ``body`` breaks ``schema``."""
        validator = OAS30Validator(
            {**schema, "components": self.components}, format_checker=self.format_checker
        )
        problems = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
        assert not problems, f"response breaks the spec: {problems}\nbody: {body!r}"

    def check(self, response: httpx.Response) -> None:
        """Validate one response; 2xx statuses must be the ones the spec documents."""
        request = response.request
        template = self.template(request.url.path)
        operation = self.operation(request.method, template)
        status = str(response.status_code)
        documented = (operation or {}).get("responses", {}).get(status)
        label = f"{request.method} {request.url.path} -> {status}"
        if documented is None:
            assert response.status_code >= 400, f"undocumented success status: {label}"
            schema: dict[str, Any] | None = {"$ref": "#/components/schemas/error"}
        elif "content" in documented:
            schema = documented["content"]["application/json"]["schema"]
        else:
            schema = None
        if schema is None:
            assert response.content == b"", f"{label} must have no body"
        else:
            assert response.headers["content-type"].startswith("application/json"), label
            self.validate(response.json(), schema)
        self.checked.append((request.method, template, response.status_code))


@pytest.fixture(scope="session")
def spec_checker() -> SpecChecker:
    """The checker, built from the spec file shipped in the package."""
    text = resources.files("ingestor.emulator").joinpath("ai-content-2.14.yaml").read_text()
    return SpecChecker(yaml.safe_load(text))


ClientFactory = Callable[..., httpx.Client]


@pytest.fixture
def client_for(spec_checker: SpecChecker) -> Iterator[ClientFactory]:
    """Make checked clients: ``client_for(server, token=..., version=...)``.

    ``token=None`` sends no Authorization header, ``version=None`` no Intercom-Version header.
    """
    clients: list[httpx.Client] = []

    def check(response: httpx.Response) -> None:
        response.read()
        spec_checker.check(response)

    def make(
        server: EmulatorServer, *, token: str | None = _UNSET, version: str | None = "2.14"
    ) -> httpx.Client:
        headers = {"Accept": "application/json"}
        token = server.token if token is _UNSET else token
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if version is not None:
            headers["Intercom-Version"] = version
        client = httpx.Client(
            base_url=server.url,
            headers=headers,
            timeout=30,
            trust_env=False,
            event_hooks={"response": [check]},
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def api(emulator: EmulatorServer, client_for: ClientFactory) -> httpx.Client:
    """A checked client of the (reset) session emulator, with its token and version 2.14."""
    return client_for(emulator)


@pytest.fixture
def new_source(api: httpx.Client) -> Callable[..., int]:
    """Create a source through the API and return its id."""

    def create(url: str = "https://kb.example.com/") -> int:
        response = api.post("/ai/content_import_sources", json={"sync_behavior": "api", "url": url})
        assert response.status_code == 200, response.text
        source_id: int = response.json()["id"]
        return source_id

    return create


def page_body(source_id: int, external_id: str, **fields: Any) -> dict[str, Any]:
    """A valid upsert body; ``fields`` override or add keys."""
    body: dict[str, Any] = {
        "title": f"Page {external_id}",
        "html": f"<p>Body of {external_id}</p>",
        "locale": "en",
        "source_id": source_id,
        "external_id": external_id,
        "url": f"https://kb.example.com/{external_id}",
    }
    body.update(fields)
    return body


@pytest.fixture(name="page_body")
def page_body_fixture() -> Callable[..., dict[str, Any]]:
    """The :func:`page_body` builder, for test modules (which cannot import conftest)."""
    return page_body
