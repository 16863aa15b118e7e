"""The secrets detector on real pages: no false positive on any corpus page, 100 % recall.

The measurement lives in ``benchmarks/secrets_eval.py`` (it prints the table with speeds and
the comparison with other detectors); these tests assert its targets:

* every page of the golden inputs, the boilerplate articles, the Notion exports, the bundled
  examples, office files made by the office tests' builders, the MediaWiki seed and the
  conversion benchmark's generated pages, converted exactly as the engine does: no finding;
* every planted secret (``benchmarks/secrets_cases.py``: fresh random keys of each kind's
  alphabet and length, in runbooks, tables, code blocks, prose, attributes, HTML-escaped),
  for three seeds: found with its kind, its source line and its mask.
"""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from ingestor.gate.secrets import KINDS, scan_page

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def evaluation() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "secrets_eval_under_test", ROOT / "benchmarks" / "secrets_eval.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_no_corpus_page_has_a_finding(evaluation: ModuleType) -> None:
    pages = evaluation.corpus_pages()
    groups = Counter(page.group.split("/")[0] for page in pages)
    # Every corpus is there and not empty, so the test cannot pass on nothing.
    assert set(groups) == {
        "golden",
        "boilerplate",
        "notion",
        "examples",
        "office",
        "wikis",
        "convert_bench",
    }
    assert groups["golden"] >= 15 and groups["notion"] >= 100 and groups["boilerplate"] >= 30
    assert sum(len(page.sent) for page in pages) > 5_000_000
    findings = {f"{page.group}/{page.name}": scan_page(page.sent, page.source) for page in pages}
    assert {name: found for name, found in findings.items() if found} == {}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_planted_secret_is_found_with_kind_line_and_mask(
    evaluation: ModuleType, seed: int
) -> None:
    missed = [
        (case.name, case.kind, case.line, scan_page(page.sent, page.source))
        for case, page in evaluation.planted_pages(seed)
        if not evaluation.is_found(case, scan_page(page.sent, page.source))
    ]
    assert missed == []


def test_the_planted_set_covers_every_kind(evaluation: ModuleType) -> None:
    kinds = {case.kind for case, _page in evaluation.planted_pages(0)}
    assert kinds == set(KINDS)


def test_masks_never_leak_more_than_a_few_characters(evaluation: ModuleType) -> None:
    for case, page in evaluation.planted_pages(3):
        for finding in scan_page(page.sent, page.source):
            shown = finding.masked.removesuffix("…")
            assert finding.masked.endswith("…")
            assert len(shown) <= 6
            assert case.secret not in repr(finding)
            if finding.kind == case.kind:
                assert len(shown) <= len(case.secret) // 5, (case.name, finding)
                assert case.secret.startswith(shown)


def test_planted_secrets_differ_between_seeds(evaluation: ModuleType) -> None:
    first = {case.secret for case, _page in evaluation.planted_pages(0)}
    second = {case.secret for case, _page in evaluation.planted_pages(1)}
    assert not first & second
