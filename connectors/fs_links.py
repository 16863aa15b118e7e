"""Where a file of a share is published, and links between files made into links between pages.

Pure and picklable: documents carry a :class:`FileLinks` into the conversion workers.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import quote, unquote, urlsplit

__all__ = ["LINK_BASE", "FileLinks", "FileUrls", "link_base_for"]

#: Relative links of a file are resolved against ``LINK_BASE + its path``, so they still say
#: which file they mean whatever ``url_template`` makes of the public urls. ``.invalid`` is a
#: reserved name (RFC 2606): such a url can never be a real one.
LINK_BASE = "http://share.invalid/"


def link_base_for(rel: str) -> str:
    return LINK_BASE + quote(rel)


@dataclass(frozen=True, slots=True)
class FileUrls:
    """The public url of each file: ``url_template``, else the connector's url + the path."""

    base_url: str
    template: str | None = None

    def url_for(self, rel: str) -> str:
        """The url Fin cites for ``rel`` (each path segment percent-encoded)."""
        segments = [quote(segment, safe="") for segment in rel.split("/")]
        path = "/".join(segments)
        if self.template is None:
            return self.asset_url(rel)
        name = PurePosixPath(rel).name
        stem = PurePosixPath(rel).stem
        path_no_ext = "/".join([*segments[:-1], quote(stem, safe="")])
        return self.template.format(
            path=path, path_no_ext=path_no_ext, stem=quote(stem, safe=""), name=quote(name, safe="")
        )

    def asset_url(self, rel: str) -> str:
        """Where a file that is not a page (an image) is served: the connector's url + path."""
        return self.base_url.rstrip("/") + "/" + "/".join(quote(s, safe="") for s in rel.split("/"))


@dataclass(frozen=True, slots=True)
class FileLinks:
    """:class:`connectors.base.LinkResolver` for a file share."""

    urls: FileUrls

    def page(self, url: str) -> tuple[str, str] | None:
        rel = _share_path(url)
        return None if rel is None else (rel, self.urls.url_for(rel))

    def asset(self, url: str) -> str | None:
        rel = _share_path(url)
        return None if rel is None else self.urls.asset_url(rel)


def _share_path(url: str) -> str | None:
    """The share-relative path a resolved link names, or None (outside the share, a folder)."""
    if not url.startswith(LINK_BASE):
        return None
    path = posixpath.normpath(unquote(urlsplit(url).path).lstrip("/"))
    if path in ("", ".") or path.startswith("../") or path == ".." or url.endswith("/"):
        return None
    return path
