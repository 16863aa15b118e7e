"""Long real pages for the answer-fitness benchmark (``benchmarks/answers/long``; sources and
licences in ``benchmarks/answers/long/SOURCES.md``).

The shipped material is mostly short pages, while the misses of a real help centre or wiki sit
on long ones (docs/answer-fitness.md). These are long public documents, each read through a
connector's real ``fetch()``/``convert_document`` as :mod:`answer_material` reads the rest:

* ``long-share``: real files in a file share (``share/``): project READMEs and a changelog in
  Markdown, manuals in HTML, as a team would drop them in a docs folder;
* ``long-dokuwiki``: DokuWiki's own ``wiki:syntax`` page as DokuWiki renders it
  (``dokuwiki/``, recorded from the Debian package's ``bin/render.php``);
* ``long-<kind>`` for ``shaped/<kind>--<name>.md``: a real long Markdown document rendered into
  the shape each kind's API answers with (MediaWiki parser output, DokuWiki XHTML, Confluence
  ``export_view``) or a Notion Markdown export: the text and its headings are real, the markup
  around them is the kind's.
"""

from __future__ import annotations

import html
import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import lxml.html  # type: ignore[import-untyped]
from answer_material import (
    Source,
    _documents,
    _notion_collection,
    _share,
    _source,
    visible_text,
)
from markdown_it import MarkdownIt

LONG = Path(__file__).resolve().parent / "answers" / "long"
_HEADING = re.compile(r"h([1-6])")


def load_long() -> list[Source]:
    """Every long page, in a stable order."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        return [
            *_share("long-share", LONG / "share"),
            *_recorded("dokuwiki", "long-dokuwiki", LONG / "dokuwiki"),
            *_shaped(work),
        ]


def _recorded(kind: str, collection: str, folder: Path) -> Iterator[Source]:
    from tests.golden import golden_sources

    for key, document in sorted(_documents(golden_sources.KINDS[kind], folder).items()):
        source = _source(f"{collection}/{key}", kind, document)
        naive = visible_text((folder / key).read_text(encoding="utf-8"))
        yield Source(source.key, kind, source.page, source.naive_title, naive)


def _shaped(work: Path) -> Iterator[Source]:
    """``shaped/<kind>--<name>.md`` rendered into each kind's shape, then read by its connector."""
    by_kind: dict[str, list[Path]] = {}
    for path in sorted((LONG / "shaped").glob("*.md")):
        by_kind.setdefault(path.stem.split("--", 1)[0], []).append(path)
    for kind, paths in sorted(by_kind.items()):
        folder = work / kind
        folder.mkdir()
        if kind == "notion":
            export = folder / "Export-0b7d6c9e-long-pages"
            export.mkdir()
            for n, path in enumerate(paths):
                title, _body = _title_and_html(path)
                name = f"{title} {n + 1:032x}.md"
                (export / name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
            yield from _notion_collection("long-notion", folder)
            continue
        manifest: dict[str, dict[str, object]] = {}
        for n, path in enumerate(paths):
            title, body = _title_and_html(path)
            name = path.stem.split("--", 1)[1]
            if kind == "dokuwiki":
                (folder / "docs").mkdir(exist_ok=True)
                (folder / "docs" / f"{name}.html").write_text(
                    _dokuwiki_shape(title, body), encoding="utf-8"
                )
                continue
            (folder / f"{name}.html").write_text(
                _mediawiki_shape(body) if kind == "mediawiki" else _confluence_shape(body),
                encoding="utf-8",
            )
            slug = title.replace(" ", "_")
            if kind == "mediawiki":
                url = f"https://wiki.example.com/wiki/{slug}"
                manifest[f"{name}.html"] = {"pageid": 950 + n, "revid": 1, "title": title,
                                            "url": url}  # fmt: skip
            else:
                manifest[f"{name}.html"] = {"id": str(99500 + n), "version": 1, "title": title,
                                            "webui": f"/spaces/HELP/pages/{99500 + n}"}  # fmt: skip
        if manifest:
            (folder / "pages.json").write_text(json.dumps(manifest), encoding="utf-8")
        yield from _recorded(kind, f"long-{kind}", folder)


def _title_and_html(path: Path) -> tuple[str, str]:
    """The page title a wiki would give it (its file name: "charset-normalizer" is
    "Charset normalizer") and its text as HTML."""
    title = path.stem.split("--", 1)[1].replace("-", " ").capitalize()
    body = MarkdownIt("commonmark").enable("table").render(path.read_text(encoding="utf-8"))
    return title, body


def _slug(text: str) -> str:
    return re.sub(r"\W+", "_", text).strip("_")


def _blocks(body: str) -> list[lxml.html.HtmlElement]:
    return list(lxml.html.fragment_fromstring(body, create_parent="div"))


def _text(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def _serialize(element: lxml.html.HtmlElement) -> str:
    return str(lxml.html.tostring(element, encoding="unicode"))


def _mediawiki_shape(body: str) -> str:
    """``action=parse`` text: headings hold a ``mw-headline`` span with the anchor."""
    out = ['<div class="mw-parser-output">']
    for block in _blocks(body):
        level = _HEADING.fullmatch(str(block.tag))
        if level:
            name = _text(block)
            out.append(
                f'<h{level[1]}><span class="mw-headline" id="{html.escape(_slug(name))}">'
                f"{html.escape(name)}</span></h{level[1]}>"
            )
        else:
            out.append(_serialize(block))
    return "\n".join([*out, "</div>"])


def _dokuwiki_shape(title: str, body: str) -> str:
    """DokuWiki XHTML: ``sectionedit`` headings, each section's blocks in a ``levelN`` div."""
    out = [f'<h1 class="sectionedit1" id="{_slug(title).lower()}">{html.escape(title)}</h1>']
    section: list[str] = []
    level = 1
    edit = 1

    def close() -> None:
        if section:
            out.append(f'<div class="level{level}">\n' + "\n".join(section) + "\n</div>")
            section.clear()

    for block in _blocks(body):
        heading = _HEADING.fullmatch(str(block.tag))
        if heading:
            close()
            level, edit = int(heading[1]), edit + 1
            name = _text(block)
            out.append(
                f'<h{level} class="sectionedit{edit}" id="{_slug(name).lower()}">'
                f"{html.escape(name)}</h{level}>"
            )
        else:
            section.append(_serialize(block))
    close()
    return "\n".join(out)


def _confluence_shape(body: str) -> str:
    """``export_view``: headings carry Confluence's ``id`` anchors, blocks as they are."""
    out = []
    for block in _blocks(body):
        heading = _HEADING.fullmatch(str(block.tag))
        if heading:
            name = _text(block)
            out.append(f'<h{heading[1]} id="{_slug(name)}">{html.escape(name)}</h{heading[1]}>')
        else:
            out.append(_serialize(block))
    return "".join(out)
