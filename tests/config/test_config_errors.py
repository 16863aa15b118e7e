"""Invalid configs: every issue at once, each with file, line and key path, never a secret."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ingestor.config import load_config
from ingestor.errors import ConfigError, ConfigIssue

TOKEN = "tok_SECRET_value_42"


def issues_of(parse: Any, text: str, **environ: str) -> list[ConfigIssue]:
    with pytest.raises(ConfigError) as caught:
        parse(text, {"HOME": "/home/x", "INTERCOM_TOKEN": TOKEN, **environ})
    return caught.value.issues


def described(issues: list[ConfigIssue]) -> list[str]:
    return [str(issue) for issue in issues]


def test_every_problem_is_reported_at_once_with_line_and_path(parse: Any, tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    text = """\
intercom:
  token: ${INTERCOM_TOKEN}
  regoin: eu
  timeout_seconds: -1
defaults:
  max_delete_fraction: 2
connectors:
  - name: handbook
    type: folder
    url: https://help.example.com
    root: missing-folder
  - name: handbook
    type: folder
    url: https://help.example.com/
    root: docs
    include: ["*.md"]
    include: ["*.txt"]
  - name: wiki
    type: confluence
  - [not, a, mapping]
  - name: faq
    url: ftp://faq.example.com
    type: folder
    root: docs
    colour: blue
