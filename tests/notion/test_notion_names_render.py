"""Pure parts: names and titles, Markdown and HTML rendering, CSV databases, link rewriting."""

# ruff: noqa: RUF001  # Cyrillic test data is meant to look like Latin letters

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

import pytest

from ingestor.connectors.base import Document
from ingestor.connectors.notion_export._database import match_row_pages, render_database
from ingestor.connectors.notion_export._links import LinkContext
from ingestor.connectors.notion_export._names import (
    fit_name,
    format_uuid,
    is_junk,
    parse_name,
    repair_title,
)
from ingestor.connectors.notion_export._render import render_html_page, render_markdown_page
from ingestor.convert import convert_document

ID_A = "1a2b3c4d5e6f708192a3b4c5d6e7f809"
ID_B = "ffeeddccbbaa99887766554433221100"


def context(
    files: frozenset[str] | set[str] = frozenset(),
    page_dir: str = "",
    assets: str | None = None,
) -> LinkContext:
    return LinkContext(
        page_dir=page_dir,
        url_for=lambda page_id: f"https://docs.example.com/{page_id}",
        exists=lambda rel: rel in files,
        asset_base_url=assets,
    )


def sanitized(html: str) -> str:
    return convert_document(Document(external_id="x", body=html, body_format="html")).html


# -- names -----------------------------------------------------------------------------------


def test_parse_name_takes_the_id_off_the_title() -> None:
    named = parse_name(f"Getting Started {ID_A}.md")
    assert (named.page_id, named.title, named.extension) == (ID_A, "Getting Started", ".md")
    database = parse_name(f"Tasks {ID_A.upper()}_all.csv")
    assert (database.page_id, database.title, database.all_columns) == (ID_A, "Tasks", True)
    assert parse_name("index.html").page_id is None
    assert parse_name(f"Folder {ID_A}", is_dir=True).page_id == ID_A


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "Обзор продукта и всех его возможностей для кл\ufffd",
            "Обзор продукта и всех его возможностей для кл",
        ),
        ("Launch plan 🚀\ud83d", "Launch plan 🚀"),  # a surrogate pair cut in half
        ("Zürich  office\u200d", "Zürich office"),
        ("Cafe\u0301", "Café"),  # macOS decomposed names become NFC
        ("会议记录", "会议记录"),
    ],
)
def test_titles_cut_in_the_middle_of_a_character_are_repaired(raw: str, expected: str) -> None:
    assert repair_title(raw) == expected


def test_junk_and_uuid() -> None:
    assert is_junk("__MACOSX/x/._a.md") and is_junk("a/.DS_Store") and is_junk("Thumbs.db")
    assert not is_junk(f"a/Page {ID_A}.md")
    assert format_uuid(ID_A) == "1a2b3c4d-5e6f-7081-92a3-b4c5d6e7f809"


# -- Markdown ----------------------------------------------------------------------------------


def test_markdown_blocks_are_kept_readable() -> None:
    text = (
        "# Release **notes**\n\n"
        "<aside>\n💡 Read this first.\n\n</aside>\n\n"
        "- [x]  Done thing\n- [ ]  Open thing\n\n"
        "| Plan | Price |\n| --- | --- |\n| Pro | 10 |\n\n"
        "```python\nprint('hi')\n```\n\n"
        "$$\nE = mc^2_{x}\n$$\n\n"
        "- Toggle title\n    \n    Hidden detail\n"
    )
    page = render_markdown_page(text, context(), properties=False)
    html = sanitized(page.html)
    assert page.title == "Release notes"
    assert "<blockquote>" in html and "Read this first." in html  # callout survives cleaning
    assert "\u2611 Done thing" in html and "\u2610 Open thing" in html
    assert "<table>" in html and "<td>Pro</td>" in html
    assert "print('hi')" in html and "E = mc^2_{x}" in html  # TeX not mangled by Markdown
    assert "Hidden detail" in html


