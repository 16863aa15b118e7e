"""The answer-fitness question set (``benchmarks/answers/questions.yaml``), checked against the
material: every question names a page that exists and whose text holds the answering passage,
and no question copies a run of ``COPIED_RUN`` words from its page (paraphrases, not copies).
No retriever here: ``tests/test_answer_questions.py`` checks the set without the bench extra.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from answer_material import Source, visible_text

QUESTIONS = Path(__file__).resolve().parent / "answers" / "questions.yaml"
#: A question may share no run of this many words with its page: paraphrases, not copies.
COPIED_RUN = 6
WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Question:
    text: str
    page: str
    passage: str


def load_questions(sources: Sequence[Source]) -> list[Question]:
    """The question set, checked: every page exists, its text holds the passage, and no
    question copies a run of ``COPIED_RUN`` words from its page."""
    texts = {s.key: _norm(s.page.title + " " + visible_text(s.page.html)) for s in sources}
    questions, problems = [], []
    for n, entry in enumerate(yaml.safe_load(QUESTIONS.read_text(encoding="utf-8")), start=1):
        q = Question(entry["q"], entry["page"], entry["passage"])
        text = texts.get(q.page)
        if text is None:
            problems.append(f"question {n}: no page {q.page!r}")
        elif _norm(q.passage) not in text:
            problems.append(f"question {n}: passage not in {q.page}: {q.passage!r}")
        elif copied := _copied_run(q.text, text):
            problems.append(f"question {n}: copies {copied!r} from its page")
        questions.append(q)
    if problems:
        raise SystemExit("\n".join(problems))
    return questions


def _norm(text: str) -> str:
    return " ".join(WORD.findall(text.lower()))


def _copied_run(question: str, page_text: str) -> str:
    words = _norm(question).split()
    for i in range(len(words) - COPIED_RUN + 1):
        run = " ".join(words[i : i + COPIED_RUN])
        if f" {run} " in f" {page_text} ":
            return run
    return ""
