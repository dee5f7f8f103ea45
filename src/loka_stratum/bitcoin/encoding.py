"""Consensus serialization helpers: CompactSize, a bounds-checked reader, script pushes.

Script numbers and pushes follow Bitcoin Core exactly (``CScriptNum::serialize``,
``CScript::push_int64`` and ``CScript << std::vector``), because the coinbase
height check in ``ContextualCheckBlock`` compares raw bytes against
``CScript() << nHeight``: any encoding that is "equivalent" but not identical
makes the block invalid.
"""

from __future__ import annotations

import struct

_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_I32 = struct.Struct("<i")
_U64 = struct.Struct("<Q")

OP_0 = 0x00
OP_PUSHDATA1 = 0x4C
OP_PUSHDATA2 = 0x4D
OP_PUSHDATA4 = 0x4E
OP_1NEGATE = 0x4F
OP_1 = 0x51


class DecodeError(ValueError):
    """Serialized data is truncated, non-canonical or otherwise malformed."""


def encode_compact_size(n: int) -> bytes:
    """Bitcoin's CompactSize ("varint"): 1, 3, 5 or 9 bytes, little-endian."""
    if n < 0:
        raise ValueError(f"compact size cannot be negative: {n}")
    if n < 0xFD:
        return bytes((n,))
    if n <= 0xFFFF:
        return b"\xfd" + _U16.pack(n)
    if n <= 0xFFFFFFFF:
        return b"\xfe" + _U32.pack(n)
    if n <= 0xFFFFFFFFFFFFFFFF:
        return b"\xff" + _U64.pack(n)
    raise ValueError(f"compact size too large: {n}")


class ByteReader:
    """Sequential little-endian reader over bytes; every read is bounds-checked."""

    __slots__ = ("_data", "_pos")

    def __init__(self, data: bytes) -> None:
        self._data = bytes(data)
        self._pos = 0

    @property
    def remaining(self) -> int:
        """Bytes not yet read."""
        return len(self._data) - self._pos

    @property
    def position(self) -> int:
        """Offset of the next byte to read."""
        return self._pos

    def read(self, n: int) -> bytes:
        """The next ``n`` bytes; DecodeError if fewer remain."""
        end = self._pos + n
        if n < 0 or end > len(self._data):
            raise DecodeError(f"need {n} bytes at offset {self._pos}, have {self.remaining}")
        chunk = self._data[self._pos : end]
        self._pos = end
        return chunk

    def peek(self, n: int) -> bytes:
        """Up to the next ``n`` bytes without consuming them."""
        return self._data[self._pos : self._pos + n]

    def read_u8(self) -> int:
        return self.read(1)[0]

    def read_u16(self) -> int:
        return int(_U16.unpack(self.read(2))[0])

    def read_u32(self) -> int:
        return int(_U32.unpack(self.read(4))[0])

    def read_i32(self) -> int:
        return int(_I32.unpack(self.read(4))[0])

    def read_u64(self) -> int:
        return int(_U64.unpack(self.read(8))[0])

    def read_compact_size(self) -> int:
        """A CompactSize; non-minimal encodings are rejected as Core does."""
        first = self.read_u8()
        if first < 0xFD:
            return first
        if first == 0xFD:
            value, minimum = self.read_u16(), 0xFD
        elif first == 0xFE:
            value, minimum = self.read_u32(), 0x10000
        else:
            value, minimum = self.read_u64(), 0x100000000
        if value < minimum:
            raise DecodeError(f"non-canonical compact size {value} at offset {self._pos}")
        return value

    def read_var_bytes(self) -> bytes:
        """A CompactSize length followed by that many bytes."""
        return self.read(self.read_compact_size())

    def expect_end(self) -> None:
        """DecodeError if unread bytes are left over."""
        if self.remaining:
            raise DecodeError(f"{self.remaining} trailing bytes at offset {self._pos}")


def encode_script_num(n: int) -> bytes:
    """Minimal CScriptNum: little-endian magnitude, sign in the top bit, 0 -> b''."""
    if n == 0:
        return b""
    magnitude = abs(n)
    out = bytearray()
    while magnitude:
        out.append(magnitude & 0xFF)
        magnitude >>= 8
    if out[-1] & 0x80:
        out.append(0x80 if n < 0 else 0x00)
    elif n < 0:
        out[-1] |= 0x80
    return bytes(out)


def decode_script_num(data: bytes) -> int:
    """Inverse of :func:`encode_script_num` (accepts non-minimal input too)."""
    if not data:
        return 0
    value = int.from_bytes(data, "little")
    if data[-1] & 0x80:
        return -(value & ~(0x80 << (8 * (len(data) - 1))))
    return value


def push_data(data: bytes) -> bytes:
    """Script push of ``data`` with the smallest push opcode, as ``CScript << vector`` does.

    Note: Core does not turn 1-byte values into OP_1..OP_16 here; only
    number pushes (:func:`push_int`) use the small-integer opcodes.
    """
    size = len(data)
    if size < OP_PUSHDATA1:
        return bytes((size,)) + data
    if size <= 0xFF:
        return bytes((OP_PUSHDATA1, size)) + data
    if size <= 0xFFFF:
        return bytes((OP_PUSHDATA2,)) + _U16.pack(size) + data
    return bytes((OP_PUSHDATA4,)) + _U32.pack(size) + data


def push_int(n: int) -> bytes:
    """Script push of a number exactly as Core's ``CScript() << int64``.

    0 -> OP_0, -1 -> OP_1NEGATE, 1..16 -> OP_1..OP_16, anything else ->
    ``push_data(encode_script_num(n))``.
    """
    if n == 0:
        return bytes((OP_0,))
    if n == -1 or 1 <= n <= 16:
        return bytes((OP_1 - 1 + n,))
    return push_data(encode_script_num(n))


def bip34_height_script(height: int) -> bytes:
    """The coinbase scriptSig prefix that BIP34 consensus requires for ``height``.

    BIP34's text describes a data push of the serialized height, but the rule
    actually enforced is ``ContextualCheckBlock``: the scriptSig must start
    with ``CScript() << nHeight``. That emits OP_1..OP_16 (0x51..0x60) for
    heights 1..16, not ``01 01``..``01 10``. Mainnet never sees those heights
    under BIP34, but regtest enforces BIP34 from height 1, where a data push
    is rejected as ``bad-cb-height``. We therefore match Core byte for byte.
    """
    if height < 0:
        raise ValueError(f"block height cannot be negative: {height}")
    return push_int(height)
