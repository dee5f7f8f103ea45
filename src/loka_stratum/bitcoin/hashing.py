"""Hash functions used by Bitcoin: SHA-256, double SHA-256 and HASH160.

``sha256d`` runs for every share (header hash, coinbase txid, merkle path),
so it calls hashlib directly with no wrapper objects.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from loka_stratum.bitcoin.ripemd160 import ripemd160 as _ripemd160_pure

_sha256 = hashlib.sha256


def sha256(data: bytes) -> bytes:
    """Single SHA-256 digest."""
    return _sha256(data).digest()


def sha256d(data: bytes) -> bytes:
    """Double SHA-256 (Bitcoin's HASH256), in internal byte order."""
    return _sha256(_sha256(data).digest()).digest()


def _hashlib_ripemd160(data: bytes) -> bytes:
    return hashlib.new("ripemd160", data).digest()


def _pick_ripemd160() -> Callable[[bytes], bytes]:
    """Use OpenSSL's RIPEMD-160 when this build still offers it, else pure Python."""
    try:
        hashlib.new("ripemd160")
    except ValueError:
        return _ripemd160_pure
    return _hashlib_ripemd160


ripemd160: Callable[[bytes], bytes] = _pick_ripemd160()
"""RIPEMD-160 digest: OpenSSL's when available, the pure-Python fallback otherwise."""


def hash160(data: bytes) -> bytes:
    """RIPEMD-160 of SHA-256: the 20-byte hash inside P2PKH and P2WPKH scripts."""
    return ripemd160(_sha256(data).digest())
