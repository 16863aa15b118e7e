"""The material of the answer-fitness benchmark: every page, as the tool converts it and as naive
whole-file text, keyed ``<collection>/<external id>``, with its connector kind.

Every collection goes through its connector's real ``list()``/``fetch()`` and
:func:`~ingestor.convert.convert_document`, as a sync does (the loaders of
``benchmarks/material_eval.py`` and ``tests/golden/golden_sources.py``):

* ``handbook``: the shipped example file share (``ingestor/examples/handbook``);
* ``fs``: the golden file share (Markdown, HTML, text, DOCX, PDF; ``tests/golden/filesystem``);
* ``web``: 15 saved web pages of Mozilla Readability's test corpus (``tests/boilerplate/pages``);
* ``notion-md``, ``notion-html``: the two genuine Notion exports (``tests/notion/fixtures``),
  ``notion``: the golden Notion exports;
* ``cx``: the golden Confluence space export; ``confluence``: the golden Confluence Cloud pages
  (recorded ``export_view`` answers through the real connector);
* ``mediawiki``, ``dokuwiki``: the golden recorded wiki answers;
* ``extra-*``: pages written for this benchmark (``benchmarks/answers/pages/*.md``, a
  Markdown subset: ``#`` headings and paragraphs), rendered into each format that had too
  little material (MediaWiki parser output, DokuWiki XHTML, Confluence ``export_view``,
  DOCX, PDF) and then read by that format's real connector.

The naive baseline of a page is the visible text of the whole file or API answer (a web page's
menus and footers included), not split, titled by its file name.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import lxml.html  # type: ignore[import-untyped]  # noqa: E402
from material_eval import share_connector  # noqa: E402

from ingestor.connectors.base import Connector, Document, Item, ListingProblem  # noqa: E402
from ingestor.connectors.confluence_export import (  # noqa: E402
    ConfluenceExportConnector,
    ConfluenceExportSettings,
)
from ingestor.connectors.filesystem import FilesystemConnector, FilesystemSettings  # noqa: E402
from ingestor.connectors.notion_export import NotionExportConnector, NotionExportSettings  # noqa: E402
from ingestor.convert import ConvertedPage, convert_document, require_text  # noqa: E402
from ingestor.errors import PageSkipped  # noqa: E402

PAGES = Path(__file__).resolve().parent / "answers" / "pages"
#: Elements a reader sees as separate: their text never runs into the next one's.
BLOCKS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "caption",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
KIND_BY_SUFFIX = {
    ".md": "markdown",
    ".html": "html",
    ".txt": "text",
    ".docx": "docx",
    ".pdf": "pdf",
}


@dataclass(frozen=True)
class Source:
    """One page of the material: what the tool converts it to, and the naive whole-file text."""

    key: str
    kind: str
    page: ConvertedPage
    naive_title: str
    naive_text: str
    #: Where the page sits in its source (a file's or export member's path), for its parents.
    locator: str = ""
    #: The connector says the page is a database (a Notion database's table).
    database: bool = False


def load_all() -> list[Source]:
    """Every collection's pages, in a stable order."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sources = [
            *_share("handbook", ROOT / "ingestor" / "examples" / "handbook"),
            *_share("fs", ROOT / "tests" / "golden" / "filesystem" / "input"),
            *_web(work / "web"),
            *_office(work / "office"),
            *_notion(),
            *_confluence_export(),
            *_recorded(work),
        ]
    from answer_long import load_long  # long real pages (it imports this module's loaders)

    return [*sources, *load_long()]


def visible_text(html: str) -> str:
    """The words a reader sees in an HTML page or fragment, blocks kept apart (a table's
    cells, a panel's title and body), scripts and styles aside."""
    try:
        root = lxml.html.fromstring(html or "<p></p>")
    except (lxml.etree.ParserError, ValueError):
        return ""
    for element in list(root.iter("script", "style", "noscript", "template")):
        element.drop_tree()
    for element in root.iter():
        if element.tag in BLOCKS:
            element.text = " " + (element.text or "")
            element.tail = " " + (element.tail or "")
    return " ".join(root.text_content().split())


