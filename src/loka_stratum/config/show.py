"""``config show``: the effective configuration, secrets masked, each key with its source.

The output is TOML (unset keys appear as comments), so it can be read back;
masked secrets read back as the literal ``********`` and must be replaced
before such a copy is used.
"""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel

from loka_stratum.config.loader import LoadedConfig
from loka_stratum.config.render import sections, table_lines, toml_line, toml_value
from loka_stratum.config.schema import field_kind, item_model
from loka_stratum.config.settings import Settings

SOURCE_COLUMN: Final = 48
"""Trailing source comments line up at this column (longer lines push theirs right)."""


def show_config(loaded: LoadedConfig) -> str:
    """The effective settings as TOML text with ``# default|file|env:NAME`` per key."""
    origin = f"file {loaded.path}" if loaded.path is not None else "no file, defaults"
    lines = [
        f"# Effective loka-stratum configuration ({origin} and environment).",
        "# Secrets are shown as ********. The comment on each key says where its value came from.",
        "",
    ]
    settings = loaded.settings
    section_names = {name for name, _ in sections(Settings)}
    for name, info in Settings.model_fields.items():
        if name not in section_names:
            shown = toml_value(field_kind(info), getattr(settings, name), mask=True)
            lines.append(_key_line(loaded, name, name, shown))
    for name, _section in sections(Settings):
        lines += ["", f"[{name}]", *_section_lines(loaded, name, getattr(settings, name))]
    return "\n".join(lines) + "\n"


def _section_lines(loaded: LoadedConfig, section: str, values: BaseModel) -> list[str]:
    scalars: list[str] = []
    tables: list[str] = []
    for key, info in type(values).model_fields.items():
        value = getattr(values, key)
        dotted = f"{section}.{key}"
        if item_model(info.annotation) is not None and value:
            tables += _table_lines(loaded, dotted, value)
        else:
            shown = toml_value(field_kind(info), value, mask=True)
            scalars.append(_key_line(loaded, dotted, key, shown))
    return scalars + tables


def _key_line(loaded: LoadedConfig, dotted: str, key: str, value: object) -> str:
    text = f"# {key}: unset" if value is None else toml_line(key, value)
    return f"{text.ljust(SOURCE_COLUMN)}  # {loaded.provenance[dotted]}"


def _table_lines(loaded: LoadedConfig, dotted: str, items: tuple[BaseModel, ...]) -> list[str]:
    lines: list[str] = []
    for item in items:
        header = f"[[{dotted}]]".ljust(SOURCE_COLUMN)
        lines += ["", f"{header}  # {loaded.provenance[dotted]}"]
        lines += list(table_lines(item, mask=True))
    return lines
