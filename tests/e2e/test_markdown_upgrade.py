"""Switching the Markdown renderer (markdown-it-py to pyromark) re-sends only the pages whose
HTML really changed: the converter version makes every page be converted again once, and the
content hash gate lets through only visible changes (here: footnotes, which markdown-it-py did
not render)."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from ingestor.convert import _pipeline
from ingestor.engine import policy
from ingestor.engine.runner import sync_connectors
from ingestor.engine.sync import SyncOptions

from .conftest import Site

PAGES = {
    "guide.md": "# Guide\n\nSome *em*, **strong**, ~~gone~~ and `code`. A [link](other.md).\n",
    "table.md": "# Plans\n\n| Plan | Seats |\n|:-----|------:|\n| Pro | 5 |\n| Team | 20 |\n",
    "code.md": "# API\n\n```python\nprint('hi')\n```\n\n> Note: keep it secret.\n",
    "lists.md": "# Steps\n\n1. one\n2. two\n   - nested\n   - items\n\n---\n\nEnd.\n",
    "html.md": "# Raw\n\n<div><p>Raw <b>HTML</b> block</p></div>\n\nImage: ![alt](a.png)\n",
    "other.md": "# Other\n\nHeading levels:\n\n## Two\n\n### Three\n\nText.\n",
    "notes.md": "# Notes\n\nUploads are capped[^cap].\n\n[^cap]: 25 MB per file.\n",
}
_OLD = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def markdown_it_py(markdown: str) -> str:
    """What the renderer before the switch produced (task lists aside)."""
    rendered: str = _OLD.render(markdown)
    return rendered


def test_only_pages_whose_html_changed_are_sent_again(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    for rel, text in PAGES.items():
        site.write(rel, text)
    with monkeypatch.context() as before:
        before.setattr(_pipeline, "markdown_to_html", markdown_it_py)
        [first] = sync_connectors(site.config(), options=SyncOptions())
    assert first.created == len(PAGES)
    assert "25 MB per file" in site.intercom_pages()["notes.md"]["html"]

    monkeypatch.setattr(policy, "CONVERTER_VERSION", policy.CONVERTER_VERSION + "-upgraded")
    [plan] = sync_connectors(site.config(), options=SyncOptions(dry_run=True))
    assert [change.external_id for change in plan.changes] == ["notes.md"]
    [upgrade] = sync_connectors(site.config(), options=SyncOptions())
    assert (upgrade.updated, upgrade.unchanged, upgrade.failed) == (1, len(PAGES) - 1, 0)
    assert '<a href="#cap">1</a>' in site.intercom_pages()["notes.md"]["html"]


def test_the_hash_salt_is_the_one_stored_hashes_were_made_with() -> None:
    """Before the salt stopped following CONVERTER_VERSION it was this formula at version 2;
    a different salt would make every installation re-send every page once."""
    import hashlib

    for agent, copilot in ((True, True), (False, True), (True, False)):
        salted_then = hashlib.sha256(f"2|{agent}|{copilot}|en".encode()).hexdigest()[:12]
        now = policy.PagePolicy(ai_agent_availability=agent, ai_copilot_availability=copilot)
        assert now.hash_salt() == salted_then
        assert now.fingerprint() != salted_then  # the version gate follows the converter
