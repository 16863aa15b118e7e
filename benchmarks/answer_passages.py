"""Passage retrieval: is the tool's lead over naive text an artefact of ranking whole documents?

:mod:`answer_fitness` ranks each uploaded document (a page or a section) as one bag of words,
so a long naive page is diluted by its own length. Retrieval-augmented assistants, Fin
probably among them, index passages instead: every document is cut into windows of a few
hundred words, each kept with its document's title, and a question finds passages. Here both
corpora are cut the same way (windows of ``PASSAGE_WORDS`` words, each overlapping the one
before by ``OVERLAP_WORDS``, the document's title in front of each), BM25 ranks the passages,
and a page ranks where its best passage ranks.

Run: ``python benchmarks/answer_fitness.py --passages`` (the ``bench`` extra).
"""

from __future__ import annotations

from collections.abc import Sequence

from answer_fitness import RANKERS, WORD, Doc, Question, Score, evaluate, naive_docs, tool_docs
from answer_material import Source

from ingestor.config._models import SECTION_BYTES_DEFAULT

PASSAGE_WORDS = 150
OVERLAP_WORDS = 50


def passages(docs: Sequence[Doc]) -> list[Doc]:
    """Each document as overlapping windows of words, titled as the document (same page)."""
    cut: list[Doc] = []
    step = PASSAGE_WORDS - OVERLAP_WORDS
    for doc in docs:
        words = WORD.findall(doc.text)
        starts = range(0, max(len(words) - OVERLAP_WORDS, 1), step)
        cut += [Doc(doc.page, doc.title, " ".join(words[i : i + PASSAGE_WORDS])) for i in starts]
    return cut


def passages_table(sources: list[Source], questions: list[Question]) -> None:
    """Top-1 / top-3 / MRR of tool and naive text, ranked by passages, overall and split by
    where the questions fall."""
    kinds = {s.key: s.kind for s in sources}
    corpora = {
        "tool": passages(tool_docs(sources, SECTION_BYTES_DEFAULT)),
        "naive": passages(naive_docs(sources)),
    }
    sizes = ", ".join(f"{name} {len(docs):,}" for name, docs in corpora.items())
    print(f"\npassages of {PASSAGE_WORDS} words ({OVERLAP_WORDS} overlapping): {sizes}\n")
    print("| questions | " + " | ".join(f"{c} {r}" for r in RANKERS for c in corpora) + " |")
    print("|---|" + "---|" * len(RANKERS) * len(corpora))
    groups = {
        f"all {len(questions)}": questions,
        "on long pages": [q for q in questions if q.page.startswith("long-")],
        "on the short material": [q for q in questions if not q.page.startswith("long-")],
    }
    for label, chosen in groups.items():
        cells = [
            _cells(evaluate(docs, chosen, kinds, ranker)["overall"])
            for ranker in RANKERS.values()
            for docs in corpora.values()
        ]
        print(f"| {label} ({len(chosen)}) | " + " | ".join(cells) + " |")


def _cells(score: Score) -> str:
    return score.cells().replace(" | ", " / ")
