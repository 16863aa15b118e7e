"""Tests on a candidate value: placeholders, known public examples, randomness, masking.

Pure functions used by :mod:`ingestor.gate._secret_patterns`. The placeholder rules are what
keeps documentation ("set ``password: <your password>``") from being held; they are listed
in docs/secrets.md.
"""

from __future__ import annotations

import math
import re
from collections import Counter

__all__ = [
    "PUBLIC_EXAMPLES",
    "is_placeholder",
    "is_placeholder_token",
    "looks_like_password",
    "looks_random",
    "mask",
    "shannon_entropy",
]

#: A value that *is* one of these words (case and separators ignored) documents a setting.
_PLACEHOLDER_WORDS = frozenset(
    {
        "password", "passwd", "pass", "pwd", "secret", "token", "apikey", "key", "value",
        "changeme", "changeit", "none", "null", "nil", "true", "false", "required",
        "optional", "string", "str", "empty", "redacted", "hidden", "masked", "removed",
        "notset", "unset", "default", "todo", "tbd", "foo", "bar", "foobar", "test",
        "example", "sample", "dummy", "placeholder", "mypassword", "yourpassword",
        "secretpassword", "mysecret", "yoursecret", "yourtoken", "mytoken", "env",
        "undefined", "omitted", "see", "same",
    }
)  # fmt: skip
#: Credentials printed in public documentation, copied into countless tutorials: RFC 6749's
#: OAuth access and refresh tokens, Stripe's documentation test keys.
PUBLIC_EXAMPLES = frozenset(
    {
        "2YotnFZFEjr1zCsicMWpAA",
        "tGzv3JOkF0XG5Qx2TlKWIA",
        "sk_" + "test_4eC39HqLyjWDarjtT1zdp7dc",
        "sk_" + "test_BQokikJOvBiI2HlWgH4olfQ2",
    }
)
#: A value *containing* one of these is an example, not a credential.
_PLACEHOLDER_PARTS = re.compile(
    r"your|example|sample|dummy|placeholder|redacted|changeme|change_me|change-me|"
    r"replace|insert|xxx|\*\*\*|\.\.\.|…|fake|not[-_]?a[-_]?real|lorem|ipsum",
    re.IGNORECASE,
)
#: Template and variable syntaxes: ``<pw>``, ``${VAR}``, ``$VAR``, ``{{ var }}``, ``%VAR%``,
#: ``%(name)s``, ``[secret]``, ``{secret}``, ``os.environ[...]``, ``getenv(...)``; YAML tags
#: and aliases (``!vault``, ``*db_password``) and encrypted values (``ENC[...]``).
_TEMPLATE = re.compile(
    r"^(?:<.*>|\[.*\]|\{.*\}|\(.*\)|\$\S*|%\S+%|%\(\w+\)s|@\w+@|:\w+|[!*&][\w.-]+)$"
    r"|\$\{|\{\{|\{%|os\.environ|getenv|process\.env|ENV\[|ENC\[|\(\)",
    re.IGNORECASE,
)
#: ``DB_PASSWORD`` (an environment variable's name) and ``settings.db.password`` (code).
_IDENTIFIER = re.compile(r"^(?:[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[a-z_]\w*(?:\.[a-z_]\w*)+)$")
#: Lower-case words joined by ``_``, ``-`` or ``.``, maybe numbered: a name, not a random
#: token (``production_key_2``, ``session-identifier``); a UUID or hex token starts otherwise.
_WORDS = re.compile(r"^[a-z]+(?:[_.-][a-z]+)*(?:[_.-]?[0-9]+)?$")
_DIGIT = re.compile(r"\d")
_LETTER = re.compile(r"[A-Za-z]")
_SYMBOL = re.compile(r"[!@#$%^&*+=?~/\\|§€£]")


def _normalized(value: str) -> str:
    return re.sub(r"[\s_\-.]", "", value).lower()


def is_placeholder(value: str) -> bool:
    """Whether ``value`` is a stand-in a writer put where the real secret goes."""
    stripped = value.strip().strip("\"'`")
    if len(stripped) < 3:
        return True
    if len(set(stripped.lower())) <= 2:  # xxxxxx, ******, 000000, abab
        return True
    if _normalized(stripped) in _PLACEHOLDER_WORDS:
        return True
    if _TEMPLATE.search(stripped) or _IDENTIFIER.match(stripped):
        return True
    return bool(_PLACEHOLDER_PARTS.search(stripped))


#: Markers of an example in a machine-made token, matched with their case: a random token
#: of 100 characters holds a case-insensitive "xxx" about once in 300 draws, these about
#: once in 10,000.
_TOKEN_PLACEHOLDER_PARTS = re.compile(
    r"xxxx|XXXX|EXAMPLE|[Ee]xample|[Yy]our|YOUR|[Pp]laceholder|PLACEHOLDER|[Dd]ummy|DUMMY|"
    r"[Rr]edacted|REDACTED|[Ss]ample|SAMPLE|[Cc]hangeme|CHANGEME|\.\.\.|…|\*\*\*"
)


def is_placeholder_token(value: str) -> bool:
    """:func:`is_placeholder` for a token-shaped value, whose random characters may spell
    a short word by chance: the example markers must keep their case."""
    if len(set(value.lower())) <= 2 or _TEMPLATE.search(value) or _IDENTIFIER.match(value):
        return True
    return bool(_TOKEN_PLACEHOLDER_PARTS.search(value))


def looks_like_password(value: str, *, strong: bool = False) -> bool:
    """Whether a value assigned to a password key is a plausible password, not prose.

    A plausible password has 6 to 128 characters and letters with digits, or a symbol, or
    an upper-case letter after the first character (``hunter2``, ``Tr0ub4dor&3``,
    ``sunFlower``); ``strong`` (used when words follow the value, as in prose) asks for 8
    characters with letters and digits, or a symbol.
    """
    if not 6 <= len(value) <= 128 or is_placeholder(value):
        return False
    has_letter_digit = bool(_LETTER.search(value) and _DIGIT.search(value))
    has_symbol = bool(_SYMBOL.search(value))
    if strong:
        return len(value) >= 8 and (has_letter_digit or has_symbol)
    inner_upper = any(c.isupper() for c in value[1:]) and any(c.islower() for c in value)
    return has_letter_digit or has_symbol or inner_upper


def shannon_entropy(value: str) -> float:
    """Bits per character of ``value`` (0 for an empty string)."""
    if not value:
        return 0.0
    counts = Counter(value)
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def looks_random(value: str, *, min_length: int = 16, min_entropy: float = 3.0) -> bool:
    """Whether a token-shaped value is machine-made: long, letters and digits, high entropy.

    Keeps ``api_key: production_key_2`` and ``token = session_identifier_2`` out while a
    random 16-character key (about 3.5-4 bits a character) passes.
    """
    if len(value) < min_length or is_placeholder_token(value) or _WORDS.match(value):
        return False
    if not (_LETTER.search(value) and _DIGIT.search(value)):
        return False
    return shannon_entropy(value) >= min_entropy


def mask(value: str) -> str:
    """A few leading characters, then an ellipsis: at most 6 and at most a fifth of them."""
    keep = min(6, len(value) // 5)
    return value[:keep] + "…"