"""
    assert described(issues_of(parse, text)) == [
        "config.yaml:3: intercom.regoin: unknown key; did you mean 'region'? (allowed here: "
        "token, region, base_url, api_version, timeout_seconds, max_attempts)",
        "config.yaml:4: intercom.timeout_seconds: Input should be greater than 0",
        "config.yaml:6: defaults.max_delete_fraction: Input should be less than or equal to 1",
        "config.yaml:11: connectors[0].root: directory does not exist",
        "config.yaml:12: connectors[1].name: duplicate connector name 'handbook' "
        "(also connectors[0].name, line 8)",
        "config.yaml:14: connectors[1].url: duplicate connector url 'https://help.example.com/' "
        "(also connectors[0].url, line 10)",
        "config.yaml:17: connectors[1].include: duplicate key (first defined on line 16)",
        "config.yaml:19: connectors[2].type: unknown connector type 'confluence' "
        "(known types: folder, wiki)",
        "config.yaml:20: connectors[3]: expected a mapping (name:, type:, url: ...), got a list",
        "config.yaml:22: connectors[4].url: String should match pattern '^https?://'",
        "config.yaml:25: connectors[4].colour: unknown key (allowed here: name, type, url, "
        "enabled, renamed_from, ai_agent_availability, ai_copilot_availability, max_page_bytes, "
        "min_text_chars, section_bytes, "
        "max_delete_fraction, deletion, hide_for, schedule, run_on_start, audiences, restricted, "
        "allow_secrets, watch, watch_method, watch_interval, broken_links, "
        "root, include, depth)",
    ]


def test_missing_keys_point_at_the_nearest_line(parse: Any) -> None:
    text = "state: {}\n\nintercom:\n  region: eu\nconnectors:\n  - name: a\n    type: folder\n"
    assert described(issues_of(parse, text)) == [
        "config.yaml:3: intercom.token: required key is missing",
        "config.yaml:6: connectors[0].url: required key is missing",
        "config.yaml:6: connectors[0].root: required key is missing",
    ]


def test_missing_sections_and_type(parse: Any) -> None:
    issues = issues_of(parse, "defaults: {}\n")
    assert described(issues) == [
        "config.yaml:1: intercom.token: required key is missing",
        "config.yaml:1: connectors: required key is missing",
    ]
    issues = issues_of(parse, "intercom: {token: t}\nconnectors:\n  - name: a\n")
    assert described(issues) == [
        "config.yaml:3: connectors[0].type: required key is missing (known types: folder, wiki)"
    ]


def test_duplicate_top_level_key(parse: Any) -> None:
    text = "intercom: {token: a}\nconnectors: []\nintercom: {token: b}\n"
    assert described(issues_of(parse, text)) == [
        "config.yaml:3: intercom: duplicate key (first defined on line 1)"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "config.yaml:1: the file is empty; expected a mapping with intercom, state, "
             "defaults and connectors"),
        ("# all commented out\n", "config.yaml:1: the file is empty; expected a mapping with "
                                  "intercom, state, defaults and connectors"),
        ("- intercom\n- connectors\n", "config.yaml:1: the top level must be a mapping "
                                       "(intercom:, connectors: ...), not a list"),
        ("just text\n", "config.yaml:1: the top level must be a mapping (intercom:, "
                        "connectors: ...), not a string"),
        ("intercom: [token]\nconnectors: []\n",
         "config.yaml:1: intercom: expected a mapping (key: value), got a list"),
        ("intercom: {token: t}\nconnectors: {a: 1}\n",
         "config.yaml:2: connectors: expected a list of connector entries, got a mapping"),
        ("intercom: {token: t}\nconnectors: []\nstate: /var/lib/x.db\n",
         "config.yaml:3: state: expected a mapping (key: value), got a string"),
        ("intercom: {token: t}\nconnectors: []\nsource_path: /x\n",
         "config.yaml:3: source_path: unknown key (set by the loader, not by the file)"),
    ],
)  # fmt: skip
def test_wrong_shapes(parse: Any, text: str, expected: str) -> None:
    assert described(issues_of(parse, text)) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("intercom:\n  token: t\n connectors: []\n",
         "config.yaml:3: YAML syntax error at column 2: expected <block end>, but found "
         "'<block mapping start>' (while parsing a block mapping at line 1, column 1)"),
        ("intercom: {token: t\nconnectors: []\n",
         "config.yaml:2: YAML syntax error at column 11: expected ',' or '}', but got ':' "
         "(while parsing a flow mapping at line 1, column 11)"),
        ("intercom:\n\ttoken: t\n",
         "config.yaml:2: YAML syntax error at column 1: found character '\\t' that cannot "
         "start any token"),
        ("intercom: !!python/object:os.system {}\n",
         "config.yaml:1: YAML syntax error at column 11: could not determine a constructor for "
         "the tag 'tag:yaml.org,2002:python/object:os.system'"),
        ("a: 1\n---\nb: 2\n",
         "config.yaml:2: YAML syntax error at column 1: but found another document (expected "
         "a single document in the stream at line 1, column 1)"),
    ],
)  # fmt: skip
def test_yaml_syntax_errors_give_line_and_column(parse: Any, text: str, expected: str) -> None:
    assert described(issues_of(parse, text)) == [expected]


def test_syntax_error_never_quotes_the_offending_line(parse: Any) -> None:
    issues = issues_of(parse, f'intercom:\n  token: "{TOKEN}\nconnectors: []\n')
    assert "YAML syntax error" in str(issues[0])
    assert TOKEN not in str(ConfigError(issues))


def test_non_string_keys_are_rejected(parse: Any) -> None:
    text = "intercom: {token: t}\nconnectors: []\non: true\n1: x\n"
    assert described(issues_of(parse, text)) == [
        "config.yaml:3: key 'on' is not a string (YAML reads yes/no/on/off/numbers as other "
        "types); quote it",
        "config.yaml:4: key '1' is not a string (YAML reads yes/no/on/off/numbers as other "
        "types); quote it",
    ]


class TestEnvironmentReferences:
    def test_unset_variables_name_the_variable_key_and_line(self, parse: Any) -> None:
        text = "intercom:\n  token: ${NOPE_TOKEN}\n  base_url: ${NOPE_URL}/api\nconnectors: []\n"
        # The unresolved values are not validated again: one issue per unset variable.
        assert described(issues_of(parse, text)) == [
            "config.yaml:2: intercom.token: environment variable NOPE_TOKEN is not set",
            "config.yaml:3: intercom.base_url: environment variable NOPE_URL is not set",
        ]

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ("${1ABC}", "invalid reference ${1ABC}: use ${NAME} or ${NAME:-default} "
                        "(write $${ for a literal ${)"),
            ("${A-b}", "invalid reference ${A-b}: use ${NAME} or ${NAME:-default} "
                       "(write $${ for a literal ${)"),
            ("${A:-${B}}", "invalid reference ${A:-${B}: use ${NAME} or ${NAME:-default} "
                           "(write $${ for a literal ${)"),
            ("x${OPEN", "unterminated ${ (write $${ for a literal ${)"),
        ],
    )  # fmt: skip
    def test_malformed_references(self, parse: Any, value: str, message: str) -> None:
        text = f"intercom:\n  token: t\n  base_url: '{value}'\nconnectors: []\n"
        issues = issues_of(parse, text)
        assert described(issues)[0] == f"config.yaml:3: intercom.base_url: {message}"

    def test_references_in_keys_are_not_expanded(self, parse: Any) -> None:
        text = "intercom: {token: t}\nconnectors: []\n${X}: 1\n"
        assert [i.path for i in issues_of(parse, text, X="defaults")] == ["${X}"]


class TestSecretsStayOut:
    def test_wrong_type_token_is_not_echoed(self, parse: Any) -> None:
        text = "intercom:\n  token: 987654321987\nconnectors: []\n"
        error_text = str(ConfigError(issues_of(parse, text)))
        assert "intercom.token: Input should be a valid string" in error_text
        assert "987654321987" not in error_text

    def test_token_with_whitespace_is_refused_without_echo(self, parse: Any) -> None:
        text = "intercom:\n  token: ${INTERCOM_TOKEN}\nconnectors: []\n"
        issues = issues_of(parse, text, INTERCOM_TOKEN=TOKEN + "\n")
        assert described(issues) == [
            "config.yaml:2: intercom.token: the token contains whitespace (a stray newline "
            "from a file?)"
        ]

    @pytest.mark.parametrize("bad", ["tök", "\u201ctok\u201d", "tok\x7f"])
    def test_token_with_non_ascii_is_refused_without_echo(self, parse: Any, bad: str) -> None:
        text = "intercom:\n  token: ${INTERCOM_TOKEN}\nconnectors: []\n"
        issues = issues_of(parse, text, INTERCOM_TOKEN=TOKEN + bad)
        assert described(issues) == [
            "config.yaml:2: intercom.token: the token contains a non-ASCII or control character "
            "(a typographic quote, or text copied with it?); Intercom tokens are plain ASCII"
        ]

    def test_empty_token(self, parse: Any) -> None:
        issues = issues_of(parse, "intercom: {token: ''}\nconnectors: []\n")
        assert described(issues) == ["config.yaml:1: intercom.token: the token is empty"]

    def test_connector_secret_echoed_by_a_validator_is_redacted(self, parse: Any) -> None:
        text = """\
