"""Notion exports synced into the emulator through the real engine and a real YAML config."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from .conftest import (
    HTML_EXPORT,
    MARKDOWN_EXPORT,
    NotionSite,
    calls,
    fixture_members,
    write_nested_zip,
    write_zip,
)

URL = "https://help.example.com/p/"
MOBILE = "152bb52ee2b580179846fd78b2b60ea9"
SUB_PAGE = "25592a85546546a48b02dfa4fb545e1d"
HABITS = "152bb52ee2b5804da922efa8c3194444"
TODAY = "152bb52ee2b58133a786fa3d8869531a"
DEC_1 = "152bb52ee2b5811d92b1e629b25d0c0a"
HTML_ROOT = "1590080aa5a3802488c2e857dea7aa7d"
BLOCKS = "1580080aa5a38194a9c0e77779ee82d5"


def test_markdown_export_zip_in_zip_gives_pages_databases_and_rewritten_links(
    notion_site: NotionSite,
) -> None:
    shutil.copy(MARKDOWN_EXPORT, notion_site.exports / "export.zip")
    report = notion_site.sync()
    assert (report.failed, report.listing_complete, report.status) == (0, True, "ok")
    pages = notion_site.pages()
    # 276 pages + 3 databases of the sample, less its 2 pages holding a title only
    assert report.created == len(pages) == 277
    assert {skip.reason.split(": ", 1)[1] for skip in report.skips} == {
        "only 0 character(s) of text beyond its title (min_text_chars is 1)"
    }
    mobile = pages[MOBILE]
    assert mobile["title"] == "Getting Started on Mobile"
    assert mobile["url"] == URL + MOBILE
    assert f'href="{URL}{SUB_PAGE}"' in mobile["html"]
    assert "\u2610 Tap anywhere" in mobile["html"]  # a to-do item stays readable
    assert pages[SUB_PAGE]["title"] == "Example sub page"
    database = pages[HABITS]
    assert database["title"] == "Habit Tracker"
    assert "<table>" in database["html"] and "Practiced guitar" in database["html"]
    assert (
        f'href="{URL}{DEC_1}">@December 1, 2024</a>' in database["html"]
    )  # a row with a page links to it
    row = pages[TODAY]
    assert row["title"] == "@Today"
    assert "<th>Ran today</th><td>No</td>" in row["html"]  # properties as a compact table
    for page in pages.values():
        assert ".md" not in page["html"] and ".csv" not in page["html"]


def test_html_export_strips_notion_chrome_and_keeps_structure(notion_site: NotionSite) -> None:
    shutil.copy(HTML_EXPORT, notion_site.exports / "export.zip")
    report = notion_site.sync()
    assert (report.created, report.failed) == (4, 0)
    pages = notion_site.pages()
    assert {p["title"] for p in pages.values()} == {
        "Notion-Testspace",
        "Block Reference",
        "Formatting Tests",
        "Attachment Tests",
    }
    blocks = pages[BLOCKS]["html"]
    for gone in ("style", "class=", "katex", "<svg", "webkit"):
        assert gone not in blocks
    assert "f(\\theta)=e^{i\\theta}" in blocks  # the equation as its TeX source
    assert "<blockquote>" in blocks and "callout block with an emoji icon" in blocks
    assert "<details" in blocks and "<pre><code>" in blocks
    assert f'href="{URL}{BLOCKS}"' in pages[HTML_ROOT]["html"]
    attachments = next(p for p in pages.values() if p["title"] == "Attachment Tests")["html"]
    assert "[file not included: кошки-самые-лучшие.jpg]" in attachments
    assert "Attachment%20Tests" not in attachments


def test_asset_links_point_to_the_asset_base_url(notion_site: NotionSite) -> None:
    shutil.copy(HTML_EXPORT, notion_site.exports / "export.zip")
    notion_site.configure(notion_site.exports, asset_base_url="https://files.example.com/n")
    notion_site.sync()
    html = next(p for p in notion_site.pages().values() if p["title"] == "Attachment Tests")["html"]
    assert (
        'href="https://files.example.com/n/Notion-Testspace%201590080aa5a3802488c2e857dea7aa7d/'
        'Attachment%20Tests%2015f0080aa5a380c6b16cfed449a03a8b/felis-catus.jpg"' in html
    )
    assert "not included" not in html


def _workspace(edits: dict[int, str] | None = None, rename: str | None = None) -> dict[str, bytes]:
    """A synthetic Markdown export of 12 pages; ``edits`` changes some bodies."""
    files: dict[str, bytes] = {}
    for n in range(12):
        page_id = f"{n:02d}" + "ab" * 15
        title = rename if (rename and n == 0) else f"Page {n}"
        body = (edits or {}).get(n, f"Body of page {n}.")
        link = "" if n == 0 else f"\n\nSee [first](Page%200%20{'00' + 'ab' * 15}.md).\n"
        files[f"Export-x/{title} {page_id}.md"] = f"# {title}\n\n{body}{link}".encode()
    return files


def test_reexport_with_three_edits_makes_exactly_three_updates(notion_site: NotionSite) -> None:
    write_zip(notion_site.exports / "Export-a.zip", _workspace(), mtime=time.time() - 100)
    assert notion_site.sync().created == 12
    write_zip(notion_site.exports / "Export-b.zip", _workspace({2: "New", 5: "Newer", 9: "!"}))
    before = notion_site.server.stats()
    report = notion_site.sync()
    after = notion_site.server.stats()
    assert (report.updated, report.unchanged, report.created, report.deleted) == (3, 9, 0, 0)
    # an update is one upsert POST (createExternalPage on an existing external_id), nothing else
    assert after["total"] - before["total"] == 3 + 1  # and the run's check of the source
    assert calls(after, "createExternalPage") - calls(before, "createExternalPage") == 3
    assert calls(after, "deleteExternalPage") == 0
    assert len(notion_site.pages()) == 12
    # the same export again, freshly zipped: no write, only the run's check of the source
    write_zip(notion_site.exports / "Export-c.zip", _workspace({2: "New", 5: "Newer", 9: "!"}))
    before = notion_site.server.stats()
    report = notion_site.sync()
    assert (report.unchanged, report.updated) == (12, 0)
    assert notion_site.server.stats()["total"] == before["total"] + 1


def test_renamed_page_stays_one_external_page(notion_site: NotionSite) -> None:
    write_zip(notion_site.exports / "one.zip", _workspace(), mtime=time.time() - 100)
    notion_site.sync()
    first_id = "00" + "ab" * 15
    intercom_id = notion_site.pages()[first_id]["id"]
    write_zip(notion_site.exports / "two.zip", _workspace(rename="Welcome aboard"))
    report = notion_site.sync()
    assert (report.updated, report.created, report.deleted) == (1, 0, 0)
    pages = notion_site.pages()
    assert len(pages) == 12
    assert pages[first_id]["id"] == intercom_id
    assert pages[first_id]["title"] == "Welcome aboard"


def test_multi_part_export_in_a_folder_newest_wins(notion_site: NotionSite) -> None:
    members = fixture_members(MARKDOWN_EXPORT)
    names = sorted(members)
    half = len(names) // 2
    old = time.time() - 1000
    write_zip(notion_site.exports / "Export-old.zip", _workspace(), mtime=old)
    for part, chunk in ((1, names[:half]), (2, names[half:])):
        write_nested_zip(
            notion_site.exports / f"Export-new-Part-{part}.zip",
            f"Export-new-Part-{part}.zip",
            {name: members[name] for name in chunk},
        )
    report = notion_site.sync()
    assert (report.created, report.skipped, report.failed) == (277, 2, 0)
    assert "00" + "ab" * 15 not in notion_site.pages()


def test_corrupt_new_export_deletes_nothing(notion_site: NotionSite) -> None:
    write_zip(notion_site.exports / "Export-good.zip", _workspace(), mtime=time.time() - 100)
    notion_site.sync()
    good = (notion_site.exports / "Export-good.zip").read_bytes()
    (notion_site.exports / "Export-new.zip").write_bytes(good[: len(good) // 2])  # truncated
    report = notion_site.sync()
    assert not report.listing_complete
    assert "Export-new.zip" in " ".join(report.listing_problems)
    assert report.deleted == 0
    assert len(notion_site.pages()) == 12


def test_include_databases_off_skips_databases_and_rows(notion_site: NotionSite) -> None:
    shutil.copy(MARKDOWN_EXPORT, notion_site.exports / "export.zip")
    notion_site.configure(notion_site.exports, include_databases="false")
    report = notion_site.sync()
    pages = notion_site.pages()
    assert report.failed == 0
    assert HABITS not in pages and TODAY not in pages
    assert MOBILE in pages and SUB_PAGE in pages


def test_unpacked_folder_export(notion_site: NotionSite, tmp_path: Path) -> None:
    folder = tmp_path / "unpacked"
    for name, data in _workspace().items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    (folder / "Export-x" / ".DS_Store").write_bytes(b"\x00junk")
    notion_site.configure(folder)
    report = notion_site.sync()
    assert (report.created, report.failed) == (12, 0)


def test_links_to_pages_missing_from_the_export_are_reported(notion_site: NotionSite) -> None:
    present = "11" * 16
    missing = "22" * 16
    files = {
        f"Workspace/Guide {present}.md": (
            f"# Guide\n\nSee [Setup](Setup%20{missing}.md) and [myself](Guide%20{present}.md).\n"
        ).encode(),
        f"Workspace/Other {'33' * 16}.md": b"# Other\n\nText.\n",
    }
    write_zip(notion_site.exports / "export.zip", files)
    report = notion_site.sync()
    assert report.broken_links == [(present, missing)]
    html = notion_site.pages()[present]["html"]
    # sent as its words: a link to the connector's url_template would be a dead url
    assert "See Setup and" in html and missing not in html
