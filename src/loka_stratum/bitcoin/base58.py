"""Base58 and Base58Check, the encoding of legacy (P2PKH/P2SH) addresses."""

from __future__ import annotations

from loka_stratum.bitcoin.hashing import sha256d

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {char: value for value, char in enumerate(ALPHABET)}


class Base58Error(ValueError):
    """Not valid Base58, or a Base58Check checksum mismatch."""


def b58encode(data: bytes) -> str:
    """Base58 with one leading '1' per leading zero byte."""
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(ALPHABET[remainder])
    zeros = len(data) - len(data.lstrip(b"\x00"))
    return "1" * zeros + "".join(reversed(digits))


def b58decode(text: str) -> bytes:
    """Inverse of :func:`b58encode`."""
    number = 0
    for position, char in enumerate(text):
        try:
            number = number * 58 + _INDEX[char]
        except KeyError:
            raise Base58Error(f"invalid Base58 character {char!r} at position {position}") from None
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\x00" * zeros + body


def b58check_encode(payload: bytes) -> str:
    """Base58 of ``payload`` followed by the first 4 bytes of its sha256d."""
    return b58encode(payload + sha256d(payload)[:4])


def b58check_decode(text: str) -> bytes:
    """The payload of a Base58Check string; Base58Error on a bad checksum."""
    raw = b58decode(text)
    if len(raw) < 4:
        raise Base58Error("Base58Check data shorter than its checksum")
    payload, checksum = raw[:-4], raw[-4:]
    if sha256d(payload)[:4] != checksum:
        raise Base58Error("Base58Check checksum mismatch")
    return payload
