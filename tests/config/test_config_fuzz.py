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
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.base import load_connector_classes
from ingestor.config import Config, parse_config
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
_SPLICE = st.sampled_from(
    ["\x00", "\x01", "\x07", "\x1b", "\x7f", "\ufffe", "[", "]", "{", "}", ":", "- ", "\n",
     "\n  ", "'", '"', "&x ", "*x", "!!python/object:os.system ", "%YAML 1.1\n", "---\n", "#",
     "\\", "\t", "? ", "|", ">", "@", "`"]
)  # fmt: skip

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(_WORDS + _TYPES),
    st.text(max_size=6),
)
_keys = st.one_of(st.sampled_from(_KEYS), st.text(max_size=8))
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_keys, inner, max_size=3)),
    max_leaves=8,
)
_connector = st.fixed_dictionaries(
    {"name": st.sampled_from(("a", "b", "")), "type": st.sampled_from(_TYPES)},
    optional={k: _values for k in ("url", "root", "schedule", "audiences", "include")},
)
_document = st.fixed_dictionaries(
    {},
    optional={
        "intercom": st.dictionaries(st.sampled_from(_KEYS[:6]), _values, max_size=4),
        "state": st.dictionaries(st.sampled_from(("path", "x")), _values, max_size=2),
        "defaults": _values,
        "daemon": _values,
        "connectors": st.lists(_connector, max_size=3),
    },
)


@st.composite
def _config_text(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(("document", "spliced", "raw", "deep")))
    if kind == "raw":
        return draw(st.text(max_size=80))
    if kind == "deep":
        opener = draw(st.sampled_from(("[", "{a: ", "- ", "a:\n" + " ")))
        return "x: " + opener * draw(st.integers(min_value=1, max_value=200))
    text = yaml.safe_dump(draw(_document), allow_unicode=True, sort_keys=False)
    if kind == "spliced":
        for _ in range(draw(st.integers(min_value=1, max_value=4))):
            at = draw(st.integers(min_value=0, max_value=len(text)))
            text = text[:at] + draw(_SPLICE) + text[at:]
    return text


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
