"""`ingestor preview`: files exactly as Fin would receive them, an index, and a real browser."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from ingestor.commands.preview import write_preview

from ..conftest import require_system_package
from .conftest import Site

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def seed(site: Site) -> None:
    site.write("guide/intro.md", "# Intro\n\nHello <b>world</b>.\n")
    site.write("faq.html", "<html><body><main><h1>FAQ</h1><p>Answer</p></main></body></html>")
    site.write("empty.html", "<html><body><script>x()</script></body></html>")
    site.write("big.md", "# Big\n\n" + "word " * 5000 + "\n")


def test_preview_writes_exact_payloads_and_an_index(site: Site, tmp_path: Path) -> None:
    seed(site)
    config = site.config()
    config = config.model_copy(
        update={"defaults": config.defaults.model_copy(update={"max_page_bytes": 20_000})}
    )
    out = tmp_path / "preview"
    rows = write_preview(config, out)
    by_id = {row.external_id: row for row in rows}
    assert {"guide/intro.md", "faq.html", "empty.html", "big.md"} <= set(by_id)
    intro = by_id["guide/intro.md"]
    assert intro.file and (out / intro.file).is_file()
    payload = json.loads((out / intro.file).with_suffix(".json").read_text())
    assert payload["title"] == "Intro"
    assert payload["url"] == "https://docs.example.com/guide/intro.md"
    assert payload["ai_agent_availability"] is True
    assert "<b>world</b>" in payload["html"]
    assert any("not sent" in w for w in by_id["empty.html"].warnings)
    # big.md has no heading to split at and one paragraph over the budget: refused, not cut
    assert any("not sent" in w and "max_page_bytes" in w for w in by_id["big.md"].warnings)
    index = (out / "index.html").read_text()
    assert "4 pages, 2 with warnings" in index
    assert site.server.stats()["total"] == 0  # nothing was sent


def test_preview_renders_in_headless_chromium_and_its_links_work(
    site: Site, tmp_path: Path
) -> None:
    require_system_package(None if CHROMIUM else "Debian's chromium package is not installed")
    assert CHROMIUM is not None
    seed(site)
    out = tmp_path / "preview"
    write_preview(site.config(), out)

    def dump(page: Path) -> str:
        profile = tmp_path / "chromium-profile"
        result = subprocess.run(
            [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return result.stdout

    index_dom = dump(out / "index.html")
    assert "What Fin would receive" in index_dom
    links = re.findall(r'href="(docs/[^"]+\.html)"', index_dom)
    assert len(links) == 3  # every page that would be sent links to its preview
    for link in links:
        page_dom = dump(out / link)
        assert 'id="fin-page"' in page_dom
        assert 'href="../index.html"' in page_dom
    shot = tmp_path / "index.png"
    subprocess.run(
        [
            CHROMIUM,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'chromium-shot'}",
            f"--screenshot={shot}",
            "--window-size=1200,800",
            (out / "index.html").as_uri(),
        ],
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert shot.stat().st_size > 5_000  # a real rendering, not a blank image


def test_preview_shows_each_section_of_a_split_page(site: Site, tmp_path: Path) -> None:
    site.write(
        "long.md",
        "# Long\n\n" + "".join(f"## Part {i}\n\n" + "w " * 900 + "\n\n" for i in range(3)),
    )
    config = site.config()
    config = config.model_copy(
        update={"defaults": config.defaults.model_copy(update={"max_page_bytes": 3_000})}
    )
    rows = write_preview(config, tmp_path / "preview")
    assert [r.external_id for r in rows] == ["long.md", "long.md#part-1", "long.md#part-2"]
    assert rows[1].title == "Long — Part 1"
    assert all(any("split: section" in w for w in r.warnings) for r in rows)
    assert all(r.file and (tmp_path / "preview" / r.file).is_file() for r in rows)


def test_preview_exits_1_naming_the_pages_a_sync_would_fail(site: Site, tmp_path: Path) -> None:
    site.write("guide/intro.md", "# Intro\n\nHello.\n")
    site.write("empty.html", "<html><body><script>x()</script></body></html>")
    skipped_only = site.cli("preview", "--out", str(tmp_path / "one"))
    assert skipped_only.returncode == 0, skipped_only.stdout + skipped_only.stderr
    assert "1 pages written" in skipped_only.stdout  # the empty page is skipped, as a sync does

    (site.root / "logo.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    result = site.cli("preview", "--out", str(tmp_path / "two"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 pages written" in result.stdout
    assert "error: docs: logo.md: not sent:" in result.stderr
    assert "empty.html" not in result.stderr