intercom: {token: t}
connectors:
  - name: wiki
    type: wiki
    url: https://wiki.example.com
    api_token: ${WIKI_TOKEN}
    space: lower
"""
        issues = issues_of(parse, text, WIKI_TOKEN="wiki-secret-777")
        assert described(issues) == [
            "config.yaml:7: connectors[0].space: space must be upper case (token ***)"
        ]


class TestFiles:
    def test_missing_file(self, tmp_path: Path) -> None:
        path = tmp_path / "nope.yaml"
        with pytest.raises(ConfigError) as caught:
            load_config(path, environ={})
        assert described(caught.value.issues) == [f"{path}: config file not found"]

    def test_not_utf8(self, tmp_path: Path) -> None:
        path = tmp_path / "latin1.yaml"
        path.write_bytes("intercom: {token: 'caf\u00e9'}\n".encode("latin-1"))
        with pytest.raises(ConfigError, match=r"latin1.yaml: not UTF-8 text \(invalid byte at"):
            load_config(path, environ={})

    def test_a_folder_is_not_a_file(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match="cannot read config file: Is a directory"):
            load_config(tmp_path, environ={})

    def test_issues_name_the_file_as_given(self, tmp_path: Path, fake_classes: Any) -> None:
        path = tmp_path / "prod.yaml"
        path.write_text("intercom:\n  token: t\n  region: mars\nconnectors: []\n")
        with pytest.raises(ConfigError) as caught:
            load_config(path, environ={}, connector_classes=fake_classes)
        assert str(caught.value) == (
            f"1 configuration error:\n  {path}:3: intercom.region: Input should be 'us', "
            "'eu' or 'au'"
        )


class TestHostileFiles:
    """What used to be a traceback and exit 1 (restarted by systemd forever) is a config error."""

    def test_raw_control_character_names_line_and_column_not_the_value(self, parse: Any) -> None:
        text = f"intercom:\n  token: {TOKEN}\x01x\nconnectors: []\n"
        assert described(issues_of(parse, text)) == [
            "config.yaml:2: character U+0001 at column 29 is not allowed in YAML (a control "
            "character? write it as an escape in a double-quoted string, e.g. \\t)"
        ]
        assert TOKEN not in str(ConfigError(issues_of(parse, text)))

    @pytest.mark.parametrize("opener", ["[", "{a: "])
    def test_nesting_5000_deep_is_refused_at_its_line(self, parse: Any, opener: str) -> None:
        text = "intercom: {}\nconnectors:\n  x: " + opener * 5000 + "\n"
        (issue,) = issues_of(parse, text)
        assert issue.line == 3
        assert issue.message.startswith("nested more than 64 levels deep at column ")

    def test_nesting_within_the_limit_is_read(self, parse: Any) -> None:
        issues = issues_of(parse, "x-deep: " + "[" * 60 + "]" * 60 + "\nconnectors: 1\n")
        assert described(issues)[-1].startswith("config.yaml:2: connectors: expected a list")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("100000000000000000000d", "must be at most 366d (a year)"),
        ("367d", "must be at most 366d (a year)"),
        ("1.0e+30", "must be at most 366d (a year)"),  # a number: seconds
        (".inf", "must be at most 366d (a year)"),
        (".nan", "must be at most 366d (a year)"),
        ("-1000000000000000000000000000000", "must be longer than 0s"),  # found by the fuzz test
    ],
)
def test_durations_are_bounded(parse: Any, value: str, message: str) -> None:
    text = f"intercom: {{token: t0123456789}}\ndaemon:\n  grace_period: {value}\nconnectors: []\n"
    assert described(issues_of(parse, text)) == [f"config.yaml:3: daemon.grace_period: {message}"]


def test_a_year_is_the_longest_duration(parse: Any) -> None:
    text = "intercom:\n  token: ${INTERCOM_TOKEN}\ndaemon:\n  grace_period: 366d\nconnectors: []\n"
    config = parse(text, {"INTERCOM_TOKEN": TOKEN})
    assert config.daemon.grace_period.days == 366
