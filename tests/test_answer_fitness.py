"""The answer-fitness benchmark (benchmarks/answer_fitness.py): its question set stays valid over
the material the repository ships, and the tool's pages keep finding answers at least as well as
naive whole-file text and as before sections (the retrievers need the `bench` extra)."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def material() -> Any:
    sys.path.insert(0, str(BENCHMARKS))
    import answer_material
    import answer_questions

    sources = answer_material.load_all()
    return sources, answer_questions.load_questions(sources)  # exits on a bad question


@pytest.mark.slow
def test_every_kind_has_paraphrased_questions_with_their_passages(material: Any) -> None:
    sources, questions = material
    kinds = {s.key: s.kind for s in sources}
    per_kind = Counter(kinds[q.page] for q in questions)
    assert len(questions) >= 150
    assert set(per_kind) == {
        "confluence",
        "confluence_export",
        "dokuwiki",
        "mediawiki",
        "notion_export",
        "filesystem markdown",
        "filesystem html",
        "filesystem text",
        "filesystem docx",
        "filesystem pdf",
    }
    assert min(per_kind.values()) >= 4, per_kind
    assert len({q.text for q in questions}) == len(questions)


@pytest.mark.slow
@pytest.mark.parametrize("retriever", ["BM25", "TF-IDF", "dense"])
def test_sections_find_answers_no_worse_than_before_or_than_naive_text(
    material: Any, retriever: str
) -> None:
    pytest.importorskip("rank_bm25")
    pytest.importorskip("sklearn")
    if retriever == "dense":
        pytest.importorskip("wordllama")
    import answer_fitness as bench

    sources, questions = material
    kinds = {s.key: s.kind for s in sources}
    ranker = bench.RANKERS[retriever]
    now = bench.evaluate(
        bench.tool_docs(sources, bench.SECTION_BYTES_DEFAULT), questions, kinds, ranker
    )
    before = bench.evaluate(bench.tool_docs(sources, 0), questions, kinds, ranker)
    naive = bench.evaluate(bench.naive_docs(sources), questions, kinds, ranker)
    assert now["overall"].rr >= naive["overall"].rr
    assert now["overall"].top1 >= naive["overall"].top1
    # within one question of the unsplit pages, overall and in every kind
    assert now["overall"].top1 >= before["overall"].top1 - 1
    for kind, score in now.items():
        assert score.top1 >= before[kind].top1 - 1, kind


LONG = BENCHMARKS / "answers" / "long"


def test_every_long_page_names_its_source_and_ships_its_licence() -> None:
    sources = (LONG / "SOURCES.md").read_text(encoding="utf-8")
    files = [
        p for d in ("share", "shaped", "dokuwiki") for p in (LONG / d).rglob("*") if p.is_file()
    ]
    assert len(files) >= 12
    for path in files:
        row = next((r for r in sources.splitlines() if f"`{path.relative_to(LONG)}`" in r), None)
        assert row is not None, f"{path.relative_to(LONG)} is not in SOURCES.md"
        licence = row.rsplit("(`", 1)[1].split("`", 1)[0]
        assert (LONG / "licenses" / licence).is_file(), f"{path.name}: no licenses/{licence}"


@pytest.mark.slow
def test_long_pages_are_a_real_share_of_the_questions_across_kinds(material: Any) -> None:
    sources, questions = material
    long_pages = {s.key: s.kind for s in sources if len(s.page.html.encode()) > 16_000}
    on_long = [q for q in questions if q.page in long_pages]
    assert len(on_long) >= 60, len(on_long)
    assert len({long_pages[q.page] for q in on_long}) >= 5
    assert len(questions) - len(on_long) >= 150  # the short-page questions are all still there


def test_passages_overlap_and_cover_every_word_of_a_document() -> None:
    pytest.importorskip("rank_bm25")
    pytest.importorskip("sklearn")
    sys.path.insert(0, str(BENCHMARKS))
    import answer_passages
    from answer_fitness import Doc

    text = " ".join(f"w{i}" for i in range(320))
    cut = answer_passages.passages([Doc("p", "Title", text), Doc("q", "Short", "one two")])
    assert [(d.page, d.title, len(d.text.split())) for d in cut] == [
        ("p", "Title", 150), ("p", "Title", 150), ("p", "Title", 120), ("q", "Short", 2),
    ]  # fmt: skip
    assert cut[1].text.split()[0] == "w100" and cut[2].text.split()[-1] == "w319"


def test_landing_counts_the_words_a_reader_passes_before_the_answer() -> None:
    pytest.importorskip("rank_bm25")
    pytest.importorskip("sklearn")
    sys.path.insert(0, str(BENCHMARKS))
    import answer_landing
    from answer_fitness import Doc

    doc = Doc("p", "Refunds", "Plans. Refunds are paid within 14 days, minus a fee.")
    assert answer_landing.words_before(doc, "paid within 14 days") == 3
    assert answer_landing.words_before(doc, "Plans") == 0
    assert answer_landing.words_before(doc, "within 30 days") is None
    assert answer_landing.words_before(doc, "Refunds") == 1  # the title is not read past
