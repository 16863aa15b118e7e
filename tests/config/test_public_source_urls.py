"""Source urls that are not on a public domain name: ``validate`` warns (never errors), and the
emulator's ``strict_source_urls`` mode refuses exactly the same urls (one shared rule,
``ingestor.public_urls``, that the engine owns and the emulator imports)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import ingestor
from ingestor.config import load_config
from ingestor.config._warnings import config_warnings
from ingestor.emulator import EmulatorServer
from ingestor.errors import FatalError
from ingestor.intercom import IntercomClient
from ingestor.public_urls import public_url_problem

NOT_PUBLIC = {
    "http://10.0.0.7/wiki": "is an IP address",
    "https://[::1]/": "is an IP address",
    "http://localhost:8080/": "single-label host",
    "https://wiki/": "single-label host",
    "https://wiki.corp.internal/": "under .internal",
    "https://nas.local/docs": "under .local",
    "https://kb.lan/": "under .lan",
    "https://docs.test/": "under .test",
    "https://router.home.arpa/": "under .arpa",
    "https://bad_label.example.com/": "not a valid domain name",
    "https://docs.example.123/": "no valid top-level domain",
}
PUBLIC = ["https://docs.example.com/", "https://help.acme.io/kb/", "https://bücher.de/"]


CONFIG = """\
intercom:
  token: ${{TOKEN}}
state:
  path: {state}
connectors:
{connectors}
"""


def write_config(tmp_path: Path, urls: list[str]) -> Path:
    entries = "".join(
        f"  - name: c{n}\n    type: filesystem\n    url: {url}\n    root: {tmp_path / f'r{n}'}\n"
        for n, url in enumerate(urls)
    )
    for n in range(len(urls)):
        (tmp_path / f"r{n}").mkdir()
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG.format(state=tmp_path / "state.db", connectors=entries))
    return path


def test_validate_warns_about_each_url_that_is_not_public(tmp_path: Path) -> None:
    urls = [*NOT_PUBLIC, *PUBLIC]
    path = write_config(tmp_path, urls)
    warnings = config_warnings(load_config(path, environ={"TOKEN": "t"}), str(path))
    by_key = {issue.path: issue.message for issue in warnings}
    assert set(by_key) == {f"connectors[{n}].url" for n in range(len(NOT_PUBLIC))}
    for n, (url, reason) in enumerate(NOT_PUBLIC.items()):
        message = by_key[f"connectors[{n}].url"]
        assert message.startswith(url) and reason in message
        assert "need not be reachable" in message


def test_a_url_that_is_not_http_is_not_public() -> None:
    assert public_url_problem("ftp://docs.example.com/") == "it is not an http or https url"


@pytest.mark.parametrize("url", [*NOT_PUBLIC, *PUBLIC])
def test_the_emulator_refuses_exactly_what_validate_warns_about(
    emulator: EmulatorServer, url: str
) -> None:
    server = emulator
    server.configure(strict_source_urls=True)
    with IntercomClient(server.token, base_url=server.url) as client:
        try:
            client.create_source(url)
        except FatalError as exc:
            refused: str | None = str(exc)
        else:
            refused = None
    problem = public_url_problem(url)
    assert (refused is None) == (problem is None), (url, refused, problem)
    if problem is not None:
        assert refused is not None and problem in refused


def test_the_engine_never_imports_the_emulator() -> None:
    source = Path(ingestor.__file__).parent / "public_urls.py"
    imported = {
        node.module
        for node in ast.walk(ast.parse(source.read_text()))
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert not any(name.startswith("ingestor.emulator") for name in imported)
