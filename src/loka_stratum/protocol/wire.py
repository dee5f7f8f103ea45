"""JSON value types and number formatting shared by every message of the wire."""

from __future__ import annotations

import math
import reprlib
from typing import TypeAlias

from loka_stratum.protocol.errors import LocalProtocolError

JsonValue: TypeAlias = "bool | int | float | str | list[JsonValue] | dict[str, JsonValue] | None"
"""Any value orjson can produce from the wire; ids are of this type (miners send all kinds)."""

_MAX_WIRE_INT = 2**63
"""orjson encodes integers up to 64 bits; integral floats beyond stay floats (exponent form)."""


def difficulty_number(value: float) -> int | float:
    """The JSON number to write for a difficulty: integral values as integers, others as decimals.

    Real pools send `1024` and `0.001`; some miners choke on `1024.0`. orjson writes
    floats in shortest round-trip form, so parsing the result gives back `value` exactly.
    A difficulty that is not positive and finite is the caller's bug.
    """
    number = float(value)  # callers may pass an int where a float is declared
    if not is_positive_finite(number):
        raise LocalProtocolError(f"difficulty must be positive and finite, got {value!r}")
    if number.is_integer() and -_MAX_WIRE_INT < number < _MAX_WIRE_INT:
        return int(number)
    return number


def is_positive_finite(value: float) -> bool:
    """True for the numbers a difficulty can be: finite and greater than zero."""
    return value > 0 and math.isfinite(value)


_BRIEF = reprlib.Repr()
_BRIEF.maxstring = _BRIEF.maxother = 60


def brief(value: object) -> str:
    """A short repr of a peer's value for error details: bounded in length and depth."""
    return _BRIEF.repr(value)
