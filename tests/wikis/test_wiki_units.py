"""Pure parts of the wiki connectors: HTML cleaning, settings, scope, maxlag classification."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import certifi
import httpx
import pytest
from pydantic import ValidationError

from ingestor.connectors.dokuwiki import DokuWikiConnector, DokuWikiSettings, clean_dokuwiki_html
from ingestor.connectors.dokuwiki._connector import page_version, readable_page_name
from ingestor.connectors.mediawiki import (
    MediaWikiConnector,
    MediaWikiSettings,
    clean_mediawiki_html,
)
from ingestor.connectors.mediawiki._api import classify_maxlag
from ingestor.connectors.mediawiki._clean import redirect_target
from ingestor.connectors.mediawiki._scope import PageInfo, Scope
from ingestor.http import Verdict

MW = {
    "name": "wiki",
    "url": "https://wiki.example.com/",
    "api_url": "https://wiki.example.com/w/api.php",
}
DW = {"name": "dw", "url": "https://dw.example.com/", "wiki_url": "https://dw.example.com/"}


def test_mediawiki_cleaning_removes_chrome_and_keeps_content() -> None:
    html = (
        '<div class="mw-parser-output"><style>.x{}</style>'
        '<h2><span class="mw-headline" id="Use">Use</span>'
        '<span class="mw-editsection">[<a href="/edit">edit</a>]</span></h2>'
        '<div id="toc" class="toc"><ul><li>1 Use</li></ul></div>'
        '<p>See <a href="/index.php?title=Nope&amp;action=edit&amp;redlink=1" class="new">Nope</a>'
        ' and <a class="mw-selflink selflink">this page</a> and <a href="/index.php/Ok">Ok</a>.</p>'
        "<pre>code()</pre>"
        '<table class="navbox"><tr><td>Nav</td></tr></table>'
        '<div class="navbox-styles">x</div><p class="mw-empty-elt"></p>'
        '<ol class="references"><li>A source</li></ol></div>'
    )
    cleaned = clean_mediawiki_html(html)
    for gone in ("edit", "toc", "Nav", "<style", "redlink", "selflink", "mw-empty-elt"):
        assert gone not in cleaned
    for kept in ("Nope", "this page", '<a href="/index.php/Ok">Ok</a>', "<pre>code()</pre>"):
        assert kept in cleaned
    assert "A source" in cleaned and 'id="Use"' in cleaned


def test_dokuwiki_cleaning_removes_chrome_and_keeps_content() -> None:
    html = (
        '<h1 class="sectionedit1" id="start">Start</h1><div class="level1"><p>'
        '<a href="/doku.php?id=gone" class="wikilink2" rel="nofollow">gone</a> and '
        '<a href="/doku.php?id=here" class="wikilink1">here</a></p>'
        '<pre class="code python">print(1)</pre></div>'
        '<div class="secedit editbutton_section"><form><button>Edit</button></form></div>'
        '<div id="dw__toc"><h3>Table of Contents</h3></div>'
    )
    cleaned = clean_dokuwiki_html(html)
    assert "wikilink2" not in cleaned and "gone" in cleaned
    assert 'href="/doku.php?id=here"' in cleaned and "print(1)" in cleaned
    for gone in ("Edit", "Table of Contents", "<form"):
        assert gone not in cleaned


def test_mediawiki_settings_defaults_and_normalization() -> None:
    settings = MediaWikiSettings.model_validate(
        {
            **MW,
            "include_categories": ["Category:support_articles", "faq"],
            "exclude_prefixes": ["drafts/"],
            "namespaces": [12, 0, 12],
        }
    )
    assert settings.namespaces == [0, 12]
    assert settings.include_categories == ["Support articles", "Faq"]
    assert settings.exclude_prefixes == ["Drafts/"]
    assert MediaWikiSettings.model_validate(MW).namespaces == [0]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"username": "Bot@app"}, "set both or neither"),
        ({"password": "x" * 32}, "set both or neither"),
        ({"api_url": "https://w.example.com/api.php?action=query"}, "without a query"),
        ({"namespaces": [-1]}, "virtual"),
        ({"include_categories": ["a|b"]}, "not a category"),
        ({"verify": "no-such-ca.pem"}, "CA bundle does not exist"),
        ({"max_parallel_fetches": 0}, "greater than or equal to 1"),
    ],
)
def test_mediawiki_settings_refuse_bad_values(extra: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        MediaWikiSettings.model_validate({**MW, **extra})


def test_secrets_never_show_in_reprs() -> None:
    settings = MediaWikiSettings.model_validate(
        {**MW, "username": "Bot@app", "password": "topsecretpassword0123456789abcdef"}
    )
    assert "topsecret" not in repr(settings) and "topsecret" not in str(settings.model_dump())
    assert settings.secrets() == ("topsecretpassword0123456789abcdef",)


def test_ca_bundle_is_read_relative_to_the_config_and_used(tmp_path: Path) -> None:
    bundle = tmp_path / "internal-ca.pem"
    bundle.write_bytes(Path(certifi.where()).read_bytes())
    settings = MediaWikiSettings.model_validate(
        {**MW, "verify": "internal-ca.pem"}, context={"config_dir": tmp_path}
    )
    assert settings.verify == bundle
    with MediaWikiConnector(settings):  # the client builds an SSL context from the bundle
        pass
    dokuwiki = DokuWikiSettings.model_validate(
        {**DW, "verify": str(bundle), "username": "u", "password": "p"}
    )
    with DokuWikiConnector(dokuwiki):
        pass


def test_dokuwiki_settings_and_urls() -> None:
    settings = DokuWikiSettings.model_validate(
        {
            **DW,
            "wiki_url": "https://dw.example.com/wiki/doku.php",
            "namespaces": ["Team/Support:"],
        }
    )
    assert settings.wiki_url == "https://dw.example.com/wiki/"
    assert settings.endpoint == "https://dw.example.com/wiki/lib/exe/xmlrpc.php"
    assert settings.namespaces == ["team:support"]
    with DokuWikiConnector(settings) as wiki:
        assert wiki.page_url("team:support:login") == (
            "https://dw.example.com/wiki/doku.php?id=team:support:login"
        )
        assert wiki.in_scope("team:support:login") and wiki.in_scope("team:support")
        assert not wiki.in_scope("team:supportive") and not wiki.in_scope("other")
    rewritten = DokuWikiSettings.model_validate(
        {**DW, "page_url_template": "https://dw.example.com/{path}"}
    )
    with DokuWikiConnector(rewritten) as wiki:
        assert wiki.page_url("a:b c") == "https://dw.example.com/a/b%20c"
    with pytest.raises(ValidationError, match="unknown placeholder"):
        DokuWikiSettings.model_validate({**DW, "page_url_template": "https://x/{title}"})
    assert readable_page_name("support:password_reset") == "Password reset"
    assert page_version(1700000000, 12) == "1700000000:12"
    assert page_version(1700000000, False) == "1700000000:"


def test_scope_predicates() -> None:
    scope = Scope(
        MediaWikiSettings.model_validate(
            {
                **MW,
                "namespaces": [0, 12],
                "include_prefixes": ["Support/"],
                "exclude_prefixes": ["Support/Old"],
                "exclude_categories": ["Internal"],
            }
        )
    )
    assert scope.admits_title(0, "Support/Login")
    assert scope.admits_title(12, "Help:Support/Login")
    assert not scope.admits_title(0, "Support/Old login")
    assert not scope.admits_title(1, "Talk:Support/Login")
    page = PageInfo(1, 0, "Support/Login", 5, "u", redirect=False, categories=frozenset())
    assert scope.admits(page)
    assert not scope.admits(PageInfo(1, 0, "Support/Login", 5, "u", redirect=True))
    internal = PageInfo(1, 0, "Support/Login", 5, "u", False, frozenset({"Internal"}))
    assert not scope.admits(internal)


def test_maxlag_answers_are_retried_other_answers_classified_as_usual() -> None:
    request = httpx.Request("GET", "https://wiki.example.com/api.php")
    lagged = httpx.Response(200, headers={"X-Database-Lag": "7"}, request=request)
    assert classify_maxlag(lagged) is Verdict.RETRY
    assert classify_maxlag(httpx.Response(200, request=request)) is Verdict.SUCCESS
    assert classify_maxlag(httpx.Response(503, request=request)) is Verdict.RETRY
    assert classify_maxlag(httpx.Response(404, request=request)) is Verdict.FAIL


def test_wiki_fixtures_skip_with_a_clear_reason_when_the_package_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from . import servers

    monkeypatch.setattr(servers, "MW_ROOT", tmp_path / "no-mediawiki")
    reason = servers.missing_packages("mediawiki")
    assert reason is not None
    assert "Debian mediawiki package is not installed" in reason and "apt-get install" in reason


def test_red_links_are_listed_as_missing_pages() -> None:
    from ingestor.connectors.dokuwiki._clean import missing_pages as dokuwiki_missing
    from ingestor.connectors.mediawiki._clean import missing_pages as mediawiki_missing

    mediawiki_html = (
        '<div class="mw-parser-output"><p><a href="/index.php?title=Pear" title="Pear">Pear</a> '
        '<a href="/index.php?title=No_such&amp;action=edit&amp;redlink=1" class="new" '
        'title="No such (page does not exist)">No such</a> '
        '<a href="/index.php?title=No_such&amp;action=edit&amp;redlink=1" class="new" '
        'title="No such (page does not exist)">again</a></p></div>'
    )
    assert mediawiki_missing(mediawiki_html) == ["No such"]
    dokuwiki_html = (
        '<p><a href="/doku.php?id=start" class="wikilink1" title="start">start</a> '
        '<a href="/doku.php?id=ns:nope" class="wikilink2" title="ns:nope" rel="nofollow" '
        'data-wiki-id="ns:nope">nope</a></p>'
    )
    assert dokuwiki_missing(dokuwiki_html) == ["ns:nope"]


# What DokuWiki's renderer writes for a named code block, a file block and media (see
# tests/golden/dokuwiki/source); ids filled in as wiki.getPageHTML does.
DOKU_BLOCKS = (
    '<p>Run:</p>\n<dl class="code">\n<dt><a href="/doku.php?do=export_code&amp;id=ns:p&amp;'
    'codeblock=0" title="Download Snippet" class="mediafile mf_json">response.json</a></dt>\n'
    '<dd><pre class="code json">{&quot;a&quot;: 1}</pre>\n</dd></dl> after\n'
    '<dl class="file">\n<dt><a href="/doku.php?do=export_code&amp;id=ns:p&amp;codeblock=1" '
    'title="Download Snippet" class="mediafile mf_txt">notes.txt</a></dt>\n'
    '<dd><pre class="code file txt">plain</pre>\n</dd></dl>'
)


def test_dokuwiki_named_code_blocks_keep_their_name_not_the_download_link() -> None:
    cleaned = clean_dokuwiki_html(DOKU_BLOCKS)
    assert cleaned == (
        "<p>Run:</p>\n"
        '<p><code>response.json</code></p>\n<pre class="code json">{"a": 1}</pre> after\n'
        '<p><code>notes.txt</code></p>\n<pre class="code file txt">plain</pre>'
    )


def test_dokuwiki_images_show_the_full_media_file_without_wiki_links() -> None:
    html = (
        '<p><a href="/lib/exe/detail.php?id=ns:p&amp;media=wiki:logo.png" class="media" '
        'title="wiki:logo.png"><img src="/lib/exe/fetch.php?w=64&amp;tok=0e74f2&amp;'
        'media=wiki:logo.png" class="media" alt="Logo" width="64" /></a> '
        # url rewriting on (userewrite=1): the same through /_detail/ and /_media/
        '<a href="/_detail/wiki:logo.png?id=ns:p" class="media"><img src="/_media/wiki:logo.png'
        '?w=32&amp;h=20&amp;tok=1a2b3c&amp;cache=nocache" class="media" alt="" /></a> '
        # an external image goes through the wiki's cache: its token is needed as it is
        '<a href="/lib/exe/fetch.php?tok=b6ca01&amp;media=https%3A%2F%2Fx.example%2Fi.png" '
        'class="media"><img src="/lib/exe/fetch.php?w=10&amp;tok=d40286&amp;media=https%3A%2F%2F'
        'x.example%2Fi.png" class="media" alt="" width="10" /></a> '
        # a download link to a file is content: it stays
        '<a href="/lib/exe/fetch.php?media=ns:manual.pdf" class="media mediafile mf_pdf" '
        'title="ns:manual.pdf (1 MB)">The manual</a> '
        # a missing media file: only its caption is left
        '<a href="/lib/exe/detail.php?id=ns:p&amp;media=wiki:gone.png" class="media wikilink2" '
        'title="wiki:gone.png"><img src="/lib/exe/fetch.php?media=wiki:gone.png" alt="Old logo" '
        "/></a>.</p>"
    )
    cleaned = clean_dokuwiki_html(html)
    assert cleaned == (
        '<p><img src="/lib/exe/fetch.php?media=wiki:logo.png" class="media" alt="Logo" '
        'width="64"> <img src="/_media/wiki:logo.png?cache=nocache" class="media" alt=""> '
        '<img src="/lib/exe/fetch.php?w=10&amp;tok=d40286&amp;media=https%3A%2F%2Fx.example%2F'
        'i.png" class="media" alt="" width="10"> <a href="/lib/exe/fetch.php?media=ns:manual.pdf"'
        ' class="media mediafile mf_pdf">The manual</a> Old logo.</p>'
    )


def test_dokuwiki_links_to_wiki_actions_become_text_and_titles_go() -> None:
    html = (
        '<p><a href="/doku.php?id=ns:faq&amp;do=edit" class="wikilink1" title="ns:faq">edit'
        '</a> <a href="/doku.php?id=start&amp;do=register" class="wikilink2" title="start">'
        'register</a> <a href="https://wiki.example.com/doku.php?id=a&amp;do=export_raw" '
        'class="wikilink1" title="a">raw</a> <a href="/doku.php?id=ns:faq#top" '
        'class="wikilink1" title="ns:faq">FAQ</a> <a href="https://other.example/x?do=buy" '
        'class="urlextern" title="https://other.example/x?do=buy" rel="ugc nofollow">buy</a> '
        '<a href="mailto:a@example.com" class="mail" title="a@example.com">a@example.com</a></p>'
    )
    cleaned = clean_dokuwiki_html(html)
    assert cleaned == (
        '<p>edit register raw <a href="/doku.php?id=ns:faq#top" class="wikilink1">FAQ</a> '
        '<a href="https://other.example/x?do=buy" class="urlextern" rel="ugc nofollow">buy</a> '
        '<a href="mailto:a@example.com" class="mail">a@example.com</a></p>'
    )


def test_only_a_leading_redirect_message_makes_a_redirect() -> None:
    stub = (
        '<div class="mw-parser-output"><div class="redirectMsg"><p>Redirect to:</p>'
        '<ul class="redirectText"><li><a href="/index.php/T" title="Help:T">Help:T</a></li>'
        "</ul></div></div>"
    )
    assert redirect_target(stub) == "Help:T"
    quoted = '<div class="mw-parser-output"><p>Intro</p><div class="redirectMsg">x</div></div>'
    assert redirect_target(quoted) is None  # content that uses the class is not a redirect
    assert redirect_target('<div class="mw-parser-output"><p>Plain</p></div>') is None
