"""Which pages a MediaWiki connector syncs: namespaces, title prefixes, categories, redirects."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ingestor.connectors.mediawiki._settings import MediaWikiSettings, normalize_title_part

__all__ = ["PageInfo", "Scope", "bare_title", "category_name"]


@dataclass(frozen=True, slots=True)
class PageInfo:
    """What ``prop=info`` (and ``prop=categories``) say about one existing page."""

    page_id: int
    namespace: int
    title: str  # full title, namespace prefix included
    revision: int
    url: str
    redirect: bool
    categories: frozenset[str] | None = None  # bare names; None when not asked


def bare_title(namespace: int, title: str) -> str:
    """The title without its namespace prefix (``Help:Start`` -> ``Start``)."""
    if namespace != 0 and ":" in title:
        return title.split(":", 1)[1]
    return title


def category_name(title: str) -> str:
    """``Category:Foo_bar`` (in any language) -> ``Foo bar``."""
    return normalize_title_part(title.split(":", 1)[1] if ":" in title else title)


class Scope:
    """The connector's filters as predicates over pages."""

    def __init__(self, settings: MediaWikiSettings) -> None:
        self.namespaces = frozenset(settings.namespaces)
        self.include_prefixes = tuple(settings.include_prefixes)
        self.exclude_prefixes = tuple(settings.exclude_prefixes)
        self.include_categories = frozenset(settings.include_categories)
        self.exclude_categories = frozenset(settings.exclude_categories)

    @property
    def uses_categories(self) -> bool:
        """Whether deciding needs the categories of a page."""
        return bool(self.include_categories or self.exclude_categories)

    @property
    def category_names(self) -> list[str]:
        """Every category named by the filters, sorted."""
        return sorted(self.include_categories | self.exclude_categories)

    def admits_title(self, namespace: int, title: str) -> bool:
        """Namespace and title prefix filters."""
        if namespace not in self.namespaces:
            return False
        bare = bare_title(namespace, title)
        if self.include_prefixes and not bare.startswith(self.include_prefixes):
            return False
        return not (self.exclude_prefixes and bare.startswith(self.exclude_prefixes))

    def admits_categories(self, categories: Iterable[str]) -> bool:
        """Category filters (``categories`` are bare names)."""
        names = set(categories)
        if self.include_categories and not names & self.include_categories:
            return False
        return not names & self.exclude_categories

    def admits(self, page: PageInfo) -> bool:
        """Every filter; redirects are never synced."""
        if page.redirect or not self.admits_title(page.namespace, page.title):
            return False
        if self.uses_categories:
            return self.admits_categories(page.categories or ())
        return True
