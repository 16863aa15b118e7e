"""Notion HTML exports read as a person reads them: people and select values side by side in a
cell are separated, initials avatars are not text, and a file left out of the export is named
by its file name, not by its percent-encoded path."""

from __future__ import annotations

import pytest
from lxml import etree

from ingestor.connectors.notion_export._links import LinkContext, rewrite_links
from ingestor.connectors.notion_export._render import parse_fragment, render_html_page

ID = "0a1b2c3d4e5f46a7b8c9d0e1f2a3b4c5"
ROW = """<html><head><title>Launch</title></head><body><article><header>
<h1 class="page-title">Launch</h1><table class="properties"><tbody>
<tr class="property-row"><th><span class="icon property-icon"></span>Owner</th><td>
<span class="user"><span class="icon user-icon user-icon-inner">M</span>Mike Shafer</span><span
class="user"><span class="icon user-icon user-icon-inner">P</span>Parthiv</span></td></tr>
<tr><th>Tags</th><td><span class="selected-value select-value-color-blue">Billing</span><span
class="selected-value select-value-color-red">Urgent</span></td></tr>
</tbody></table></header><div class="page-body"><table class="simple-table"><tbody><tr><td><div
class="user"><span class="icon user-icon user-icon-inner">O</span>Okay Cool</div></td>
<td><b>Ready</b><i>now</i></td></tr></tbody></table></div></article></body></html>"""


def context() -> LinkContext:
    return LinkContext(page_dir="", url_for=lambda page: page, exists=lambda path: False)


def text_of(html: str) -> str:
    return " ".join("".join(parse_fragment(html).itertext()).split())


def test_values_side_by_side_in_a_cell_are_separated() -> None:
    page = render_html_page(ROW, context())
    text = text_of(page.html)
    assert "Mike Shafer, Parthiv" in text and "Billing, Urgent" in text
    assert "Okay Cool" in text and "OOkay" not in text and "MMike" not in text
    assert "Ready now" in text


@pytest.mark.parametrize(
    ("link", "name"),
    [
        (f"Page%20Name%20{ID}/Quarterly%20report.pdf", "Quarterly report.pdf"),
        (f"Scan {ID}.png", "Scan.png"),
        ("Contract.pdf", "Contract.pdf"),
    ],
)
def test_a_file_left_out_is_named_by_its_file_name(link: str, name: str) -> None:
    root = parse_fragment(f'<p>See <a href="{link.replace(" ", "%20")}">{link}</a>.</p>')
    assert rewrite_links(root, context()) == 1
    html = etree.tostring(root, encoding="unicode")
    assert f"[file not included: {name}]" in html
