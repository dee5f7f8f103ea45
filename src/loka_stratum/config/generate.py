"""``config generate``: a commented example that loads as it is and shows every key.

Each key is preceded by its field description and set to its default; keys
with no default are shown commented out with an example value. Arrays of
tables (extra ports, upstreams) are shown as commented examples, each block
introduced by ``EXAMPLE_MARKER`` so that uncommenting it is all it takes.
"""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from loka_stratum.config.render import (
    comment,
    section_summary,
    sections,
    table_lines,
    toml_line,
    toml_value,
)
from loka_stratum.config.schema import field_kind, item_model
from loka_stratum.config.settings import Settings

EXAMPLE_MARKER: Final = "# Example (uncomment to use):"
TABLE_EXAMPLES: Final[dict[str, tuple[dict[str, object], ...]]] = {
    "server.ports": (
        {"port": 3334, "start_difficulty": 0.001, "name": "cpu"},
        {"port": 3335, "start_difficulty": 64.0, "name": "small"},
        {"port": 3336, "start_difficulty": 65536.0, "name": "asic"},
        {"port": 3337, "start_difficulty": 1048576.0, "name": "rental"},
    ),
    "pool.upstreams": (
        {
            "name": "primary",
            "url": "stratum+tcp://pool.example.com:3333",
            "username": "myaccount",
            "password": "x",
        },
        {"name": "backup", "url": "stratum+ssl://[2001:db8::1]:443", "priority": 1},
    ),
    "federation.peers": (
        {"name": "node-2", "url": "pool-b.example.com:4444"},
        {"name": "node-3", "url": "[2001:db8::3]:4444"},
    ),
}
HEADER: Final = """\
# loka-stratum configuration, written by `loka-stratum config generate`.
# Every key is shown with its default. Durations: "500ms", "30s", "10m", "1h", "2d" or a number
# of seconds. Sizes: 16384, "64KiB", "1MB". Any key can be overridden from the environment as
# LOKA_<SECTION>__<KEY> (e.g. LOKA_SERVER__PORT=3334); `loka-stratum config show` tells which
# value came from where."""


def generate_config() -> str:
    """The commented example configuration as TOML text."""
    defaults = Settings()
    lines = [HEADER]
    section_names = {name for name, _ in sections(Settings)}
    for name, info in Settings.model_fields.items():
        if name not in section_names:
            lines += ["", *_key_lines(name, info, getattr(defaults, name))]
    for name, section in sections(Settings):
        lines += ["", "", *comment(section_summary(section)), f"[{name}]"]
        lines += _section_lines(name, section, getattr(defaults, name))
    return "\n".join(lines) + "\n"


def _section_lines(name: str, model: type[BaseModel], values: BaseModel) -> list[str]:
    """Scalar keys first, then the array-of-tables examples (TOML needs that order)."""
    scalars: list[list[str]] = []
    tables: list[list[str]] = []
    for key, info in model.model_fields.items():
        item = item_model(info.annotation)
        if item is None:
            scalars.append(_key_lines(key, info, getattr(values, key)))
        else:
            tables.append(_table_example(f"{name}.{key}", info, item))
    blocks = scalars + tables
    return [line for block in blocks for line in ["", *block]][1:]


def _key_lines(key: str, info: FieldInfo, value: object) -> list[str]:
    lines = comment(info.description or key)
    if value is None:
        example = info.examples[0] if info.examples else ""
        return [*lines, "# " + toml_line(key, example)]
    return [*lines, toml_line(key, toml_value(field_kind(info), value, mask=False))]


def _table_example(key: str, info: FieldInfo, item: type[BaseModel]) -> list[str]:
    lines = comment(info.description or key)
    lines.append(f"# Each [[{key}]] entry has:")
    for name, field in item.model_fields.items():
        lines += comment(f"{name}{_default_note(field)}: {field.description}", indent="  ")
    lines.append(EXAMPLE_MARKER)
    for example in TABLE_EXAMPLES[key]:
        entry = item.model_validate(example)
        lines += ["#", f"# [[{key}]]", *("# " + line for line in table_lines(entry, mask=False))]
    return lines


def _default_note(field: FieldInfo) -> str:
    if field.is_required():
        return " (required)"
    if field.default is None:
        return " (optional)"
    return f" (default {toml_line('x', field.default).removeprefix('x = ')})"
