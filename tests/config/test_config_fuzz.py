"""The config loader under fuzzing: whatever the file holds, the answer is a Config or a
ConfigError whose every issue names the file and a line, never another exception.

systemd restarts a unit that exits 1, forever; a config error exits 2 and stays down with a
message an admin can act on. Hypothesis writes 10,000 files (derandomized, so CI sees the same
ones every run): YAML built from the config's own vocabulary (so validation, not only the
parser, is reached), the same YAML with bytes spliced in (control characters, brackets, quotes,
anchors), and deep nesting. Over the real connector registry, so every Settings model is fuzzed.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingestor.config import Config, parse_config
from ingestor.connectors.base import load_connector_classes
from ingestor.errors import ConfigError

pytestmark = pytest.mark.slow

FILENAME = "fuzz.yaml"
#: The installed connector kinds, looked up once (entry points are slow to scan).
CLASSES = load_connector_classes()

_KEYS = (
    "intercom", "token", "base_url", "region", "timeout_seconds", "max_attempts", "state",
    "path", "defaults", "max_delete_fraction", "locale", "daemon", "grace_period", "listen",
    "connectors", "name", "type", "url", "root", "url_template", "schedule", "every", "cron",
    "jitter", "include", "exclude", "audiences", "match", "enabled", "renamed_from", "<<",
    "x-base", "office_timeout", "min_text_chars", "max_page_bytes", "broken_links",
)  # fmt: skip
_TYPES = ("filesystem", "notion_export", "mediawiki", "dokuwiki", "confluence", "folder", "")
_WORDS = (
    "${TOK}", "${TOK:-x}", "${", "$${", "30m", "1h30m", "400d", "10000000000000000000000d",
    "0 */2 * * *", "99 99 * * *", "https://docs.example.com/", "/", ".", "~", "eu", "us",
    "yes", "no", "null", "NaN", ".inf", "-1", "1e400", "é", "tok en", "tök", "\t", "*a", "&a",
)  # fmt: skip
_SPLICE = (
    "\x00", "\x01", "\x07", "\x1b", "\x7f", "\ufffe", "[", "]", "{", "}", ":", "- ", "\n",
    "\n  ", "'", '"', "&x ", "*x", "!!python/object:os.system ", "%YAML 1.1\n", "---\n", "#",
    "\\", "\t", "? ", "|", ">", "@", "`",
)  # fmt: skip
_SECTIONS = {
    "intercom": _KEYS[1:6],
    "state": ("path", "x"),
    "defaults": _KEYS[9:11],
    "daemon": _KEYS[11:13],
}


class _Builder:
    """Config-shaped values from one seeded Random: one hypothesis draw per file (drawing each
    leaf through hypothesis cost several times the loader's own time)."""

    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd

    def scalar(self) -> Any:
        pick = self.rnd.randrange(7)
        if pick == 0:
            return self.rnd.choice((None, True, False))
        if pick == 1:
            return self.rnd.choice((0, -1, 1, 7, 10**30, -(10**30)))
        if pick == 2:
            return self.rnd.choice((0.5, -0.0, 1e308, float("inf"), float("nan")))
        if pick == 3:
            size = self.rnd.randrange(6)
            return "".join(chr(self.rnd.randrange(0x20, 0x3000)) for _ in range(size))
        return self.rnd.choice(_WORDS + _TYPES)

    def value(self, depth: int = 0) -> Any:
        pick = self.rnd.randrange(6 if depth < 3 else 4)
        if pick == 4:
            return [self.value(depth + 1) for _ in range(self.rnd.randrange(4))]
        if pick == 5:
            return {self.key(): self.value(depth + 1) for _ in range(self.rnd.randrange(4))}
        return self.scalar()

    def key(self) -> str:
        return self.rnd.choice(_KEYS) if self.rnd.random() < 0.9 else str(self.scalar())

    def connector(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "name": self.rnd.choice(("a", "b", "")),
            "type": self.rnd.choice(_TYPES),
        }
        for key in ("url", "root", "schedule", "audiences", "include", "enabled"):
            if self.rnd.random() < 0.4:
                entry[key] = self.value(1)
        return entry

    def document(self) -> dict[str, Any]:
        document: dict[str, Any] = {}
        for section, keys in _SECTIONS.items():
            if self.rnd.random() < 0.6:
                document[section] = {k: self.value(1) for k in keys if self.rnd.random() < 0.5}
        if self.rnd.random() < 0.8:
            document["connectors"] = [self.connector() for _ in range(self.rnd.randrange(4))]
        if self.rnd.random() < 0.2:
            document[self.key()] = self.value()
        return document

    def spliced(self, text: str) -> str:
        for _ in range(self.rnd.randrange(1, 5)):
            at = self.rnd.randrange(len(text) + 1)
            text = text[:at] + self.rnd.choice(_SPLICE) + text[at:]
        return text


@st.composite
def _config_text(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(("document", "spliced", "raw", "deep")))
    if kind == "raw":
        return draw(st.text(max_size=80))
    builder = _Builder(draw(st.randoms(use_true_random=False)))
    if kind == "deep":
        opener = builder.rnd.choice(("[", "{a: ", "- ", "a:\n "))
        return "x: " + opener * builder.rnd.randrange(1, 200)
    text = yaml.safe_dump(builder.document(), allow_unicode=True, sort_keys=False)
    return builder.spliced(text) if kind == "spliced" else text


@settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "10000")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(text=_config_text())
def test_any_file_loads_or_is_a_config_error_with_file_and_line(text: str) -> None:
    config_dir = Path(__file__).parent  # a real folder: `root: .` may validate
    try:
        loaded: Any = parse_config(
            text,
            filename=FILENAME,
            config_dir=config_dir,
            environ={"TOK": "tok_0123456789"},
            connector_classes=CLASSES,
        )
    except ConfigError as exc:
        assert exc.issues
        for issue in exc.issues:
            assert issue.file == FILENAME and issue.line is not None, str(issue)
            assert str(issue).startswith(f"{FILENAME}:{issue.line}: ")
            assert "\n" not in issue.message, str(issue)
        return
    assert isinstance(loaded, Config)
