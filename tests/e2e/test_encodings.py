"""Legacy-encoded files of a share reach Intercom as their text, never as mojibake; a file whose
encoding cannot be told is skipped and reported (and never makes the run partial)."""

from __future__ import annotations

import random

from ingestor.engine.runner import sync_connectors
from ingestor.engine.sync import SyncOptions

from ..connectors.encoding_samples import SAMPLES, encodable
from .conftest import Site

FILES = {
    "ru/cp1251.txt": ("russian", "cp1251"),
    "ru/mac.md": ("russian", "mac_cyrillic"),
    "ru/koi8.txt": ("russian", "koi8_r"),
    "he/cp1255.txt": ("hebrew", "cp1255"),
    "zh/gb.md": ("chinese_simplified", "gb18030"),
    "zh/big5.txt": ("chinese_traditional", "big5"),
    "ja/sjis.txt": ("japanese", "shift_jis"),
    "ko/euckr.txt": ("korean", "euc_kr"),
    "ar/cp1256.txt": ("arabic", "cp1256"),
    "el/iso.txt": ("greek", "iso8859_7"),
    "tr/iso.txt": ("turkish", "iso8859_9"),
}


def first_line(text: str) -> str:
    return text.split("\n")[1].split(",")[0].split("\uff0c")[0][:25]


def test_legacy_code_pages_arrive_as_text_and_noise_is_skipped(site: Site) -> None:
    for rel, (lang, codec) in FILES.items():
        path = site.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(encodable(SAMPLES[lang][0], codec).encode(codec))
    noise = bytes(random.Random(2).randrange(0x80, 0x100) for _ in range(2000))
    (site.root / "noise.txt").write_bytes(noise)

    [report] = sync_connectors(site.config(), options=SyncOptions())
    assert (report.created, report.skipped, report.failed) == (len(FILES), 1, 0)
    assert report.status == "ok"  # a skipped file is reported, not a failure
    pages = site.intercom_pages()
    assert "noise.txt" not in pages
    for rel, (lang, codec) in FILES.items():
        expected = encodable(SAMPLES[lang][0], codec)
        assert first_line(expected) in pages[rel]["html"], rel

    [again] = sync_connectors(site.config(), options=SyncOptions())
    assert (again.unchanged, again.skipped, again.failed) == (len(FILES) + 1, 0, 0)


def test_the_encoding_setting_reads_files_the_detector_cannot_tell(site: Site) -> None:
    (site.root / "short.txt").write_bytes("Пароль".encode("cp1251"))
    [report] = sync_connectors(site.config(), options=SyncOptions())
    assert report.skipped == 1
    with site.config_path.open("a", encoding="utf-8") as config:
        config.write("    encoding: windows-1251\n")
    [report] = sync_connectors(site.config(), options=SyncOptions())
    assert report.created == 1  # the new setting made the file be read again
    assert "Пароль" in site.intercom_pages()["short.txt"]["html"]
