"""Environment overrides: ``LOKA_<SECTION>__<KEY>`` and the conventional aliases.

Precedence, lowest first: the file, then ``RUST_LOG``, ``LOKA_LOG`` (both set
``logging.filter``) and ``DATABASE_URL`` (``database.url``), then any
``LOKA_<SECTION>__<KEY>``. So ``LOKA_DATABASE__URL`` wins over
``DATABASE_URL``. Names are matched case-insensitively after ``LOKA_``; an
empty value of an optional key unsets it. Values stay text here (JSON is
decoded for lists) and are parsed by the field's own type during validation,
so ``"30s"``, ``"true"`` and ``"3334"`` mean what they mean in the file.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from loka_stratum.config.schema import ENV_PREFIX, ENV_SEPARATOR, Leaf, allows_none, is_sequence

NON_CONFIG_ENV: Final = frozenset({"LOKA_CONFIG", "LOKA_LOG"})
"""``LOKA_`` variables that are not ``<SECTION>__<KEY>`` names (config path, log filter)."""
ENV_ALIASES: Final = (
    ("RUST_LOG", ("logging", "filter")),
    ("LOKA_LOG", ("logging", "filter")),
    ("DATABASE_URL", ("database", "url")),
)
"""Conventional variables and the key each sets, lowest precedence first."""


@dataclass(slots=True)
class EnvOverrides:
    """What the environment sets: values by key path, which variable set each, and problems."""

    values: dict[tuple[str, ...], object] = field(default_factory=dict)
    sources: dict[tuple[str, ...], str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def read_env_overrides(env: Mapping[str, str], leaves: Mapping[str, Leaf]) -> EnvOverrides:
    """Collect overrides from ``env``; ``leaves`` maps each key's env name to its leaf."""
    found = EnvOverrides()
    by_path = {leaf.path: leaf for leaf in leaves.values()}
    for name, path in ENV_ALIASES:
        if env.get(name):
            _set(found, name, by_path[path], env[name])
    seen: dict[str, str] = {}
    for name in sorted(env):
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or upper in NON_CONFIG_ENV:
            continue
        leaf = leaves.get(upper)
        if leaf is None:
            found.problems.append(_unknown(name, upper, leaves))
        elif upper in seen:
            found.problems.append(f"{name}: set twice (also as {seen[upper]})")
        else:
            seen[upper] = name
            _set(found, name, leaf, env[name])
    return found


def _set(found: EnvOverrides, name: str, leaf: Leaf, raw: str) -> None:
    annotation = leaf.info.annotation
    if raw == "" and allows_none(annotation):
        value: object = None
    elif is_sequence(annotation):
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            found.problems.append(f"{name}: not a JSON list ({exc.msg} at char {exc.pos})")
            return
    else:
        value = raw
    found.values[leaf.path] = value
    found.sources[leaf.path] = name


def _unknown(name: str, upper: str, leaves: Mapping[str, Leaf]) -> str:
    sections = {leaf.path[0] for leaf in leaves.values() if len(leaf.path) > 1}
    section = upper.removeprefix(ENV_PREFIX).lower()
    if section in sections:
        return f"{name}: names the [{section}] section; set its keys as {upper}{ENV_SEPARATOR}<KEY>"
    close = difflib.get_close_matches(upper, list(leaves), n=1, cutoff=0.75)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"{name}: unknown setting{hint}"
