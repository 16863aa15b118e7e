"""Legacy encodings: how often each decoder gives back the original text.

The material is ``tests/connectors/encoding_samples.py``: support-style paragraphs in 15
languages, each encoded in the legacy code pages it is commonly stored in (31 language/code
page pairs), cut at 20, 60, 100... characters so short files are measured too. For each
input a decoder either returns text (exact when it equals the original, else *wrong*: the
mojibake an admin would see in Fin) or declines (*reported*: our decoder skips the file with
a message). Random high bytes measure the other side: noise that must not be accepted.

Decoders: ``ours`` (``connectors.decode.decode_text``: chardet plus the confidence rules),
``chardet`` and ``charset-normalizer`` taken at their word (best guess, decoded with
replacement), and ``cp1252`` (the fallback before issue 12).

Run: ``.venv/bin/python benchmarks/encoding_eval.py`` (charset-normalizer is measured when
installed: ``pip install charset-normalizer``).
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "connectors"))

from encoding_samples import SAMPLES, encodable  # noqa: E402

from ingestor.connectors.decode import decode_text  # noqa: E402
from ingestor.errors import PageSkipped  # noqa: E402

Decoder = Callable[[bytes], str | None]


def ours(data: bytes) -> str | None:
    try:
        return decode_text(data, kind="text")[0]
    except PageSkipped:
        return None


def with_chardet(data: bytes) -> str | None:
    import chardet

    guess = chardet.detect(data)["encoding"]
    return data.decode(guess, errors="replace") if guess else None


def with_charset_normalizer(data: bytes) -> str | None:
    import charset_normalizer

    best = charset_normalizer.from_bytes(data).best()
    return str(best) if best is not None else None


def cp1252(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def inputs() -> list[tuple[str, bytes]]:
    cases = []
    for text, codecs in SAMPLES.values():
        for codec in codecs:
            full = encodable(text, codec)
            for cut in [*range(20, len(full), 40), len(full)]:
                cases.append((full[:cut], full[:cut].encode(codec)))
    return cases


def noise(count: int = 200) -> list[bytes]:
    rng = random.Random(11)
    return [
        bytes(rng.randrange(0x80, 0x100) for _ in range(rng.choice((50, 500, 5000))))
        for _ in range(count)
    ]


def measure(decoder: Decoder) -> tuple[int, int, int, int, float]:
    exact = reported = wrong = 0
    started = time.perf_counter()
    for text, data in inputs():
        got = decoder(data)
        if got is None:
            reported += 1
        elif got == text:
            exact += 1
        else:
            wrong += 1
    accepted_noise = sum(1 for data in noise() if decoder(data) is not None)
    return exact, reported, wrong, accepted_noise, time.perf_counter() - started


def main() -> None:
    decoders: list[tuple[str, Decoder]] = [("ours", ours), ("chardet", with_chardet)]
    try:
        import charset_normalizer  # noqa: F401

        decoders.append(("charset-normalizer", with_charset_normalizer))
    except ImportError:
        print("(charset-normalizer not installed: not measured)")
    decoders.append(("cp1252 fallback", cp1252))
    total = len(inputs())
    print(f"{total} inputs (15 languages, 31 code pages, cut lengths), 200 noise inputs\n")
    print("| decoder | exact | reported | wrong (mojibake) | noise accepted | seconds |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, decoder in decoders:
        exact, reported, wrong, accepted, seconds = measure(decoder)
        print(f"| {name} | {exact} | {reported} | {wrong} | {accepted} / 200 | {seconds:.2f} |")


if __name__ == "__main__":
    main()
