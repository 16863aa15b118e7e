"""The boilerplate rules one by one, on small whole pages: what goes, and what must stay.

The saved real pages (``test_boilerplate_quality.py``) measure the stage as a whole; these
pin each rule and its guard, so a change that trades one for the other shows which.
"""

from __future__ import annotations

import lxml.html  # type: ignore[import-untyped,unused-ignore]  # lxml ships no stubs
import pytest

from ingestor.connectors.base import Document
from ingestor.convert import convert_document
from ingestor.convert._boilerplate import UNLIKELY, UNLIKELY_WORDS, article_core

PROSE = (
    "Refunds are issued to the original payment method within five business days of the "
    "request, and the customer receives an email once the money is on its way."
)
ARTICLE = "".join(f"<p>{n}. {PROSE}</p>" for n in range(1, 6))
TITLES = [
    "Quarterly results beat the analysts' expectations again",
    "New office opens in Lisbon with two hundred engineers",
    "How the support team cut the first response time in half",
    "Five questions to ask before you migrate your invoices",
]


def convert(inner: str) -> str:
    body = f"<!DOCTYPE html><html><head><title>T</title></head><body>{inner}</body></html>"
    doc = Document(external_id="p", body=body, body_format="html", url="https://example.com/")
    return convert_document(doc).html


def link_list(titles: list[str]) -> str:
    return (
        "<ul>" + "".join(f'<li><a href="/{n}">{t}</a></li>' for n, t in enumerate(titles)) + "</ul>"
    )


def test_a_data_table_of_links_and_values_is_kept() -> None:
    rows = "".join(
        f'<tr><td><a href="/r/{n}">4.{n}</a></td><td>April 201{n}</td></tr>' for n in range(6)
    )
    html = convert(f'<div class="post">{ARTICLE}<table>{rows}</table></div>')
    assert "April 2015" in html and "4.5" in html


def test_link_lists_go_beside_the_article_and_stay_inside_it() -> None:
    html = convert(
        f"<div><div>{ARTICLE}<p>In progress:</p>{link_list(TITLES)}</div>"
        f"<div><h3>Elsewhere</h3>{link_list([t + '!' for t in TITLES])}</div></div>"
    )
    assert "In progress" in html
    assert all(title in html for title in TITLES)
    assert f"{TITLES[0]}!" not in html


def test_teaser_lists_go_beside_the_article_and_headlines_stay_inside_it() -> None:
    def teasers(mark: str) -> str:
        return "".join(
            f'<div><h3><a href="/{n}">{t}{mark}</a></h3><p>By Staff. A short teaser.</p></div>'
            for n, t in enumerate(TITLES)
        )

    html = convert(f"<div><div>{ARTICLE}{teasers('')}</div><div>{teasers('?')}</div></div>")
    assert all(title in html for title in TITLES)
    assert f"{TITLES[0]}?" not in html


def test_a_call_to_action_box_beside_the_article_goes() -> None:
    html = convert(
        f"<div><div>{ARTICLE}</div>"
        '<div><p>Ready to get started?</p><a class="slp-btn" href="/trial">Get free trial</a>'
        "</div></div>"
    )
    assert "1. Refunds" in html
    assert "Ready to get started" not in html and "free trial" not in html


def test_no_beside_rule_without_prose_an_index_of_long_titles_stays() -> None:
    html = convert(f"<h1>News</h1>{link_list(TITLES)}<div>{link_list(TITLES[:3])}</div>")
    assert all(title in html for title in TITLES)


@pytest.mark.parametrize(
    "name",
    ["most-popular", "email-opt-in", "author-bio", "prev-next-links", "contact-cta-container"],
)
def test_new_furniture_names_go(name: str) -> None:
    html = convert(
        f'<div class="post">{ARTICLE}<div class="{name}"><p>Chrome here.</p></div></div>'
    )
    assert "1. Refunds" in html and "Chrome here" not in html


def test_cta_counts_as_a_whole_word_only() -> None:
    html = convert(f'<div class="post">{ARTICLE}<div class="octal-table"><p>Kept.</p></div></div>')
    assert "Kept." in html
    assert UNLIKELY.search("cta-button") and UNLIKELY.search("big cta")
    assert not UNLIKELY.search("octal") and not UNLIKELY.search("dictate")


def test_every_unlikely_word_matches_in_any_case() -> None:
    for word in UNLIKELY_WORDS:
        assert UNLIKELY.search(f"x{word.upper()}y"), word
    assert not UNLIKELY.search("entry-content prose")


def test_the_article_core_is_the_block_around_all_sections() -> None:
    sections = "".join(f'<div class="section" id="s{n}">{ARTICLE}</div>' for n in range(3))
    body = lxml.html.document_fromstring(
        f'<html><body><div id="side"><p>{PROSE}</p></div><div id="doc">{sections}</div>'
        "</body></html>"
    ).find("body")
    core = article_core(body)
    assert core is not None and core.get("id") == "doc"


def test_menu_entries_wrapped_in_paragraphs_are_no_prose() -> None:
    entries = "".join(f'<p><a href="/{n}">{title}</a></p>' for n, title in enumerate(TITLES))
    body = lxml.html.document_fromstring(f"<html><body>{entries * 3}</body></html>").find("body")
    assert article_core(body) is None
