"""Boilerplate removal quality: word-level recall and precision on saved real article pages.

For each ``tests/boilerplate/pages/<name>/`` (``source.html`` as saved from the web,
``expected.html`` the hand-checked article body; Mozilla Readability's test pages) the source
goes through :func:`ingestor.convert.convert_document` exactly as a crawled page would, and
the words of the body we would send are compared with the words of the expected body:

* words are lowercased ``\\w+`` tokens of the visible text (tags dropped, entities decoded),
  counted as a multiset (bag of words), so a paragraph kept twice counts twice;
* recall = shared words / expected words (how much of the article we keep);
* precision = shared words / sent words (how much of what we send is article).

The micro-average sums the counts over all pages (long pages weigh more).

The pages in :data:`HELD_OUT` were added after the stage was tuned and must not be used to
tune it: their figures are the honest estimate of quality on pages nobody looked at. The
report gives the tuned pages, the held-out pages and all pages separately.

Run: ``.venv/bin/python benchmarks/boilerplate_eval.py [--pages DIR]``.

``--speed [--repeat R]`` times the stage's cost instead: ``convert_document`` over the HTML
pages of ``convert_bench.py`` (all whole documents, the worst case) and over the saved pages,
with the stage off and on, interleaved in one process, best of ``R`` runs.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingestor.connectors.base import Document
from ingestor.convert import _clean, convert_document

PAGES = Path(__file__).resolve().parent.parent / "tests" / "boilerplate" / "pages"
#: The url the expected bodies were made with (Readability's test harness uses it too).
PAGE_URL = "http://fakehost/test/page.html"

#: Pages added after the stage was tuned, scored but never tuned on (see the module docstring).
HELD_OUT: tuple[str, ...] = ("citylab-1", "dropbox-blog", "france24-1", "lemonde-1")

_TAG = re.compile(r"<[^>]*>")
_WORD = re.compile(r"\w+")
_HIDDEN = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.I | re.S)


def words(fragment: str) -> Counter[str]:
    """The bag of lowercased words of an HTML fragment's visible text.

    Args:
        fragment: HTML (a fragment or a page).

    Returns:
        Word counts.
    """
    text = html.unescape(_TAG.sub(" ", _HIDDEN.sub(" ", fragment)))
    return Counter(_WORD.findall(text.lower()))


@dataclass(frozen=True, slots=True)
class PageScore:
    """Word counts of one page: expected, sent and shared."""

    name: str
    expected: int
    sent: int
    shared: int

    @property
    def recall(self) -> float:
        """Share of the expected article's words that the sent body keeps."""
        return self.shared / self.expected if self.expected else 1.0

    @property
    def precision(self) -> float:
        """Share of the sent body's words that are article words."""
        return self.shared / self.sent if self.sent else 0.0


def score_page(name: str, source: str, expected: str) -> PageScore:
    """Convert ``source`` as a crawled page and compare its words with ``expected``.

    Args:
        name: The page's name (for the report).
        source: The saved page.
        expected: The hand-checked article body.

    Returns:
        The page's counts.
    """
    page = convert_document(
        Document(external_id=name, body=source, body_format="html", url=PAGE_URL)
    )
    want, got = words(expected), words(page.html)
    return PageScore(
        name=name,
        expected=sum(want.values()),
        sent=sum(got.values()),
        shared=sum((want & got).values()),
    )


def score_all(pages: Path = PAGES) -> list[PageScore]:
    """Score every ``<name>/{source,expected}.html`` under ``pages``, sorted by name."""
    return [
        score_page(
            folder.name,
            (folder / "source.html").read_text(encoding="utf-8"),
            (folder / "expected.html").read_text(encoding="utf-8"),
        )
        for folder in sorted(pages.iterdir())
        if (folder / "source.html").is_file()
    ]


def micro_average(scores: list[PageScore], name: str = "micro-average") -> PageScore:
    """One score over all pages' summed counts, labelled ``name``."""
    return PageScore(
        name=name,
        expected=sum(s.expected for s in scores),
        sent=sum(s.sent for s in scores),
        shared=sum(s.shared for s in scores),
    )


def split_held_out(scores: list[PageScore]) -> tuple[list[PageScore], list[PageScore]]:
    """Split scores into (tuned pages, held-out pages), keeping their order."""
    tuned = [s for s in scores if s.name not in HELD_OUT]
    held = [s for s in scores if s.name in HELD_OUT]
    return tuned, held


def _seconds(docs: Sequence[Document], *, stage: bool) -> float:
    namespace = vars(_clean)  # where clean_html looks the stage up
    real = namespace["prune_boilerplate"]
    if not stage:
        namespace["prune_boilerplate"] = lambda body: 0  # the stage off, nothing else changed
    try:
        start = time.perf_counter()
        for doc in docs:
            convert_document(doc)
        return time.perf_counter() - start
    finally:
        namespace["prune_boilerplate"] = real


def print_speed(pages: Path, repeat: int) -> None:
    """Print MB/s of ``convert_document`` with the stage off and on (see the docstring)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from convert_bench import make_documents  # the benchmark's own generated pages

    saved = [
        Document(
            external_id=folder.name,
            body=(folder / "source.html").read_text(encoding="utf-8"),
            body_format="html",
            url=PAGE_URL,
        )
        for folder in sorted(pages.iterdir())
        if (folder / "source.html").is_file()
    ]
    generated = [doc for doc in make_documents(200, 7) if doc.body_format == "html"]
    for label, docs in (("convert_bench HTML pages", generated), ("saved pages", saved)):
        megabytes = sum(len(doc.body.encode()) for doc in docs) / 1e6
        off = on = float("inf")
        for _ in range(repeat):
            off = min(off, _seconds(docs, stage=False))
            on = min(on, _seconds(docs, stage=True))
        print(
            f"{label} ({len(docs)}, {megabytes:.2f} MB): stage off {megabytes / off:.2f} MB/s,"
            f" on {megabytes / on:.2f} MB/s ({100 * (off / on - 1):+.0f} %)"
        )


def main() -> None:
    """Print the per-page table and the micro-averages (or, with ``--speed``, the cost)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path, default=PAGES)
    parser.add_argument("--speed", action="store_true", help="time the stage instead")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.speed:
        print_speed(args.pages, args.repeat)
        return
    scores = score_all(args.pages)
    tuned, held = split_held_out(scores)
    print("| page | expected words | sent words | recall | precision |")
    print("|---|---:|---:|---:|---:|")
    rows = [
        *tuned,
        micro_average(tuned, "micro-average, tuned pages"),
        *held,
        micro_average(held, "micro-average, held-out pages"),
        micro_average(scores, "micro-average, all pages"),
    ]
    for s in rows:
        label = f"**{s.name}**" if s.name.startswith("micro-average") else s.name
        if s.name in HELD_OUT:
            label += " (held out)"
        print(f"| {label} | {s.expected} | {s.sent} | {s.recall:.3f} | {s.precision:.3f} |")


if __name__ == "__main__":
    main()
