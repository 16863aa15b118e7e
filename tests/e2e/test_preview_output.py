"""`ingestor preview --out`: never deletes or overwrites what it did not write; private files;
everything it shows escaped (issue 10, point 5)."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import lxml.html  # type: ignore[import-untyped,unused-ignore]
import pytest

from ingestor.commands.preview import write_preview
from ingestor.commands.preview_output import MARKER
from ingestor.errors import UsageError

from .conftest import Site


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    old = os.umask(0o000)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_folder_holding_a_users_file_is_refused_with_exit_code_2(
    site: Site, tmp_path: Path
) -> None:
    site.write("a.md", "# A\n\nText.\n")
    out = tmp_path / "work"
    (out / "docs").mkdir(parents=True)
    (out / "docs" / "notes.txt").write_text("my notes")  # today: rmtree'd with DIR/docs
    (out / "index.html").write_text("my index")

    result = site.cli("preview", "--out", str(out))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "holds files preview did not write" in result.stderr
    assert "Traceback" not in result.stderr
    assert (out / "docs" / "notes.txt").read_text() == "my notes"
    assert (out / "index.html").read_text() == "my index"
    assert sorted(p.name for p in out.rglob("*")) == ["docs", "index.html", "notes.txt"]


def test_a_rerun_deletes_only_what_preview_wrote(site: Site, tmp_path: Path) -> None:
    site.write("a.md", "# A\n\nText.\n")
    gone = site.write("gone.md", "# Gone\n\nSoon removed.\n")
    out = tmp_path / "preview"
    first = {row.external_id: row.file for row in write_preview(site.config(), out)}
    assert (out / MARKER).is_file()
    stale = out / str(first["gone.md"])
    assert stale.is_file()
    (out / "docs" / "mine.txt").write_text("added by the admin")
    (out / "review-notes.md").write_text("added by the admin")
    gone.unlink()

    rows = write_preview(site.config(), out)
    assert [row.external_id for row in rows] == ["a.md"]
    assert not stale.exists() and not stale.with_suffix(".json").exists()
    assert (out / "docs" / "mine.txt").read_text() == "added by the admin"
    assert (out / "review-notes.md").read_text() == "added by the admin"
    assert (out / str(rows[0].file)).is_file() and (out / "index.html").is_file()


def test_a_file_in_the_way_is_not_overwritten(site: Site, tmp_path: Path) -> None:
    site.write("a.md", "# A\n\nText.\n")
    out = tmp_path / "preview"
    [row] = write_preview(site.config(), out)
    page = out / str(row.file)
    listed = (out / MARKER).read_text().replace(f"{row.file}\n", "")
    (out / MARKER).write_text(listed)  # the page is no longer preview's: the admin's now
    with pytest.raises(UsageError, match="exists and preview did not write it"):
        write_preview(site.config(), out)
    assert page.is_file()


def test_a_tampered_marker_never_reaches_outside_the_folder(site: Site, tmp_path: Path) -> None:
    site.write("a.md", "# A\n\nText.\n")
    out = tmp_path / "preview"
    write_preview(site.config(), out)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    (tmp_path / "keep.txt").write_text("keep")
    (out / "link").symlink_to(outside)
    with open(out / MARKER, "a") as marker:
        marker.write("../keep.txt\n/etc/hostname\nlink/keep.txt\n" + str(tmp_path / "keep.txt"))
    write_preview(site.config(), out)
    assert (outside / "keep.txt").is_file() and (tmp_path / "keep.txt").is_file()


def test_out_that_is_a_file_is_refused(site: Site, tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_text("x")
    with pytest.raises(UsageError, match="not a folder"):
        write_preview(site.config(), target)
    assert target.read_text() == "x"


def test_preview_files_are_private_whatever_the_umask(
    site: Site, tmp_path: Path, permissive_umask: None
) -> None:
    site.write("a.md", "# A\n\nText.\n")
    out = tmp_path / "new" / "preview"
    [row] = write_preview(site.config(), out)
    assert mode(out) == 0o700 and mode(out / "docs") == 0o700
    for path in (out / "index.html", out / str(row.file), out / MARKER):
        assert mode(path) == 0o600, path


def test_hostile_titles_ids_and_urls_are_escaped_in_preview(site: Site, tmp_path: Path) -> None:
    words = "word " * 400
    site.write(
        "evil.html",
        "<html><head><title>x</title></head><body><main>"
        "<h1>T &lt;script&gt;alert(1)&lt;/script&gt;</h1>"
        f"<p>{words}</p><h2 id='a\" onmouseover=\"alert(1)'>Evil</h2><p>{words}</p>"
        "</main></body></html>",
    )
    config = site.config()
    config = config.model_copy(
        update={"defaults": config.defaults.model_copy(update={"max_page_bytes": 3_000})}
    )
    out = tmp_path / "preview"
    rows = write_preview(config, out)
    assert len(rows) == 2
    evil = rows[1]
    assert evil.url == "https://docs.example.com/evil.html#a%22%20onmouseover=%22alert(1)"
    payload = json.loads((out / str(evil.file)).with_suffix(".json").read_text())
    assert payload["url"] == evil.url
    for document in [(out / "index.html").read_text(), (out / str(evil.file)).read_text()]:
        tree = lxml.html.document_fromstring(document)
        assert not tree.xpath("//@onmouseover | //script")
        hrefs = tree.xpath("//a/@href")
        assert evil.url in hrefs  # the whole url stayed one attribute value
