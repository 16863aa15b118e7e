"""Reading page records from Action API answers (``prop=info``, ``prop=categories``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ingestor.connectors.mediawiki._api import JsonObject, MediaWikiApi
from ingestor.connectors.mediawiki._scope import PageInfo, category_name

__all__ = ["ID_BATCH", "PageInfo", "listed_pages", "page_infos"]

#: ``pageids=`` takes at most 50 ids per call for ordinary users.
ID_BATCH = 50


def page_infos(
    api: MediaWikiApi, page_ids: list[int], *, with_categories: list[str] | None
) -> dict[int, PageInfo]:
    """Current state of existing pages by id (missing pages are absent from the result).

    Args:
        api: The wiki.
        page_ids: At most :data:`ID_BATCH` ids.
        with_categories: Bare category names to report membership of (None: do not ask).
    """
    params: dict[str, str] = {
        "prop": "info",
        "inprop": "url",
        "pageids": "|".join(str(i) for i in page_ids),
    }
    if with_categories:
        params["prop"] = "info|categories"
        params["clcategories"] = "|".join(f"Category:{name}" for name in with_categories)
        params["cllimit"] = "max"
    merged: dict[int, dict[str, Any]] = {}
    for body in api.query(params):
        for raw in body.get("query", {}).get("pages", []):
            if not isinstance(raw, dict) or raw.get("missing") or raw.get("invalid"):
                continue
            page = merged.setdefault(int(raw["pageid"]), {**raw, "categories": []})
            page["categories"].extend(raw.get("categories", []))
    return {
        page_id: _page_info(raw, categories=with_categories is not None)
        for page_id, raw in merged.items()
    }


def listed_pages(body: JsonObject) -> Iterator[PageInfo]:
    """The existing pages of one ``generator=...&prop=info`` answer."""
    for raw in body.get("query", {}).get("pages", []):
        if isinstance(raw, dict) and not raw.get("missing") and not raw.get("invalid"):
            yield _page_info(raw, categories=False)


def _page_info(raw: Mapping[str, Any], *, categories: bool) -> PageInfo:
    return PageInfo(
        page_id=int(raw["pageid"]),
        namespace=int(raw.get("ns", 0)),
        title=str(raw.get("title", "")),
        revision=int(raw.get("lastrevid", 0)),
        url=str(raw.get("canonicalurl") or raw.get("fullurl") or ""),
        redirect=bool(raw.get("redirect", False)),
        categories=(
            frozenset(category_name(str(c.get("title", ""))) for c in raw.get("categories", []))
            if categories
            else None
        ),
    )
