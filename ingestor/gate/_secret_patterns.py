"""The secret detectors: one function per kind, each yielding :class:`Candidate` spans.

Shapes follow the providers' documented formats and the rules of gitleaks, detect-secrets
and CredSweeper (see docs/secrets.md, which lists each pattern and its sources). Every
detector checks what a regular expression cannot: that a JWT header decodes to JSON, that an
Intercom token decodes to ``tok:``, that a key body is long enough to be a key, that a value
is no placeholder. Detectors that need a keyword first look for it with ``str.find`` on a
lower-cased copy, so a page without ``password`` costs one scan for that rule.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import unquote

from ingestor.gate._secret_values import (
    is_placeholder,
    is_placeholder_token,
    looks_like_password,
    looks_random,
)

__all__ = ["DETECTORS", "Candidate"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A secret found in the scan text.

    Attributes:
        start: Offset of the secret in the scan text.
        end: Offset just past it.
        kind: What it is (``github_token``...).
        value: The secret itself (masked before it leaves the gate).
        needle: What to look for in the source to find its line (the value, or the first
            characters of a multi-line key body).
        priority: When two candidates overlap, the higher priority (more specific) wins.
    """

    start: int
    end: int
    kind: str
    value: str
    needle: str
    priority: int


def _c(match: re.Match[str], group: int | str, kind: str, priority: int) -> Candidate:
    value = match.group(group)
    return Candidate(match.start(group), match.end(group), kind, value, value, priority)


# -- private keys (PEM, OpenSSH, PGP) and GCP service-account JSON ---------------------------

_KEY_BEGIN = re.compile(r"-----BEGIN ((?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?)-----")
_KEY_HEADER = re.compile(r"[A-Za-z-]+: [^\n\\]*(?:\n|\\n)")
_KEY_BODY = re.compile(r"(?:[A-Za-z0-9+/=]|\s|\\n)*")
_SERVICE_ACCOUNT = re.compile(r'"type"\s*:\s*"service_account"')
#: Fewer base64 characters than this is a format description, not a key (an Ed25519
#: OpenSSH key has about 400, an EC P-256 PKCS#8 key about 180).
_MIN_KEY_BODY = 120


def _private_keys(text: str, lowered: str) -> Iterator[Candidate]:
    if "private key" not in lowered:
        return
    for begin in _KEY_BEGIN.finditer(text):
        position = begin.end()
        while header := _KEY_HEADER.match(text, position):  # Proc-Type:, Version:, ...
            position = header.end()
        body_match = _KEY_BODY.match(text, position)
        body = re.sub(r"\s|\\n", "", body_match.group(0)) if body_match else ""
        if len(body) < _MIN_KEY_BODY or is_placeholder_token(body[:40]):
            continue
        window = text[max(0, begin.start() - 4000) : begin.start()]
        in_json = text[begin.start() - 1 : begin.start()] == '"'
        kind = "private_key"
        if in_json and _SERVICE_ACCOUNT.search(window + text[position : position + 4000]):
            kind = "gcp_service_account"
        end = body_match.end() if body_match else position
        yield Candidate(begin.start(), end, kind, body, body[:24], 100)


# -- cloud providers ----------------------------------------------------------------------

_AWS_KEY_ID = re.compile(r"(?<![A-Za-z0-9])((?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})(?![A-Za-z0-9])")
#: The name of an AWS secret key and its separator, read in the lower-cased text (a pattern
#: starting with a literal is fast to search); the value is then read in the text.
_AWS_SECRET_NAMED = re.compile(
    r"secret[ _.-]?(?:access)?[ _.-]?key(?:[ _-]?id)?[\"']?\s*(?:\[[^\]\n]*\]\s*)?"
    r"(?::=|=>|[:=\t])\s*[\"'`]?"
)
#: A presigned S3/GCS URL names a key id and carries a signature and a session token: links
#: made to be shared for a while (Notion's exported image links are such), not credentials.
_PRESIGNED = ("x-amz-credential=", "x-goog-credential=")
_PRESIGNED_PARAMETER = ("x-amz-", "x-goog-")
_BASE64_40 = re.compile(r"(?<![A-Za-z0-9/+=])([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])")


