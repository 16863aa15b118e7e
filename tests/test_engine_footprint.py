"""What the engine process loads: heavy libraries only its children or one command need stay out."""

from __future__ import annotations

import subprocess
import sys


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
