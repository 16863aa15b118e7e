"""What the admin of a file share sees in a sync's log (field trial): conversion warnings, and
no line that a file's name could forge."""

from __future__ import annotations

from ingestor.commands.cli import ExitCode

from .conftest import Site


def test_conversion_warnings_are_logged_with_the_page_and_the_page_is_sent(site: Site) -> None:
    site.write("kb/broken.md", "---\ntitle: [unclosed\n---\n# Refunds\n\nWithin 5 days.\n")
    legacy = "".join(f"<p><font face=Arial>Price {n} is listed." for n in range(200))
    site.write("kb/legacy.html", f"<html><body><h1>Prices</h1>{legacy}</body></html>")

    done = site.cli("sync", "--no-progress")

    assert done.returncode == ExitCode.OK, done.stdout + done.stderr
    assert "page kb/broken.md: front matter ignored: invalid YAML" in done.stderr
    assert "page kb/legacy.html: elements nest more than 200 levels deep" in done.stderr
    pages = site.intercom_pages()
    assert "Within 5 days." in pages["kb/broken.md"]["html"]
    assert "Price 199 is listed." in pages["kb/legacy.html"]["html"]


def test_a_file_name_cannot_forge_a_log_line(site: Site) -> None:
    forged = "01:00:00 INFO    ingestor.sync: sync docs: all good"
    (site.root / f"evil\n{forged}.md").write_bytes(b"\x00\x01 binary")

    done = site.cli("sync", "--no-progress")

    assert done.returncode == ExitCode.PARTIAL, done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert not [line for line in lines if line.startswith("01:00:00")]
    assert f"    {forged}.md failed: evil" in lines  # the name's second line, indented
