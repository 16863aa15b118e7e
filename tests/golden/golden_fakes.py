"""Recorded API answers for the wiki connectors, served over ``httpx.MockTransport``.

Each fake answers only the calls ``fetch()`` makes, from the checked-in bodies, the way the
real API shapes it (MediaWiki ``action=parse`` JSON and, once per connector, the
``meta=siteinfo`` namespaces that name a page's namespace; DokuWiki XML-RPC ``wiki.getPageHTML``,
Confluence Cloud REST v2 ``/api/v2/pages/{id}?body-format=export_view``). Any other request
fails the test with the request named, so a connector that starts calling something new is
noticed here.
"""

from __future__ import annotations

import json
import xmlrpc.client
from collections.abc import Mapping
from typing import Any

import httpx

__all__ = ["confluence_transport", "dokuwiki_transport", "mediawiki_transport"]


def _unexpected(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"golden fake: unexpected request {request.method} {request.url}")


#: ``action=query&meta=siteinfo&siprop=namespaces|namespacealiases&formatversion=2`` as
#: Debian's MediaWiki 1.39 answers it (recorded from the wiki of tests/wikis, trimmed to the
#: main, Talk, Project and Help namespaces).
SITEINFO_NAMESPACES = {
    "batchcomplete": True,
    "query": {
        "namespaces": {
            "0": {"id": 0, "case": "first-letter", "name": "", "subpages": False,
                  "content": True, "nonincludable": False},
            "1": {"id": 1, "case": "first-letter", "name": "Talk", "subpages": True,
                  "canonical": "Talk", "content": False, "nonincludable": False},
            "4": {"id": 4, "case": "first-letter", "name": "Test Wiki", "subpages": True,
                  "canonical": "Project", "content": False, "nonincludable": False},
            "12": {"id": 12, "case": "first-letter", "name": "Help", "subpages": True,
                   "canonical": "Help", "content": False, "nonincludable": False},
        },
        "namespacealiases": [{"id": 6, "alias": "Image"}, {"id": 7, "alias": "Image talk"}],
    },
}  # fmt: skip


def mediawiki_transport(pages: Mapping[str, Mapping[str, Any]]) -> httpx.MockTransport:
    """``action=parse`` by ``pageid`` (formatversion 2) for ``{pageid: {title, revid, text}}``,
    and the wiki's namespaces (``meta=siteinfo``)."""

    def handle(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        siteinfo = params.get("meta") == "siteinfo" and params.get("action") == "query"
        if siteinfo and params.get("siprop") == "namespaces|namespacealiases":
            return httpx.Response(200, json=SITEINFO_NAMESPACES)
        page = pages.get(params.get("pageid", ""))
        if request.method != "GET" or params.get("action") != "parse" or page is None:
            return _unexpected(request)
        parse = {
            "title": page["title"],
            "pageid": int(params["pageid"]),
            "revid": page["revid"],
            "text": page["text"],
        }
        return httpx.Response(200, json={"parse": parse})

    return httpx.MockTransport(handle)


def dokuwiki_transport(bodies: Mapping[str, str]) -> httpx.MockTransport:
    """XML-RPC ``wiki.getPageHTML(id)`` for ``{page id: rendered XHTML}``."""

    def handle(request: httpx.Request) -> httpx.Response:
        params, method = xmlrpc.client.loads(request.content)
        body = bodies.get(str(params[0])) if params else None
        if method != "wiki.getPageHTML" or body is None:
            return _unexpected(request)
        answer = xmlrpc.client.dumps((body,), methodresponse=True, encoding="utf-8")
        return httpx.Response(
            200, content=answer.encode("utf-8"), headers={"Content-Type": "text/xml"}
        )

    return httpx.MockTransport(handle)


def confluence_transport(pages: Mapping[str, Mapping[str, Any]]) -> httpx.MockTransport:
    """Cloud ``GET /wiki/api/v2/pages/{id}`` for ``{id: {title, version, webui, html}}``."""

    def handle(request: httpx.Request) -> httpx.Response:
        facts = _confluence_facts(request, pages)
        if facts is not None:
            return facts
        prefix = "/wiki/api/v2/pages/"
        page_id = request.url.path.removeprefix(prefix)
        page = pages.get(page_id) if request.url.path.startswith(prefix) else None
        body_format = request.url.params.get("body-format")
        if request.method != "GET" or page is None or body_format != "export_view":
            return _unexpected(request)
        answer = {
            "id": page_id,
            "status": "current",
            "title": page["title"],
            "spaceId": "98001",
            "parentId": "65537",
            "parentType": "page",
            "version": {"number": page["version"], "createdAt": "2026-11-20T10:15:00.000Z"},
            "body": {"export_view": {"value": page["html"], "representation": "export_view"}},
            "_links": {"webui": page["webui"], "base": "https://acme.atlassian.net/wiki"},
        }
        return httpx.Response(
            200, content=json.dumps(answer), headers={"Content-Type": "application/json"}
        )

    return httpx.MockTransport(handle)


def _confluence_facts(
    request: httpx.Request, pages: Mapping[str, Mapping[str, Any]]
) -> httpx.Response | None:
    """The restriction check of a Cloud fetch: v1 facts (no restrictions, the storage body)
    and v2 ancestors."""
    path = request.url.path
    for prefix, suffix in (("/wiki/rest/api/content/", ""), ("/wiki/api/v2/pages/", "/ancestors")):
        page_id = path.removeprefix(prefix).removesuffix(suffix)
        if path.startswith(prefix) and path.endswith(suffix) and page_id in pages:
            break
    else:
        return None
    if suffix:
        answer: dict[str, Any] = {"results": [{"id": "65537", "type": "page"}], "_links": {}}
    else:
        none = {"results": [], "size": 0}
        read = {"operation": "read", "restrictions": {"user": none, "group": none}}
        answer = {
            "id": page_id,
            "type": "page",
            "title": pages[page_id]["title"],
            "space": {"key": "HELP"},
            "metadata": {"labels": {"results": [], "size": 0}},
            "ancestors": [
                {"id": "65537", "type": "page", "title": "Help", "restrictions": {"read": read}}
            ],
            "restrictions": {"read": read},
        }
        if "body.storage" in request.url.params.get("expand", "").split(","):
            # the stored body names included pages; these golden pages include none
            stored = {"value": pages[page_id]["html"], "representation": "storage"}
            answer["body"] = {"storage": stored}
    return httpx.Response(
        200, content=json.dumps(answer), headers={"Content-Type": "application/json"}
    )
