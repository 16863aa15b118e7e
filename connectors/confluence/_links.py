"""Where a ``_links.next`` value points, below the API root (pure: no I/O).

Confluence writes next links relative to the *site*: Cloud v2 ``/wiki/api/v2/...?cursor=...``
(with the ``/wiki`` context), v1 ``/rest/api/...`` (below the context path, which Data Center
may also include: ``/confluence/rest/api/...``). Scoped API tokens reach Cloud through the API
gateway, ``https://api.atlassian.com/ex/confluence/{cloudId}/wiki``, which keeps writing the
site-relative links: joining them to the gateway root naively gives
``/ex/confluence/{cloudId}/wiki/wiki/api/v2/...`` (404). The site's context is therefore cut
before the link is put below the API root.
"""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["resolve_next"]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _below(path: str, root: str) -> bool:
    return bool(root) and (path == root or path.startswith(root + "/"))


def resolve_next(api_root: str, next_link: str, site_url: str | None = None) -> str:
    """The path and query, on the API root's origin, that a next link asks for.

    Args:
        api_root: Where the API is called, e.g. ``https://acme.atlassian.net/wiki`` or
            ``https://api.atlassian.com/ex/confluence/<cloudId>/wiki``.
        next_link: ``_links.next`` as the server wrote it (relative or absolute).
        site_url: The site root (``base_url``) when it differs from ``api_root``.

    Raises:
        ValueError: The link points at another host than the API's or the site's.
    """
    api_path = urlsplit(api_root).path.rstrip("/")
    site_path = urlsplit(site_url or api_root).path.rstrip("/")
    link = urlsplit(next_link)
    if link.netloc and _origin(next_link) not in (_origin(api_root), _origin(site_url or api_root)):
        raise ValueError(f"next link points at another site: {link.netloc}")
    path = link.path if link.path.startswith("/") else "/" + link.path
    query = f"?{link.query}" if link.query else ""
    if _below(path, api_path) and not (link.netloc and _origin(next_link) != _origin(api_root)):
        return path + query  # already a full path below the API root
    if _below(path, site_path):
        path = path[len(site_path) :]  # site-relative: below the site's context
    return api_path + path + query