def _aws(text: str, lowered: str) -> Iterator[Candidate]:
    has_id = any(prefix in text for prefix in ("AKIA", "ASIA", "ABIA", "ACCA"))
    for match in _AWS_KEY_ID.finditer(text) if has_id else ():
        if "EXAMPLE" in match.group(1) or lowered.endswith(_PRESIGNED, 0, match.start()):
            continue
        yield _c(match, 1, "aws_access_key_id", 80)
        # `aws configure` output and key tables put the secret right after the id.
        nearby = _BASE64_40.search(text, match.end(), match.end() + 300)
        if nearby and _aws_secret_shaped(nearby.group(1)):
            yield _c(nearby, 1, "aws_secret_access_key", 80)
    if "secret" in lowered:
        for name in _AWS_SECRET_NAMED.finditer(lowered):
            value = _BASE64_40.match(text, name.end())
            if value and _aws_secret_shaped(value.group(1)):
                yield _c(value, 1, "aws_secret_access_key", 80)


def _aws_secret_shaped(value: str) -> bool:
    return looks_random(value, min_length=40, min_entropy=3.5) and any(c.isupper() for c in value)


_AZURE_NAMES = ("AccountKey=", "SharedAccessKey=", "SharedSecretValue=")
_AZURE_VALUE = re.compile(r"[A-Za-z0-9+/]{30,}={0,2}")
#: The Azure Storage emulator's documented, public account key.
_AZURITE_KEY_START = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq"


def _azure(text: str, lowered: str) -> Iterator[Candidate]:
    for name in _AZURE_NAMES:
        position = text.find(name)
        while position >= 0:
            match = _AZURE_VALUE.match(text, position + len(name))
            position = text.find(name, position + 1)
            if match is None:
                continue
            value = match.group(0)
            if value.startswith(_AZURITE_KEY_START) or not looks_random(value, min_length=30):
                continue
            yield Candidate(match.start(), match.end(), "azure_connection_string", value, value, 80)


# -- SaaS tokens with a recognizable prefix ---------------------------------------------------

