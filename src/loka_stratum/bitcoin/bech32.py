"""Bech32 (BIP173) and Bech32m (BIP350) strings and segwit address payloads.

Witness version 0 must use Bech32 and versions 1..16 Bech32m; the two
differ only in the checksum constant, so a wrong variant is reported as
such rather than as a generic checksum failure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import IntEnum

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_CHARSET_INDEX = {char: value for value, char in enumerate(CHARSET)}
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
MAX_LENGTH = 90
_CHECKSUM_LENGTH = 6


class Encoding(IntEnum):
    """The checksum variant; its value is the polymod constant."""

    BECH32 = 1
    BECH32M = 0x2BC830A3


class Bech32Error(ValueError):
    """A string that is not valid Bech32/Bech32m or not a valid segwit payload."""


def _polymod(values: Iterable[int]) -> int:
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for bit, generator in enumerate(_GENERATOR):
            if (top >> bit) & 1:
                checksum ^= generator
    return checksum


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def bech32_encode(hrp: str, data: Sequence[int], encoding: Encoding) -> str:
    """Encode 5-bit ``data`` under ``hrp`` with the given checksum variant."""
    values = _hrp_expand(hrp) + list(data)
    polymod = _polymod([*values, 0, 0, 0, 0, 0, 0]) ^ encoding
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(_CHECKSUM_LENGTH)]
    return hrp + "1" + "".join(CHARSET[d] for d in [*data, *checksum])


def bech32_decode(text: str) -> tuple[str, list[int], Encoding]:
    """Split a Bech32/Bech32m string into (hrp, 5-bit data, encoding)."""
    if len(text) > MAX_LENGTH:
        raise Bech32Error(f"too long: {len(text)} characters (max {MAX_LENGTH})")
    if any(not 33 <= ord(c) <= 126 for c in text):
        raise Bech32Error("contains characters outside printable ASCII")
    if text.lower() != text and text.upper() != text:
        raise Bech32Error("mixes upper and lower case")
    text = text.lower()
    separator = text.rfind("1")
    if separator < 1 or separator + 1 + _CHECKSUM_LENGTH > len(text):
        raise Bech32Error("missing human-readable part, separator or checksum")
    hrp, tail = text[:separator], text[separator + 1 :]
    bad = [c for c in tail if c not in _CHARSET_INDEX]
    if bad:
        raise Bech32Error(f"invalid character {bad[0]!r} in data part")
    data = [_CHARSET_INDEX[c] for c in tail]
    polymod = _polymod(_hrp_expand(hrp) + data)
    if polymod not in tuple(Encoding):
        raise Bech32Error("bad checksum")
    return hrp, data[:-_CHECKSUM_LENGTH], Encoding(polymod)


def convert_bits(data: Iterable[int], from_bits: int, to_bits: int, *, pad: bool) -> list[int]:
    """Regroup bits; without ``pad``, leftover bits must be fewer than ``from_bits`` and zero."""
    accumulator = bits = 0
    out: list[int] = []
    max_value = (1 << to_bits) - 1
    for value in data:
        if value >> from_bits:
            raise Bech32Error(f"value {value} exceeds {from_bits} bits")
        accumulator = (accumulator << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((accumulator >> bits) & max_value)
    if pad:
        if bits:
            out.append((accumulator << (to_bits - bits)) & max_value)
    elif bits >= from_bits:
        raise Bech32Error("more than 4 bits of padding")
    elif (accumulator << (to_bits - bits)) & max_value:
        raise Bech32Error("non-zero padding bits")
    return out


def encode_segwit_address(hrp: str, version: int, program: bytes) -> str:
    """A segwit address: Bech32 for version 0, Bech32m for 1..16."""
    _check_program(version, program)
    encoding = Encoding.BECH32 if version == 0 else Encoding.BECH32M
    return bech32_encode(hrp, [version, *convert_bits(program, 8, 5, pad=True)], encoding)


def decode_segwit_address(text: str) -> tuple[str, int, bytes]:
    """(hrp, witness version, witness program) of a segwit address."""
    hrp, data, encoding = bech32_decode(text)
    if not data:
        raise Bech32Error("empty data part: no witness version")
    version = data[0]
    if version > 16:
        raise Bech32Error(f"invalid witness version {version}")
    program = bytes(convert_bits(data[1:], 5, 8, pad=False))
    _check_program(version, program)
    expected = Encoding.BECH32 if version == 0 else Encoding.BECH32M
    if encoding is not expected:
        raise Bech32Error(
            f"witness version {version} needs a {expected.name.lower()} checksum,"
            f" not {encoding.name.lower()}"
        )
    return hrp, version, program


def _check_program(version: int, program: bytes) -> None:
    if not 0 <= version <= 16:
        raise Bech32Error(f"invalid witness version {version}")
    if not 2 <= len(program) <= 40:
        raise Bech32Error(f"witness program of {len(program)} bytes (must be 2..40)")
    if version == 0 and len(program) not in (20, 32):
        raise Bech32Error(f"version 0 witness program of {len(program)} bytes (must be 20 or 32)")
