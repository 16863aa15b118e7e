"""Short and thin pages: does context in their titles help a question find them?

Measured with :mod:`answer_fitness` (``--thin``), each idea applied to the pages it concerns,
then the whole set re-ranked:

* **parent context for very short pages**: a page with under ``SHORT`` characters of text beyond
  its title is titled ``Parent — Page`` (its parent: the folder or export page it sits in);
* **breadcrumbs for every page**: ``Grandparent — Parent — Page``;
* **database rows with their database's name**: a Notion database row (a page inside a
  database's folder) is titled ``Database — Row``.

Link-preview cards with their titles are not measured: the material holds one bookmark card, and
its title would have to be fetched from the web, which a sync does not do.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import PurePosixPath

from answer_fitness import RANKERS, Question, evaluate, tool_docs
from answer_material import Source

from ingestor.config._models import SECTION_BYTES_DEFAULT
from ingestor.convert import SECTION_SEPARATOR, text_beyond_title

SHORT = 200
_NOTION_ID = re.compile(r"\s+[0-9a-f]{32}(_all)?$")


def parents(source: Source) -> list[str]:
    """The titles of the folders (export pages) above the page, outermost first."""
    folders = PurePosixPath(source.locator).parts[:-1]
    return [_NOTION_ID.sub("", folder) for folder in folders if folder]


def _titled(source: Source, *names: str) -> Source:
    title = SECTION_SEPARATOR.join([*names, source.page.title])
    return replace(source, page=replace(source.page, title=title))


def parent_for_short(source: Source, databases: set[str]) -> Source:
    if parents(source) and text_beyond_title(source.page) < SHORT:
        return _titled(source, parents(source)[-1])
    return source


def breadcrumbs(source: Source, databases: set[str]) -> Source:
    return _titled(source, *parents(source)) if parents(source) else source


def database_rows(source: Source, databases: set[str]) -> Source:
    if parents(source) and parents(source)[-1] in databases:
        return _titled(source, parents(source)[-1])
    return source


VARIANTS: dict[str, Callable[[Source, set[str]], Source] | None] = {
    "as sent today": None,
    f"parent context for pages under {SHORT} characters": parent_for_short,
    "breadcrumbs for every page": breadcrumbs,
    "database rows with their database's name": database_rows,
}


def thin_variants(sources: Sequence[Source], questions: list[Question]) -> None:
    kinds = {s.key: s.kind for s in sources}
    databases = {_NOTION_ID.sub("", s.page.title) for s in sources if s.database}
    names = " | ".join(f"{r} top-1 | {r} MRR | {r} their MRR" for r in RANKERS)
    print(f"\n| idea | pages changed | questions on them | {names} |")
    print("|---|---:|---:|" + "---:|---:|---:|" * len(RANKERS))
    baseline = tool_docs(sources, SECTION_BYTES_DEFAULT)
    for label, change in VARIANTS.items():
        changed = [change(s, databases) if change else s for s in sources]
        touched = {a.key for a, b in zip(sources, changed, strict=True) if a.page != b.page}
        docs = tool_docs(changed, SECTION_BYTES_DEFAULT)
        theirs = [q for q in questions if q.page in touched]
        cells = []
        for ranker in RANKERS.values():
            overall = evaluate(docs, questions, kinds, ranker)["overall"]
            cells += [f"{overall.top1 / overall.n:.3f}", f"{overall.rr / overall.n:.3f}"]
            if theirs:
                now = evaluate(docs, theirs, kinds, ranker)["overall"]
                before = evaluate(baseline, theirs, kinds, ranker)["overall"]
                cells.append(f"{now.rr / now.n:.3f} ({before.rr / before.n:.3f})")
            else:
                cells.append("-")
        print(f"| {label} | {len(touched)} | {len(theirs)} | " + " | ".join(cells) + " |")
