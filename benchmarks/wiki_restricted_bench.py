"""What the restricted-page checks of the wiki connectors cost, on the real Debian wikis.

Installs a MediaWiki 1.39 and a DokuWiki 2022-07-31 under ``php -S`` in a temporary folder
(the recipe of ``tests/wikis/servers.py``), fills each with ``--pages`` pages (one in ten in a
namespace anonymous visitors may not read), then lists and fetches every page as the engine
does (listing first, then fetches in listing order), twice in one process: with the checks
and with them switched off. Prints the extra calls and the wall time of both.

Run: ``.venv/bin/python benchmarks/wiki_restricted_bench.py [--pages 200]``
(needs the Debian ``mediawiki`` and ``dokuwiki`` packages).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "wikis"))

import servers  # noqa: E402  (the test fixtures' installer, run as a plain module)

from ingestor.connectors.base import Item  # noqa: E402
from ingestor.connectors.dokuwiki import DokuWikiConnector, DokuWikiSettings  # noqa: E402
from ingestor.connectors.mediawiki import MediaWikiConnector, MediaWikiSettings  # noqa: E402

BOT_PASSWORD = "ingestorbotpass0123456789abcdefgh"
DW_ACL = ("* @ALL 1", "* @user 8", "internal:* @ALL 0", "internal:* @staff 1")


def _run(connector: Any, *, checks: bool) -> tuple[int, int, float]:
    """(pages, check calls, seconds) of listing and fetching everything once."""
    guard = getattr(connector, "anonymous_reads", None) or connector.anonymous_acl
    guard.enabled = checks
    before = guard.calls
    started = time.perf_counter()
    items = [item for item in connector.list() if isinstance(item, Item)]
    restricted = sum(1 for item in items if connector.fetch(item).restricted)
    elapsed = time.perf_counter() - started
    if checks:
        print(f"    restricted pages found: {restricted}")
    return len(items), guard.calls - before, elapsed


def _mediawiki(folder: Path, pages: int) -> None:
    server = servers.install_mediawiki(folder / "mw")
    try:
        bot = servers.create_bot_password(server, "fin", BOT_PASSWORD)
        titles = [
            f"Internal:Bench {n:04d}" if n % 10 == 0 else f"Bench {n:04d}" for n in range(pages)
        ]
        body = "".join(
            f"<page><title>{t}</title><revision><timestamp>2024-01-01T00:00:00Z</timestamp>"
            "<contributor><username>Seeder</username></contributor><model>wikitext</model>"
            f'<format>text/x-wiki</format><text xml:space="preserve">== {t} ==\n'
            f"Some text of {t}. [[Category:Bench]]</text></revision></page>"
            for t in titles
        )
        dump = f'<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/">{body}</mediawiki>'
        conf = server.env["MW_CONFIG_FILE"]
        script = servers.MW_ROOT / "maintenance" / "importDump.php"
        servers.run_php([str(script), "--conf", conf], env=server.env, stdin=dump)
        settings = MediaWikiSettings.model_validate(
            {
                "name": "bench",
                "url": server.url + "/",
                "api_url": server.url + "/api.php",
                "namespaces": [0, 3000],
                "include_prefixes": ["Bench "],
                "username": bot,
                "password": BOT_PASSWORD,
            }
        )
        _report("MediaWiki", settings, MediaWikiConnector)
    finally:
        server.stop()


def _dokuwiki(folder: Path, pages: int) -> None:
    server = servers.install_dokuwiki(folder / "dw", acl_rules=DW_ACL)
    try:
        for n in range(pages):
            namespace = "internal" if n % 10 == 0 else "bench"
            path = folder / "dw" / "data" / "pages" / namespace / f"page{n:04d}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"====== Page {n} ======\n\nSome text of page {n}.\n")
        user, password = servers.DW_READER
        settings = DokuWikiSettings.model_validate(
            {
                "name": "bench",
                "url": server.url + "/",
                "wiki_url": server.url + "/",
                "namespaces": ["bench", "internal"],
                "username": user,
                "password": password,
            }
        )
        _report("DokuWiki", settings, DokuWikiConnector)
    finally:
        server.stop()


def _report(kind: str, settings: Any, connector_class: Any) -> None:
    print(f"{kind}:")
    with connector_class(settings) as warm:  # php's first requests compile and cache
        _run(warm, checks=False)
    for checks in (True, False, True, False):
        with connector_class(settings) as connector:
            count, calls, seconds = _run(connector, checks=checks)
        label = "with checks   " if checks else "without checks"
        print(f"  {label}: {count} pages, {calls} check calls, {seconds:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        _mediawiki(Path(folder), args.pages)
        _dokuwiki(Path(folder), args.pages)


if __name__ == "__main__":
    main()
