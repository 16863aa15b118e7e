"""The connector test kit (:mod:`connectors.testkit`) over every built-in connector.

Each ``test_contract_*`` module gives the kit a real source: folders and zips written from
the checked-in fixtures, the real MediaWiki and DokuWiki of tests/wikis (``php -S``; skipped
when the Debian packages are missing, as there) and the route-table Confluence fake of
tests/confluence over a socket. The wiki fixtures are imported from tests/wikis so both
folders share one recipe.
"""

from __future__ import annotations

from ..wikis.conftest import dokuwiki, mediawiki

__all__ = ["dokuwiki", "mediawiki"]
