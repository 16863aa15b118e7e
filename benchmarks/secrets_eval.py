"""Secrets gate quality: false positives on the test corpora, recall on planted secrets, speed.

* **False positives**: every page of the golden inputs (tests/golden/*, through each
  connector and :func:`~ingestor.convert.convert_document` as in production), the saved
  articles of tests/boilerplate/pages (source and expected), both Notion exports of
  tests/notion/fixtures, the bundled example handbook (ingestor/examples), office files made
  with the office tests' builders (Word and PDF through the real sandboxed converters), the
  MediaWiki seed pages of tests/wikis (wikitext sent as text), and the generated pages of
  ``benchmarks/convert_bench.py``. A page is a false positive when
  :func:`~ingestor.gate.secrets.scan_page` reports anything on it (none of them holds a
  credential).
* **Recall**: :func:`secrets_cases.planted_cases` pages (fresh random secrets per seed),
  converted the same way; a case is found when a finding of its kind, line and mask exists.
* **Speed**: MB of ``sent`` text per CPU second (``time.process_time``: the machine is
  shared, wall-clock figures swing with its load), best of ``--repeat`` runs, per corpus and
  next to :func:`~ingestor.convert.convert_document` on the same pages.

``--compare`` runs the same sets through detect-secrets and CredSweeper when they are
importable (they are not project dependencies: ``python -m venv .venv/compare &&
.venv/compare/bin/pip install detect-secrets credsweeper -e .``, then run this script with
``.venv/compare/bin/python``). They get the scan text (tags removed, entities decoded) so
HTML is not what they miss.

Run: ``.venv/bin/python benchmarks/secrets_eval.py [--seeds 5] [--repeat 3] [--compare]``.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import re
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from secrets_cases import PlantedCase, planted_cases  # noqa: E402

from ingestor.connectors.base import Document, Item  # noqa: E402
from ingestor.connectors.filesystem import FilesystemConnector, FilesystemSettings  # noqa: E402
from ingestor.connectors.notion_export import NotionExportConnector, NotionExportSettings  # noqa: E402
from ingestor.convert import ConvertedPage, convert_document  # noqa: E402
from ingestor.gate._secret_text import scan_text  # noqa: E402
from ingestor.gate._secret_values import mask  # noqa: E402
from ingestor.gate.secrets import SecretFinding, scan_page  # noqa: E402

__all__ = ["CorpusPage", "corpus_pages", "planted_pages", "sent_of"]


@dataclass(frozen=True, slots=True)
class CorpusPage:
    """One page as the gate sees it."""

    group: str
    name: str
    sent: str
    source: str


def sent_of(page: ConvertedPage) -> str:
    """What is sent to Intercom for a page: title, url and html, one per line."""
    return f"{page.title}\n{page.url or ''}\n{page.html}"


def _connector_pages(
    group: str, connector: FilesystemConnector | NotionExportConnector, root: Path | None
) -> Iterator[CorpusPage]:
    with connector:
        for item in connector.list():
            if not isinstance(item, Item):
                continue
            doc = connector.fetch(item)
            source = doc.body
            if root is not None and (root / item.locator).suffix in (".md", ".txt", ".html"):
                source = (root / item.locator).read_text(encoding="utf-8", errors="replace")
            yield CorpusPage(group, item.locator, sent_of(convert_document(doc)), source)


def _filesystem(group: str, root: Path, formats: list[str]) -> Iterator[CorpusPage]:
    settings = FilesystemSettings(
        name=group.replace("/", "-"), url="https://docs.acme.example/", root=root, formats=formats
    )
    yield from _connector_pages(group, FilesystemConnector(settings), root)


def _golden() -> Iterator[CorpusPage]:
    from tests.golden.golden_sources import GOLDEN_ROOT, KINDS, render_kind

    for kind in sorted(KINDS):
        for key, page in sorted(render_kind(kind).items()):
            path = GOLDEN_ROOT / kind / "input" / key
            source = path.read_text("utf-8", "replace") if path.is_file() else ""
            sent = f"{page.title}\n{page.url or ''}\n{page.html}"
            yield CorpusPage(f"golden/{kind}", key, sent, source)


def _html_page(group: str, name: str, body: str) -> CorpusPage:
    doc = Document(
        external_id=name, body=body, body_format="html", url="http://fakehost/test/page.html"
    )
    return CorpusPage(group, name, sent_of(convert_document(doc)), body)


def _boilerplate() -> Iterator[CorpusPage]:
    for folder in sorted((ROOT / "tests" / "boilerplate" / "pages").iterdir()):
        for name in ("source.html", "expected.html"):
            if (folder / name).is_file():
                body = (folder / name).read_text("utf-8")
                yield _html_page("boilerplate", f"{folder.name}/{name}", body)


def _notion(work: Path) -> Iterator[CorpusPage]:
    for archive in sorted((ROOT / "tests" / "notion" / "fixtures").glob("*.zip")):
        target = work / archive.stem
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(target)
        settings = NotionExportSettings(
            name=f"notion-{archive.stem}",
            url="https://notion.so/x",
            path=target,
            url_template="https://help.example/p/{id}",
        )
        yield from _connector_pages(f"notion/{archive.stem}", NotionExportConnector(settings), None)


def _office(work: Path) -> Iterator[CorpusPage]:
    from tests.office import conftest as office

    folder = work / "office"
    folder.mkdir()
    (folder / "handbook.docx").write_bytes(office.rich_docx())
    blocks = [("h1", "Price list 2026"), ("p", "Prices include VAT. Contact sales for volume.")]
    (folder / "prices.pdf").write_bytes(office.text_pdf([blocks, blocks], title="Prices"))
    yield from _filesystem("office", folder, ["docx", "pdf"])


def _wiki_seed() -> Iterator[CorpusPage]:
    seed = (ROOT / "tests" / "wikis" / "mediawiki_seed.xml").read_text("utf-8")
    pages = re.findall(r"<title>(.*?)</title>.*?<text[^>]*>(.*?)</text>", seed, re.S)
    for title, text in pages:
        import html as html_module

        body = html_module.unescape(text)
        doc = Document(external_id=title, body=body, body_format="text", title=title)
        yield CorpusPage("wikis/mediawiki_seed", title, sent_of(convert_document(doc)), body)


def _bench_pages(count: int = 200, seed: int = 7) -> Iterator[CorpusPage]:
    import convert_bench

    for doc in convert_bench.make_documents(count, seed):
        yield CorpusPage("convert_bench", doc.external_id, sent_of(convert_document(doc)), doc.body)


def corpus_pages() -> list[CorpusPage]:
    """Every page of the test corpora and benchmark pages (see the module docstring)."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        return [
            *_golden(),
            *_boilerplate(),
            *_notion(work),
            *_filesystem(
                "examples", ROOT / "ingestor" / "examples" / "handbook", ["md", "html", "txt"]
            ),
            *_office(work),
            *_wiki_seed(),
            *_bench_pages(),
        ]


