"""What each exported page becomes: titles, chrome removed, children, links, files and facts."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestor.connectors.confluence_export import ConfluenceExportConnector
from ingestor.connectors.confluence_export._layout import page_id_of, page_title, parse_index
from ingestor.convert import convert_document

from .conftest import FILES, documents, page_url
from .export_layout import SPACE_NAME, export_files, index_html, page_html, write_export


@pytest.fixture
def export(tmp_path: Path) -> Path:
    return write_export(tmp_path / "export", zipped=False)


def html_of(path: Path, **settings: object) -> dict[str, str]:
    return {pid: convert_document(doc).html for pid, doc in documents(path, **settings).items()}


def test_titles_lose_the_space_name_and_keep_their_own_colons(export: Path) -> None:
    docs = documents(export)
    assert {pid: doc.title for pid, doc in docs.items()} == {
        "100": "Help Center",
        "200": "Getting started",
        "300": "Billing",
        "301": "Rechnungen & Zahlungen",
        "302": "Refunds : how long?",
    }
    assert docs["200"].fallback_title == "Getting started"  # from the file name
    assert docs["200"].url == page_url("200")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Help Center : Getting started", "Getting started"),
        ("Getting started - Help Center - Confluence", "Getting started"),
        ("HELP : Getting started", "Getting started"),
        ("Other Space : Getting started", "Other Space : Getting started"),
        ("Help Center : ", "Help Center :"),
        ("  Plain   title ", "Plain title"),
    ],
)
def test_page_title_removes_only_the_decoration(raw: str, expected: str) -> None:
    assert page_title(raw, (SPACE_NAME, "HELP")) == expected


@pytest.mark.parametrize(
    ("name", "page_id"),
    [
        ("Getting-started_200.html", "200"),
        ("200.html", "200"),
        ("2021-06-04-Meeting-notes_65601.html", "65601"),
        ("index.html", None),
        ("site.css", None),
        ("Release_2a.html", None),
    ],
)
def test_page_ids_come_from_file_names(name: str, page_id: str | None) -> None:
    assert page_id_of(name) == page_id


def test_chrome_never_reaches_fin(export: Path) -> None:
    pages = html_of(export, asset_base_url=FILES)
    home = pages["100"]
    for chrome in (
        "Created by",
        "last modified",
        "Robin Ade",
        "Like",
        "Be the first",
        "Edit labels",
        "faq",
        "Great page",
        "Comments",
        "draw.io",
        "evaluation",
        "Document generated",
        "Atlassian",
        "bullet_blue",
        "image/png",
    ):
        assert chrome not in home, chrome
    assert "Welcome to the help center" in home
    assert "<blockquote><p><strong>Info</strong></p>" in home  # the macro, as REST pages get it
    assert "<span>🙂</span>" in home  # an emoticon as its emoji, not a broken icon


def test_a_page_holding_only_its_children_lists_them_as_links(export: Path) -> None:
    billing = html_of(export)["300"]
    assert billing == (
        f'<h2>Child pages</h2><ul><li><a href="{page_url("301")}">Rechnungen &amp; Zahlungen'
        f'</a></li><li><a href="{page_url("302")}">Refunds : how long?</a></li></ul>'
    )


def test_a_children_macro_in_the_body_is_kept_as_links(export: Path) -> None:
    home = html_of(export)["100"]
    assert (
        f'<ul><li><a href="{page_url("200")}">Getting started</a></li>'
        f'<li><a href="{page_url("300")}">Billing</a></li></ul>'
    ) in home
    assert "Child pages" not in home  # the page has content: no list added


def test_links_between_pages_point_at_their_urls(export: Path) -> None:
    pages = html_of(export)
    assert f'<a href="{page_url("302")}#Refundshowlong-Timing">Erstattungen</a>' in pages["301"]
    guide = pages["200"]
    assert f'<a href="{page_url("100")}">help center</a>' in guide  # viewpage.action?pageId=
    assert f'<a href="{page_url("300")}">billing</a>' in guide  # /display/HELP/Billing
    for page in pages.values():
        assert ".html" not in page


def test_a_link_to_a_page_missing_from_the_export_is_reported_and_sent_as_text(
    export: Path,
) -> None:
    docs = documents(export)
    assert docs["100"].metadata["missing_links"] == ["999"]
    assert all(docs[pid].metadata["missing_links"] == [] for pid in ("200", "300", "301", "302"))
    home = convert_document(docs["100"]).html
    assert "the old pricing page is gone" in home and "999" not in home


def test_files_point_at_the_asset_base_url_with_the_attachment_list(export: Path) -> None:
    home = html_of(export, asset_base_url=FILES)["100"]
    assert f'<img alt="Response times" src="{FILES}/attachments/100/101.png">' in home
    assert f'<a href="{FILES}/attachments/100/102.pdf">the terms</a>' in home
    # the list keeps what the body does not show already
    assert home.endswith(
        f'<h2>Attachments</h2><ul><li><a href="{FILES}/attachments/100/103.pdf">'
        "price list 2026.pdf</a></li></ul>"
    )


def test_files_become_visible_notes_without_an_asset_base_url(export: Path) -> None:
    home = html_of(export)["100"]
    assert "<em>[file not included: chart.png]</em>" in home
    assert "the terms <em>[file not included: terms.pdf]</em>" in home
    assert "attachments/" not in home and "Attachments" not in home


def test_facts_for_audience_rules(export: Path) -> None:
    docs = documents(export)
    assert ConfluenceExportConnector.audience_fields == {"path", "space", "ancestor", "label"}
    assert dict(docs["302"].facts) == {
        "path": ("Help Center/Billing/Refunds : how long?",),
        "space": ("HELP", "Help Center"),
        "ancestor": ("100", "Help Center", "300", "Billing"),
        "label": (),
    }
    assert docs["100"].facts["label"] == ("faq", "customers")
    assert docs["100"].facts["ancestor"] == ()
    assert all(doc.restricted is None for doc in docs.values())  # an export carries no ACLs


def test_the_index_gives_the_space_and_its_tree() -> None:
    index = parse_index(export_files()["index.html"].decode())
    assert (index.key, index.name) == ("HELP", "Help Center")
    assert [entry.page_id for entry in index.children[""]] == ["100"]
    assert [entry.page_id for entry in index.children["100"]] == ["200", "300"]
    assert index.titles["301"] == "Rechnungen & Zahlungen"
    bare = parse_index(index_html([], "x.html").replace("<title>HELP (", "<title>X ("))
    assert (bare.key, bare.children) == ("HELP", {})  # the details table wins over the title


def test_without_index_html_the_breadcrumbs_name_the_space(tmp_path: Path) -> None:
    files = export_files()
    del files["index.html"]
    write_export(tmp_path, files, zipped=False)
    docs = documents(tmp_path)
    assert docs["200"].title == "Getting started"
    assert docs["200"].facts["space"] == ("Help Center",)
    assert docs["200"].facts["ancestor"] == ("100", "Help Center")
    assert docs["300"].body == ""  # no page tree: nothing to list for a children-only page


def _recode(html: bytes, charset: str) -> bytes:
    text = html.decode().replace("charset=UTF-8", f"charset={charset}")
    return text.encode(charset, "xmlcharrefreplace")


@pytest.mark.parametrize("charset", ["ISO-8859-2", "Shift_JIS", "UTF-16"])
def test_pages_in_the_sites_default_encoding_are_read_in_it(tmp_path: Path, charset: str) -> None:
    # Confluence writes exports in its "Default encoding" setting and declares it in a <meta>
    polish = "Zażółć gęślą jaźń"
    files = export_files()
    files["index.html"] = files["index.html"].replace(b"Rechnungen", polish.encode())
    for name in [n for n in files if n.endswith(".html")]:
        files[name] = _recode(files[name], charset)
    files["301.html"] = page_html(polish, f"<p>{polish}: 5 €</p>").encode("utf-16")
    write_export(tmp_path, files, zipped=False)
    docs = documents(tmp_path)
    assert (docs["301"].title, docs["301"].body) == (polish, f"<p>{polish}: 5 €</p>")
    assert f"{polish} &amp; Zahlungen</a>" in docs["300"].body  # the child list, from index.html
    assert docs["200"].title == "Getting started"


def test_macro_error_notices_never_reach_fin(tmp_path: Path) -> None:
    # what Confluence draws for macros it cannot render, as found in real exported pages
    main = (
        "<p>Intro.</p>"
        '<div class="error"><span class="error">Unknown macro: {div}</span>'
        "<p>Language variants are listed below.</p></div>"
        "<h2>Related Articles</h2>"
        "<div class=\"error\">Error rendering macro 'contentbylabel' : CQL was parsed but the "
        "search manager was unable to execute the search. Error message: "
        "com.atlassian.confluence.api.service.exceptions.ServiceException</div>"
        '<p>A <span class="error">plain red</span> word stays.</p>'
    )
    files = export_files()
    files["301.html"] = page_html("Rechnungen &amp; Zahlungen", main).encode()
    write_export(tmp_path, files, zipped=False)
    html = html_of(tmp_path)["301"]
    assert "Language variants are listed below." in html and "plain red" in html
    assert "macro" not in html and "atlassian" not in html