# No leading ``\b``: a pattern that starts with its literal prefix is searched for that
# literal at C speed (``\b`` first disables that); the character before is checked apart.
_PREFIXED: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("gh", "github_token", re.compile(r"gh[pousr]_[A-Za-z0-9]{36,251}\b")),
    ("github_pat_", "github_token", re.compile(r"github_pat_[A-Za-z0-9_]{60,240}\b")),
    ("gl", "gitlab_token", re.compile(r"gl(?:pat|ptt|dt|rt|cbt|oas|ft)-[0-9A-Za-z_.-]{20,}")),
    ("xox", "slack_token", re.compile(r"xox[abeoprs]-(?:[0-9]+-)+[0-9A-Za-z-]{6,}")),
    ("xapp-", "slack_token", re.compile(r"xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]{20,}")),
    ("k_", "stripe_key", re.compile(r"k_(?:live|test|prod)_[0-9A-Za-z]{20,247}\b")),
    ("whsec_", "stripe_key", re.compile(r"whsec_[0-9A-Za-z]{32,}\b")),
    ("aiza", "google_api_key", re.compile(r"AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])")),
    (
        "sk-",
        "openai_key",
        re.compile(
            r"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}"
            r"|sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}(?![A-Za-z0-9])"
        ),
    ),
    ("sk-ant-", "anthropic_key", re.compile(r"sk-ant-(?:api|admin)\d\d-[A-Za-z0-9_-]{80,}")),
    ("atatt3", "atlassian_token", re.compile(r"ATATT3[A-Za-z0-9_=-]{100,}")),
    ("npm_", "npm_token", re.compile(r"npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])")),
    ("pypi-", "pypi_token", re.compile(r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}")),
    ("sg.", "sendgrid_key", re.compile(r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}(?![\w-])")),
    ("hf_", "huggingface_token", re.compile(r"hf_[A-Za-z0-9]{34,40}(?![A-Za-z0-9])")),
    ("shp", "shopify_token", re.compile(r"shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}(?![A-Za-z0-9])")),
    ("_v1_", "digitalocean_token", re.compile(r"do[opr]_v1_[a-f0-9]{64}(?![A-Za-z0-9])")),
)
_TOKEN_PREFIX = re.compile(r"github_pat_|[a-z]+[_-](?:(?:live|test|prod)_)?")
_SLACK_WEBHOOK = re.compile(
    r"hooks\.slack\.com/(?:services|workflows|triggers)/([A-Za-z0-9_/]{20,})"
)


def _prefixed(text: str, lowered: str) -> Iterator[Candidate]:
    for prefix, kind, pattern in _PREFIXED:
        if prefix not in lowered:
            continue
        for match in pattern.finditer(text):
            start = match.start()
            if kind == "stripe_key" and prefix == "k_":
                start -= 1  # the r or s of rk_ / sk_
                if text[start : start + 1] not in ("r", "s"):
                    continue
            if start and (text[start - 1].isalnum() or text[start - 1] == "_"):
                continue
            value = text[start : match.end()]
            prefix_match = _TOKEN_PREFIX.match(value)
            random_part = value[prefix_match.end() :] if prefix_match else value
            if is_placeholder_token(random_part) or len(set(random_part)) < 8:
                continue
            yield Candidate(start, match.end(), kind, value, value, 80)
    if "hooks.slack.com" in lowered:
        for match in _SLACK_WEBHOOK.finditer(text):
            if not is_placeholder_token(match.group(1)) and len(set(match.group(1))) >= 8:
                yield _c(match, 1, "slack_token", 80)


#: Intercom access tokens are base64 of ``tok:<uuid with underscores>:1:0`` (60 characters,
#: starting ``dG9rO``), as every public leak of one shows.
_INTERCOM = re.compile(r"(?<![A-Za-z0-9+/])(dG9rO[A-Za-z0-9+/]{35,120}={0,2})(?![A-Za-z0-9+/])")


def _intercom(text: str, lowered: str) -> Iterator[Candidate]:
    if "dg9ro" not in lowered:
        return
    for match in _INTERCOM.finditer(text):
        value = match.group(1)
        try:
            decoded = base64.b64decode(value + "=" * (-len(value) % 4))
        except (binascii.Error, ValueError):
            continue
        if decoded.startswith(b"tok:") and not is_placeholder(decoded[4:].decode("latin-1")):
            yield _c(match, 1, "intercom_token", 80)


# -- JWTs, bearer tokens, URLs with a password ----------------------------------------------

_JWT = re.compile(r"\b(eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,})")
#: jwt.io's own example token (``"name": "John Doe"``), printed in countless tutorials.
_JWT_IO_SIGNATURE = "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"


def _jwt(text: str, lowered: str) -> Iterator[Candidate]:
    if "eyj" not in lowered:
        return
    for match in _JWT.finditer(text):
        header, _, rest = match.group(1).partition(".")
        if rest.endswith(_JWT_IO_SIGNATURE):
            continue
        try:
            decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
        except (binascii.Error, ValueError):
            continue
        if isinstance(decoded, dict) and ("alg" in decoded or "typ" in decoded):
            yield _c(match, 1, "jwt", 70)


_BEARER = re.compile(r"earer\s+([A-Za-z0-9._~+/-]{20,}=*)")  # literal first: fast


def _bearer(text: str, lowered: str) -> Iterator[Candidate]:
    if "bearer" not in lowered:
        return
    for match in _BEARER.finditer(text):
        if lowered[match.start() - 1 : match.start()] != "b" or (
            match.start() > 1 and lowered[match.start() - 2].isalnum()
        ):
            continue
        if match.group(1).startswith("eyJ") and match.group(1).count(".") == 2:
            continue  # a JWT: the JWT rule decides (and knows the public examples)
        if looks_random(match.group(1), min_length=20, min_entropy=3.3):
            yield _c(match, 1, "bearer_token", 50)


# Anchored on the literal "://", which regular expressions find fast (the scheme before it is
# checked apart); a ``#`` or ``?`` in the password is kept (people paste them raw).
_URL_PASSWORD = re.compile(
    r"://([^\s/?#@:\"'<>]{1,100}):([^\s/@\"'<>]{1,200})@"
    r"(\[[0-9A-Fa-f:]+\]|[A-Za-z0-9_.-]+)"
)
#: RFC 2606 names reserved for documentation.
_DOC_HOST = re.compile(r"(?:^|\.)(?:example(?:\.com|\.org|\.net)?|test|invalid)$", re.I)


def _url_password(text: str, lowered: str) -> Iterator[Candidate]:
    if "://" not in text:
        return
    for match in _URL_PASSWORD.finditer(text):
        if not text[match.start() - 1 : match.start()].isalnum():
            continue  # no scheme
        password = match.group(2)
        if is_placeholder(password) or _DOC_HOST.search(match.group(3)):
            continue
        # Reported decoded: the same password %-encoded in a link is one secret.
        yield Candidate(
            match.start(2), match.end(2), "url_password", unquote(password), password, 60
        )


# -- `password: value` assignments ------------------------------------------------------------

#: Where an assignment's key can be: these stems are found with ``str.find`` (much faster
#: than a case-insensitive alternation over the page), then :data:`_ASSIGNMENT_KEY` reads the
#: whole key around each hit in the lower-cased text.
_KEY_STEMS = ("pass", "pwd", "secret", "key", "token", "credential", "kennwort")
_ASSIGNMENT_KEY = re.compile(
    r"(passw(?:or)?d|passwort|kennwort|passphrase|pwd|pass|secret|api[_-]?key|"
    r"access[_-]?key|auth[_-]?key|private[_-]?key|access[_-]?token|auth[_-]?token|token|"
    r"credentials?)(?![a-z0-9])"
)
_ASSIGNMENT_SEPARATOR = re.compile(
    r"[\"'`]?\s*(?:\([^)\n]{0,30}\)\s*)?(:=|=>|==|=|:|\t|\s+(?:is|was)\s+)\s*([\"'`]?)"
)
_UNQUOTED_VALUE = re.compile(r"[^\s\"'`<>,;]+")
_PASSWORD_KEYS = ("pass", "pwd", "kennwort")
#: More words after an unquoted value on its line: prose ("password: click the link").
_MORE_WORDS = re.compile(r"[ \t]*[A-Za-z0-9(]")


def _assignment_keys(lowered: str) -> Iterator[re.Match[str]]:
    """Each key (``password``, ``api_key``...) in the text, once, in no particular order."""
    seen: set[int] = set()
    for stem in _KEY_STEMS:
        hit = lowered.find(stem)
        while hit >= 0:
            position = max(0, hit - 8)
            while (key := _ASSIGNMENT_KEY.search(lowered, position, hit + 24)) and (
                key.start() <= hit
            ):
                if hit < key.end():
                    if key.start() not in seen:
                        seen.add(key.start())
                        yield key
                    break
                position = key.end()
            hit = lowered.find(stem, hit + len(stem))


def _assignments(text: str, lowered: str) -> Iterator[Candidate]:
    for key in _assignment_keys(lowered):
        word = key.group(1)
        before = text[key.start() - 1] if key.start() else " "
        parameter = lowered[max(0, key.start() - 16) : key.start()]
        if any(prefix in parameter for prefix in _PRESIGNED_PARAMETER):
            continue  # X-Amz-Security-Token= of a presigned URL
        camel_case = text[key.start()].isupper()  # clientSecret, apiToken
        if word in ("pass", "pwd", "token", "secret") and before.isalpha() and not camel_case:
            continue  # bypass:, compass:, ...
        separator = _ASSIGNMENT_SEPARATOR.match(text, key.end())
        if separator is None or separator.group(1) == "==":
            continue
        candidate = _assigned_value(text, separator, word)
        if candidate is not None:
            yield candidate


def _assigned_value(text: str, separator: re.Match[str], word: str) -> Candidate | None:
    quote = separator.group(2)
    start = separator.end()
    if quote:
        end = text.find(quote, start, start + 200)
        if end < 0 or "\n" in text[start:end]:
            return None
        value, followed = text[start:end], False
    else:
        match = _UNQUOTED_VALUE.match(text, start)
        if match is None:
            return None
        value = match.group(0).rstrip(".):!?")
        end = start + len(value)
        followed = _MORE_WORDS.match(text, end) is not None
    is_password = word.startswith(_PASSWORD_KEYS)
    prose = separator.group(1).strip() in ("is", "was")
    if prose and not is_password:
        return None
    if is_password:
        secret = looks_like_password(value, strong=followed or prose)
    else:
        secret = looks_random(value, min_length=16, min_entropy=3.2) and not followed
    if not secret or "://" in value:  # a URL is no password (url_password reads URLs)
        return None
    return Candidate(start, end, "password_assignment", value, value, 10)


Detector = Callable[[str, str], Iterator[Candidate]]
#: Every detector, in no particular order: findings are ordered by where they occur.
DETECTORS: tuple[Detector, ...] = (
    _private_keys,
    _aws,
    _azure,
    _prefixed,
    _intercom,
    _jwt,
    _bearer,
    _url_password,
    _assignments,
)
