"""The listing's set of new page ids kept as hashes (issue 16 point 3: a first sync of a
million pages must not hold a million id strings): membership exact for what was added, and
what was not, across the runs it merges."""

from __future__ import annotations

import pytest

from ingestor.engine import idset
from ingestor.engine.idset import IdHashSet


@pytest.mark.parametrize("run", [1, 7, 64, idset.RUN])
def test_every_added_id_is_in_and_no_other_is(run: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(idset, "RUN", run)
    ids = [f"section-{n // 100:03}/page-{n:05}.md" for n in range(5_000)]
    listed = IdHashSet()
    assert all(listed.add(eid) for eid in ids)
    assert len(listed) == 5_000
    assert all(eid in listed for eid in ids)
    assert not any(f"section-{n // 100:03}/page-{n:05}.txt" in listed for n in range(5_000))
    assert not any(listed.add(eid) for eid in ids[::7])  # listed twice: refused, not counted
    assert len(listed) == 5_000
    assert 5 not in listed  # not a page id at all


def test_runs_stay_few_and_sorted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(idset, "RUN", 16)
    listed = IdHashSet()
    for n in range(16 * 1000):
        listed.add(f"p{n}")
    runs = listed._runs
    assert len(runs) <= 11  # log2(1000) + 1: merged like a log-structured tree
    assert all(list(run) == sorted(run) for run in runs)
    assert sum(map(len, runs)) == 16_000
