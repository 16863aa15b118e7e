"""Images, emoticons, task lists and editor links in Confluence's rendered pages."""

from __future__ import annotations

import pytest

from ingestor.connectors.confluence import clean_confluence_html

CLOUD = "https://acme.atlassian.net/wiki"
DATA_CENTER = "https://intra.example.com/confluence"
QUERY = "version=2&amp;modificationDate=1731400000000&amp;api=v2"


def image(src: str, **data: str) -> str:
    attributes = "".join(f' data-{key.replace("_", "-")}="{value}"' for key, value in data.items())
    return f'<p><img class="confluence-embedded-image" width="500" src="{src}"{attributes}></p>'


@pytest.mark.parametrize(
    ("site", "prefix"), [(CLOUD, "/wiki"), (DATA_CENTER, "/confluence"), ("https://c.example", "")]
)
def test_a_thumbnail_becomes_its_full_attachment(site: str, prefix: str) -> None:
    thumbnail = f"{prefix}/download/thumbnails/65601/sso.png?{QUERY}&amp;effects=border-simple"
    attachment = f"{prefix}/download/attachments/65601/sso.png?{QUERY}"
    host = site.removesuffix(prefix)
    expected = f'width="500" src="{host}{attachment}">'
    # with data-image-src (what export_view gives) and without it (the src alone)
    assert expected in clean_confluence_html(image(thumbnail, image_src=attachment), site)
    assert expected in clean_confluence_html(image(thumbnail), site)


def test_presentation_parameters_go_the_rest_stays_byte_for_byte() -> None:
    src = (
        "/wiki/download/attachments/1/a%20b%3A1.png"
        "?effects=drop-shadow&amp;version=3&amp;width=200&amp;api=v2"
    )
    html = clean_confluence_html(image(src), CLOUD)
    assert f'src="{CLOUD}/download/attachments/1/a%20b%3A1.png?version=3&amp;api=v2"' in html


def test_an_expiring_media_url_gives_way_to_the_linked_attachment() -> None:
    media = "https://api.media.atlassian.com/file/5f1c/image?token=eyJhbGci&amp;client=9a2"
    linked = {
        "linked_resource_type": "attachment",
        "linked_resource_container_id": "65601",
        "linked_resource_default_alias": "SSO settings (v2).png",
        "linked_resource_version": "4",
    }
    html = clean_confluence_html(image(media, **linked), DATA_CENTER)
    assert (
        f'src="{DATA_CENTER}/download/attachments/65601/SSO%20settings%20%28v2%29.png?version=4&amp;api=v2"'
        in html
    )
    assert "token" not in html


def test_external_and_data_images_are_left_alone() -> None:
    external = "https://cdn.example.com/download/chart.png?width=300&amp;effects=x"
    html = clean_confluence_html(
        image(external, image_src=external) + image("data:image/png;base64,iVBORw0KGgo="), CLOUD
    )
    assert f'src="{external}"' in html
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in html


def test_urls_on_other_sites_are_never_rewritten() -> None:
    src = "https://old.example.com/download/thumbnails/7/x.png?version=1&amp;effects=border-simple"
    html = clean_confluence_html(image(src, image_src=src), CLOUD)
    assert f'src="{src}"' in html
    own = "https://acme.atlassian.net/wiki/download/thumbnails/7/x.png?version=1&amp;effects=y"
    html = clean_confluence_html(image(own), CLOUD)
    assert 'src="https://acme.atlassian.net/wiki/download/attachments/7/x.png?version=1"' in html


@pytest.mark.parametrize(
    ("attributes", "text"),
    [
        ('class="emoticon emoticon-tick" data-emoticon-name="tick" alt="(tick)"', "\u2705"),
        ('class="emoticon emoticon-smile" alt="(smile)"', "\U0001f642"),
        ('class="emoticon" data-emoji-id="1f680" data-emoji-fallback="🚀" alt=":rocket:"', "🚀"),
        ('class="emoticon emoticon-blue-star" data-emoticon-name="custom-x" alt="(x)"', "\u2b50"),
        # an emoticon nobody can name is removed, not left as its code (issue 11)
        ('class="emoticon" data-emoticon-name="custom-x" alt="(custom-x)"', ""),
    ],
)
def test_emoticons_become_their_emoji_or_removed(attributes: str, text: str) -> None:
    src = "/wiki/s/-1/_/images/icons/emoticons/check.svg"
    html = clean_confluence_html(f"<p>Done <img {attributes} src='{src}'></p>", CLOUD)
    assert html == f"<p>Done <span>{text}</span></p>"


def test_tasks_keep_their_state() -> None:
    html = clean_confluence_html(
        '<ul class="inline-task-list" data-inline-tasks-content-id="9"><li data-inline-task-id="1"'
        ' class="checked">Check the order</li><li data-inline-task-id="2"><span>Refund</span>'
        '<ul class="inline-task-list"><li data-inline-task-id="3" class="checked"> Notify</li>'
        "</ul></li></ul><ul><li>plain</li></ul>",
        CLOUD,
    )
    assert '<li data-inline-task-id="1" class="checked">\u2611 Check the order</li>' in html
    assert '<li data-inline-task-id="2">\u2610 <span>Refund</span>' in html
    assert "\u2611 Notify" in html and "<li>plain</li>" in html


def test_links_into_the_editor_keep_only_their_text() -> None:
    html = clean_confluence_html(
        '<p><a class="createlink" href="/wiki/pages/createpage.action?spaceKey=HELP&amp;'
        'title=Refunds">Refunds</a>, <a href="/wiki/pages/editpage.action?pageId=4">edit</a>, '
        '<a href="https://acme.atlassian.net/wiki/pages/resumedraft.action?draftId=5">draft</a>, '
        '<a href="/wiki/pages/viewpage.action?pageId=4">page 4</a>, '
        '<a href="https://shop.example.com/createorder.action">order</a></p>',
        CLOUD,
    )
    assert html.startswith("<p>Refunds, edit, draft, <a href=")
    assert f'<a href="{CLOUD}/pages/viewpage.action?pageId=4">page 4</a>' in html
    assert '<a href="https://shop.example.com/createorder.action">order</a>' in html


def test_page_furniture_macros_are_removed() -> None:
    html = clean_confluence_html(
        '<div class="conf-macro output-block" data-macro-name="create-from-template">'
        '<a class="aui-button" href="/wiki/pages/createpage.action?templateId=3">Create notes</a>'
        '</div><div data-macro-name="livesearch"><form><input name="q"></form></div>'
        "<p>Text</p>",
        CLOUD,
    )
    assert html == "<p>Text</p>"