def _run(
    collection: str, connector: Connector[Any], kind: Callable[[Item], str]
) -> Iterator[Source]:
    with connector:
        for item in connector.list():
            if isinstance(item, ListingProblem):
                continue
            document = connector.fetch(item)
            try:
                source = _source(f"{collection}/{item.external_id}", kind(item), document)
            except PageSkipped:  # a title only: a sync skips it (min_text_chars)
                continue
            database = document.metadata.get("kind") == "database"
            yield replace(source, locator=item.locator or item.external_id, database=database)


def _source(key: str, kind: str, document: Document) -> Source:
    page = convert_document(document)
    require_text(page, 1)
    naive = visible_text(document.body) if document.body_format == "html" else document.body
    return Source(key, kind, page, key.rsplit("/", 1)[-1], naive)


def _fs_kind(item: Item) -> str:
    return "filesystem " + KIND_BY_SUFFIX.get(Path(item.external_id).suffix, "other")


def _share(collection: str, root: Path) -> Iterator[Source]:
    settings = FilesystemSettings.model_validate(
        {"name": collection, "url": "https://docs.example.com/", "root": str(root),
         "formats": ["md", "html", "txt", "docx", "pdf"]}
    )  # fmt: skip
    yield from _run(collection, FilesystemConnector(settings), _fs_kind)


def _web(share: Path) -> Iterator[Source]:
    share.mkdir()
    for folder in sorted((ROOT / "tests" / "boilerplate" / "pages").iterdir()):
        if (folder / "source.html").exists():
            shutil.copy(folder / "source.html", share / f"{folder.name}.html")
    yield from _run("web", share_connector(share), _fs_kind)


def _notion() -> Iterator[Source]:
    exports = [
        ROOT / "tests" / "notion" / "fixtures" / f"{n}.zip"
        for n in ("markdown-export", "html-export")
    ]
    golden = ROOT / "tests" / "golden" / "notion_export" / "input"
    for path in [*exports, golden / "markdown-export", golden / "html-export"]:
        collection = ("notion-" if path.suffix == ".zip" else "notion-golden-") + path.stem
        yield from _notion_collection(collection, path)


def _notion_collection(collection: str, path: Path) -> Iterator[Source]:
    settings = NotionExportSettings.model_validate(
        {"name": "notion", "url": "https://help.example.com/", "path": str(path)}
    )
    yield from _run(collection, NotionExportConnector(settings), lambda _item: "notion_export")


def _confluence_export() -> Iterator[Source]:
    export = ROOT / "tests" / "golden" / "confluence_export" / "input" / "HELP"
    settings = ConfluenceExportSettings.model_validate(
        {"name": "cx", "url": "https://help.example.com/", "path": str(export),
         "base_url": "https://confluence.example.com"}
    )  # fmt: skip
    yield from _run("cx", ConfluenceExportConnector(settings), lambda _item: "confluence_export")


# --- pages written for the benchmark, rendered into the formats short of material -----------


@dataclass(frozen=True)
class Written:
    """A page of ``benchmarks/answers/pages``: its title and its sections (heading, paragraphs)."""

    name: str
    title: str
    target: str
    sections: list[tuple[str, list[str]]]


def written_pages() -> list[Written]:
    """``<target>--<name>.md``: ``# Title``, then ``## Heading`` sections of paragraphs."""
    found = []
    for path in sorted(PAGES.glob("*.md")):
        target, name = path.stem.split("--", 1)
        title, sections = "", []
        for block in path.read_text(encoding="utf-8").split("\n\n"):
            block = " ".join(block.split())
            if block.startswith("## "):
                sections.append((block[3:], []))
            elif block.startswith("# "):
                title = block[2:]
            elif block:
                if not sections:
                    sections.append(("", []))
                sections[-1][1].append(block)
        found.append(Written(name, title, target, sections))
    return found


def _office(folder: Path) -> Iterator[Source]:
    """The written ``docx--`` and ``pdf--`` pages built into real files, through the share."""
    sys.path.insert(0, str(ROOT / "tests" / "office"))
    from conftest import para, raw_docx, text_pdf  # the office tests' own builders

    folder.mkdir()
    for page in written_pages():
        if page.target == "docx":
            body = "".join(
                (para(html.escape(h), "Heading2") if h else "")
                + "".join(para(html.escape(p)) for p in ps)
                for h, ps in page.sections
            )
            (folder / f"{page.name}.docx").write_bytes(raw_docx(body, title=page.title))
        elif page.target == "pdf":
            blocks = [("h1", page.title)]
            for h, ps in page.sections:
                blocks += ([("h2", h)] if h else []) + [("p", p) for p in ps]
            pages = [blocks[i : i + 9] for i in range(0, len(blocks), 9)]
            (folder / f"{page.name}.pdf").write_bytes(text_pdf(pages, title=page.title))
    yield from _share("extra-office", folder)


