"""What a valid config may still get wrong, for ``ingestor validate`` to warn about: two
connectors reading the same files (every page would be published twice), and a source url
that newer Intercom API versions refuse (Intercom's API reference, version 2.17, Content Import
Sources: the url "must be an
http or https URL whose host is a valid public domain name")."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from urllib.parse import urlsplit

from ingestor.config._models import Config
from ingestor.errors import ConfigError, ConfigIssue

__all__ = ["config_warnings", "validation_warnings"]

#: Top-level names no public domain ends with (RFC 2606, RFC 6761, RFC 6762, ICANN's .internal,
#: and the home-network ones routers hand out).
_PRIVATE_TLDS = frozenset(
    {
        "example",
        "invalid",
        "localhost",
        "test",
        "local",
        "internal",
        "lan",
        "home",
        "corp",
        "intranet",
        "localdomain",
        "home.arpa",
        "arpa",
    }
)
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def config_warnings(config: Config, filename: str | None = None) -> list[ConfigIssue]:
    """Overlapping local sources and source urls that are not on a public domain name."""
    return [*_overlaps(config, filename), *_urls(config, filename)]


def _overlaps(config: Config, filename: str | None) -> list[ConfigIssue]:
    found: list[ConfigIssue] = []
    sources = [
        (index, c.name, source)
        for index, c in enumerate(config.connectors)
        if (source := c.local_source()) is not None
    ]
    for position, (index, name, path) in enumerate(sources):
        for _other_index, other, other_path in sources[:position]:
            if _within(path, other_path) or _within(other_path, path):
                found.append(
                    ConfigIssue(
                        f"connectors[{index}]",
                        f"{name} and {other} read the same files ({path} / {other_path}): "
                        "every page they share is published twice; narrow one with exclude",
                        file=filename,
                    )
                )
    return found


def _within(inner: Path, outer: Path) -> bool:
    try:
        inner.resolve().relative_to(outer.resolve())
    except ValueError:
        return False
    return True


def _urls(config: Config, filename: str | None) -> list[ConfigIssue]:
    found = []
    for index, connector in enumerate(config.connectors):
        reason = _not_public(connector.url)
        if reason is not None:
            found.append(
                ConfigIssue(
                    f"connectors[{index}].url",
                    f"{connector.url}: {reason}; Intercom's newer API versions refuse such a "
                    "source url. It is what Fin cites to customers (it need not be reachable "
                    "by Intercom): prefer your public help site's domain",
                    file=filename,
                )
            )
    return found


def _not_public(url: str) -> str | None:
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if not host:
        return "no host name"
    try:
        ipaddress.ip_address(host)
        return "an IP address, not a domain name"
    except ValueError:
        pass
    labels = host.split(".")
    if len(labels) < 2:
        return "a single-label host name"
    if labels[-1] in _PRIVATE_TLDS or ".".join(labels[-2:]) in _PRIVATE_TLDS:
        return f"the .{labels[-1]} domain is not public"
    if not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        return "not a valid domain name"
    return None


def validation_warnings(loaded: Config, config: Path) -> list[ConfigIssue]:
    """Everything ``validate`` warns about: each connector's source problems (a share not
    mounted yet), then :func:`config_warnings`.

    Raises:
        ConfigError: The state database's location is unusable (always an error).
    """
    from state import location_problem

    problem = location_problem(loaded.state.path)
    if problem is not None:
        raise ConfigError([ConfigIssue("state.path", problem, file=str(config))])
    return [
        ConfigIssue(
            f"connectors[{index}].{text.split(':', 1)[0]}", text.split(": ", 1)[1], file=str(config)
        )
        for index, settings in enumerate(loaded.connectors)
        for text in settings.source_problems()
    ] + config_warnings(loaded, str(config))
