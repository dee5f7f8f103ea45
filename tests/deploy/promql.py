"""Just enough PromQL reading to say which metrics and labels an expression uses.

Not a parser: it removes what cannot be a metric name (strings, numbers, ranges,
grouping clauses, function calls, keywords) and reads the rest. That is all the
checks need: every metric name an alert or panel uses must exist in the registry,
and so must every label it selects or groups on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

_SELECTOR: Final = re.compile(r"([a-zA-Z_:][\w:]*)?\s*\{([^}]*)\}")
_MATCHER_KEY: Final = re.compile(r"([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)")
_STRING: Final = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'")
_RANGE: Final = re.compile(r"\[[^\]]*\]")
_GROUPING: Final = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
_NUMBER: Final = re.compile(r"(?<![\w:])\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_IDENTIFIER: Final = re.compile(r"[a-zA-Z_:][\w:]*")
_KEYWORDS: Final = frozenset({"and", "or", "unless", "bool", "offset", "inf", "nan"})


@dataclass(frozen=True, slots=True)
class Usage:
    metrics: frozenset[str]
    selected: frozenset[tuple[str, str]]
    """(metric, label) for every label matcher written after a metric name."""
    grouped: frozenset[str]
    """Labels named in by/without/on/ignoring/group_left/group_right."""


def usage(expr: str) -> Usage:
    selected = {
        (match.group(1), key)
        for match in _SELECTOR.finditer(expr)
        if match.group(1)
        for key in _MATCHER_KEY.findall(match.group(2))
    }
    text = _SELECTOR.sub(lambda match: f" {match.group(1) or ''} ", expr)
    text = _RANGE.sub(" ", _STRING.sub(" ", text))
    grouped = {
        label.strip() for clause in _GROUPING.findall(text) for label in clause.split(",")
    } - {""}
    text = _NUMBER.sub(" ", _GROUPING.sub(" ", text))
    metrics = {
        match.group(0)
        for match in _IDENTIFIER.finditer(text)
        if match.group(0).lower() not in _KEYWORDS and not _is_call(text, match.end())
    }
    return Usage(frozenset(metrics), frozenset(selected), frozenset(grouped))


def _is_call(text: str, end: int) -> bool:
    return text[end:].lstrip().startswith("(")
