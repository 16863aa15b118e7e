"""The detector's rules one by one: placeholders, the allow marker, lines, masking, markup.

Every credential-shaped value is built at test time from random characters (and split
literals), so nothing here looks like a live key to a secret scanner.
"""

from __future__ import annotations

import base64
import random
import string

import pytest

from ingestor.gate.secrets import ALLOW_MARKER, SecretFinding, scan_page

_RNG = random.Random(20261205)
_ALNUM = string.ascii_letters + string.digits


def _rand(n: int, alphabet: str = _ALNUM) -> str:
    return "".join(_RNG.choice(alphabet) for _ in range(n))


GITHUB = "gh" + "p_" + _rand(36)
AWS_ID = "AK" + "IA" + _rand(16, string.ascii_uppercase + "234567")
PASSWORD = "Granite" + str(_RNG.randint(1000, 9999)) + "!q"


def _page(html: str, title: str = "Runbook", url: str = "https://wiki.acme.io/p") -> str:
    return f"{title}\n{url}\n{html}"


def _scan_markdown_like(source: str) -> list[SecretFinding]:
    """A source page whose lines are sent as paragraphs (what conversion does to text)."""
    html = "".join(f"<p>{line}</p>\n" for line in source.split("\n"))
    return scan_page(_page(html), source)


# -- placeholders and prose are not secrets ----------------------------------------------------

PLACEHOLDER_LINES = [
    "password: &lt;password&gt;",
    "password: ${DB_PASSWORD}",
    "password: {{ db_password }}",
    "password: {password}",
    "password: %DB_PASSWORD%",
    "password: $DB_PASSWORD",
    "password: xxx",
    "password: xxxxxxxx",
    "password: ********",
    "password: changeme",
    "password: your-password",
    "password: your_password_here",
    "password: example",
    "password: example123",
    "password: ",
    "password:",
    'password: ""',
    "password: [REDACTED]",
    "password: ...",
    "password: os.environ['DB_PASSWORD']",
    "password: !vault |",
    "password: *default_password",
    "password: ENC[AES256_GCM,data:Tr0ub4dor,iv:q1]",
    "DB_PASSWORD=DB_PASSWORD_FROM_VAULT",
    "password = settings.database.password",
    "api_key: YOUR_API_KEY",
    "api_key: &lt;your-api-key&gt;",
    "token: &lt;token&gt;",
    "client_secret: ${CLIENT_SECRET}",
    "aws_access_key_id = AKIA" + "IOSFODNN7" + "EXAMPLE",
    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY",
    "https://user:password@git.acme.io/repo.git",
    "postgres://app:${DB_PASS}@db.internal:5432/app",
    "https://admin:s3cr3tPass9@example.com/login",
    "ssh deploy@build-01.acme.io",
    "git clone git@github.com:acme/tools.git",
    "http://localhost:8080/health",
    "https://cdn.acme.io:443/assets/app.js",
    "Authorization: Bearer &lt;token&gt;",
    "Authorization: Bearer YOUR_ACCESS_TOKEN_HERE",
    "Authorization: Bearer $TOKEN",
    "gh" + "p_" + "x" * 36,
    "gh" + "p_" + "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "sk" + "_live_" + "xxxxxxxxxxxxxxxxxxxxxxxx",
    "xo" + "xb-your-bot-token",
    "-----BEGIN RSA PRIVATE KEY-----",
    "The key file starts with -----BEGIN OPENSSH PRIVATE KEY----- and ends with END.",
    "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----",
]

PROSE_LINES = [
    "Reset your password: click Forgot password on the sign-in page.",
    "The password is case-sensitive.",
    "Your password is stored hashed.",
    "Passwords: at least 12 characters, one digit.",
    "password: required",
    "Password: Optional",
    "token: valid for 24 hours",
    "Secret: keep it safe and never share it.",
    "Bypass: enabled for admins",
    "Compass: north",
    "password_reset_url: https://app.acme.io/reset",
    "The API key is shown once in Settings &gt; API.",
    "Use the access token from the Developer Hub.",
    "Send the token as a Bearer token in the Authorization header.",
    "secret_name: prod-db-credentials",
    "if password == confirm: save()",
    "Password | Required | Minimum 12 characters",
    "api_key: production_key_2",
    "token = session_identifier_2",
    "| url_password | URLs with a password | scheme://user:password@host |",
]


@pytest.mark.parametrize("line", PLACEHOLDER_LINES + PROSE_LINES)
def test_placeholders_and_prose_are_not_reported(line: str) -> None:
    assert _scan_markdown_like(line) == []


