"""Turning pydantic's validation errors into lines an operator can act on.

Each line names the full key path, the offending value (secrets masked) and
why, and, when the value came from the environment, which variable set it:

    server.port = 70000: Input should be less than or equal to 65535 (from LOKA_SERVER__PORT)
    server.prot: unknown key (did you mean 'port'?)
    stratum.min_difficulty = 2.0: must not exceed start_difficulty (1.0)
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from loka_stratum.config.database import MASK, mask_url_password
from loka_stratum.config.errors import render_value
from loka_stratum.config.schema import Location, field_kind, locate

_PREFIXES = ("Value error, ", "Assertion failed, ")


def describe_errors(
    root: type[BaseModel], exc: ValidationError, provenance: Mapping[str, str]
) -> list[str]:
    """One or more lines per error in ``exc``."""
    lines: list[str] = []
    for error in exc.errors():
        lines.extend(_describe(root, error, provenance))
    return lines


def key_path(loc: tuple[int | str, ...]) -> str:
    """``("server", "ports", 0, "port")`` -> ``server.ports[0].port``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text


def _describe(
    root: type[BaseModel], error: ErrorDetails, provenance: Mapping[str, str]
) -> list[str]:
    loc = error["loc"]
    where = locate(root, loc)
    path = key_path(loc)
    message = _strip(error["msg"])
    origin = _origin(where, provenance)
    if error["type"] == "extra_forbidden":
        return [f"{path}: unknown key{_suggest(where)}{origin}"]
    if error["type"] == "missing":
        return [f"{path}: required key missing{origin}"]
    if error["type"] == "value_error" and where.model is not None:
        prefix = f"{path}." if path else ""
        return [f"{prefix}{line}{origin}" for line in message.splitlines()]
    return [f"{path} = {_value(where, error['input'])}: {message}{origin}"]


def _strip(message: str) -> str:
    for prefix in _PREFIXES:
        message = message.removeprefix(prefix)
    return message


def _origin(where: Location, provenance: Mapping[str, str]) -> str:
    source = provenance.get(where.leaf_key or "", "")
    return f" (from {source.removeprefix('env:')})" if source.startswith("env:") else ""


def _suggest(where: Location) -> str:
    if where.model is None or where.unknown is None:
        return ""
    close = difflib.get_close_matches(where.unknown, list(where.model.model_fields), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _value(where: Location, value: object) -> str:
    kind = field_kind(where.field) if where.field is not None else "plain"
    if kind == "secret" and value is not None:
        return f'"{MASK}"'
    if kind == "secret_url" and isinstance(value, str):
        value = mask_url_password(value)
    if isinstance(value, dict | list):
        return type(value).__name__
    return render_value(value)
