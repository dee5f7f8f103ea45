"""SHA-256, sha256d, HASH160 and the pure-Python RIPEMD-160 fallback."""

from __future__ import annotations

import hashlib

import pytest
from bitcoin.core.contrib.ripemd160 import ripemd160 as bitcoinlib_ripemd160
from hypothesis import given
from hypothesis import strategies as st

from loka_stratum.bitcoin import hashing
from loka_stratum.bitcoin.hashing import hash160, sha256, sha256d
from loka_stratum.bitcoin.ripemd160 import ripemd160 as pure_ripemd160

# The test vectors from the RIPEMD-160 authors' page (Bosselaers).
RIPEMD160_VECTORS = [
    (b"", "9c1185a5c5e9fc54612808977ee8f548b2258d31"),
    (b"a", "0bdc9d2d256b3ee9daae347be6f4dc835a467ffe"),
    (b"abc", "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc"),
    (b"message digest", "5d0689ef49d2fae572b881b123a85ffa21595f36"),
    (b"abcdefghijklmnopqrstuvwxyz", "f71c27109c692c1b56bbdceb5b9d2865b3708dbc"),
    (
        b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
        "12a053384a9c0c88e405a06c27dcf49ada62eb2b",
    ),
    (
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        "b0e20b6e3116640286ed3a87a5713079b21f5189",
    ),
    (b"1234567890" * 8, "9b752e45573d4b39f4dbd3323cab82bf63326bfb"),
]


@pytest.mark.parametrize(("message", "digest"), RIPEMD160_VECTORS)
def test_pure_ripemd160_matches_reference_vectors(message: bytes, digest: str) -> None:
    assert pure_ripemd160(message).hex() == digest


@pytest.mark.parametrize(("message", "digest"), RIPEMD160_VECTORS)
def test_selected_ripemd160_matches_reference_vectors(message: bytes, digest: str) -> None:
    assert hashing.ripemd160(message).hex() == digest


@given(st.binary(max_size=300))
def test_pure_ripemd160_agrees_with_bitcoinlib(data: bytes) -> None:
    assert pure_ripemd160(data) == bitcoinlib_ripemd160(data)


@pytest.mark.parametrize("length", [55, 56, 63, 64, 65, 119, 120, 128])
def test_pure_ripemd160_padding_boundaries(length: int) -> None:
    data = bytes(range(length))
    assert pure_ripemd160(data) == bitcoinlib_ripemd160(data)


def test_fallback_used_when_openssl_lacks_ripemd160(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(name: str, *args: object) -> object:
        raise ValueError(f"unsupported hash type {name}")

    monkeypatch.setattr(hashlib, "new", refuse)
    assert hashing._pick_ripemd160() is pure_ripemd160


def test_sha256_and_sha256d_known_answers() -> None:
    assert sha256(b"").hex() == ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    assert sha256d(b"hello").hex() == (
        "9595c9df90075148eb06860365df33584b75bff782a510c6cd4883a419833d50"
    )


def test_hash160_of_the_generator_point() -> None:
    # The compressed secp256k1 generator: the key behind BIP173's example address.
    pubkey = bytes.fromhex("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")
    assert hash160(pubkey).hex() == "751e76e8199196d454941c45d1b3a323f1433bd6"