def test_well_known_public_examples_are_not_reported() -> None:
    # jwt.io's example token, printed in countless tutorials.
    jwt_io = (
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
        ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
        ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
    )
    # The Azure Storage emulator's documented key (its start identifies it).
    azurite = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq" + _rand(26)
    assert _scan_markdown_like(f"curl -H 'Authorization: Bearer {jwt_io}'") == []
    # RFC 6749's example tokens and Stripe's documentation test key.
    assert _scan_markdown_like('"access_token": "2YotnFZFEjr1zCsicMWpAA",') == []
    assert _scan_markdown_like("stripe.api_key = 'sk_" + "test_4eC39HqLyjWDarjtT1zdp7dc'") == []
    assert _scan_markdown_like(f"AccountName=devstoreaccount1;AccountKey={azurite}==") == []


def test_a_presigned_s3_link_is_not_a_credential() -> None:
    # Notion exports link images through presigned S3 URLs: shareable for a while by design.
    key_id = "AS" + "IA" + _rand(16, string.ascii_uppercase + "234567")
    url = (
        "https://prod-files-secure.s3.us-west-2.amazonaws.com/a/b/scan.png"
        "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        f"&amp;X-Amz-Credential={key_id}%2F20261205%2Fus-west-2%2Fs3%2Faws4_request"
        f"&amp;X-Amz-Security-Token={_rand(300, _ALNUM + '%')}"
        f"&amp;X-Amz-Signature={_rand(64, '0123456789abcdef')}"
    )
    assert scan_page(_page(f'<p><img src="{url}" alt="scan"></p>'), "") == []


# -- detection details -------------------------------------------------------------------------


