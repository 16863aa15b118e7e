"""What Fin would receive from real material, per connector kind: the real-material evaluation.

Every kind runs over the public material the repository ships, through the connector's real
``list()``/``fetch()``, conversion and the engine's page checks (``require_text``, broken links
sent as text), exactly as a sync would, and reports per kind:

* **pages** listed, **sent**, **skipped** (with their reasons, counted);
* **short uploads**: pages sent with fewer than 50 characters of text beyond their title;
* **word recall**: the words of the reference text found in what is sent (bag of words,
  micro-averaged): the saved web pages' hand-checked article bodies (``expected.html``), the
  legacy-encoded texts' original text, and for exports and recorded wiki answers the visible
  text of the source page itself;
* **broken links** reported, and **mojibake markers** (``Ã``, ``â€``, ``Ð``+Latin, ``\\ufffd``) in
  what is sent.

Material, origin and licence:

* ``tests/boilerplate/pages``: 15 saved web pages of Mozilla Readability's test corpus
  (Apache-2.0; origin, commit and sha256 in ``tests/boilerplate/pages/LICENSE-readability.txt``),
  as a file share;
* ``tests/connectors/encoding_samples.py``: texts written for this project in 15 languages,
  stored in 31 legacy code pages, as a file share;
* ``tests/notion/fixtures``: two genuine Notion exports (MIT, obsidianmd/obsidian-importer;
  ``ORIGIN.md``);
* ``tests/golden/*/input``: the golden material of the wikis (MediaWiki bodies recorded from a
  real MediaWiki 1.39), Confluence (export_view bodies in Atlassian's documented shapes) and
  a Confluence HTML export built in the layout Confluence writes.

Run: ``.venv/bin/python benchmarks/material_eval.py``. The sha256 of each archive is printed.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "connectors"))

import lxml.html  # type: ignore[import-untyped]  # noqa: E402
from encoding_samples import SAMPLES, encodable  # noqa: E402

from ingestor.connectors.base import Connector, Document, ListingProblem  # noqa: E402
from ingestor.connectors.confluence_export import (  # noqa: E402
    ConfluenceExportConnector,
    ConfluenceExportSettings,
)
from ingestor.connectors.filesystem import FilesystemConnector, FilesystemSettings  # noqa: E402
from ingestor.connectors.notion_export import NotionExportConnector, NotionExportSettings  # noqa: E402
from ingestor.convert import (  # noqa: E402
    broken_targets,
    convert_document,
    require_text,
    text_beyond_title,
    without_dead_links,
)
from ingestor.errors import ConnectorError, PageError, PageSkipped  # noqa: E402

WORD = re.compile(r"\w+", re.UNICODE)
MOJIBAKE = re.compile("Ã[\u0080-\u00bf]|â€|Ð[\u0080-\u00bf]|\ufffd")
SHORT = 50


@dataclass
class KindResult:
    """The figures of one kind."""

    kind: str
    listed: int = 0
    sent: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    failed: int = 0
    short: int = 0
    reference_words: int = 0
    found_words: int = 0
    broken_links: int = 0
    mojibake_pages: int = 0

    @property
    def recall(self) -> float:
        return self.found_words / self.reference_words if self.reference_words else 1.0


def visible_text(html: str) -> str:
    """The words a reader sees in an HTML page or fragment (scripts and styles aside)."""
    try:
        root = lxml.html.fromstring(html or "<p></p>")
    except (lxml.etree.ParserError, ValueError):
        return ""
    for element in root.iter("script", "style", "noscript", "template"):
        element.drop_tree()
    return " ".join(root.text_content().split())


def words(text: str) -> Counter[str]:
    return Counter(word.lower() for word in WORD.findall(text))


def evaluate(
    kind: str, connector: Connector, reference: dict[str, str] | None = None
) -> KindResult:
    """Run ``connector`` as a sync would and compare what it would send with the reference
    text of each page (by external id; the fetched page's own visible text when absent)."""
    result = KindResult(kind)
    items = [entry for entry in connector.list() if not isinstance(entry, ListingProblem)]
    known = {item.external_id for item in items}
    for item in items:
        result.listed += 1
        try:
            document = connector.fetch(item)
            page = convert_document(document)
            require_text(page, 1)
        except PageSkipped as exc:
            result.skipped[_reason(str(exc))] += 1
            continue
        except (ConnectorError, PageError):
            result.failed += 1
            continue
        broken = broken_targets(page, document.metadata.get("missing_links", ()), known)
        page = without_dead_links(page, broken) if broken else page
        result.broken_links += len(broken)
        result.sent += 1
        result.short += text_beyond_title(page) < SHORT
        sent = visible_text(page.html) + " " + page.title
        result.mojibake_pages += bool(MOJIBAKE.search(sent))
        expected = (reference or {}).get(item.external_id) or _own_text(document)
        want, got = words(expected), words(sent)
        result.reference_words += sum(want.values())
        result.found_words += sum(min(n, got[w]) for w, n in want.items())
    return result


def _own_text(document: Document) -> str:
    if document.body_format == "html":
        return visible_text(document.body)
    return document.body


def _reason(message: str) -> str:
    """A skip reason without the page's name and numbers, so that alike reasons count as one."""
    return re.sub(r"\d+", "N", message.split(": ", 1)[-1])[:70]


def web_pages(share: Path) -> Iterator[tuple[str, str]]:
    """The saved web pages into ``share``; their hand-checked article text as reference."""
    for folder in sorted((ROOT / "tests" / "boilerplate" / "pages").iterdir()):
        if (folder / "source.html").exists():
            shutil.copy(folder / "source.html", share / f"{folder.name}.html")
            expected = (folder / "expected.html").read_text(encoding="utf-8")
            yield f"{folder.name}.html", visible_text(expected)


def legacy_texts(share: Path) -> Iterator[tuple[str, str]]:
    for lang, (text, codecs) in SAMPLES.items():
        for codec in codecs:
            original = encodable(text, codec)
            (share / f"{lang}-{codec}.txt").write_bytes(original.encode(codec))
            yield f"{lang}-{codec}.txt", original


def share_connector(share: Path) -> FilesystemConnector:
    settings = FilesystemSettings.model_validate(
        {"name": "share", "url": "https://docs.example.com/", "root": str(share)}
    )
    return FilesystemConnector(settings)


def main() -> None:
    _print(run_all())


def run_all() -> list[KindResult]:
    """Every kind's figures (``tests/test_material_eval.py`` holds them to their floors)."""
    results: list[KindResult] = []
    with tempfile.TemporaryDirectory() as tmp:
        web, legacy = Path(tmp, "web"), Path(tmp, "legacy")
        web.mkdir()
        legacy.mkdir()
        references = dict(web_pages(web))
        with share_connector(web) as connector:
            results.append(evaluate("filesystem: saved web pages", connector, references))
        references = dict(legacy_texts(legacy))
        with share_connector(legacy) as connector:
            results.append(evaluate("filesystem: legacy encodings", connector, references))
    for name in ("markdown-export.zip", "html-export.zip"):
        path = ROOT / "tests" / "notion" / "fixtures" / name
        print(f"{path.relative_to(ROOT)} sha256 {hashlib.sha256(path.read_bytes()).hexdigest()}")
        settings = NotionExportSettings.model_validate(
            {"name": "notion", "url": "https://help.example.com/", "path": str(path)}
        )
        with NotionExportConnector(settings) as connector:
            results.append(evaluate(f"notion_export: {name}", connector))
    export = ROOT / "tests" / "golden" / "confluence_export" / "input" / "HELP"
    settings = ConfluenceExportSettings.model_validate(
        {"name": "cx", "url": "https://help.example.com/", "path": str(export),
         "base_url": "https://confluence.example.com"}
    )  # fmt: skip
    with ConfluenceExportConnector(settings) as connector:
        results.append(evaluate("confluence_export: HELP", connector))
    results.extend(recorded_wikis())
    return results


def recorded_wikis() -> list[KindResult]:
    """The wiki kinds on their recorded API answers (the golden material): each connector's
    real ``fetch()`` against them, then conversion, as ``tests/golden`` runs them."""
    from tests.golden.golden_sources import GOLDEN_ROOT, render_kind

    found = []
    for kind in ("mediawiki", "dokuwiki", "confluence"):
        result = KindResult(f"{kind}: recorded answers")
        for key, page in sorted(render_kind(kind).items()):
            result.listed += 1
            result.sent += 1
            source = (GOLDEN_ROOT / kind / "input" / key).read_text(encoding="utf-8")
            sent = visible_text(page.html) + " " + page.title
            result.short += len("".join(visible_text(page.html).split())) - len(page.title) < SHORT
            result.mojibake_pages += bool(MOJIBAKE.search(sent))
            want, got = words(visible_text(source)), words(sent)
            result.reference_words += sum(want.values())
            result.found_words += sum(min(n, got[w]) for w, n in want.items())
        found.append(result)
    return found


def _print(results: list[KindResult]) -> None:
    print()
    print(
        "| material | pages | sent | skipped (why) | failed | sent < 50 chars | word recall "
        "| broken links | mojibake pages |"
    )
    print("|---|---:|---:|---|---:|---:|---:|---:|---:|")
    for r in results:
        skipped = sum(r.skipped.values())
        why = "; ".join(f"{n} {reason}" for reason, n in r.skipped.most_common(3))
        print(
            f"| {r.kind} | {r.listed} | {r.sent} | {skipped}{f' ({why})' if why else ''} "
            f"| {r.failed} | {r.short} | {r.recall:.3f} | {r.broken_links} | {r.mojibake_pages} |"
        )


if __name__ == "__main__":
    main()
