"""Fetching pages: url, title, and Confluence macros rewritten before the shared conversion."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ingestor.connectors.base import Item
from ingestor.connectors.confluence import ConfluenceConnector, clean_confluence_html
from ingestor.convert import convert_document
from ingestor.errors import ConnectorError

from .fake_confluence import FakeConfluence

Connect = Callable[..., ConfluenceConnector]

# Markup as Confluence renders these macros in export_view/view.
CODE = (
    '<div class="code panel pdl conf-macro output-block" data-macro-name="code" '
    'data-hasbody="true"><div class="codeHeader panelHeader pdl"><b class="code-title">'
    'install.sh</b></div><div class="codeContent panelContent pdl"><pre '
    'class="syntaxhighlighter-pre" data-syntaxhighlighter-params="brush: bash; gutter: false" '
    'data-theme="Confluence">pip install fin &amp;&amp; fin --help\n  &lt;done&gt;</pre>'
    "</div></div>"
)
WARNING = (
    '<div class="confluence-information-macro confluence-information-macro-warning conf-macro '
    'output-block" data-macro-name="warning" data-hasbody="true"><p class="title">Read first</p>'
    '<span class="aui-icon aui-icon-small aui-iconfont-error confluence-information-macro-icon">'
    '</span><div class="confluence-information-macro-body"><p>Back up before upgrading.</p></div>'
    "</div>"
)
INFO = (
    '<div class="confluence-information-macro confluence-information-macro-information '
    'conf-macro output-block" data-macro-name="info"><span class="aui-icon aui-icon-small '
    'aui-iconfont-info confluence-information-macro-icon"></span><div '
    'class="confluence-information-macro-body"><p>Refunds take 5 days.</p></div></div>'
)
EXPAND = (
    '<div id="expander-1734" class="expand-container conf-macro output-block" '
    'data-macro-name="expand"><div id="expander-control-1734" class="expand-control">'
    '<span class="expand-control-icon icon">&nbsp;</span><span class="expand-control-text">'
    'Show the limits</span></div><div id="expander-content-1734" class="expand-content '
    'expand-hidden" style="display: none;"><p>At most 20 seats.</p></div></div>'
)
MENTION = (
    '<p>Ask <a class="confluence-userlink user-mention" data-account-id="557058:f2a1" '
    'href="/wiki/people/557058:f2a1" data-linked-resource-type="userinfo">Ada Lovelace</a>.</p>'
)
MEDIA = (  # a resized image: src is a thumbnail with a border effect, as export_view gives it
    '<p><img class="confluence-embedded-image" width="300" src="/wiki/download/thumbnails/65537/'
    'flow.png?version=1&amp;modificationDate=1731400000000&amp;api=v2&amp;effects=border-simple" '
    'data-image-src="/wiki/download/attachments/65537/flow.png?version=1&amp;'
    'modificationDate=1731400000000&amp;api=v2" data-linked-resource-type="attachment" alt="flow"> '
    '<a href="/wiki/download/attachments/65537/guide.pdf?api=v2">guide.pdf</a> '
    '<img class="emoticon emoticon-tick" src="/wiki/s/1/images/icons/emoticons/check.svg" '
    'alt="(tick)" data-emoticon-name="tick"></p>'
)
FLOW = "download/attachments/65537/flow.png?version=1&amp;modificationDate=1731400000000&amp;api=v2"
TOC = (
    '<div class="toc-macro conf-macro output-block" data-macro-name="toc"><ul><li>x</li></ul></div>'
)
SITE = "https://acme.atlassian.net/wiki"


def test_code_blocks_become_pre_code_with_their_title() -> None:
    html = clean_confluence_html(CODE, SITE)
    assert "<p><strong>install.sh</strong></p>" in html
    assert "<pre><code>pip install fin &amp;&amp; fin --help\n  &lt;done&gt;</code></pre>" in html
    assert "syntaxhighlighter" not in html


def test_panels_stay_blocks_with_their_kind() -> None:
    html = clean_confluence_html(WARNING + INFO, SITE)
    assert "<blockquote><p><strong>Warning: Read first</strong></p><p>Back up" in html
    assert (
        "<blockquote><p><strong>Info</strong></p><p>Refunds take 5 days.</p></blockquote>" in html
    )
    assert "aui-icon" not in html


def test_expand_macros_are_opened() -> None:
    html = clean_confluence_html(EXPAND, SITE)
    assert "<strong>Show the limits</strong>" in html
    assert "At most 20 seats." in html
    assert "display" not in html and "expand-hidden" not in html


def test_mentions_become_names_and_links_absolute() -> None:
    html = clean_confluence_html(MENTION + MEDIA + TOC, SITE)
    assert "<span>Ada Lovelace</span>" in html and "/people/" not in html
    assert f'src="https://acme.atlassian.net/wiki/{FLOW}"' in html and 'width="300"' in html
    assert "thumbnails" not in html and "effects" not in html
    assert (
        'href="https://acme.atlassian.net/wiki/download/attachments/65537/guide.pdf?api=v2"' in html
    )
    assert "<span>\u2705</span>" in html and "emoticons" not in html
    assert "toc-macro" not in html


def test_data_center_context_paths_and_relative_links() -> None:
    html = clean_confluence_html(
        '<p><a href="/confluence/display/ENG/Setup">setup</a> <a href="#top">top</a> '
        '<a href="mailto:a@b.c">mail</a></p>',
        "https://intra.example.com/confluence",
    )
    assert 'href="https://intra.example.com/confluence/display/ENG/Setup"' in html
    assert 'href="#top"' in html and 'href="mailto:a@b.c"' in html


def test_fetch_gives_title_url_and_clean_html(fake: FakeConfluence, connect: Connect) -> None:
    ctx = fake.context
    body = (
        "<h2>Install</h2>"
        + CODE.replace("/wiki/", f"{ctx}/")
        + WARNING
        + EXPAND
        + MENTION.replace("/wiki/", f"{ctx}/")
        + MEDIA.replace("/wiki/", f"{ctx}/")
    )
    page_id = fake.add_page("ENG", "Install Guide", body)
    fake.edit(page_id, body=body)
    connector = connect(fake)
    [item] = [i for i in connector.list() if isinstance(i, Item)]
    doc = connector.fetch(item)
    assert (doc.external_id, doc.title, doc.body_format) == (page_id, "Install Guide", "html")
    if fake.deployment == "cloud":
        assert doc.url == f"{fake.url}/spaces/ENG/pages/{page_id}/Install+Guide"
    else:
        assert doc.url == f"{fake.url}/display/ENG/Install+Guide"
    assert doc.metadata["version"] == 2
    page = convert_document(doc)
    assert "<pre><code>pip install fin" in page.html
    assert "<blockquote><p><strong>Warning: Read first</strong></p>" in page.html
    assert "At most 20 seats." in page.html
    assert "Ada Lovelace" in page.html
    assert f'src="{fake.url}/{FLOW}"' in page.html and "thumbnails" not in page.html
    calls = fake.calls("v2.page" if fake.deployment == "cloud" else "v1.page")
    assert len(calls) == 1 and "export_view" in calls[0]


def test_view_rendering_can_be_chosen(fake_cloud: FakeConfluence, connect: Connect) -> None:
    page_id = fake_cloud.add_page("ENG", "Page", "<p>hello</p>")
    connect(fake_cloud, body_format="view").fetch(Item(page_id, "1"))
    assert "body-format=view" in fake_cloud.calls("v2.page")[0]


def test_a_page_gone_since_listing_fails_that_page(fake: FakeConfluence, connect: Connect) -> None:
    page_id = fake.add_page("ENG", "Soon gone")
    connector = connect(fake)
    fake.purge(page_id)
    with pytest.raises(ConnectorError, match=f"{page_id} no longer exists"):
        connector.fetch(Item(page_id, "1"))


def test_a_page_archived_since_listing_fails_that_page(
    fake_cloud: FakeConfluence, connect: Connect
) -> None:
    page_id = fake_cloud.add_page("ENG", "Archived soon")
    fake_cloud.set_status(page_id, "archived")
    with pytest.raises(ConnectorError, match="archived"):
        connect(fake_cloud).fetch(Item(page_id, "1"))


def test_links_to_pages_that_do_not_exist_are_listed_as_missing() -> None:
    from ingestor.connectors.confluence._html import missing_pages

    html = (
        '<p><a href="/wiki/spaces/ENG/pages/42/Existing">Existing</a> '
        '<a class="createlink" href="/wiki/pages/createpage.action?spaceKey=ENG&amp;'
        'title=Release+checklist&amp;linkCreation=true">Release checklist</a></p>'
    )
    assert missing_pages(html) == ["Release checklist"]
    assert missing_pages("<p>no links</p>") == []


def test_a_page_moved_out_of_scope_between_listing_and_fetch_is_not_sent(
    fake: FakeConfluence, connect: Connect
) -> None:
    """Moved to a space that is not synced (whose space permissions may hide it), or out of
    root_page_ids, after the listing: the fetch refuses it instead of sending its new content."""
    root = fake.add_page("ENG", "Support")
    to_hr = fake.add_page("ENG", "Leave policy", parent=root)
    to_other_tree = fake.add_page("ENG", "Runbook", parent=root)
    stays = fake.add_page("ENG", "FAQ", parent=root)
    elsewhere = fake.add_page("ENG", "Engineering")
    connector = connect(fake, root_page_ids=[root])
    items = {i.external_id: i for i in connector.list() if isinstance(i, Item)}
    assert set(items) == {root, to_hr, to_other_tree, stays}

    fake.move(to_hr, space="HR")
    fake.move(to_other_tree, space="ENG", parent=elsewhere)
    with pytest.raises(ConnectorError, match="in space HR now, which is not synced"):
        connector.fetch(items[to_hr])
    with pytest.raises(ConnectorError, match="no longer under root_page_ids"):
        connector.fetch(items[to_other_tree])
    assert connector.fetch(items[stays]).title == "FAQ"  # what did not move is sent
    assert connector.fetch(items[root]).title == "Support"
    # the next listing no longer has them: the engine takes down what was sent before
    assert {i.external_id for i in connector.list() if isinstance(i, Item)} == {root, stays}
