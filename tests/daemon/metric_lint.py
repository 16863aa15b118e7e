"""Prometheus naming and exposition rules, checked on a scraped text exposition.

The rules are those of the Prometheus documentation's "Metric and label naming" and
"Instrumentation" pages and of ``promtool check metrics`` (which the tests also run where it is
installed): snake_case names, ``_total`` on counters only, base units (seconds, bytes) as the
name's suffix, one HELP and one TYPE per family, histograms whose ``le`` buckets ascend to
``+Inf`` with counts that never decrease and whose ``_count`` is the ``+Inf`` bucket.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict

__all__ = ["lint_exposition", "sample_names"]

_NAME = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)(?:\s+\S+)?$")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
#: Units that have a base unit Prometheus wants instead.
_NON_BASE_UNITS = (
    "milliseconds",
    "microseconds",
    "nanoseconds",
    "minutes",
    "hours",
    "days",
    "ms",
    "kilobytes",
    "megabytes",
    "gigabytes",
    "kb",
    "mb",
    "percent",
)
_SUFFIXES = {"histogram": ("_bucket", "_count", "_sum"), "summary": ("_count", "_sum")}


def sample_names(text: str) -> set[str]:
    """Every sample name in the exposition (``x_bucket``, ``x_total`` as written)."""
    names = set()
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if match and not line.startswith("#"):
            names.add(match.group(1))
    return names


def lint_exposition(text: str) -> list[str]:
    """Every rule the exposition breaks, one message each (empty when clean)."""
    problems: list[str] = []
    types: dict[str, str] = {}
    helps: set[str] = set()
    samples: list[tuple[str, dict[str, str], float]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            problems += _declaration(line, types, helps, number)
        elif line.strip() and not line.startswith("#"):
            match = _SAMPLE.match(line)
            if match is None:
                problems.append(f"line {number}: not a sample: {line!r}")
                continue
            labels = dict(_LABEL.findall(match.group(2) or ""))
            samples.append((match.group(1), labels, float(match.group(3))))
    for name, kind in types.items():
        problems += _name_rules(name, kind, helps)
    problems += _orphans(samples, types)
    problems += _histograms(samples, types)
    return problems


def _declaration(line: str, types: dict[str, str], helps: set[str], number: int) -> list[str]:
    parts = line.split(" ", 3)
    if len(parts) < 3:
        return [f"line {number}: truncated {parts[1]}"]
    keyword, name = parts[1], parts[2]
    if keyword == "HELP":
        if name in helps:
            return [f"{name}: HELP given twice"]
        helps.add(name)
        return [] if len(parts) == 4 and parts[3].strip() else [f"{name}: empty HELP"]
    if name in types:
        return [f"{name}: TYPE given twice"]
    types[name] = parts[3].strip() if len(parts) == 4 else ""
    return []


def _name_rules(name: str, kind: str, helps: set[str]) -> list[str]:
    problems = []
    if not _NAME.match(name):
        problems.append(f"{name}: not snake_case")
    if name not in helps:
        problems.append(f"{name}: no HELP")
    if kind == "counter" and not name.endswith("_total"):
        problems.append(f"{name}: a counter's name must end in _total")
    if kind != "counter" and name.endswith("_total"):
        problems.append(f"{name}: only counters end in _total ({kind})")
    words = name.split("_")
    for unit in _NON_BASE_UNITS:
        if unit in words:
            problems.append(f"{name}: {unit!r} is not a base unit (seconds, bytes, ratio)")
    if "timestamp" in words and not name.endswith("_timestamp_seconds"):
        problems.append(f"{name}: a timestamp is in seconds: end in _timestamp_seconds")
    timed = "duration" in words or "latency" in words
    if kind == "histogram" and timed and not name.endswith("_seconds"):
        problems.append(f"{name}: a duration histogram's unit is seconds")
    return problems


def _family(sample: str, types: dict[str, str]) -> str | None:
    if sample in types:
        return sample
    for suffix in ("_bucket", "_count", "_sum", "_created", "_info"):
        base = sample.removesuffix(suffix)
        if base != sample and base in types and suffix in _SUFFIXES.get(types[base], ()):
            return base
    return None


def _orphans(samples: list[tuple[str, dict[str, str], float]], types: dict[str, str]) -> list[str]:
    orphans = sorted({name for name, _, _ in samples if _family(name, types) is None})
    return [f"{name}: sample without a TYPE" for name in orphans]


def _histograms(
    samples: list[tuple[str, dict[str, str], float]], types: dict[str, str]
) -> list[str]:
    problems = []
    series: dict[tuple[str, tuple[tuple[str, str], ...]], dict[str, object]] = defaultdict(dict)
    for name, labels, value in samples:
        family = _family(name, types)
        if family is None or types[family] != "histogram":
            continue
        rest = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        entry = series[family, rest]
        if name.endswith("_bucket"):
            buckets = entry.setdefault("buckets", [])
            assert isinstance(buckets, list)
            buckets.append((labels.get("le", ""), value))
        else:
            entry[name.rsplit("_", 1)[1]] = value
    for (family, labels), entry in sorted(series.items()):
        where = f"{family}{dict(labels)}"
        buckets = entry.get("buckets", [])
        assert isinstance(buckets, list)
        problems += _bucket_rules(where, buckets, entry.get("count"), "sum" in entry)
    return problems


def _bucket_rules(
    where: str, buckets: list[tuple[str, float]], count: object, has_sum: bool
) -> list[str]:
    if not buckets or buckets[-1][0] != "+Inf":
        return [f'{where}: the last bucket must be le="+Inf"']
    problems = []
    bounds = [math.inf if le == "+Inf" else float(le) for le, _ in buckets]
    if bounds != sorted(set(bounds)):
        problems.append(f"{where}: le bounds must ascend without repeats: {bounds}")
    counts = [value for _, value in buckets]
    if counts != sorted(counts):
        problems.append(f"{where}: cumulative bucket counts decrease: {counts}")
    if count != counts[-1]:
        problems.append(f"{where}: _count {count} is not the +Inf bucket {counts[-1]}")
    if not has_sum:
        problems.append(f"{where}: no _sum")
    return problems
