"""Boilerplate removal measured on saved real pages: word recall and precision >= 95 %.

The evaluation itself lives in ``benchmarks/boilerplate_eval.py`` (it prints the table); this
test runs it on ``tests/boilerplate/pages`` and asserts the quality targets of issue 6. These
are quality assertions, not timing ones.

The per-page floors are what the hardest pages reach, less a small margin (measured numbers
in ``benchmarks/README.md``): firefox-nightly-blog (recall 0.855) because Readability's
expected body keeps the blog's reader comments, which this stage drops on purpose, and tmz-1
(precision 0.889) because its headline and dateline are 18 of the 162 words of a short story.

The pages in ``HELD_OUT`` (``benchmarks/boilerplate_eval.py``) were added after the stage was
tuned and must not be tuned on; they keep the same floors, except where :data:`PAGE_FLOORS`
sets a page's own floor (its measured figure less 0.02, with the reason beside it), so a
held-out page that falls short stays in the set and is still guarded against getting worse.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = Path(__file__).resolve().parent / "pages"


@pytest.fixture(scope="module")
def evaluation() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "boilerplate_eval_under_test", ROOT / "benchmarks" / "boilerplate_eval.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


#: Lowest recall and precision any single page may reach (see the module docstring).
PAGE_RECALL_FLOOR = 0.84
PAGE_PRECISION_FLOOR = 0.87

#: Held-out pages below the floors above: (recall floor, precision floor), measured - 0.02.
PAGE_FLOORS: dict[str, tuple[float, float]] = {
    # france24-1 measured recall 1.000, precision 0.763 (76 extra of 321 sent words): a short
    # wire story (245 expected words) whose headline, section label, photo caption and credit,
    # "Text by News Wires / Latest update" line and standfirst (an h2) Readability's expected
    # body leaves out and this stage keeps, like tmz-1's headline and dateline.
    "france24-1": (PAGE_RECALL_FLOOR, 0.74),
}

HELD_OUT = ("citylab-1", "dropbox-blog", "france24-1", "lemonde-1")


def test_the_page_set_is_there() -> None:
    names = sorted(p.name for p in PAGES.iterdir() if (p / "source.html").is_file())
    assert len(names) >= 15, names
    assert set(HELD_OUT) <= set(names), names
    for name in names:
        assert (PAGES / name / "expected.html").is_file(), name
    assert (PAGES / "LICENSE-readability.txt").is_file()


def test_micro_averaged_recall_and_precision_reach_95_percent(evaluation: ModuleType) -> None:
    scores = evaluation.score_all(PAGES)
    total = evaluation.micro_average(scores)
    table = "\n".join(
        f"{s.name}: recall {s.recall:.3f} precision {s.precision:.3f}" for s in scores
    )
    assert total.recall >= 0.95, table
    assert total.precision >= 0.95, table


def test_the_held_out_pages_are_the_evaluations(evaluation: ModuleType) -> None:
    # the report's held-out rows and this test's must name the same pages
    assert tuple(evaluation.HELD_OUT) == HELD_OUT


def test_no_page_loses_its_article(evaluation: ModuleType) -> None:
    # a per-page floor: one page dropping its article must not hide behind the average
    for score in evaluation.score_all(PAGES):
        recall_floor, precision_floor = PAGE_FLOORS.get(
            score.name, (PAGE_RECALL_FLOOR, PAGE_PRECISION_FLOOR)
        )
        assert score.recall >= recall_floor, f"{score.name}: recall {score.recall:.3f}"
        assert score.precision >= precision_floor, f"{score.name}: precision {score.precision:.3f}"


def test_words_are_a_bag_of_lowercased_tokens(evaluation: ModuleType) -> None:
    bag = evaluation.words("<p>The <b>cat</b> &amp; the hat</p><script>x y</script>")
    assert bag == {"the": 2, "cat": 1, "hat": 1}