def planted_pages(seed: int) -> list[tuple[PlantedCase, CorpusPage]]:
    """The planted cases of ``seed``, converted as the engine would."""
    pages = []
    for case in planted_cases(seed):
        doc = Document(
            external_id=case.name,
            body=case.body,
            body_format=case.body_format,
            url="https://wiki.acme.example/runbooks",
        )
        pages.append(
            (case, CorpusPage("planted", case.name, sent_of(convert_document(doc)), case.body))
        )
    return pages


def is_found(case: PlantedCase, findings: Sequence[SecretFinding]) -> bool:
    """Whether a finding reports the planted secret: its kind, line and mask."""
    return any(
        f.kind == case.kind and f.line == case.line and f.masked == mask(case.secret)
        for f in findings
    )


# -- other detectors, for the comparison --------------------------------------------------------

#: A detector for the comparison: the (1-based line, value) of each finding in a text.
Detector = Callable[[str], list[tuple[int, str]]]


_OPEN_CONTEXTS = contextlib.ExitStack()


def _detect_secrets() -> Detector | None:
    try:
        from detect_secrets import SecretsCollection
        from detect_secrets.settings import default_settings
    except ImportError:
        return None
    folder = Path(tempfile.mkdtemp(prefix="secrets-eval-"))
    # Every plugin, as `detect-secrets scan` runs; kept open for the whole run (closing it,
    # which collecting the stack would do, empties the plugin list).
    _OPEN_CONTEXTS.enter_context(default_settings())

    def scan(text: str) -> list[tuple[int, str]]:
        path = folder / "page.txt"
        path.write_text(text, "utf-8")
        collection = SecretsCollection()
        collection.scan_file(str(path))
        return [(s.line_number, s.secret_value or "") for _, s in collection]

    return scan


def _credsweeper() -> Detector | None:
    try:
        from credsweeper.app import CredSweeper
        from credsweeper.file_handler.string_content_provider import StringContentProvider
    except ImportError:
        return None
    sweeper = CredSweeper()  # its defaults: ML validation on, medium threshold

    def scan(text: str) -> list[tuple[int, str]]:
        provider = StringContentProvider(text.split("\n"), file_path="page.txt")
        found = sweeper.file_scan(provider)
        return [(line.line_num, line.value or "") for c in found for line in c.line_data_list]

    return scan


def _ours(text: str) -> list[tuple[int, str]]:
    return [(f.line, f.masked) for f in scan_page(text, "")]


def _reports(case: PlantedCase, text: str, found: list[tuple[int, str]]) -> bool:
    """Whether a library's findings name the planted secret: its value, or its line."""
    position = text.find(case.secret[:24])
    line = text.count("\n", 0, position) + 1 if position >= 0 else -1
    return any(
        (value and (value in case.secret or case.secret in value)) or number in (line, line - 1)
        for number, value in found
    )


# -- the report -----------------------------------------------------------------------------------


def _mb_per_s(
    pages: Sequence[CorpusPage], scan: Callable[[CorpusPage], object], repeat: int
) -> float:
    size = sum(len(p.sent.encode()) for p in pages)
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for page in pages:
            scan(page)
        best = min(best, time.process_time() - start)
    return size / 1e6 / max(best, 1e-9)


