"""Reading message params the way real peers send them.

Every helper either returns a clean Python value or raises `RemoteProtocolError`
(kind `INVALID_PARAMS`, or `INVALID_RESULT` when reading a response). Tolerances
are deliberate and each one is a sloppiness seen in the field: params missing or
sent as an object, numbers sent as strings, null for "not given".
"""

from __future__ import annotations

from string import hexdigits

from loka_stratum.protocol.errors import ProtocolErrorKind, RemoteProtocolError
from loka_stratum.protocol.wire import JsonValue, brief, is_positive_finite

_HEX_DIGITS = frozenset(hexdigits)
_MAX_PORT = 65535
_PARAMS = ProtocolErrorKind.INVALID_PARAMS
_MAX_DECIMAL_DIGITS = 18
"""Longer decimal strings are no port, size or id; int() refuses over 4300 digits anyway."""


def invalid(detail: str, kind: ProtocolErrorKind = _PARAMS) -> RemoteProtocolError:
    """The exception for unusable params; `raise invalid(...)` reads well at call sites."""
    return RemoteProtocolError(kind, detail)


def param_list(params: JsonValue, names: tuple[str, ...]) -> list[JsonValue]:
    """Params as a positional list.

    Missing or null params are an empty list. An object is read by name (JSON-RPC 2.0
    style) in the order of `names`, stopping at the first name absent. A bare scalar
    is a one-element list: some miners send `"params": 1024`.
    """
    if type(params) is list:
        return params
    if params is None:
        return []
    if isinstance(params, dict):
        values: list[JsonValue] = []
        for name in names:
            if name not in params:
                break
            values.append(params[name])
        return values
    return [params]


def trim_nulls(values: list[JsonValue]) -> list[JsonValue]:
    """Drop trailing nulls: old miners and pools read optional params by count."""
    while values and values[-1] is None:
        values.pop()
    return values


def at(params: list[JsonValue], index: int) -> JsonValue:
    """The param at `index`, or None when the peer sent fewer."""
    return params[index] if index < len(params) else None


def as_str(value: JsonValue, what: str) -> str:
    """A required string param."""
    if type(value) is not str:
        raise invalid(f"{what} must be a string, got {type(value).__name__}")
    return value


def as_optional_str(value: JsonValue, what: str) -> str | None:
    """An optional string param; null means not given."""
    return None if value is None else as_str(value, what)


def as_int(value: JsonValue, what: str, kind: ProtocolErrorKind = _PARAMS) -> int:
    """An integer param; a decimal string such as `"3333"` is accepted too."""
    if type(value) is int:
        return value
    if type(value) is str and is_small_decimal(value):
        return int(value)
    raise invalid(f"{what} must be an integer, got {brief(value)}", kind)


def is_small_decimal(text: str) -> bool:
    """A decimal string short enough to be a port, size or id (and for `int()` to accept)."""
    return 0 < len(text) <= _MAX_DECIMAL_DIGITS and text.isascii() and text.isdecimal()


def as_optional_int(value: JsonValue, what: str) -> int | None:
    """An optional integer param; null means not given."""
    return None if value is None else as_int(value, what)


def as_port(value: JsonValue, what: str) -> int | None:
    """An optional TCP port."""
    port = as_optional_int(value, what)
    if port is not None and not 0 <= port <= _MAX_PORT:
        raise invalid(f"{what} out of range: {port}")
    return port


def as_difficulty(value: JsonValue, what: str) -> float:
    """A positive finite number; `"1024"` and `"0.5"` as strings are accepted too."""
    if type(value) is int or type(value) is float:
        number = float(value)
    elif type(value) is str:
        try:
            number = float(value)
        except ValueError:
            raise invalid(f"{what} is not a number: {brief(value)}") from None
    else:
        raise invalid(f"{what} must be a number, got {type(value).__name__}")
    if not is_positive_finite(number):
        raise invalid(f"{what} must be positive and finite, got {brief(value)}")
    return number


def as_bool(value: JsonValue, what: str) -> bool:
    """A boolean; 0 and 1 are accepted because some pools send them."""
    if type(value) is bool:
        return value
    if type(value) is int and value in (0, 1):
        return value == 1
    raise invalid(f"{what} must be a boolean, got {brief(value)}")


def as_str_tuple(value: JsonValue, what: str) -> tuple[str, ...]:
    """A list of strings, such as a merkle branch or the BIP310 extension names."""
    if type(value) is not list:
        raise invalid(f"{what} must be a list, got {type(value).__name__}")
    return tuple(as_str(item, what) for item in value)


def as_mask(value: JsonValue, what: str, kind: ProtocolErrorKind) -> int:
    """A 32-bit version mask: hex of up to 8 digits, as BIP310 sends it."""
    if type(value) is str and 0 < len(value) <= 8 and _HEX_DIGITS.issuperset(value):
        return int(value, 16)
    raise invalid(f"{what} must be hex of at most 8 digits, got {brief(value)}", kind)


def as_hex_bytes(value: JsonValue, what: str, kind: ProtocolErrorKind) -> bytes:
    """Bytes from a hex string with no whitespace or prefix."""
    if type(value) is not str:
        raise invalid(f"{what} must be a hex string, got {type(value).__name__}", kind)
    text = value
    try:
        data = bytes.fromhex(text)
    except ValueError:
        raise invalid(f"{what} is not hex: {brief(text)}", kind) from None
    if len(data) * 2 != len(text):  # bytes.fromhex skips whitespace; the wire never has any
        raise invalid(f"{what} is not hex: {brief(text)}", kind)
    return data
