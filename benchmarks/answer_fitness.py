"""Answer fitness: does a question find the page that answers it in what the tool uploads?

Customer-style questions (``benchmarks/answers/questions.yaml``, written for this benchmark;
docs/answer-fitness.md says how, and their biases), each with the one page that answers it and
the answering passage, over the material of :mod:`answer_material` (every connector kind). Two
corpora are indexed:

* **tool**: exactly what a sync uploads: each page converted, then split by
  :func:`~ingestor.convert.split_page` with ``max_page_bytes`` and ``section_bytes``; every
  section is a document titled as it is sent, and maps back to its page;
* **naive**: the visible text of each whole file (or API answer), titled by its file name.

Three retrievers from well-kept libraries rank the documents: BM25 (``rank-bm25``'s Okapi),
TF-IDF cosine (scikit-learn) and dense cosine over WordLlama's offline embeddings (a semantic
proxy); a page ranks where its best section ranks. Reported: top-1, top-3
and MRR per connector kind and overall, side by side.

Run (the ``bench`` extra: ``pip install -e '.[bench]'``):

* ``python benchmarks/answer_fitness.py``: the table at the default ``section_bytes``;
* ``--section-bytes 0,2000,4000,8000,16000,32000``: the curve (overall top-1/MRR per size);
* ``--headingless 1,2,4,8,0``: where heading-less runs are cut (0: never);
* ``--thin``: the short/thin-page ideas (docs/answer-fitness.md);
* ``--diff``: per retriever, the questions one corpus ranks first and the other does not, with
  the ranks, the page that won and the question words only one corpus holds
  (:mod:`answer_diff`);
* ``--passages``: both corpora cut into overlapping passages of words before ranking, as
  retrieval-augmented assistants index them (:mod:`answer_passages`);
* ``--landing``: where a citation lands: whether the cited document holds the answer, and how
  many words come before it (:mod:`answer_landing`).
"""

from __future__ import annotations

import argparse
import functools
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import snowballstemmer  # type: ignore[import-untyped]
from rank_bm25 import BM25Okapi  # type: ignore[import-untyped]
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer  # type: ignore[import-untyped]

sys.path.insert(0, str(Path(__file__).resolve().parent))

from answer_material import Source, load_all, visible_text
from answer_questions import Question, load_questions

from ingestor.config._models import SECTION_BYTES_DEFAULT
from ingestor.convert import _split, split_page

MAX_PAGE_BYTES = 1_000_000
WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Doc:
    """One indexed document: the page it belongs to, and its title and text."""

    page: str
    title: str
    text: str


_STEM = snowballstemmer.stemmer("english")


def tokens(text: str) -> list[str]:
    """Lower-cased words, English stop words aside, Snowball-stemmed ("answers" finds
    "answer"): what any search engine does before ranking."""
    words = [w for w in (m.lower() for m in WORD.findall(text)) if w not in ENGLISH_STOP_WORDS]
    return list(_STEM.stemWords(words))


def tool_docs(sources: Sequence[Source], section_bytes: int) -> list[Doc]:
    """What a sync uploads, section by section, each mapped back to its page."""
    docs = []
    for source in sources:
        for part in split_page(source.page, MAX_PAGE_BYTES, section_bytes=section_bytes):
            docs.append(Doc(source.key, part.title, visible_text(part.html)))
    return docs


def naive_docs(sources: Sequence[Source]) -> list[Doc]:
    return [Doc(s.key, s.naive_title, s.naive_text) for s in sources]


Ranker = Callable[[list[Doc], list[str]], list[list[str]]]


def rank_bm25(docs: list[Doc], queries: list[str]) -> list[list[str]]:
    index = BM25Okapi([tokens(d.title + " " + d.text) or ["_"] for d in docs])
    return [_pages(docs, index.get_scores(tokens(q))) for q in queries]


def rank_tfidf(docs: list[Doc], queries: list[str]) -> list[list[str]]:
    vectorizer = TfidfVectorizer(
        tokenizer=tokens, lowercase=False, sublinear_tf=True, token_pattern=None
    )
    matrix = vectorizer.fit_transform([d.title + " " + d.text for d in docs])
    scores = (vectorizer.transform(queries) @ matrix.T).toarray()
    return [_pages(docs, row) for row in scores]


