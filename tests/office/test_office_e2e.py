"""A file share with Word and PDF files synced into the emulator through a real YAML config."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from ingestor.config import load_config
from ingestor.emulator import EmulatorServer
from ingestor.engine.report import SyncReport
from ingestor.engine.runner import sync_connectors

from .conftest import encrypted_pdf, image_only_pdf, para, raw_docx, rich_docx, text_pdf

CONFIG = """\
intercom:
  token: ${{TEST_INTERCOM_TOKEN}}
  base_url: {base_url}
state:
  path: {state}
connectors:
  - name: share
    type: filesystem
    url: https://share.example.com/
    root: {root}
    formats: [md, docx, pdf]
    office_timeout: 30s
    office_memory_mb: 768
"""


class Share:
    def __init__(self, tmp_path: Path, server: EmulatorServer) -> None:
        self.root = tmp_path / "share"
        self.root.mkdir()
        self.server = server
        self.config_path = tmp_path / "config.yaml"
        self.config_path.write_text(
            CONFIG.format(base_url=server.url, state=tmp_path / "state.db", root=self.root),
            encoding="utf-8",
        )

    def write(self, rel: str, data: bytes) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def sync(self) -> SyncReport:
        config = load_config(self.config_path, environ={"TEST_INTERCOM_TOKEN": self.server.token})
        [report] = sync_connectors(config)
        return report

    def pages(self) -> dict[str, dict[str, Any]]:
        return {page["external_id"]: page for page in self.server.pages()}


def page_writes(server: EmulatorServer) -> int:
    per_op = server.stats()["by_operation"]
    return int(per_op.get("createExternalPage", 0)) + int(per_op.get("updateExternalPage", 0))


def seed(share: Share) -> None:
    share.write("README.md", b"# Share\n\nStart here.\n")
    share.write("hr/Handbook.docx", rich_docx())
    share.write(
        "finance/Travel.pdf",
        text_pdf(
            [[("h1", "Travel rules"), ("p", "Book trains when the trip is under four")],
             [("p", "hours."), ("h2", "Refunds"), ("p", "Refunds take a week.")]],
            title="Travel Policy",
        ),
    )  # fmt: skip
    share.write("scans/contract.pdf", image_only_pdf(2))
    share.write("finance/salaries.pdf", encrypted_pdf())
    share.write("hr/broken.docx", rich_docx()[:3000])
    share.write("draft.txt", b"txt is not among this connector's formats")


def test_office_files_become_titled_html_pages_and_broken_ones_are_reported(
    tmp_path: Path, emulator: EmulatorServer
) -> None:
    share = Share(tmp_path, emulator)
    seed(share)
    report = share.sync()
    # an encrypted PDF and a scan are skipped (reported, the run is not partial for them)
    assert (report.listed, report.created, report.failed, report.skipped) == (6, 3, 1, 2)

    pages = share.pages()
    assert set(pages) == {"README.md", "hr/Handbook.docx", "finance/Travel.pdf"}
    handbook = pages["hr/Handbook.docx"]
    assert handbook["title"] == "Employee Handbook"
    assert handbook["url"] == "https://share.example.com/hr/Handbook.docx"
    html = handbook["html"]
    for fragment in ("<h1>Welcome aboard</h1>", "<strong>carefully</strong>", "<li>Get a laptop",
                     "<td>", "[Image: Office floor plan]",
                     'href="https://intranet.example.com/policies"'):  # fmt: skip
        assert fragment in html
    assert "<img" not in html
    travel = pages["finance/Travel.pdf"]
    assert travel["title"] == "Travel Policy"
    assert "<h1>Travel rules</h1>" in travel["html"]
    assert "under four hours." in travel["html"]  # the sentence survives the page break
    assert "<h2>Refunds</h2>" in travel["html"]

    reasons = {event.external_id: event.reason for event in report.failures}
    assert set(reasons) == {"hr/broken.docx"}
    skips = {event.external_id: event.reason for event in report.skips}
    assert set(skips) == {"scans/contract.pdf", "finance/salaries.pdf"}
    assert "scans/contract.pdf: no extractable text" in skips["scans/contract.pdf"]
    assert "finance/salaries.pdf: encrypted PDF" in skips["finance/salaries.pdf"]
    assert "hr/broken.docx: corrupted DOCX" in reasons["hr/broken.docx"]


def test_unchanged_office_files_cost_no_upload_and_an_edit_updates_the_page(
    tmp_path: Path, emulator: EmulatorServer
) -> None:
    share = Share(tmp_path, emulator)
    share.write("hr/Handbook.docx", rich_docx())
    share.write("Policy.pdf", text_pdf([[("h1", "Policy"), ("p", "Version one.")]]))
    assert share.sync().created == 2
    writes = page_writes(emulator)

    second = share.sync()
    assert (second.created, second.updated, second.unchanged, second.failed) == (0, 0, 2, 0)

    path = share.root / "Policy.pdf"
    path.write_bytes(text_pdf([[("h1", "Policy"), ("p", "Version two.")]]))
    os.utime(path, ns=(path.stat().st_mtime_ns + 10**9,) * 2)
    third = share.sync()
    assert (third.updated, third.unchanged) == (1, 1)
    assert "Version two." in share.pages()["Policy.pdf"]["html"]
    assert page_writes(emulator) == writes + 1


def test_a_file_without_text_is_never_uploaded_empty(
    tmp_path: Path, emulator: EmulatorServer
) -> None:
    share = Share(tmp_path, emulator)
    share.write("empty.docx", raw_docx("<w:p/>"))
    share.write("real.docx", raw_docx(para("Real content.")))
    report = share.sync()
    assert (report.created, report.failed, report.skipped) == (1, 0, 1)
    assert "empty.docx: no text in this Word document" in report.skips[0].reason
    assert set(share.pages()) == {"real.docx"}
    again = share.sync()  # the skipped file is not read again while it stays the same
    assert (again.unchanged, again.skipped, again.created) == (2, 0, 0)
    share.write("empty.docx", raw_docx(para("Now it has text.")))
    path = share.root / "empty.docx"
    os.utime(path, ns=(path.stat().st_mtime_ns + 10**9,) * 2)
    assert share.sync().created == 1
    assert set(share.pages()) == {"real.docx", "empty.docx"}


def test_the_real_command_converts_office_files_in_bounded_children(
    tmp_path: Path, emulator: EmulatorServer
) -> None:
    share = Share(tmp_path, emulator)
    share.write("hr/Handbook.docx", rich_docx())
    share.write("scans/contract.pdf", image_only_pdf(1))
    env = {**os.environ, "TEST_INTERCOM_TOKEN": emulator.token, "COLUMNS": "200"}
    result = subprocess.run(
        [sys.executable, "-m", "ingestor", "sync", "--no-progress", "-c", str(share.config_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0  # a file with nothing to publish is skipped, not a failure
    assert "scans/contract.pdf: no extractable text" in result.stdout + result.stderr
    assert share.pages()["hr/Handbook.docx"]["title"] == "Employee Handbook"
