"""Markdown task lists render as Notion exports render to-dos: ☑ / ☐ before the text."""

from __future__ import annotations

import pytest

from ingestor.connectors.base import Document
from ingestor.convert import convert_document
from ingestor.convert._markdown import markdown_to_html


def convert_markdown(body: str) -> str:
    doc = Document(external_id="t.md", body=body, body_format="markdown", url="https://x.example/t")
    return convert_document(doc).html


def test_checked_and_open_items_get_boxes_that_survive_the_sanitizer() -> None:
    html = convert_markdown("- [x] Workspace created\n- [ ] First reply sent\n- [X] Upper case\n")
    assert html == (
        "<ul>\n<li><span>☑</span> Workspace created</li>\n"
        "<li><span>☐</span> First reply sent</li>\n"
        "<li><span>☑</span> Upper case</li>\n</ul>"
    )


def test_inline_markup_after_the_box_is_kept() -> None:
    html = markdown_to_html("- [ ] Read *the* [guide](https://x.example/g)\n")
    link = '<a href="https://x.example/g">guide</a>'
    assert html == f"<ul>\n<li><span>☐</span> Read <em>the</em> {link}</li>\n</ul>\n"


def test_loose_ordered_and_nested_lists() -> None:
    html = markdown_to_html("1. [x] first\n\n   more text\n2. [ ]\tsecond\n   - [x] nested\n")
    assert "<li>\n<p><span>☑</span> first</p>\n<p>more text</p>\n</li>" in html
    assert "<p><span>☐</span> second</p>" in html
    assert "<li><span>☑</span> nested</li>" in html


@pytest.mark.parametrize(
    "markdown",
    [
        "- [x]no space\n",
        "- [y] other letter\n",
        "- \\[x] escaped\n",
        "- `[x] code`\n",
        "[x] not in a list\n",
        "- text first [x] then\n",
        "- para\n\n  [x] second paragraph\n",
    ],
)
def test_only_a_marker_opening_a_list_item_is_a_box(markdown: str) -> None:
    html = markdown_to_html(markdown)
    assert "☑" not in html and "☐" not in html
    assert "[x]" in html or "[y]" in html


def test_a_marker_alone_is_an_empty_box_and_wins_over_a_reference_named_x() -> None:
    # pulldown-cmark's (and GitHub's) reading: the list item's marker is a task box first
    assert markdown_to_html("- [x]\n") == "<ul>\n<li><span>☑</span> </li>\n</ul>\n"
    html = markdown_to_html("- [x] done\n\n[x]: https://x.example/\n")
    assert html == "<ul>\n<li><span>☑</span> done</li>\n</ul>\n"


def test_the_table_renderer_knows_task_lists_too() -> None:
    html = markdown_to_html("| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done\n")
    assert "<table>" in html and "<li><span>☑</span> done</li>" in html
