"""Walking the settings models: keys, their env names and how their values print.

The loader, ``config generate`` and ``config show`` all need the same view of
the model tree: sections (nested models), leaves (everything else, including
arrays of tables such as ``[[server.ports]]``), and each leaf's kind. It is
derived from the pydantic models here, so a field added to a model is known to
env overrides, generation and display without touching them.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Union, get_args, get_origin

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from loka_stratum.config.types import Kind

ENV_PREFIX = "LOKA_"
ENV_SEPARATOR = "__"


def section_model(annotation: object) -> type[BaseModel] | None:
    """The model class if ``annotation`` is a nested section, else None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def item_model(annotation: object) -> type[BaseModel] | None:
    """The item model of an array of tables (``tuple[ExtraPort, ...]``), else None."""
    if is_sequence(annotation):
        args = [arg for arg in get_args(annotation) if arg is not Ellipsis]
        return section_model(args[0]) if args else None
    return None


def is_sequence(annotation: object) -> bool:
    return get_origin(annotation) in (list, tuple)


def allows_none(annotation: object) -> bool:
    return get_origin(annotation) in (Union, types.UnionType) and type(None) in get_args(annotation)


@dataclass(frozen=True, slots=True)
class Leaf:
    """A settable key: a scalar, a list of scalars, or an array of tables."""

    path: tuple[str, ...]
    info: FieldInfo

    @property
    def dotted(self) -> str:
        return ".".join(self.path)

    @property
    def env_name(self) -> str:
        return ENV_PREFIX + ENV_SEPARATOR.join(part.upper() for part in self.path)


def field_kind(info: FieldInfo) -> str:
    """``duration``, ``bytes``, ``mask``, ``secret_url``, ``secret`` or ``plain``."""
    for item in info.metadata:
        if isinstance(item, Kind):
            return item.name
    annotation = info.annotation
    if annotation is SecretStr or SecretStr in get_args(annotation):
        return "secret"
    return "plain"


def iter_leaves(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> Iterator[Leaf]:
    """Every leaf under ``model``, depth first, in declaration order."""
    for name, info in model.model_fields.items():
        section = section_model(info.annotation)
        if section is None:
            yield Leaf((*prefix, name), info)
        else:
            yield from iter_leaves(section, (*prefix, name))


@dataclass(frozen=True, slots=True)
class Location:
    """What a validation error's ``loc`` points at."""

    model: type[BaseModel] | None
    """The model the location ends on (a section, a table item or the root), if any."""
    field: FieldInfo | None
    """The last field on the way, if the location ends on one."""
    leaf_key: str | None
    """Dotted key of the outermost leaf on the way: where provenance is recorded."""
    unknown: str | None = None
    """A name the model at that point does not have."""


def locate(root: type[BaseModel], loc: tuple[int | str, ...]) -> Location:
    """Follow an error location through sections, arrays of tables and fields."""
    model: type[BaseModel] | None = root
    field: FieldInfo | None = None
    names: list[str] = []
    leaf_key: str | None = None
    for part in loc:
        if isinstance(part, int):
            model = item_model(field.annotation) if field is not None else None
            field = None
            continue
        if model is None:
            break
        info = model.model_fields.get(part)
        if info is None:
            return Location(model, None, leaf_key, unknown=part)
        names.append(part)
        field = info
        model = section_model(info.annotation)
        if model is None and leaf_key is None:
            leaf_key = ".".join(names)
    return Location(model, field, leaf_key)