def _slug(text: str) -> str:
    return re.sub(r"\W+", "_", text).strip("_")


def _mediawiki_body(page: Written) -> str:
    out = ['<div class="mw-parser-output">']
    for h, ps in page.sections:
        if h:
            out.append(
                f'<h2><span class="mw-headline" id="{_slug(h)}">{html.escape(h)}</span></h2>'
            )
        out += [f"<p>{html.escape(p)}\n</p>" for p in ps]
    return "\n".join([*out, "</div>"])


def _dokuwiki_body(page: Written) -> str:
    out = [
        f'<h1 class="sectionedit1" id="{_slug(page.title).lower()}">{html.escape(page.title)}</h1>'
    ]
    for n, (h, ps) in enumerate(page.sections, start=2):
        if h:
            out.append(f'<h2 class="sectionedit{n}" id="{_slug(h).lower()}">{html.escape(h)}</h2>')
        out.append(
            '<div class="level2">'
            + "".join(f"\n<p>\n{html.escape(p)}\n</p>" for p in ps)
            + "\n</div>"
        )
    return "\n".join(out)


def _confluence_body(page: Written) -> str:
    out = []
    for h, ps in page.sections:
        if h:
            out.append(f'<h2 id="{_slug(h)}">{html.escape(h)}</h2>')
        out += [f"<p>{html.escape(p)}</p>" for p in ps]
    return "".join(out)


def _documents(render: Callable[[Path], dict[str, Any]], folder: Path) -> dict[str, Any]:
    """A golden_sources renderer's pages as the connector's Documents, not yet converted (its
    converter is swapped out for the call, and put back even when the call fails)."""
    from tests.golden import golden_sources

    convert = golden_sources._convert
    golden_sources._convert = lambda doc: doc  # type: ignore[assignment,return-value]
    try:
        return render(folder)
    finally:
        golden_sources._convert = convert


def _recorded(work: Path) -> Iterator[Source]:
    """The golden recorded wiki and Confluence answers, plus the written pages recorded in
    the same shapes, through each connector's real ``fetch()`` (tests/golden/golden_sources)."""
    from tests.golden import golden_sources

    written = written_pages()
    for kind in ("mediawiki", "dokuwiki", "confluence"):
        extra = work / kind
        extra.mkdir()
        manifest = {}
        for n, page in enumerate(p for p in written if p.target == kind):
            if kind == "dokuwiki":
                path = extra / "kb" / f"{page.name}.html"
                path.parent.mkdir(exist_ok=True)
                path.write_text(_dokuwiki_body(page), encoding="utf-8")
                continue
            name = f"{page.name}.html"
            url = f"https://wiki.example.com/wiki/{_slug(page.title)}"
            body = _mediawiki_body(page) if kind == "mediawiki" else _confluence_body(page)
            (extra / name).write_text(body, encoding="utf-8")
            if kind == "mediawiki":
                manifest[name] = {"pageid": 900 + n, "revid": 1, "title": page.title, "url": url}
            else:
                manifest[name] = {"id": str(99000 + n), "version": 1, "title": page.title,
                                  "webui": f"/spaces/HELP/pages/{99000 + n}"}  # fmt: skip
        if manifest:
            (extra / "pages.json").write_text(json.dumps(manifest), encoding="utf-8")
        render = golden_sources.KINDS[kind]
        for collection, folder in (
            (kind, golden_sources.GOLDEN_ROOT / kind / "input"),
            (f"extra-{kind}", extra),
        ):
            if not any(folder.rglob("*.html")):
                continue
            for key, document in sorted(_documents(render, folder).items()):
                naive_source = (folder / key).read_text(encoding="utf-8")
                source = _source(f"{collection}/{key}", kind, document)  # type: ignore[arg-type]
                yield Source(
                    source.key, kind, source.page, source.naive_title, visible_text(naive_source)
                )