def test_links_between_pages_in_any_script_are_rewritten() -> None:
    files = {
        f"Docs {ID_A}/Привет мир {ID_B}.md",
        f"Docs {ID_A}/图片.png",
        f"Docs {ID_A}/%D0%BA.jpg",
    }
    text = (
        f"# Docs\n\n[ru](Docs%20{ID_A}/"
        f"%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1%82%20%D0%BC%D0%B8%D1%80%20{ID_B}.md)\n"
        f"[emoji 🚀](Rocket%20%F0%9F%9A%80%20{ID_B}.md#part)\n"
        f"[db](Tasks%20{ID_A}.csv)\n"
        f"![cn](Docs%20{ID_A}/%E5%9B%BE%E7%89%87.png)\n"
        f"[percent](Docs%20{ID_A}/%25D0%25BA.jpg)\n"
        "[missing](Docs/nothing.pdf) [web](https://example.com/x) [top](#top)\n"
        f"[notion](https://www.notion.so/team/Some-Page-{ID_B})\n"
    )
    html = render_markdown_page(text, context(files), properties=False).html
    assert f'href="https://docs.example.com/{ID_B}"' in html
    assert f'href="https://docs.example.com/{ID_B}#part"' in html
    assert f'href="https://docs.example.com/{ID_A}"' in html
    assert "[file not included: cn]" in html and "[file not included: missing]" in html
    assert "[file not included: percent]" in html
    assert 'href="https://example.com/x"' in html and 'href="#top"' in html
    assert ".md" not in html and ".png" not in html
    with_assets = render_markdown_page(
        text, context(files, assets="https://cdn.example.com/n/"), properties=False
    ).html
    assert f'src="https://cdn.example.com/n/Docs%20{ID_A}/%E5%9B%BE%E7%89%87.png"' in with_assets
    assert f'href="https://cdn.example.com/n/Docs%20{ID_A}/%25D0%25BA.jpg"' in with_assets
    assert "[file not included: missing]" in with_assets  # not in the export: still a note


def test_row_properties_become_a_compact_table_with_relations() -> None:
    text = (
        "# Fix login\n\nStatus: Done\nOwner: Ana\n"
        f"Project: Auth (../Projects%20{ID_A}/Auth%20{ID_B}.md)\n\nThe body.\n"
    )
    html = render_markdown_page(text, context(page_dir=f"Tasks {ID_A}"), properties=True).html
    assert "<tr><th>Status</th><td>Done</td></tr>" in html
    assert f'<a href="https://docs.example.com/{ID_B}">Auth</a>' in html
    assert "<p>The body.</p>" in html


# -- HTML -------------------------------------------------------------------------------------


def test_html_export_properties_checkboxes_and_inline_equations() -> None:
    text = (
        "<html><head><title>T</title><style>body{color:red}</style></head><body>"
        '<article class="page sans"><header><img class="page-cover-image" src="c.png"/>'
        '<div class="page-header-icon"><span class="icon">📘</span></div>'
        '<h1 class="page-title">Guide</h1><p class="page-description"></p>'
        '<table class="properties"><tbody><tr class="property-row"><th><span class="icon '
        'property-icon"><svg></svg></span>Tags</th><td><span class="selected-value">a</span>'
        '<span class="selected-value">b</span></td></tr></tbody></table></header>'
        '<div class="page-body"><ul class="to-do-list"><li><div class="checkbox checkbox-on">'
        '</div> <span class="to-do-children-checked">Shipped</span></li></ul>'
        '<p>Inline <span class="notion-text-equation-token"><span class="katex"><math>'
        '<annotation encoding="application/x-tex">a^2</annotation></math><span class="katex-html">'
        "a2</span></span></span> math.</p></div></article></body></html>"
    )
    page = render_html_page(text, context())
    html = sanitized(page.html)
    assert page.title == "Guide"
    assert "<th>Tags</th><td>a, b</td>" in html.replace("<span>", "").replace("</span>", "")
    assert page.properties == (("Tags", "a, b"),)  # for audience rules: property.Tags
    assert "\u2611" in html and "Shipped" in html
    assert "<code>a^2</code>" in html
    for gone in ("color:red", "c.png", "📘", "svg"):
        assert gone not in html


# -- databases ---------------------------------------------------------------------------------


def test_csv_database_with_bom_quoted_newlines_and_relations() -> None:
    long_title = "A very long task title that Notion cut in its file name, really long"
    data = (
        "\ufeffName,Notes,Project\r\n"
        'Write docs,"line one\nline two",'
        f'"Auth (Projects%20{ID_A}/Auth%20{ID_B}.md), Billing (x.md)"\r\n'
        f'"{long_title}",,\r\n'
        "No page row,,\r\n"
    ).encode()
    rows = [("Write docs", ID_A), (long_title[:50], ID_B)]
    page = render_database(data, "Tasks", "Tasks.csv", rows, context())
    html = sanitized(page.html)
    assert "<th>Name</th><th>Notes</th><th>Project</th>" in html
    assert f'<a href="https://docs.example.com/{ID_A}">Write docs</a>' in html
    assert f'<a href="https://docs.example.com/{ID_B}">{long_title}</a>' in html
    assert "line one<br>line two" in html
    assert f'<a href="https://docs.example.com/{ID_B}">Auth</a>' in html
    assert "<td>No page row</td>" in html and "3 rows." in html


