"""Value types for settings: durations, byte sizes and the BIP320 version mask.

Operators write ``"30s"`` and ``"64KiB"``; the program wants float seconds and
int bytes. Each type here parses the human form once, at load time, and carries
a marker in its ``Annotated`` metadata so that ``config generate`` and
``config show`` can print the value back in the same human form.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Final

from pydantic import BeforeValidator, Field

DURATION_UNITS: Final = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
BYTE_UNITS: Final = {
    "b": 1,
    "kb": 1000,
    "kib": 1024,
    "mb": 1000**2,
    "mib": 1024**2,
    "gb": 1000**3,
    "gib": 1024**3,
}
BIP320_MASK: Final = 0x1FFFE000
"""The version bits BIP320 leaves to miners (bits 13-28); a mask may only use these."""

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_BYTES = re.compile(r"(\d+)\s*([a-z]*)")


class Kind:
    """Marker placed in a field's metadata: how to print its value back."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Kind({self.name!r})"


DURATION_KIND: Final = Kind("duration")
BYTES_KIND: Final = Kind("bytes")
MASK_KIND: Final = Kind("mask")
SECRET_URL_KIND: Final = Kind("secret_url")
"""A URL whose password part is a secret (the database URL)."""


def _reject_bool(value: object, what: str) -> None:
    if isinstance(value, bool):
        raise ValueError(f"expected {what}, got a boolean")


def parse_duration(value: object) -> float:
    """Seconds from a number or ``"500ms"``, ``"30s"``, ``"1m"``, ``"1h30m"``, ``"2d"``."""
    _reject_bool(value, "a duration")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        seconds = _parse_duration_text(value.strip().lower())
    else:
        raise ValueError(f"expected a duration such as '30s', got {type(value).__name__}")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError("a duration must be a finite number of seconds >= 0")
    return seconds


def _parse_duration_text(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        pass
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        raise ValueError(
            f"invalid duration {text!r}: use a number of seconds or units ms, s, m, h, d "
            "(e.g. '500ms', '30s', '10m', '1h30m')"
        )
    return sum(float(number) * DURATION_UNITS[unit] for number, unit in parts)


def format_duration(seconds: float) -> str | float:
    """The shortest exact human form of a duration; a float when no unit fits exactly."""
    millis = round(seconds * 1000)
    if not math.isclose(millis / 1000, seconds, rel_tol=0, abs_tol=1e-9):
        return seconds
    if millis == 0:
        return "0s"
    for unit in ("d", "h", "m", "s"):
        size = round(DURATION_UNITS[unit] * 1000)
        if millis % size == 0:
            return f"{millis // size}{unit}"
    return f"{millis}ms"


def parse_byte_size(value: object) -> int:
    """Bytes from an integer or ``"16384"``, ``"64KiB"``, ``"1MB"`` (KB = 1000, KiB = 1024)."""
    _reject_bool(value, "a byte size")
    if isinstance(value, int):
        size = value
    elif isinstance(value, str):
        match = _BYTES.fullmatch(value.strip().lower())
        if match is None or match.group(2) not in {"", *BYTE_UNITS}:
            raise ValueError(f"invalid byte size {value!r}: use e.g. 16384, '64KiB' or '1MB'")
        size = int(match.group(1)) * BYTE_UNITS.get(match.group(2), 1)
    else:
        raise ValueError(f"expected a byte size such as '64KiB', got {type(value).__name__}")
    if size < 0:
        raise ValueError("a byte size must be >= 0")
    return size


def format_byte_size(size: int) -> str | int:
    """``65536 -> "64KiB"``; sizes that are not whole KiB/MiB/GiB stay plain integers."""
    for unit in ("GiB", "MiB", "KiB"):
        scale = BYTE_UNITS[unit.lower()]
        if size and size % scale == 0:
            return f"{size // scale}{unit}"
    return size


def parse_version_mask(value: object) -> int:
    """The version-rolling mask from hex text (``"1fffe000"``, ``"0x1fffe000"``) or an int."""
    _reject_bool(value, "a version mask")
    if isinstance(value, str):
        try:
            mask = int(value.strip().lower().removeprefix("0x"), 16)
        except ValueError:
            raise ValueError(
                f"invalid version mask {value!r}: expected hex such as '1fffe000'"
            ) from None
    elif isinstance(value, int):
        mask = value
    else:
        raise ValueError(f"expected a hex version mask, got {type(value).__name__}")
    if mask & ~BIP320_MASK:
        raise ValueError(f"version mask {mask:08x} uses bits outside BIP320's {BIP320_MASK:08x}")
    return mask


def format_version_mask(mask: int) -> str:
    return f"{mask:08x}"


Duration = Annotated[float, BeforeValidator(parse_duration), DURATION_KIND]
"""Float seconds, written as ``"30s"``-style text or a number of seconds."""
PositiveDuration = Annotated[Duration, Field(gt=0)]
ByteSize = Annotated[int, BeforeValidator(parse_byte_size), BYTES_KIND]
"""Int bytes, written as ``"64KiB"``-style text or an integer."""
VersionMask = Annotated[int, BeforeValidator(parse_version_mask), MASK_KIND]
"""BIP320 version-rolling mask, written as hex text."""
Port = Annotated[int, Field(ge=0, le=65535)]
"""A TCP port; 0 asks the OS for a free one (tests)."""