def test_a_password_is_found_with_its_line_and_mask() -> None:
    source = f"# DB\n\nhost: db.internal\npassword: {PASSWORD}\nport: 5432"
    assert _scan_markdown_like(source) == [
        SecretFinding("password_assignment", 4, PASSWORD[: len(PASSWORD) // 5] + "…")
    ]


def test_a_random_token_that_spells_a_marker_by_chance_is_still_found() -> None:
    # One random 88-character key in ~300 holds a case-insensitive "xxx"; only
    # case-exact markers ("xxxx", "EXAMPLE", "your"...) make a token an example.
    github = "gh" + "p_" + "Qm7xXx" + _rand(30)
    azure = _rand(40) + "Xxx" + _rand(42) + "=="
    findings = _scan_markdown_like(f"token {github}\nAccountName=acme;AccountKey={azure}")
    assert [f.kind for f in findings] == ["github_token", "azure_connection_string"]


def test_a_specific_kind_wins_over_a_generic_assignment() -> None:
    findings = _scan_markdown_like(f"token: {GITHUB}")
    assert [f.kind for f in findings] == ["github_token"]


def test_one_secret_repeated_is_reported_once_at_its_first_line() -> None:
    findings = _scan_markdown_like(f"first {GITHUB}\nagain {GITHUB}")
    assert findings == [SecretFinding("github_token", 1, "ghp_" + GITHUB[4:6] + "…")]


def test_findings_come_in_source_line_order() -> None:
    source = f"a\nid {AWS_ID}\nb\ntoken {GITHUB}"
    html = f"<p>token {GITHUB}</p><p>id {AWS_ID}</p>"  # the page sends them the other way
    findings = scan_page(_page(html), source)
    assert [(f.kind, f.line) for f in findings] == [
        ("aws_access_key_id", 2),
        ("github_token", 4),
    ]


def test_a_secret_not_on_a_source_line_has_line_0() -> None:
    findings = scan_page(_page("<p>Nothing here</p>", title=f"Token {GITHUB}"), "Nothing here")
    assert findings == [SecretFinding("github_token", 0, "ghp_" + GITHUB[4:6] + "…")]


def test_html_entities_and_markup_do_not_hide_a_secret() -> None:
    escaped = "".join(f"&#x{ord(c):x};" for c in GITHUB)
    html = (
        f"<p>{escaped}</p>"
        f"<p><strong>pass</strong>word: <code>{PASSWORD}</code></p>"
        f'<p><a href="https://deploy:{PASSWORD[:3]}%{ord(PASSWORD[3]):02X}{PASSWORD[4:]}'
        f'@git.acme.io/x">repo</a></p>'
    )
    kinds = sorted(f.kind for f in scan_page(_page(html), ""))
    assert kinds == ["github_token", "password_assignment", "url_password"]


def test_camel_case_keys_are_keys() -> None:
    value = _rand(30) + "7q"  # letters and digits whatever the draw
    source = f'{{"clientSecret": "{value}", "apiToken": "{value[::-1]}"}}'
    findings = _scan_markdown_like(source)
    assert [f.kind for f in findings] == ["password_assignment", "password_assignment"]


def test_a_password_in_a_two_column_table_is_found() -> None:
    html = (
        "<table><tr><td>User</td><td>ops</td></tr>"
        f"<tr><td>Password</td><td>{PASSWORD}</td></tr></table>"
    )
    assert [f.kind for f in scan_page(_page(html), "")] == ["password_assignment"]
    documentation = "<table><tr><td>Password</td><td>https://vault.acme.io/ops/db</td></tr></table>"
    assert scan_page(_page(documentation), "") == []


def test_an_intercom_token_must_decode_to_tok() -> None:
    uuid = "_".join(_rand(n, "0123456789abcdef") for n in (8, 4, 4, 4, 12))
    real = base64.b64encode(f"tok:{uuid}:1:0".encode()).decode()
    other = base64.b64encode(("tox:" + _rand(40)).encode()).decode()
    assert [f.kind for f in _scan_markdown_like(f"intercom {real}")] == ["intercom_token"]
    assert _scan_markdown_like(f"intercom {other}") == []


def test_a_jwt_needs_a_json_header() -> None:
    header = base64.urlsafe_b64encode(b'{"alg":"RS256","kid":"k1"}').rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(b'{"sub":"42","exp":1900000000}').rstrip(b"=").decode()
    signature = _rand(43, _ALNUM + "-_")
    assert [f.kind for f in _scan_markdown_like(f"{header}.{payload}.{signature}")] == ["jwt"]
    not_json = "eyJ" + _rand(20) + ".eyJ" + _rand(30) + "." + _rand(43)
    assert _scan_markdown_like(not_json) == []


# -- the allow marker --------------------------------------------------------------------------


def test_the_marker_releases_the_secret_on_its_line() -> None:
    source = f"token {GITHUB}  <!-- {ALLOW_MARKER} -->"
    html = f"<p>token {GITHUB}</p>"
    assert scan_page(_page(html), source) == []


def test_the_marker_releases_exactly_its_own_line() -> None:
    source = f"id {AWS_ID}\ntoken {GITHUB} # {ALLOW_MARKER}\npassword: {PASSWORD}"
    assert [(f.kind, f.line) for f in _scan_markdown_like(source)] == [
        ("aws_access_key_id", 1),
        ("password_assignment", 3),
    ]


def test_the_same_secret_on_an_unmarked_line_is_still_reported_there() -> None:
    source = f"token {GITHUB} # {ALLOW_MARKER}\n\nagain: {GITHUB}"
    assert [(f.kind, f.line) for f in _scan_markdown_like(source)] == [("github_token", 3)]


def test_the_marker_is_found_in_any_case_after_characters_that_lower_to_two() -> None:
    source = f"İİİ Straße\ntoken {GITHUB}  # FIN-INGESTOR: ALLOW-SECRET\npassword: {PASSWORD}"
    assert [(f.kind, f.line) for f in _scan_markdown_like(source)] == [("password_assignment", 3)]


def test_a_marker_on_another_line_releases_nothing() -> None:
    source = f"# {ALLOW_MARKER}\ntoken {GITHUB}"
    assert [(f.kind, f.line) for f in _scan_markdown_like(source)] == [("github_token", 2)]


def test_a_private_key_is_reported_and_released_at_its_begin_line() -> None:
    body = base64.b64encode(_RNG.randbytes(600)).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    block = ["-----BEGIN RSA PRIVATE KEY-----", *lines, "-----END RSA PRIVATE KEY-----"]
    source = "\n".join(["# Access", "", "<pre><code>", *block, "</code></pre>"])
    html = "<h1>Access</h1><pre><code>" + "\n".join(block) + "</code></pre>"
    findings = scan_page(_page(html), source)
    assert findings == [SecretFinding("private_key", 4, body[:6] + "…")]
    marked = source.replace(block[0], f"{block[0]} {ALLOW_MARKER}")
    assert scan_page(_page(html), marked) == []


def test_scanning_is_deterministic() -> None:
    source = f"id {AWS_ID}\npassword: {PASSWORD}\ntoken {GITHUB}"
    assert _scan_markdown_like(source) == _scan_markdown_like(source)
