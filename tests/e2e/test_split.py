"""Oversized pages become sections in Intercom; an edit re-sends only its section."""

from __future__ import annotations

from .conftest import Site, calls, write_calls

BUDGET = 3_000


def guide(step_words: dict[int, str] | None = None) -> str:
    words = step_words or {}
    text = "# Admin guide\n\nRead this first.\n\n"
    for i in range(4):
        text += f"## Step {i}\n\n" + (words.get(i, "configure ") * 180) + "\n\n"
    return text


def configure(site: Site) -> None:
    site.write_config()
    text = site.config_path.read_text().replace(
        "max_delete_fraction: 0.5", f"max_delete_fraction: 0.9\n  max_page_bytes: {BUDGET}"
    )
    site.config_path.write_text(text)
    for i in range(3):
        site.write(f"other-{i}.md", f"# Other {i}\n\nSmall page.\n")


def test_split_sections_edits_shrinks_and_deletes(site: Site) -> None:
    configure(site)
    site.write("admin.md", guide())
    assert site.cli("sync", "--no-progress").returncode == 0
    pages = site.intercom_pages()
    sections = sorted(eid for eid in pages if eid.startswith("admin.md"))
    assert sections == [
        "admin.md",
        "admin.md#step-0",
        "admin.md#step-1",
        "admin.md#step-2",
        "admin.md#step-3",
    ]
    assert pages["admin.md#step-2"]["title"] == "Admin guide — Step 2"
    assert pages["admin.md#step-2"]["url"] == "https://docs.example.com/admin.md#step-2"
    assert all(len(pages[eid]["html"].encode()) <= BUDGET for eid in sections)

    before = write_calls(site.server.stats())
    assert site.cli("sync", "--no-progress").returncode == 0
    assert write_calls(site.server.stats()) == before  # unchanged: nothing sent

    site.write("admin.md", guide({2: "restart "}))
    result = site.cli("sync", "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    assert write_calls(site.server.stats()) == before + 1  # only Step 2
    assert "restart" in site.intercom_pages()["admin.md#step-2"]["html"]
    assert site.cli("sync", "--no-progress").returncode == 0
    assert write_calls(site.server.stats()) == before + 1  # and the page's version moved on

    site.write("admin.md", "# Admin guide\n\nNow short.\n")
    before_deletes = calls(site.server.stats(), "deleteExternalPage")
    assert site.cli("sync", "--no-progress").returncode == 0
    assert calls(site.server.stats(), "deleteExternalPage") == before_deletes + 4
    pages = site.intercom_pages()
    assert sorted(eid for eid in pages if eid.startswith("admin.md")) == ["admin.md"]

    site.write("admin.md", guide())
    assert site.cli("sync", "--no-progress").returncode == 0
    (site.root / "admin.md").unlink()
    before_writes = write_calls(site.server.stats())
    assert site.cli("sync", "--no-progress").returncode == 0
    # deletion: hide: the page and every section stay, each hidden by one upsert
    hidden = {eid: p for eid, p in site.intercom_pages().items() if eid.startswith("admin.md")}
    assert sorted(hidden) == sections
    assert write_calls(site.server.stats()) == before_writes + 5
    for page in hidden.values():
        assert (page["ai_agent_availability"], page["ai_copilot_availability"]) == (False, False)
    assert len(site.intercom_pages()) == 8
