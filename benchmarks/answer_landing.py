"""Where a citation lands: how far does a customer read before the answer?

Fin cites the document it took the answer from; a customer who clicks the citation lands at
the top of that document: a whole page for naive text, a section's heading (its deep link)
for the tool. For every question whose first-ranked document belongs to the answering page,
this counts whether that document holds the answering passage at all, and how many words of
it come before the passage (what the customer reads or scrolls past). Ranked by the same
retrievers as :mod:`answer_fitness`.

Run: ``python benchmarks/answer_fitness.py --landing`` (the ``bench`` extra).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from answer_diff import _outcomes
from answer_fitness import RANKERS, WORD, Doc, naive_docs, tool_docs
from answer_material import Source
from answer_questions import Question

#: About a screen of text: an answer that starts within it is seen without scrolling far.
SCREEN_WORDS = 300


def words_before(doc: Doc, passage: str) -> int | None:
    """Words of ``doc``'s text before ``passage`` begins; None when it does not hold it."""
    text = [w.lower() for w in WORD.findall(doc.text)]
    wanted = [w.lower() for w in WORD.findall(passage)]
    for start in range(len(text) - len(wanted) + 1):
        if text[start : start + len(wanted)] == wanted:
            return start
    return None


def landing(sources: Sequence[Source], questions: Sequence[Question], section_bytes: int) -> None:
    """Per retriever and corpus: questions whose page ranks first, those whose cited document
    holds the passage, those where it starts within a screen, and the median words before it;
    for all questions and for those on the long pages."""
    corpora = {"tool": tool_docs(sources, section_bytes), "naive": naive_docs(sources)}
    print(
        f"\n| questions | retriever | corpus | page first | cited document holds the answer | "
        f"answer within its first {SCREEN_WORDS} words | median words before the answer |"
    )
    print("|---|---|---|---:|---:|---:|---:|")
    for name in RANKERS:
        for corpus, docs in corpora.items():
            landed = _landed(docs, questions, name)
            for label, on_long in (("all", None), ("on long pages", True)):
                chosen = [
                    (q, b) for q, b in landed if on_long is None or q.page.startswith("long-")
                ]
                asked = sum(on_long is None or q.page.startswith("long-") for q in questions)
                print(f"| {label} ({asked}) | {name} | {corpus} | " + _cells(chosen, asked) + " |")


def _landed(
    docs: list[Doc], questions: Sequence[Question], name: str
) -> list[tuple[Question, int | None]]:
    """The questions whose page ranks first, with the words before the passage in the cited
    document (None: it does not hold the passage)."""
    return [
        (q, words_before(o.answering, q.passage))
        for q, o in zip(questions, _outcomes(docs, questions, name), strict=True)
        if o.rank == 1
    ]


def _cells(landed: list[tuple[Question, int | None]], asked: int) -> str:
    held = [b for _q, b in landed if b is not None]
    seen = sum(b < SCREEN_WORDS for b in held)
    median = statistics.median(held) if held else 0
    return " | ".join(
        [
            *(f"{count} ({count / asked:.3f})" for count in (len(landed), len(held), seen)),
            f"{median:,.0f}",
        ]
    )