@functools.cache
def _embedder() -> Any:
    """WordLlama's bundled 256-dimension model (static token embeddings distilled from an LLM's,
    average-pooled): a semantic retriever that runs offline. The wheel ships the weights and the
    tokenizer; ``cache_dir`` points at them because its own lookup misses the tokenizer's folder."""
    import wordllama  # type: ignore[import-untyped]

    return wordllama.WordLlama.load(
        cache_dir=Path(wordllama.__file__).parent, disable_download=True
    )


def rank_dense(docs: list[Doc], queries: list[str]) -> list[list[str]]:
    model = _embedder()
    matrix = model.embed([d.title + "\n" + d.text for d in docs], norm=True)
    scores = model.embed(queries, norm=True) @ matrix.T
    return [_pages(docs, row) for row in scores]


RANKERS: dict[str, Ranker] = {"BM25": rank_bm25, "TF-IDF": rank_tfidf, "dense": rank_dense}


def _pages(docs: list[Doc], scores: np.ndarray) -> list[str]:
    """Pages by their best document's score (ties keep the corpus order)."""
    seen: dict[str, None] = {}
    for i in np.argsort(-scores, kind="stable"):
        seen.setdefault(docs[i].page, None)
    return list(seen)


@dataclass
class Score:
    n: int = 0
    top1: int = 0
    top3: int = 0
    rr: float = 0.0

    def add(self, rank: int) -> None:
        self.n += 1
        self.top1 += rank == 1
        self.top3 += rank <= 3
        self.rr += 1 / rank

    def cells(self) -> str:
        return f"{self.top1 / self.n:.3f} | {self.top3 / self.n:.3f} | {self.rr / self.n:.3f}"


def evaluate(
    docs: list[Doc], questions: list[Question], kinds: dict[str, str], ranker: Ranker
) -> dict[str, Score]:
    """Per kind (of the answering page) and ``overall``."""
    scores: dict[str, Score] = defaultdict(Score)
    ranked = ranker(docs, [q.text for q in questions])
    for q, pages in zip(questions, ranked, strict=True):
        rank = pages.index(q.page) + 1
        scores[kinds[q.page]].add(rank)
        scores["overall"].add(rank)
    return scores


def table(sources: list[Source], questions: list[Question], section_bytes: int) -> None:
    kinds = {s.key: s.kind for s in sources}
    corpora = {"tool": tool_docs(sources, section_bytes), "naive": naive_docs(sources)}
    results = {
        (corpus, name): evaluate(docs, questions, kinds, ranker)
        for name, ranker in RANKERS.items()
        for corpus, docs in corpora.items()
    }
    print(f"\n{len(questions)} questions, {len(sources)} pages, {len(corpora['tool'])} documents "
          f"uploaded at section_bytes={section_bytes:,}\n")  # fmt: skip
    head = " | ".join(f"{c} {r} top-1 | top-3 | MRR" for c, r in results)
    print(f"| kind | questions | {head} |")
    print("|---|---:|" + "---:|---:|---:|" * len(results))
    order = [*sorted({kinds[q.page] for q in questions}), "overall"]
    for kind in order:
        n = results[("tool", "BM25")][kind].n
        print(f"| {kind} | {n} | " + " | ".join(r[kind].cells() for r in results.values()) + " |")
    by_length(corpora, questions, kinds)


def by_length(
    corpora: dict[str, list[Doc]], questions: list[Question], kinds: dict[str, str]
) -> None:
    """Top-1 / top-3 / MRR of the questions on the long pages (``long-*`` collections) and on
    the short material, every page present in both."""
    print("\n| questions | " + " | ".join(f"{c} {r}" for r in RANKERS for c in corpora) + " |")
    print("|---|" + "---|" * len(RANKERS) * len(corpora))
    for label, on_long in (("long pages", True), ("short material", False)):
        chosen = [q for q in questions if q.page.startswith("long-") == on_long]
        cells = [
            evaluate(docs, chosen, kinds, ranker)["overall"].cells().replace(" | ", " / ")
            for ranker in RANKERS.values()
            for docs in corpora.values()
        ]
        print(f"| the {len(chosen)} on the {label} | " + " | ".join(cells) + " |")