def test_row_matching_uses_each_page_once() -> None:
    assert match_row_pages(["Same", "Same", "Other"], [("Same", "1"), ("Same", "2")]) == {
        0: "1",
        1: "2",
    }


def test_row_matching_ignores_characters_file_names_cannot_hold() -> None:
    assert match_row_pages(["Q&A: setup / login?"], [("Q&A setup login", ID_A)]) == {0: ID_A}


def test_markdown_inside_a_callout_is_rendered() -> None:
    # Notion's callout: the Markdown starts on the line after <aside>, no blank line between
    text = (
        f"# Help\n\n<aside>\n💡 **Note:** see [the guide](Guide%20{ID_B}.md) first.\n\n"
        "</aside>\n\nAfter.\n"
    )
    page = render_markdown_page(text, context(), properties=False)
    assert re.sub(r">\s+<", "><", sanitized(page.html)) == (
        "<h1>Help</h1><blockquote><p>💡 <strong>Note:</strong> see "
        f'<a href="https://docs.example.com/{ID_B}">the guide</a> first.</p></blockquote>'
        "<p>After.</p>"
    )


@pytest.mark.parametrize(
    "url",
    [
        # a row opened in peek mode: the path names the database, ?p= the page
        f"https://www.notion.so/acme/{ID_A}?v=0123456789abcdef0123456789abcdef&p={ID_B}&pm=s",
        "https://www.notion.so/acme/" + format_uuid(ID_B),
        "https://acme.notion.site/" + format_uuid(ID_B) + "?pvs=4",
    ],
)
def test_notion_urls_naming_a_page_of_the_export_point_at_it(url: str) -> None:
    html = render_markdown_page(f"[row]({url})\n", context(), properties=False).html
    assert f'href="https://docs.example.com/{ID_B}"' in html


def test_links_written_composed_find_files_a_mac_stored_decomposed() -> None:
    # Notion writes links in NFC; a zip re-packed on macOS (HFS+) holds NFD names
    files = {unicodedata.normalize("NFD", f"Café {ID_A}/{n}") for n in ("Menü.png", "Résumé.md")}
    text = (
        f"![menu](Caf%C3%A9%20{ID_A}/Men%C3%BC.png)\n\n"
        f"[cv](Caf%C3%A9%20{ID_A}/R%C3%A9sum%C3%A9.md)\n"
    )
    html = render_markdown_page(
        text, context(files, assets="https://cdn.example.com/n"), properties=False
    ).html
    menu = quote(unicodedata.normalize("NFD", f"Café {ID_A}/Menü.png"))
    assert f'src="https://cdn.example.com/n/{menu}"' in html
    resume = quote(unicodedata.normalize("NFD", f"Café {ID_A}/Résumé.md"))
    assert f'href="https://cdn.example.com/n/{resume}"' in html
    assert "file not included" not in html


@pytest.mark.parametrize(
    ("name", "expected_tail"),
    [
        ("Ж" * 150 + f" {ID_A}.md", f" {ID_A}.md"),  # a page: id and extension kept
        ("猫" * 100 + ".png", ".png"),  # a file: a hash of the full name keeps it unique
        ("Short name.png", "Short name.png"),
    ],
)
def test_fit_name_keeps_names_within_255_bytes(name: str, expected_tail: str) -> None:
    fitted = fit_name(name)
    assert len(fitted.encode()) <= 255 and fitted.endswith(expected_tail)
    assert fitted == name or fitted != fit_name(name.replace("猫", "犬").replace("Ж", "Ю"))


def test_links_notion_could_not_resolve_are_sent_as_their_words() -> None:
    # Notion writes https://www.notion.soundefined for a mention of a deleted page
    text = "See [Old pricing](https://www.notion.soundefined) and [x](https://notion.siteundefined/a).\n"
    html = render_markdown_page(text, context(), properties=False).html
    assert html.strip() == "<p>See Old pricing and x.</p>"


def test_links_to_pages_whose_titles_have_unbalanced_parentheses() -> None:
    # Notion encodes spaces in link targets but not parentheses
    text = (
        f"[Step 1) Sign in](Step%201)%20Sign%20in%20{ID_B}.md) and "
        f"[FAQ (old](FAQ%20(old%20{ID_A}.md#top) and [Q (beta)](Q%20(beta)%20{ID_B}.md)\n"
    )
    html = render_markdown_page(text, context(), properties=False).html
    assert html.strip() == (
        f'<p><a href="https://docs.example.com/{ID_B}">Step 1) Sign in</a> and '
        f'<a href="https://docs.example.com/{ID_A}#top">FAQ (old</a> and '
        f'<a href="https://docs.example.com/{ID_B}">Q (beta)</a></p>'
    )
