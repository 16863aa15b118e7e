"""Conversion throughput: the naive stack against ``ingestor.convert``, side by side.

Generates realistic wiki-like pages (5-50 KB; HTML with head, header/nav/sidebar/footer chrome,
tables, code, links and images; Markdown with front matter, tables and fenced code), then times
on the same pages, in one process:

* naive: BeautifulSoup parse (lxml) + decompose chrome + markdownify + sha256, Markdown being
  rendered with markdown-it-py first;
* ours: :func:`ingestor.convert.convert_document`.

Run: ``.venv/bin/python benchmarks/convert_bench.py [--pages N] [--repeat R] [--seed S]``.
Prints MB/s (input bytes) and pages/s, best of ``R`` runs.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bs4 import BeautifulSoup
from markdown_it import MarkdownIt
from markdownify import markdownify

from ingestor.connectors.base import BodyFormat, Document
from ingestor.convert import convert_document

_VOCABULARY = (
    "account billing invoice refund customer workspace admin token export import sync page "
    "article policy security password login reset team member role permission plan upgrade "
    "the a of to and in for with on is are be can will you your our this that it from by as"
)
WORDS = tuple(_VOCABULARY.split())


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def _paragraph_html(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(2, 6)):
        sentence = _sentence(rng, rng.randint(8, 20))
        if rng.random() < 0.4:
            sentence += f' See <a href="../guides/{rng.choice(WORDS)}.html">the guide</a>.'
        if rng.random() < 0.3:
            sentence += f" Run <code>ingest --{rng.choice(WORDS)}</code> <strong>first</strong>."
        parts.append(sentence)
    return f'<p class="body-text">{" ".join(parts)}</p>\n'


def _table_html(rng: random.Random) -> str:
    rows = "".join(
        "<tr>" + "".join(f"<td>{_sentence(rng, 3)}</td>" for _ in range(4)) + "</tr>\n"
        for _ in range(rng.randint(3, 12))
    )
    return f'<table class="wikitable"><thead><tr><th>A</th><th>B</th><th>C</th><th>D</th></tr></thead><tbody>{rows}</tbody></table>\n'  # noqa: E501


def _code_html(rng: random.Random) -> str:
    lines = "\n".join(f"    {rng.choice(WORDS)} = {rng.randint(0, 999)}" for _ in range(8))
    return f'<pre><code class="language-python">{lines}</code></pre>\n'


def html_page(rng: random.Random, target_bytes: int) -> str:
    """A wiki-like HTML page of about ``target_bytes``."""
    nav = "".join(f'<li><a href="/wiki/{w}">{w}</a></li>' for w in rng.sample(WORDS, 25))
    head = (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>"
        + _sentence(rng, 4)
        + " - Wiki</title><style>body{font:14px sans-serif}.nav{color:red}</style>"
        "<script>window.dataLayer=[];function gtag(){dataLayer.push(arguments)}</script>"
        "</head><body>"
        f'<header class="site-header"><a href="/">Wiki</a><nav><ul>{nav}</ul></nav>'
        '<form action="/search"><input name=q><button>Search</button></form></header>'
        f'<div class="layout"><aside class="sidebar"><ul>{nav}</ul></aside>'
        f'<main><article><h1 id="top">{_sentence(rng, 5)}</h1>'
    )
    tail = (
        "</article></main></div>"
        f'<footer class="site-footer"><p>(c) Example</p><ul>{nav}</ul></footer>'
        "<script>gtag('config','x')</script></body></html>"
    )
    body: list[str] = []
    size = len(head) + len(tail)
    section = 0
    while size < target_bytes:
        roll = rng.random()
        if roll < 0.1:
            section += 1
            heading = f'<span class="mw-headline" id="s{section}">{_sentence(rng, 3)}</span>'
            chunk = f"<h2>{heading}</h2>\n"
        elif roll < 0.6:
            chunk = _paragraph_html(rng)
        elif roll < 0.7:
            chunk = "<ul>" + "".join(f"<li>{_sentence(rng, 6)}</li>" for _ in range(5)) + "</ul>\n"
        elif roll < 0.8:
            chunk = _table_html(rng)
        elif roll < 0.9:
            chunk = _code_html(rng)
        else:
            image = f'<img src="images/{rng.randint(1, 99)}.png" alt="{_sentence(rng, 3)}">'
            chunk = f"<p>{image}</p>\n"
        body.append(chunk)
        size += len(chunk)
    return head + "".join(body) + tail


def markdown_page(rng: random.Random, target_bytes: int) -> str:
    """A Markdown page with front matter of about ``target_bytes``."""
    out = [f"---\ntitle: {_sentence(rng, 4)}\ntags: [support]\n---\n\n# {_sentence(rng, 5)}\n\n"]
    size = len(out[0])
    while size < target_bytes:
        roll = rng.random()
        if roll < 0.1:
            chunk = f"## {_sentence(rng, 3)}\n\n"
        elif roll < 0.6:
            link = f"[the guide](../guides/{rng.choice(WORDS)}.md)"
            chunk = f"{_sentence(rng, 15)} See {link}, run `sync --{rng.choice(WORDS)}`.\n\n"
        elif roll < 0.7:
            chunk = "".join(f"- {_sentence(rng, 6)}\n" for _ in range(5)) + "\n"
        elif roll < 0.8:
            rows = "".join(
                "| " + " | ".join(_sentence(rng, 3) for _ in range(3)) + " |\n" for _ in range(6)
            )
            chunk = "| A | B | C |\n|---|---|---|\n" + rows + "\n"
        elif roll < 0.9:
            code = "\n".join(f"{rng.choice(WORDS)} = {rng.randint(0, 99)}" for _ in range(8))
            chunk = f"```python\n{code}\n```\n\n"
        else:
            chunk = f"![{_sentence(rng, 2)}](images/{rng.randint(1, 99)}.png)\n\n"
        out.append(chunk)
        size += len(chunk)
    return "".join(out)


def make_documents(count: int, seed: int) -> list[Document]:
    """``count`` documents, 2/3 HTML and 1/3 Markdown, 5-50 KB each."""
    rng = random.Random(seed)
    docs = []
    for i in range(count):
        size = rng.randint(5_000, 50_000)
        fmt: BodyFormat = "markdown" if i % 3 == 2 else "html"
        body = markdown_page(rng, size) if fmt == "markdown" else html_page(rng, size)
        docs.append(
            Document(
                external_id=f"page-{i}",
                body=body,
                body_format=fmt,
                url=f"https://wiki.example.com/wiki/page-{i}",
            )
        )
    return docs


_NAIVE_MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
_CHROME = ["script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe"]


def naive_convert(doc: Document) -> str:
    """The naive stack: bs4 parse + decompose chrome + markdownify + sha256."""
    source = _NAIVE_MARKDOWN.render(doc.body) if doc.body_format == "markdown" else doc.body
    soup = BeautifulSoup(source, "lxml")
    for tag in soup.find_all(_CHROME):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    markdown = markdownify(str(root), heading_style="ATX")
    return hashlib.sha256(markdown.encode()).hexdigest()


def ours_convert(doc: Document) -> str:
    """fin-ingestor's conversion."""
    return convert_document(doc).content_hash