def sweep(sources: list[Source], questions: list[Question], sizes: list[int]) -> None:
    """Overall top-1/MRR per ``section_bytes``, and on the questions whose page that size
    splits ("split pages": the change itself, without the corpus-statistics noise that any
    new document brings to every other question's BM25/IDF scores)."""
    kinds = {s.key: s.kind for s in sources}
    names = " | ".join(f"{r} top-1 | {r} MRR | {r} split pages MRR (off)" for r in RANKERS)
    print(f"\n| section_bytes | documents | pages split | questions on them | {names} |")
    print("|---:|---:|---:|---:|" + "---:|---:|---:|" * len(RANKERS))
    unsplit = tool_docs(sources, 0)
    for size in sizes:
        docs = tool_docs(sources, size)
        split = {p for p, n in Counter(d.page for d in docs).items() if n > 1}
        on_split = [q for q in questions if q.page in split]
        cells = []
        for ranker in RANKERS.values():
            overall = evaluate(docs, questions, kinds, ranker)["overall"]
            cells += [f"{overall.top1 / overall.n:.3f}", f"{overall.rr / overall.n:.3f}"]
            if on_split:
                now = evaluate(docs, on_split, kinds, ranker)["overall"]
                before = evaluate(unsplit, on_split, kinds, ranker)["overall"]
                cells.append(f"{now.rr / now.n:.3f} ({before.rr / before.n:.3f})")
            else:
                cells.append("-")
        print(
            f"| {size or 'off'} | {len(docs)} | {len(split)} | {len(on_split)} | "
            + " | ".join(cells)
            + " |"
        )


def headingless(sources: list[Source], questions: list[Question], factors: list[int]) -> None:
    """Where runs without headings are cut, at the default section_bytes (0: never)."""
    print(
        "\n| heading-less cut at | documents | "
        + " | ".join(f"{r} top-1 | {r} MRR" for r in RANKERS)
        + " |"
    )
    print("|---:|---:|" + "---:|---:|" * len(RANKERS))
    kinds = {s.key: s.kind for s in sources}
    default = _split.HEADINGLESS_FACTOR
    try:
        for factor in factors:
            _split.HEADINGLESS_FACTOR = factor or MAX_PAGE_BYTES  # the module reads it per call
            docs = tool_docs(sources, SECTION_BYTES_DEFAULT)
            cells = []
            for ranker in RANKERS.values():
                overall = evaluate(docs, questions, kinds, ranker)["overall"]
                cells += [f"{overall.top1 / overall.n:.3f}", f"{overall.rr / overall.n:.3f}"]
            label = f"{factor} x section_bytes" if factor else "never"
            print(f"| {label} | {len(docs)} | " + " | ".join(cells) + " |")
    finally:
        _split.HEADINGLESS_FACTOR = default


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--section-bytes",
        default=str(SECTION_BYTES_DEFAULT),
        help="one size for the table, or a comma list for the curve (0: off)",
    )
    parser.add_argument("--headingless", default="", help="comma list of factors (0: never)")
    parser.add_argument("--thin", action="store_true", help="measure the short/thin-page ideas")
    parser.add_argument(
        "--diff", action="store_true", help="list the questions where tool and naive disagree"
    )
    parser.add_argument(
        "--passages", action="store_true", help="rank overlapping passages, not documents"
    )
    parser.add_argument(
        "--landing", action="store_true", help="how far a citation lands from the answer"
    )
    args = parser.parse_args(argv)
    sources = load_all()
    questions = load_questions(sources)
    sizes = [int(s) for s in args.section_bytes.split(",")]
    if args.headingless:
        headingless(sources, questions, [int(f) for f in args.headingless.split(",")])
    elif args.diff:
        from answer_diff import diff

        diff(sources, questions, sizes[0])
    elif args.landing:
        from answer_landing import landing

        landing(sources, questions, sizes[0])
    elif args.passages:
        from answer_passages import passages_table

        passages_table(sources, questions)
    elif args.thin:
        from answer_thin import thin_variants

        thin_variants(sources, questions)
    elif len(sizes) > 1:
        sweep(sources, questions, sizes)
    else:
        table(sources, questions, sizes[0])


if __name__ == "__main__":
    main()
