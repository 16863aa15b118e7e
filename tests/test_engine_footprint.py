"""What the engine process and its conversion workers load: heavy libraries only a child or one
command needs stay out of the rest."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import docx

from ingestor.connectors.base import Item
from ingestor.connectors.filesystem import FilesystemConnector, FilesystemSettings
from ingestor.convert import convert_document


def test_a_sync_process_does_not_import_converters_it_never_runs() -> None:
    # mammoth and pdfminer (about 30 MB) run only in the bounded office children; markdownify
    # and BeautifulSoup (about 12 MB) only for `ingestor plan --diff`; the answer-fitness
    # benchmark's retrievers (the `bench` extra) never.
    probe = (
        "import sys, ingestor.connectors.filesystem, ingestor.engine.runner\n"
        "import ingestor.commands.cli, ingestor.daemon\n"
        "heavy = ('mammoth', 'pdfminer', 'markdownify', 'bs4', 'rank_bm25', 'sklearn', "
        "'snowballstemmer')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


#: Modules a conversion worker must not load: the settings models and what they pull in, the
#: CLI, the clients, and the converters that run only in the parent or the office children.
WORKER_MUST_NOT_LOAD = (
    "pydantic",
    "pydantic_core",
    "yaml",  # only Markdown with front matter needs it
    "importlib.metadata",
    "email",
    "ingestor.connectors.base",
    "ingestor.connectors.filesystem",
    "ingestor.config",
    "bs4",
    "markdownify",
    "mammoth",
    "docx",
    "pdfminer",
    "typer",
    "rich",
    "httpx",
    "sqlite3",
)

#: Stands in for the ``ingestor`` command's script, which a spawned worker re-imports as its
#: main module: that script imports only ingestor.__main__.
WORKER_PROBE_MAIN = """\
import sys

from ingestor.__main__ import main  # noqa: F401 - all the command's script imports

if __name__ == "__main__":
    import json
    import pickle

    from ingestor.convert import convert_document
    from ingestor.engine.workers import spawn_workers

    with open(sys.argv[1], "rb") as f:
        docs = pickle.load(f)
    with spawn_workers(1) as pool:  # one worker: every page and the probe run in it
        hashes = [pool.submit(convert_document, doc).result().content_hash for doc in docs]
        # a builtin pickles by name: the probe brings no module of its own into the worker
        modules = pool.submit(eval, "sorted(__import__('sys').modules)", {}).result()
    print(json.dumps({"hashes": hashes, "modules": modules}))
"""


def test_a_conversion_worker_loads_only_what_conversion_needs(tmp_path: Path) -> None:
    # Each worker costs its imports in RSS, once per core (issue 16: all processes of a sync
    # count): pydantic and the settings models alone were 11 of its 41 MB.
    share = tmp_path / "share"
    share.mkdir()
    (share / "guide.md").write_text("# Guide\n\nSee [the page](page.html).\n| a |\n|---|\n| b |\n")
    (share / "page.html").write_text("<h1>Page</h1><p>Back to <a href='guide.md'>the guide</a>.")
    word = docx.Document()
    word.add_heading("Handbook", level=1)
    word.add_paragraph("Read it before your first day.")
    word.save(str(share / "Handbook.docx"))
    settings = FilesystemSettings.model_validate(
        {"name": "share", "url": "https://share.example.com/", "root": share}
        | {"formats": ["md", "html", "docx"]}
    )
    with FilesystemConnector(settings) as kb:
        docs = [kb.fetch(item) for item in kb.list() if isinstance(item, Item)]
    assert sorted(doc.external_id for doc in docs) == ["Handbook.docx", "guide.md", "page.html"]
    (tmp_path / "docs.pickle").write_bytes(pickle.dumps(docs))
    (tmp_path / "probe_main.py").write_text(WORKER_PROBE_MAIN)

    result = subprocess.run(
        [sys.executable, str(tmp_path / "probe_main.py"), str(tmp_path / "docs.pickle")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    found = json.loads(result.stdout)

    assert found["hashes"] == [convert_document(doc).content_hash for doc in docs]
    modules = set(found["modules"])
    # the probe saw the worker that converted: its renderers, and the pages' link resolver
    assert {"lxml.html", "nh3", "pyromark", "ingestor.connectors.fs_links"} <= modules
    assert sorted(name for name in WORKER_MUST_NOT_LOAD if name in modules) == []
