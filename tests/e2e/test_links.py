"""Links between pages of a file share point at the pages' urls; missing targets are reported."""

from __future__ import annotations

from .conftest import Site

TEMPLATE = "https://help.example.com/{path_no_ext}"


def seed(site: Site) -> None:
    site.write(
        "guide/intro.md",
        "# Intro\n\nSee [setup](setup.md#install), [billing](../billing/refunds.md), "
        "[gone](old-page.md), [home](/index.html) and [elsewhere](https://example.org/x).\n\n"
        "![diagram](img/flow.png)\n",
    )
    site.write("guide/setup.md", "# Setup\n\n## Install\n\nRun it.\n")
    site.write("billing/refunds.md", "# Refunds\n\nBack to the [intro](../guide/intro.md).\n")
    site.write(
        "index.html",
        '<html><body><main><h1>Home</h1><a href="guide/setup.md">Setup</a>'
        '<a href="missing/page.html">Missing</a></main></body></html>',
    )


def test_links_point_at_target_urls_and_broken_ones_are_reported(site: Site) -> None:
    site.write_config()
    text = site.config_path.read_text().replace(
        'url_template: "https://docs.example.com/{path}"', f'url_template: "{TEMPLATE}"'
    )
    site.config_path.write_text(text)
    seed(site)
    result = site.cli("sync", "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr

    pages = site.intercom_pages()
    intro = pages["guide/intro.md"]["html"]
    assert 'href="https://help.example.com/guide/setup#install"' in intro
    assert 'href="https://help.example.com/billing/refunds"' in intro
    assert 'href="https://help.example.com/index"' in intro  # root-relative link into the share
    assert 'href="https://example.org/x"' in intro  # leaves the source: untouched
    assert 'src="https://docs.example.com/guide/img/flow.png"' in intro  # images: the file's url
    assert "share.invalid" not in "".join(p["html"] for p in pages.values())
    refunds = pages["billing/refunds.md"]["html"]
    assert 'href="https://help.example.com/guide/intro"' in refunds
    assert pages["guide/intro.md"]["url"] == "https://help.example.com/guide/intro"

    for line in (
        "broken link in guide/intro.md to guide/old-page.md",
        "broken link in index.html to missing/page.html",
    ):
        assert line in result.stdout
    # a dead link is sent as its words: no citation may lead a customer to a 404
    home = pages["index.html"]["html"]
    assert "Missing" in home and "missing/page" not in home
    preview = site.cli("preview", "--out", str(site.root.parent / "preview"))
    assert preview.returncode == 0, preview.stderr
    index = (site.root.parent / "preview" / "index.html").read_text(encoding="utf-8")
    assert index.count("(no such page)") == 2  # the same count as the sync's
    status = site.cli("status")
    assert "broken link in guide/intro.md to guide/old-page.md (no such page)" in status.stdout
    assert "broken link in index.html to missing/page.html" in status.stdout

    # The missing page appears: the unchanged page linking to it is fetched again, and its
    # link is sent as a link once more.
    site.write("guide/old-page.md", "# Old page\n")
    assert site.cli("sync", "--no-progress").returncode == 0
    fixed = site.intercom_pages()["guide/intro.md"]["html"]
    assert 'href="https://help.example.com/guide/old-page"' in fixed
    assert "index.html to missing" in site.cli("status").stdout  # still missing there
    site.write(
        "index.html", '<html><body><h1>Home</h1><a href="guide/setup.md">S</a></body></html>'
    )
    assert site.cli("sync", "--no-progress").returncode == 0
    assert "index.html to missing" not in site.cli("status").stdout
