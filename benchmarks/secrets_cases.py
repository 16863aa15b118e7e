"""Realistic planted secrets in realistic pages, made at run time (never committed).

Every credential here is random characters of its kind's alphabet and length, built from
parts so that no file of the repository holds anything shaped like a live key. Each
:class:`PlantedCase` is a source page (Markdown runbook, HTML table, YAML or ``.env`` code
block, prose, an attribute value, HTML-escaped text...) holding exactly one secret, with the
1-based source line where it sits.

Used by ``benchmarks/secrets_eval.py`` (recall table) and ``tests/gate/test_secrets_*.py``.
"""

from __future__ import annotations

import base64
import html
import json
import random
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["PlantedCase", "planted_cases"]

_ALNUM = string.ascii_letters + string.digits
_B32 = string.ascii_uppercase + "234567"


@dataclass(frozen=True, slots=True)
class PlantedCase:
    """One page holding one secret."""

    name: str
    kind: str
    body_format: str  # "markdown", "html" or "text"
    body: str
    secret: str  # the value the detector must report (masked)
    line: int  # 1-based line of ``body`` where the secret is (its BEGIN line for a key)


def _pick(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _b64(rng: random.Random, n_bytes: int) -> str:
    return base64.b64encode(rng.randbytes(n_bytes)).decode()


def _password(rng: random.Random) -> str:
    words = ("Harbor", "Falcon", "Granite", "Orchid", "Tundra", "Copper", "Meadow", "Cobalt")
    return (
        f"{rng.choice(words)}{rng.randint(10, 9999)}{rng.choice('!#$%&*?')}{_pick(rng, _ALNUM, 3)}"
    )


def _private_key_body(rng: random.Random, label: str) -> list[str]:
    prefix = "b3BlbnNzaC1rZXktdjEAAAAA" if label == "OPENSSH" else "MIIEow"
    body = prefix + _b64(rng, 1150)
    return [body[i : i + 64] for i in range(0, len(body), 64)]


def _tokens(rng: random.Random) -> dict[str, tuple[str, str]]:
    """kind label -> (kind, value) for the single-token secrets."""
    tok = "tok:" + str(uuid.UUID(bytes=rng.randbytes(16))).replace("-", "_") + ":1:0"
    jwt_header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=").decode()
    claims = {
        "sub": str(rng.randint(10**6, 10**9)),
        "iat": rng.randint(1_600_000_000, 1_800_000_000),
    }
    jwt_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    jwt_sig = base64.urlsafe_b64encode(rng.randbytes(32)).rstrip(b"=").decode()
    return {
        "aws_id": ("aws_access_key_id", "AK" + "IA" + _pick(rng, _B32, 16)),
        "github": ("github_token", "gh" + "p_" + _pick(rng, _ALNUM, 36)),
        "github_pat": (
            "github_token",
            "github" + "_pat_" + _pick(rng, _ALNUM, 22) + "_" + _pick(rng, _ALNUM, 59),
        ),
        "gitlab": ("gitlab_token", "gl" + "pat-" + _pick(rng, _ALNUM + "_-", 20)),
        "slack": (
            "slack_token",
            "xo"
            + "xb-"
            + _pick(rng, string.digits, 12)
            + "-"
            + _pick(rng, string.digits, 13)
            + "-"
            + _pick(rng, _ALNUM, 24),
        ),
        "stripe_live": ("stripe_key", "sk" + "_live_" + _pick(rng, _ALNUM, 99)),
        "stripe_restricted": ("stripe_key", "rk" + "_live_" + _pick(rng, _ALNUM, 24)),
        "stripe_test": ("stripe_key", "sk" + "_test_" + _pick(rng, _ALNUM, 24)),
        "intercom": ("intercom_token", base64.b64encode(tok.encode()).decode()),
        "google": ("google_api_key", "AI" + "za" + _pick(rng, _ALNUM + "_-", 35)),
        "openai": ("openai_key", "sk-" + "proj-" + _pick(rng, _ALNUM + "_-", 120)),
        "anthropic": ("anthropic_key", "sk-" + "ant-api03-" + _pick(rng, _ALNUM + "_-", 93)),
        "atlassian": ("atlassian_token", "ATA" + "TT3" + _pick(rng, _ALNUM + "_-", 180)),
        "npm": ("npm_token", "np" + "m_" + _pick(rng, _ALNUM, 36)),
        "pypi": ("pypi_token", "py" + "pi-AgEIcHlwaS5vcmc" + _pick(rng, _ALNUM + "_-", 70)),
        "sendgrid": (
            "sendgrid_key",
            "S" + "G." + _pick(rng, _ALNUM + "_-", 22) + "." + _pick(rng, _ALNUM + "_-", 43),
        ),
        "huggingface": ("huggingface_token", "h" + "f_" + _pick(rng, string.ascii_letters, 34)),
        "shopify": ("shopify_token", "shp" + "at_" + _pick(rng, "0123456789abcdef", 32)),
        "digitalocean": (
            "digitalocean_token",
            "do" + "p_v1_" + _pick(rng, "0123456789abcdef", 64),
        ),
        "jwt": ("jwt", f"{jwt_header}.{jwt_payload}.{jwt_sig}"),
    }


def _line_of(body: str, needle: str) -> int:
    return body[: body.index(needle)].count("\n") + 1


def _case(name: str, kind: str, fmt: str, body: str, secret: str, where: str = "") -> PlantedCase:
    return PlantedCase(name, kind, fmt, body, secret, _line_of(body, where or secret))


def _runbook(title: str, snippet: str, lang: str = "") -> str:
    return (
        f"# {title}\n\nThis runbook explains how the nightly export job connects.\n\n"
        f"## Configuration\n\nOn the bastion host, set:\n\n```{lang}\n{snippet}\n```\n\n"
        "Then restart the service with `systemctl restart export`.\n"
    )


def _html_table(key: str, value: str) -> str:
    return (
        "<html><head><title>Service accounts</title></head><body><h1>Service accounts</h1>\n"
        "<p>Credentials used by the integration team.</p>\n<table>\n"
        "<tr><th>Setting</th><th>Value</th></tr>\n"
        "<tr><td>Host</td><td>db-prod-3.internal</td></tr>\n"
        f"<tr><td>{key}</td><td><code>{value}</code></td></tr>\n</table>\n</body></html>\n"
    )


def _token_cases(rng: random.Random) -> list[PlantedCase]:
    cases: list[PlantedCase] = []
    for label, (kind, value) in _tokens(rng).items():
        cases.append(
            _case(
                f"{label} in a shell block",
                kind,
                "markdown",
                _runbook(f"Deploy with {label}", f"export TOKEN={value}\n./deploy.sh", "bash"),
                value,
            )
        )
        cases.append(
            _case(f"{label} in a table", kind, "html", _html_table("API token", value), value)
        )
        cases.append(
            _case(
                f"{label} in prose",
                kind,
                "text",
                f"Support notes\n\nIf the sync fails, call the API with {value} "
                "and check the logs.\n",
                value,
            )
        )
        escaped = "".join(f"&#{ord(c)};" if i % 3 == 0 else c for i, c in enumerate(value))
        cases.append(
            _case(
                f"{label} HTML-escaped",
                kind,
                "html",
                f"<h1>Notes</h1>\n<p>Old token: {escaped}</p>\n",
                value,
                escaped,
            )
        )
    return cases


def _key_cases(rng: random.Random) -> list[PlantedCase]:
    cases: list[PlantedCase] = []
    for label in ("RSA", "OPENSSH", "EC", ""):
        head = f"-----BEGIN {label + ' ' if label else ''}PRIVATE KEY-----"
        lines = _private_key_body(rng, label)
        block = "\n".join([head, *lines, head.replace("BEGIN", "END")])
        body = _runbook(f"SSH access ({label or 'PKCS8'})", block, "text")
        cases.append(
            PlantedCase(
                f"{label or 'PKCS8'} private key",
                "private_key",
                "markdown",
                body,
                "".join(lines),
                _line_of(body, head),
            )
        )
    key = "\\n".join(
        [
            "-----BEGIN PRIVATE KEY-----",
            *_private_key_body(rng, ""),
            "-----END PRIVATE KEY-----",
            "",
        ]
    )
    account = {
        "type": "service_account",
        "project_id": "acme-prod-311",
        "private_key_id": _pick(rng, "0123456789abcdef", 40),
        "private_key": "KEY",
        "client_email": "exporter@acme-prod-311.iam.gserviceaccount.com",
    }
    snippet = json.dumps(account, indent=2).replace('"KEY"', f'"{key}"')
    body = _runbook("BigQuery export", snippet, "json")
    secret = "".join(key.split("\\n")[1:-2])
    cases.append(
        PlantedCase(
            "GCP service account JSON",
            "gcp_service_account",
            "markdown",
            body,
            secret,
            _line_of(body, '"private_key": "'),
        )
    )
    return cases


def _cloud_cases(rng: random.Random) -> list[PlantedCase]:
    key_id = "AK" + "IA" + _pick(rng, _B32, 16)
    secret = _pick(rng, _ALNUM + "/+", 39) + rng.choice(string.ascii_uppercase)
    ini = (
        f"[default]\naws_access_key_id = {key_id}\n"
        f"aws_secret_access_key = {secret}\nregion = eu-west-1"
    )
    storage_key = _b64(rng, 64)
    storage = (
        f"DefaultEndpointsProtocol=https;AccountName=acmeprodfiles;AccountKey={storage_key};"
        "EndpointSuffix=core.windows.net"
    )
    bus_key = _b64(rng, 32)
    bus = (
        "Endpoint=sb://acme-events.servicebus.windows.net/;SharedAccessKeyName="
        f"RootManageSharedAccessKey;SharedAccessKey={bus_key}"
    )
    hook = (
        "https://hooks.slack.com/services/T"
        + _pick(rng, _B32, 8)
        + "/B"
        + _pick(rng, _B32, 10)
        + "/"
        + _pick(rng, _ALNUM, 24)
    )
    bearer = _pick(rng, _ALNUM, 48)
    curl = f"curl -H 'Authorization: Bearer {bearer}' https://api.partner.io/v2/orders"
    return [
        _case(
            "Bearer token in a curl command",
            "bearer_token",
            "markdown",
            _runbook("Partner API", curl, "bash"),
            bearer,
        ),
        _case(
            "AWS secret key in credentials file",
            "aws_secret_access_key",
            "markdown",
            _runbook("AWS CLI", ini, "ini"),
            secret,
        ),
        _case(
            "AWS secret key in a table",
            "aws_secret_access_key",
            "html",
            _html_table("AWS secret access key", secret),
            secret,
        ),
        _case(
            "Azure storage connection string in prose",
            "azure_connection_string",
            "text",
            f"Storage\n\nThe app reads blobs with {storage} (rotated yearly).\n",
            storage_key,
        ),
        _case(
            "Azure Service Bus in YAML",
            "azure_connection_string",
            "markdown",
            _runbook("Events", f'servicebus:\n  connection: "{bus}"', "yaml"),
            bus_key,
        ),
        _case(
            "Slack webhook in a link",
            "slack_token",
            "html",
            f'<h1>Alerts</h1>\n<p>Post to <a href="{hook}">the alerts channel</a>.</p>\n',
            hook.split("services/", 1)[1],
        ),
    ]


def _password_cases(rng: random.Random) -> list[PlantedCase]:
    pw = [_password(rng) for _ in range(7)]
    encoded = pw[3].replace(pw[3][2], f"%{ord(pw[3][2]):02X}", 1)
    return [
        _case(
            "YAML password",
            "password_assignment",
            "markdown",
            _runbook(
                "Database",
                f"database:\n  host: db.internal\n  user: app\n  password: {pw[0]}",
                "yaml",
            ),
            pw[0],
        ),
        _case(
            ".env password",
            "password_assignment",
            "markdown",
            _runbook("Env", f"DB_HOST=db.internal\nDB_PASSWORD={pw[1]}", "bash"),
            pw[1],
        ),
        _case(
            "password in an HTML table",
            "password_assignment",
            "html",
            _html_table("Password", pw[2]),
            pw[2],
        ),
        _case(
            "URL password in an attribute, %-encoded",
            "url_password",
            "html",
            f'<h1>DB</h1>\n<p><a href="https://admin:{encoded}@pgadmin.acme.io/browser/">'
            "Open the database</a></p>\n",
            pw[3],
            encoded,
        ),
        _case(
            "URL password in prose",
            "url_password",
            "text",
            f"Mirror\n\nClone from https://deploy:{pw[4]}@git.acme.io/tools.git "
            "before the release.\n",
            pw[4],
        ),
        _case(
            "password in prose",
            "password_assignment",
            "markdown",
            f"# Wi-Fi\n\nThe guest Wi-Fi password is `{pw[5]}` for this quarter.\n",
            pw[5],
        ),
        _case(
            "JSON password",
            "password_assignment",
            "markdown",
            _runbook("Login", json.dumps({"username": "ops", "password": pw[6]}, indent=2), "json"),
            pw[6],
        ),
    ]


def _config_cases(rng: random.Random) -> list[PlantedCase]:
    pw = [_password(rng) for _ in range(4)]
    api_key = _pick(rng, _ALNUM, 32)
    client_secret = _pick(rng, _ALNUM + "-_", 40)
    return [
        _case(
            "password in Markdown bold",
            "password_assignment",
            "markdown",
            f"# Admin\n\n- user: admin\n- **password:** {pw[0]}\n",
            pw[0],
        ),
        _case(
            "HTML-escaped password",
            "password_assignment",
            "html",
            f"<h1>VPN</h1>\n<p>passwd=<b>{html.escape(pw[1] + '&x', quote=True)}</b></p>\n",
            pw[1] + "&x",
            html.escape(pw[1] + "&x", quote=True),
        ),
        _case(
            "ADO.NET connection string",
            "password_assignment",
            "text",
            "Reporting DB\n\nServer=tcp:rep.acme.io,1433;Database=rep;User ID=rep;"
            f"Password={pw[2]};Encrypt=True\n",
            pw[2],
        ),
        _case(
            "api_key in Python",
            "password_assignment",
            "markdown",
            _runbook("Client", f'client = Client(api_key="{api_key}")', "python"),
            api_key,
        ),
        _case(
            "client_secret in YAML",
            "password_assignment",
            "markdown",
            _runbook(
                "OAuth",
                f"oauth:\n  client_id: export-job\n  client_secret: {client_secret}",
                "yaml",
            ),
            client_secret,
        ),
        _case(
            "German password",
            "password_assignment",
            "text",
            f"Zugang\n\nBenutzer: admin\nPasswort: {pw[3]}\n",
            pw[3],
        ),
    ]


_BUILDERS: tuple[Callable[[random.Random], list[PlantedCase]], ...] = (
    _token_cases,
    _key_cases,
    _cloud_cases,
    _password_cases,
    _config_cases,
)


def planted_cases(seed: int) -> list[PlantedCase]:
    """Every planted case, with fresh random secrets for ``seed``."""
    rng = random.Random(seed)
    return [case for build in _BUILDERS for case in build(rng)]
