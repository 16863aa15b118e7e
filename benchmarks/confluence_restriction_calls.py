"""Calls the Confluence connector makes to check view restrictions, per page, against the fake.

One space of ``--pages`` pages under one restricted parent (plus a restricted folder on
Cloud), synced as the engine does: a full listing, then every page fetched. Calls are counted
from the fake's request log, by route, for each flavour and fallback:

* ``cloud``: v2 page + v1 facts call (own and ancestors' restrictions expanded) per page,
  v2 ancestors once per distinct parent;
* ``cloud-draft-ancestor``: the same tree under a draft page, which fails the ancestors'
  restrictions expansion (CONFCLOUD-77618): each page is asked again without it, and each
  ancestor is checked once by ``byOperation``;
* ``datacenter``: the page fetch carries every expansion (no extra call);
* ``datacenter-old``: a server ignoring the restriction expansions: one ``byOperation`` per
  page plus one per distinct ancestor.

Run: ``.venv/bin/python benchmarks/confluence_restriction_calls.py [--pages N]``.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingestor.connectors.base import Item
from ingestor.connectors.confluence import ConfluenceConnector
from tests.confluence.conftest import FAST, settings_for
from tests.confluence.fake_confluence import FakeConfluence


def measure(flavour: str, pages: int) -> tuple[Counter[str], int]:
    fake = FakeConfluence("cloud" if flavour.startswith("cloud") else "datacenter").start()
    try:
        fake.restriction_expansions = flavour != "datacenter-old"
        top = fake.add_page("ENG", "HR")
        fake.restrict(top, groups=("hr-team",))
        parent = top
        if flavour == "cloud-draft-ancestor":
            parent = fake.add_page("ENG", "Reorg (draft)", parent=top, status="draft")
        if flavour.startswith("cloud"):
            folder = fake.add_folder("ENG", "Policies", parent=parent)
            fake.restrict(folder, groups=("staff",))
            parent = folder
        for n in range(pages):
            fake.add_page("ENG", f"Page {n}", parent=parent)
        connector = ConfluenceConnector(settings_for(fake, page_size=250), policy=FAST)
        fake.requests.clear()
        items = [i for i in connector.list() if isinstance(i, Item)]
        listing = Counter(name for name, _ in fake.requests)
        fake.requests.clear()
        restricted = sum(connector.fetch(item).restricted is not None for item in items)
        connector.close()
        fetching = Counter(name for name, _ in fake.requests)
        return listing + Counter({f"fetch:{k}": v for k, v in fetching.items()}), restricted
    finally:
        fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=1000)
    args = parser.parse_args()
    for flavour in ("cloud", "cloud-draft-ancestor", "datacenter", "datacenter-old"):
        calls, restricted = measure(flavour, args.pages)
        total = sum(calls.values())
        listed = args.pages + 1
        print(f"{flavour}: {restricted}/{listed} pages restricted, {total} calls")
        for route, count in sorted(calls.items()):
            print(f"  {route:24} {count:6}  ({count / listed:.3f} per page)")


if __name__ == "__main__":
    main()