def _convert_speed(repeat: int) -> tuple[float, float]:
    """MB/s (of sent text, per CPU second) of conversion and of the gate, same pages."""
    import convert_bench

    docs = convert_bench.make_documents(200, 7)
    sent = [sent_of(convert_document(doc)) for doc in docs]
    size = sum(len(text.encode()) for text in sent) / 1e6
    convert = gate = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for doc in docs:
            convert_document(doc)
        middle = time.process_time()
        for text, doc in zip(sent, docs, strict=True):
            scan_page(text, doc.body)
        convert = min(convert, middle - start)
        gate = min(gate, time.process_time() - middle)
    return size / convert, size / gate


def _report_ours(corpus: list[CorpusPage], seeds: int, repeat: int) -> None:
    print("## fin-ingestor scan_page\n")
    print("| set | pages | MB | pages with a finding | MB/s |\n|---|---:|---:|---:|---:|")
    groups: dict[str, list[CorpusPage]] = {}
    for page in corpus:
        groups.setdefault(page.group.split("/")[0], []).append(page)
    for group, pages in [*sorted(groups.items()), ("all", corpus)]:
        flagged = [p for p in pages if scan_page(p.sent, p.source)]
        speed = _mb_per_s(pages, lambda p: scan_page(p.sent, p.source), repeat)
        size = sum(len(p.sent.encode()) for p in pages) / 1e6
        print(f"| {group} | {len(pages)} | {size:.2f} | {len(flagged)} | {speed:.1f} |")
        for page in flagged if group != "all" else []:
            print(f"|  FP: {page.group} {page.name} | {scan_page(page.sent, page.source)} ||||")
    total = found = 0
    missed: list[str] = []
    for seed in range(seeds):
        for case, page in planted_pages(seed):
            total += 1
            if is_found(case, scan_page(page.sent, page.source)):
                found += 1
            else:
                missed.append(f"seed {seed}: {case.name}")
    convert, gate = _convert_speed(repeat)
    print(
        f"\nconvert_bench pages, per CPU second: convert_document {convert:.1f} MB/s, "
        f"scan_page {gate:.1f} MB/s (the gate adds {convert / gate:.0%} to conversion)"
    )
    print(f"\nRecall on planted secrets: {found}/{total} = {found / total:.1%} ({seeds} seeds)")
    for name in missed:
        print(f"  missed {name}")


def _report_library(
    name: str,
    detect: Detector,
    corpus: list[CorpusPage],
    planted: list[tuple[PlantedCase, CorpusPage]],
) -> dict[str, str]:
    """One row of the comparison; returns the share of planted cases found by kind."""
    texts = [scan_text(p.sent) for p in corpus]
    start = time.process_time()
    flagged = [page for page, text in zip(corpus, texts, strict=True) if detect(text)]
    speed = sum(len(t.encode()) for t in texts) / 1e6 / (time.process_time() - start)
    by_kind: dict[str, list[int]] = {}
    for case, page in planted:
        if name == "fin-ingestor":
            hit = is_found(case, scan_page(page.sent, page.source))
        else:
            text = scan_text(page.sent)
            hit = _reports(case, text, detect(text))
        by_kind.setdefault(case.kind, []).append(int(hit))
    found = sum(sum(hits) for hits in by_kind.values())
    recall = f"{found}/{len(planted)} = {found / len(planted):.1%}"
    print(f"| {name} | {len(flagged)}/{len(corpus)} | {recall} | {speed:.2f} |")
    for page in flagged:
        print(f"|  flagged: {page.group} {page.name} | | | |")
    return {kind: f"{sum(hits)}/{len(hits)}" for kind, hits in by_kind.items()}


def _compare(corpus: list[CorpusPage], seeds: int) -> None:
    planted = [pair for seed in range(seeds) for pair in planted_pages(seed)]
    print("\n## Comparison (scan text of the same pages)\n")
    print("| detector | corpus pages flagged | planted found | MB/s |\n|---|---:|---:|---:|")
    columns: dict[str, dict[str, str]] = {}
    detectors = (
        ("fin-ingestor", lambda: _ours),  # scan_page itself for the planted cases
        ("detect-secrets", _detect_secrets),
        ("CredSweeper", _credsweeper),
    )
    for name, factory in detectors:
        detect = factory()
        if detect is None:
            print(f"| {name} | not installed | | |")
        else:
            columns[name] = _report_library(name, detect, corpus, planted)
    print("\n| kind | " + " | ".join(columns) + " |\n|---|" + "---:|" * len(columns))
    for kind in sorted({case.kind for case, _page in planted}):
        print(f"| {kind} | " + " | ".join(c.get(kind, "") for c in columns.values()) + " |")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5, help="planted sets to draw")
    parser.add_argument("--repeat", type=int, default=3, help="timing runs (best is kept)")
    parser.add_argument("--compare", action="store_true", help="also run other detectors")
    args = parser.parse_args(argv)
    random.seed(0)
    corpus = corpus_pages()
    _report_ours(corpus, args.seeds, args.repeat)
    if args.compare:
        with _OPEN_CONTEXTS:
            _compare(corpus, args.seeds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
