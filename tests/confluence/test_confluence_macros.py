"""Macro leftovers: Jira issue placeholders, emoji, success/error panels, excerpt-include.

Every input is markup as Confluence renders it, built from published shapes; each constant
says where its shape comes from.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ingestor.connectors.base import Item
from ingestor.connectors.confluence import ConfluenceConnector, clean_confluence_html
from ingestor.connectors.confluence._includes import included_pages
from ingestor.convert import convert_document

from .fake_confluence import FakeConfluence

Connect = Callable[..., ConfluenceConnector]
CLOUD = "https://acme.atlassian.net/wiki"

# Single Jira issue macro in Cloud view/export_view: the browser fills it in later, so the API
# answers placeholders (shape of pages exported from Cloud through the REST API, as found in
# public exports: span.confluence-jim-macro.jira-issue[data-jira-key] > a.jira-issue-key +
# span.summary "Getting issue details..." + span.aui-lozenge.issue-placeholder "STATUS").
JIRA_PLACEHOLDER = (
    '<p>Fixed in <span class="confluence-jim-macro jira-issue conf-macro output-block" '
    'data-client-id="SINGLE_d3f195c5_30671885750" data-hasbody="false" data-jira-key="SUP-4192" '
    'data-macro-id="27a1e1ba-59ce" data-macro-name="jira"> <a href="https://acme.atlassian.net/'
    'browse/SUP-4192" class="jira-issue-key"><span class="aui-icon aui-icon-wait '
    'issue-placeholder"> </span>SUP-4192</a> - <span class="summary">Getting issue details...'
    '</span> <span class="aui-lozenge aui-lozenge-subtle aui-lozenge-default issue-placeholder">'
    "STATUS</span> </span> last week.</p>"
)
# The same macro resolved, as Confluence's HTML space export writes it (summary and status
# rendered server-side; lozenge class jira-macro-single-issue-export-pdf).
JIRA_RESOLVED = (
    '<p><span class="confluence-jim-macro jira-issue resolved" data-jira-key="TP-1905"> <a '
    'href="https://acme.atlassian.net/browse/TP-1905" class="jira-issue-key"><img src="https://'
    'acme.atlassian.net/images/icons/issuetypes/epic.svg" class="icon" />TP-1905</a> - <span '
    'class="summary">Care plan drafts</span> <span class="aui-lozenge aui-lozenge-subtle '
    'aui-lozenge-success jira-macro-single-issue-export-pdf">Done</span> </span></p>'
)
# Without an application link to Jira the macro has no issue url: the key alone remains.
JIRA_UNLINKED = (
    '<p><span class="confluence-jim-macro jira-issue" data-jira-key="OPS-7"><span '
    'class="summary">Getting issue details...</span> <span class="aui-lozenge '
    'issue-placeholder">STATUS</span></span></p>'
)


def test_jira_placeholders_become_the_linked_key() -> None:
    html = clean_confluence_html(JIRA_PLACEHOLDER, CLOUD)
    assert '<a href="https://acme.atlassian.net/browse/SUP-4192">SUP-4192</a>' in html
    assert "Getting issue details" not in html and "STATUS" not in html
    assert html.endswith("</span> last week.</p>")


def test_a_resolved_jira_issue_keeps_its_summary_and_status() -> None:
    html = clean_confluence_html(JIRA_RESOLVED, CLOUD)
    assert (
        '<span><a href="https://acme.atlassian.net/browse/TP-1905">TP-1905</a>'
        " - Care plan drafts (Done)</span>"
    ) in html
    assert "epic.svg" not in html


def test_an_unlinked_jira_issue_is_its_key() -> None:
    assert clean_confluence_html(JIRA_UNLINKED, CLOUD) == "<p><span>OPS-7</span></p>"


@pytest.mark.parametrize(
    ("element", "emoji"),
    [
        # Cloud, Atlassian's own emoji (HTML export of a Cloud page: data-emoji-id
        # "atlassian-check_mark", short name and fallback ":check_mark:", classic name "tick")
        (
            '<img class="emoticon emoticon-tick" data-emoji-id="atlassian-check_mark" '
            'data-emoji-shortname=":check_mark:" data-emoji-fallback=":check_mark:" '
            'data-emoticon-name="tick" alt="(tick)" src="images/icons/emoticons/check.png">',
            "\u2705",
        ),
        # Cloud, an Atlassian emoji without a classic name (ids from Atlassian's editor table
        # of wiki-markup emoticons: "(on)" -> atlassian-light_bulb_on)
        (
            '<img class="emoticon" data-emoji-id="atlassian-light_bulb_on" '
            'data-emoji-shortname=":light_bulb_on:" data-emoji-fallback=":light_bulb_on:" '
            'alt=":light_bulb_on:" src="/wiki/images/icons/emoticons/lightbulb_on.png">',
            "\U0001f4a1",
        ),
        # Cloud, a Unicode emoji: hex code points as the id, the emoji as the fallback
        (
            '<img class="emoticon" data-emoji-id="1f1eb-1f1f7" data-emoji-shortname=":flag_fr:" '
            'data-emoji-fallback=":flag_fr:" alt=":flag_fr:" src="https://pf-emoji.example/fr.png">',
            "\U0001f1eb\U0001f1f7",
        ),
        # Cloud, an emoji node rendered as a span (no image)
        ('<span data-emoji-id="1f600" data-emoji-shortname=":grinning:"></span>', "\U0001f600"),
        # Data Center: emoticon-* class and data-emoticon-name (classic emoticons)
        (
            '<img class="emoticon emoticon-cross" data-emoticon-name="cross" alt="(error)" '
            'src="/confluence/images/icons/emoticons/error.svg">',
            "\u274c",
        ),
    ],
)
def test_emoji_are_mapped_by_id(element: str, emoji: str) -> None:
    assert (
        clean_confluence_html(f"<p>A {element} B</p>", CLOUD) == f"<p>A <span>{emoji}</span> B</p>"
    )


def test_a_custom_emoji_is_removed_never_shown_as_its_code() -> None:
    custom = (  # a site's uploaded emoji: a UUID id and its short name as the fallback
        '<img class="emoticon" data-emoji-id="0f4b8c3f-1a2b-4c3d-8e9f-0a1b2c3d4e5f" '
        'data-emoji-shortname=":partyparrot:" data-emoji-fallback=":partyparrot:" '
        'alt=":partyparrot:" src="https://media.example/parrot.gif">'
    )
    html = clean_confluence_html(f"<p>Shipped {custom}</p>", CLOUD)
    assert html == "<p>Shipped <span></span></p>"


# Panels of Cloud's editor render with data-panel-type and Atlaskit's panel classes
# (@atlaskit/editor-common panel styles: .ak-editor-panel[data-panel-type="success" | "error"],
# .ak-editor-panel__icon, .ak-editor-panel__content).
def adf_panel(kind: str, text: str) -> str:
    return (
        f'<div class="ak-editor-panel" data-panel-type="{kind}">'
        '<div class="ak-editor-panel__icon"><span role="img" aria-label="Panel">&nbsp;</span>'
        f'</div><div class="ak-editor-panel__content"><p>{text}</p></div></div>'
    )


@pytest.mark.parametrize(
    ("kind", "label"),
    [("success", "Success"), ("error", "Error"), ("note", "Note"), ("info", "Info")],
)
def test_editor_panels_are_labelled_by_kind(kind: str, label: str) -> None:
    html = clean_confluence_html(adf_panel(kind, "Backups run nightly."), CLOUD)
    assert html == (
        f"<blockquote><p><strong>{label}</strong></p><p>Backups run nightly.</p></blockquote>"
    )


# excerpt-include in export_view: div.panel[data-macro-name=excerpt-include] > div.panelHeader
# > b (the source page title) + div.panelContent, as Confluence renders it; with nopanel=true the
# macro div holds the content directly (confluence-markdown-exporter's tests).
EXCERPT_PANEL = (
    '<div class="panel conf-macro output-block" data-hasbody="false" '
    'data-macro-name="excerpt-include" style="border-width: 1px;"><div class="panelHeader" '
    'style="border-bottom-width: 1px;"><b>Refund policy</b></div><div class="panelContent">'
    "<p>Refunds take 5 days.</p></div></div>"
)
EXCERPT_NOPANEL = (
    '<div class="conf-macro output-block" data-hasbody="false" data-macro-name="excerpt-include"'
    ' data-macro-id="macro-excerpt-1"><p>Refunds take 5 days.</p></div>'
)


@pytest.mark.parametrize("markup", [EXCERPT_PANEL, EXCERPT_NOPANEL])
def test_excerpt_include_keeps_the_excerpt_only(markup: str) -> None:
    html = clean_confluence_html(markup, CLOUD)
    assert html == "<div><p>Refunds take 5 days.</p></div>"


def test_fetched_page_reaches_fin_without_leftovers(fake: FakeConfluence, connect: Connect) -> None:
    body = JIRA_PLACEHOLDER + EXCERPT_PANEL + adf_panel("error", "Never restart prod.")
    page_id = fake.add_page("ENG", "Release notes", body)
    doc = connect(fake).fetch(Item(page_id, "1", locator="ENG"))
    page = convert_document(doc)
    for leftover in ("Getting issue details", "STATUS", "Refund policy", ":check_mark:"):
        assert leftover not in page.html
    assert 'href="https://acme.atlassian.net/browse/SUP-4192"' in page.html
    assert "<strong>Error</strong>" in page.html and "Never restart prod." in page.html


def test_included_pages_are_read_from_storage_format() -> None:
    """Include and excerpt-include name their page with ``ri:page`` (space key left out for the
    page's own space); a plain link to a page includes nothing."""
    storage = (
        '<p>See <ac:link><ri:page ri:content-title="Linked only" /></ac:link></p>'
        '<ac:structured-macro ac:name="include" ac:schema-version="1"><ac:parameter ac:name="">'
        '<ac:link><ri:page ri:content-title="Pay &amp; bonus" ri:space-key="HR" /></ac:link>'
        "</ac:parameter></ac:structured-macro>"
        '<ac:structured-macro ac:name="excerpt-include"><ac:parameter ac:name="">'
        '<ac:link><ri:page ri:content-title="Hours" /></ac:link></ac:parameter>'
        '<ac:parameter ac:name="nopanel">true</ac:parameter></ac:structured-macro>'
        '<ac:structured-macro ac:name="include"><ac:parameter ac:name=""><ac:link>'
        '<ri:page ri:content-title="Hours" /></ac:link></ac:parameter></ac:structured-macro>'
    )
    assert included_pages(storage, "ENG") == [("HR", "Pay & bonus"), ("ENG", "Hours")]
    assert included_pages("<p>no macros</p>", "ENG") == []
