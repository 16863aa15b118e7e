"""Markdown renderers compared on the Markdown pages of ``convert_bench.py``.

For each candidate (markdown-it-py, the renderer before; pyromark, the one chosen; cmarkgfm;
markdown-it-pyrs) it times rendering alone (MB/s of Markdown, one process) and runs the whole
conversion (``convert_document``) with it, counting the pages whose content hash equals the
one markdown-it-py gives: a page with another hash would be sent to Intercom again after
switching.

Run: ``.venv/bin/python benchmarks/markdown_renderers.py [--pages 100]`` after
``pip install cmarkgfm markdown-it-pyrs`` (candidates that are not installed are skipped).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))

from convert_bench import markdown_page  # noqa: E402
from markdown_it import MarkdownIt  # noqa: E402

from ingestor.connectors.base import Document  # noqa: E402
from ingestor.convert import _pipeline, convert_document  # noqa: E402
from ingestor.convert._markdown import markdown_to_html  # noqa: E402

Renderer = Callable[[str], str]


def candidates() -> dict[str, Renderer]:
    before = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    found: dict[str, Renderer] = {"markdown-it-py": before.render, "pyromark": markdown_to_html}
    try:
        import cmarkgfm
        from cmarkgfm.cmark import Options

        found["cmarkgfm"] = lambda text: cmarkgfm.github_flavored_markdown_to_html(
            text, options=Options.CMARK_OPT_UNSAFE
        )
    except ImportError:
        print("(cmarkgfm not installed: skipped)")
    try:
        import markdown_it_pyrs

        rust = markdown_it_pyrs.MarkdownIt("commonmark").enable_many(["table", "strikethrough"])
        found["markdown-it-pyrs"] = rust.render
    except ImportError:
        print("(markdown-it-pyrs not installed: skipped)")
    return found


def hashes(pages: list[str], render: Renderer) -> list[str]:
    original = _pipeline.markdown_to_html
    _pipeline.markdown_to_html = render
    try:
        return [
            convert_document(
                Document(external_id=str(i), body=page, body_format="markdown", url="https://x/")
            ).content_hash
            for i, page in enumerate(pages)
        ]
    finally:
        _pipeline.markdown_to_html = original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=100)
    args = parser.parse_args()
    rng = random.Random(7)
    pages = [markdown_page(rng, rng.randint(5_000, 50_000)) for _ in range(args.pages)]
    megabytes = sum(len(page.encode()) for page in pages) / 1e6
    reference: list[str] | None = None
    print(f"{len(pages)} Markdown pages, {megabytes:.2f} MB\n")
    print("| renderer | rendering MB/s | pages with markdown-it-py's hash |")
    print("|---|---:|---:|")
    for name, render in candidates().items():
        started = time.perf_counter()
        for page in pages:
            render(page)
        seconds = time.perf_counter() - started
        found = hashes(pages, render)
        reference = reference or found
        same = sum(a == b for a, b in zip(reference, found, strict=True))
        print(f"| {name} | {megabytes / seconds:.1f} | {same} / {len(pages)} |")


if __name__ == "__main__":
    main()