def measure(fn: Callable[[Document], str], docs: Sequence[Document], repeat: int) -> float:
    """Best wall time of ``repeat`` runs over all documents."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for doc in docs:
            fn(doc)
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: Sequence[str] | None = None) -> int:
    """Print naive vs ours throughput; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    docs = make_documents(args.pages, args.seed)
    sets = {
        "all": docs,
        "html": [d for d in docs if d.body_format == "html"],
        "markdown": [d for d in docs if d.body_format == "markdown"],
    }
    print(f"{len(docs)} pages of 5-50 KB (2/3 HTML, 1/3 Markdown), best of {args.repeat} runs")
    for name, subset in sets.items():
        megabytes = sum(len(d.body.encode()) for d in subset) / 1e6
        print(f"\n{name}: {len(subset)} pages, {megabytes:.2f} MB")
        speeds = {}
        for label, fn in (("naive", naive_convert), ("ours", ours_convert)):
            seconds = measure(fn, subset, args.repeat)
            speeds[label] = megabytes / seconds
            print(
                f"  {label:>5}: {megabytes / seconds:6.2f} MB/s  "
                f"{len(subset) / seconds:7.1f} pages/s  ({seconds:.2f} s)"
            )
        print(f"  speed-up: {speeds['ours'] / speeds['naive']:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
