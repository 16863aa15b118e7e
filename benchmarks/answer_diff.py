"""Where the tool's pages and naive whole-file text disagree, question by question.

``python benchmarks/answer_fitness.py --diff`` lists, for each retriever, the questions that one
corpus ranks first and the other does not: the rank of the answering page in each corpus, the
page (and, for the tool, the section title) that won instead, and the question's words that
one corpus holds for the answering page and the other does not (stemmed, as the retrievers see
them). A question word the naive text has and the tool's page lacks is the first thing to look
at: conversion dropped or altered it (or it was only in a file name or menu); when no word is
missing, the competing page is what changed. A page ranks by its best section, so each row
also says whether the tool's best section of the answering page holds the answering passage,
and a first line per retriever counts the first ranks won by a section that does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from answer_fitness import RANKERS, WORD, Doc, naive_docs, tokens, tool_docs
from answer_material import Source
from answer_questions import Question

LONG_PREFIX = "long-"


@dataclass(frozen=True)
class Outcome:
    """One question in one corpus: where its page ranks, the document that ranked first and
    the answering page's best document (a page ranks by its best section, which may not be
    the one holding the answer)."""

    rank: int
    winner: Doc
    answering: Doc


def _outcomes(docs: list[Doc], questions: Sequence[Question], name: str) -> list[Outcome]:
    texts = [q.text for q in questions]
    singles = [Doc(str(i), d.title, d.text) for i, d in enumerate(docs)]
    outcomes = []
    for q, pages, order in zip(
        questions, RANKERS[name](docs, texts), RANKERS[name](singles, texts), strict=True
    ):
        ranked = [docs[int(i)] for i in order]
        answering = next(d for d in ranked if d.page == q.page)
        outcomes.append(Outcome(pages.index(q.page) + 1, ranked[0], answering))
    return outcomes


def _holds(doc: Doc, passage: str) -> bool:
    words = " ".join(WORD.findall((doc.title + " " + doc.text).lower()))
    return " ".join(WORD.findall(passage.lower())) in words


def diff(sources: Sequence[Source], questions: Sequence[Question], section_bytes: int) -> None:
    tool = tool_docs(sources, section_bytes)
    naive = naive_docs(sources)
    tool_words: dict[str, set[str]] = {}
    naive_words: dict[str, set[str]] = {}
    for docs, words in ((tool, tool_words), (naive, naive_words)):
        for doc in docs:
            words.setdefault(doc.page, set()).update(tokens(doc.title + " " + doc.text))
    for name in RANKERS:
        by_tool = _outcomes(tool, questions, name)
        by_naive = _outcomes(naive, questions, name)
        first = [(q, t) for q, t in zip(questions, by_tool, strict=True) if t.rank == 1]
        held = sum(_holds(t.answering, q.passage) for q, t in first)
        print(f"\n{name}: the tool ranks the answering page first for {len(first)} questions, "
              f"{held} of them by a section that holds the passage")  # fmt: skip
        for label, tool_wins in (("naive first, tool not", False), ("tool first, naive not", True)):
            rows = [
                (q, t, n)
                for q, t, n in zip(questions, by_tool, by_naive, strict=True)
                if (t.rank == 1, n.rank == 1) == (tool_wins, not tool_wins)
            ]
            print(f"\n## {name}: {label} ({len(rows)})\n")
            for q, t, n in rows:
                group = "long" if q.page.startswith(LONG_PREFIX) else "short"
                asked = set(tokens(q.text))
                only_naive = sorted(asked & naive_words[q.page] - tool_words[q.page])
                only_tool = sorted(asked & tool_words[q.page] - naive_words[q.page])
                print(f"- [{group}] {q.text!r} -> {q.page}")
                print(f"    tool rank {t.rank}, first: {t.winner.page} ({t.winner.title!r})")
                print(f"    naive rank {n.rank}, first: {n.winner.page}")
                holds = "holds" if _holds(t.answering, q.passage) else "does not hold"
                print(f"    tool: its best section {t.answering.title!r} {holds} the passage")
                if only_naive or only_tool:
                    print(f"    question words only naive: {only_naive} only tool: {only_tool}")
