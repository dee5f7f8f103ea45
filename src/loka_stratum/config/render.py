"""Settings values back into TOML text, in the human forms operators write."""

from __future__ import annotations

import ipaddress
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import tomli_w
from pydantic import BaseModel, SecretStr

from loka_stratum.config.database import MASK, mask_url_password
from loka_stratum.config.schema import field_kind, section_model
from loka_stratum.config.types import format_byte_size, format_duration, format_version_mask

COMMENT_WIDTH: Final = 98
_AS_TEXT = (Path, ipaddress.IPv4Network, ipaddress.IPv6Network)


def toml_value(kind: str, value: object, *, mask: bool) -> object:
    """``value`` as a TOML-native value; with ``mask``, secrets become ``********``."""
    if isinstance(value, SecretStr):
        return MASK if mask else value.get_secret_value()
    if isinstance(value, tuple | list):
        return [toml_value(kind, item, mask=mask) for item in value]
    if isinstance(value, BaseModel):
        return model_table(value, mask=mask)
    if kind == "duration" and isinstance(value, float):
        return format_duration(value)
    if kind == "bytes" and isinstance(value, int):
        return format_byte_size(value)
    if kind == "mask" and isinstance(value, int):
        return format_version_mask(value)
    if kind == "secret_url" and isinstance(value, str) and mask:
        return mask_url_password(value)
    if isinstance(value, _AS_TEXT):
        return str(value)
    return value


def model_table(model: BaseModel, *, mask: bool) -> dict[str, object]:
    """A model's set (non-None) fields as a TOML table."""
    return {
        name: toml_value(field_kind(info), getattr(model, name), mask=mask)
        for name, info in type(model).model_fields.items()
        if getattr(model, name) is not None
    }


def toml_line(key: str, value: object) -> str:
    """``key = value`` in TOML syntax, for a scalar or a list of scalars."""
    return tomli_w.dumps({key: value}).rstrip("\n")


def table_lines(model: BaseModel, *, mask: bool) -> Iterator[str]:
    for key, value in model_table(model, mask=mask).items():
        yield toml_line(key, value)


def comment(text: str, indent: str = "") -> list[str]:
    """``text`` wrapped as ``#`` comment lines."""
    return textwrap.wrap(
        " ".join(text.split()),
        width=COMMENT_WIDTH,
        initial_indent=f"# {indent}",
        subsequent_indent=f"# {indent}  " if indent else "# ",
    )


def section_summary(model: type[BaseModel]) -> str:
    """First paragraph of a section model's docstring."""
    return (model.__doc__ or model.__name__).strip().split("\n\n")[0]


def sections(root: type[BaseModel]) -> Iterator[tuple[str, type[BaseModel]]]:
    for name, info in root.model_fields.items():
        section = section_model(info.annotation)
        if section is not None:
            yield name, section
