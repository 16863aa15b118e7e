"""The shared HTTP construction at work: a custom CA bundle and proxies from the environment."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from ingestor.connectors.base import Item
from ingestor.connectors.confluence import ConfluenceConnector
from ingestor.errors import ConnectorError

from .fake_confluence import FakeConfluence

Connect = Callable[..., ConfluenceConnector]


def make_ca_and_server_cert(folder: Path) -> tuple[Path, Path, Path]:
    """An internal CA and a certificate for 127.0.0.1 signed by it (openssl, as admins do)."""

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
            "ca.pem", "-days", "2", "-subj", "/CN=Test Internal CA")  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out",
            "server.csr", "-subj", "/CN=127.0.0.1")  # fmt: skip
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n", encoding="utf-8")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.pem", "-days", "2",
            "-extfile", "san.ext")  # fmt: skip
    return folder / "ca.pem", folder / "server.pem", folder / "server.key"


@pytest.fixture
def tls_fake(tmp_path: Path) -> tuple[FakeConfluence, Path]:
    ca, cert, key = make_ca_and_server_cert(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    fake = FakeConfluence("cloud").start(tls=context)
    fake.add_page("ENG", "Over TLS", "<p>secure</p>")
    return fake, ca


def test_a_custom_ca_bundle_is_trusted(
    tls_fake: tuple[FakeConfluence, Path], connect: Connect
) -> None:
    fake, ca = tls_fake
    try:
        assert fake.url.startswith("https://")
        connector = connect(fake, verify=str(ca))
        [item] = [i for i in connector.list() if isinstance(i, Item)]
        assert "secure" in connector.fetch(item).body
        with pytest.raises(ConnectorError, match=r"CERTIFICATE_VERIFY_FAILED|certificate"):
            list(connect(fake).list())  # the system store does not know the internal CA
    finally:
        fake.stop()


def test_proxies_come_from_the_environment(
    fake_cloud: FakeConfluence, connect: Connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fake doubles as a forward proxy: it answers absolute-URI requests for any host.
    page_id = fake_cloud.add_page("ENG", "Via proxy")
    proxy = fake_cloud.url.removesuffix(fake_cloud.context)
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    connector = connect(fake_cloud, base_url="http://confluence.invalid/wiki")
    assert [i.external_id for i in connector.list() if isinstance(i, Item)] == [page_id]
    assert connector.fetch(Item(page_id, "1")).url == (
        f"http://confluence.invalid/wiki/spaces/ENG/pages/{page_id}/Via+proxy"
    )
