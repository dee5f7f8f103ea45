"""Addresses: BIP173/BIP350 vectors, real mainnet addresses, clear errors, round trips."""

from __future__ import annotations

import pytest
from bitcoin.base58 import decode as bitcoinlib_b58decode
from bitcoin.base58 import encode as bitcoinlib_b58encode
from bitcoin.wallet import CBitcoinAddress
from hypothesis import given
from hypothesis import strategies as st

from loka_stratum.bitcoin.address import AddressError, address_to_script, script_to_address
from loka_stratum.bitcoin.base58 import Base58Error, b58check_decode, b58check_encode, b58decode
from loka_stratum.bitcoin.base58 import b58encode as our_b58encode
from loka_stratum.bitcoin.bech32 import (
    Bech32Error,
    Encoding,
    bech32_decode,
    bech32_encode,
    decode_segwit_address,
    encode_segwit_address,
)
from loka_stratum.bitcoin.network import MAINNET, REGTEST, SIGNET, TESTNET, TESTNET4, Network

# BIP350 "valid segwit addresses" (which include the BIP173 ones, re-checksummed).
VALID_SEGWIT = [
    ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "0014751e76e8199196d454941c45d1b3a323f1433bd6"),
    (
        "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
        "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262",
    ),
    (
        "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
        "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6",
    ),
    ("BC1SW50QGDZ25J", "6002751e"),
    ("bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "5210751e76e8199196d454941c45d1b3a323"),
    (
        "tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy",
        "0020000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433",
    ),
    (
        "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c",
        "5120000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433",
    ),
    (
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
        "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
    ),
]

# BIP173 and BIP350 "invalid segwit addresses", with the reason each must give.
INVALID_SEGWIT = [
    ("tc1qw508d6qejxtdg4y5r3zarvary0c5xw7kg3g4ty", "unknown prefix 'tc'"),
    ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", "bad checksum"),
    ("BC13W508D6QEJXTDG4Y5R3ZARVARY0C5XW7KN40WF2", "invalid witness version 17"),
    ("bc1rw5uspcuh", "witness program of 1 bytes"),
    (
        "bc10w508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kw5rljs90",
        "witness program of 41 bytes",
    ),
    ("BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P", "version 0 witness program of 16 bytes"),
    ("tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sL5k7", "mixes upper and lower"),
    ("bc1zw508d6qejxtdg4y5r3zarvaryvqyzf3du", "more than 4 bits of padding"),
    ("tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3pjxtptv", "non-zero padding"),
    ("bc1gmk9yu", "empty data part"),
    ("tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut", "unknown prefix 'tc'"),
    (
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
        "needs a bech32m checksum, not bech32",
    ),
    (
        "tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf",
        "needs a bech32m checksum, not bech32",
    ),
    (
        "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",
        "needs a bech32m checksum, not bech32",
    ),
    ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", "needs a bech32 checksum, not bech32m"),
    (
        "tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47",
        "needs a bech32 checksum, not bech32m",
    ),
    (
        "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",
        "invalid character 'o'",
    ),
    (
        "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",
        "invalid witness version 17",
    ),
    ("bc1pw5dgrnzv", "witness program of 1 bytes"),
    (
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",
        "witness program of 41 bytes",
    ),
    ("tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq", "mixes upper and lower"),
    (
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",
        "more than 4 bits of padding",
    ),
    ("tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j", "non-zero padding"),
]

# Real mainnet addresses of each type, with the scripts the chain shows for them.
REAL_MAINNET = [
    # P2PKH: the genesis coinbase key's address.
    ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac"),
    # P2PKH: the AntPool payout in block 500044's coinbase.
    ("1NS4gbx1G2D5rc9PnvVsPys12nKxGiQg72", "76a914eb181d60731cc7521db83a8f93beba8da692a22988ac"),
    # P2PKH: the payout in block 551515's coinbase.
    ("14DjTuAUh87cwRsbU1z6W8hZY6FnEkpfLS", "76a9142350d0dd0f5c4cbd6874989477d7c8918538507888ac"),
    ("3LRW7jeCvQCRdPF8S3yUCfRAx4eqXFmdcr", "a914cd7b44d0b03f2d026d1e586d7ae18903b0d385f687"),
    ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "0014e8df018c7e326cc253faac7e46cdc51e68542c42"),
    (
        "bc1qwqdg6squsna38e46795at95yu9atm8azzmyvckulcc7kytlcckxswvvzej",
        "0020701a8d401c84fb13e6baf169d59684e17abd9fa216c8cc5b9fc63d622ff8c58d",
    ),
    # P2TR: BIP86's first receive address for the "abandon ... about" mnemonic.
    (
        "bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr",
        "5120a60869f0dbcf1dc659c9cecbaf8050135ea9e8cdc487053f1dc6880949dc684c",
    ),
]


def _network_for(address: str) -> Network:
    return MAINNET if address.lower().startswith("bc1") else TESTNET


@pytest.mark.parametrize(("address", "script"), VALID_SEGWIT)
def test_valid_segwit_vectors(address: str, script: str) -> None:
    network = _network_for(address)
    assert address_to_script(address, network).hex() == script
    assert script_to_address(bytes.fromhex(script), network) == address.lower()


@pytest.mark.parametrize(("address", "reason"), INVALID_SEGWIT)
def test_invalid_segwit_vectors_say_why(address: str, reason: str) -> None:
    with pytest.raises(AddressError) as excinfo:
        address_to_script(address, _network_for(address))
    assert reason in str(excinfo.value)


@pytest.mark.parametrize(("address", "script"), REAL_MAINNET)
def test_real_mainnet_addresses(address: str, script: str) -> None:
    assert address_to_script(address, MAINNET).hex() == script
    assert script_to_address(bytes.fromhex(script), MAINNET) == address


@pytest.mark.parametrize(("address", "script"), REAL_MAINNET[:-1])
def test_bitcoinlib_agrees_on_real_mainnet_addresses(address: str, script: str) -> None:
    # bitcoinlib predates bech32m, so the taproot address is left out here.
    assert bytes(CBitcoinAddress(address).to_scriptPubKey()).hex() == script


@pytest.mark.parametrize(
    ("address", "network", "message"),
    [
        ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", REGTEST, "is a mainnet address"),
        ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", TESTNET4, "is a mainnet address"),
        ("3LRW7jeCvQCRdPF8S3yUCfRAx4eqXFmdcr", SIGNET, "is a mainnet address"),
        (
            "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx",
            MAINNET,
            "is a signet/testnet3/testnet4 address; expected a mainnet address",
        ),
        ("mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn", MAINNET, "is a regtest/signet/testnet3/testnet4"),
        ("bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", TESTNET, "is a regtest address"),
    ],
)
def test_wrong_network_names_the_owner(address: str, network: Network, message: str) -> None:
    with pytest.raises(AddressError, match=message):
        address_to_script(address, network)


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", "checksum mismatch"),
        ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfN0", "invalid Base58 character '0'"),
        ("", "empty address"),
        (b58check_encode(bytes(20)), "19-byte hash"),
        (b58check_encode(b"\x30" + bytes(20)), "unknown version byte 0x30"),
    ],
)
def test_base58_errors(address: str, message: str) -> None:
    with pytest.raises(AddressError, match=message):
        address_to_script(address, MAINNET)


@pytest.mark.parametrize(
    "script",
    ["", "6a", "76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888", "0010" + "00" * 16, "5101"],
)
def test_non_standard_scripts_have_no_address(script: str) -> None:
    with pytest.raises(AddressError, match="no"):
        script_to_address(bytes.fromhex(script), MAINNET)


def test_errors_are_value_errors() -> None:
    assert issubclass(AddressError, ValueError)
    assert issubclass(Bech32Error, ValueError)
    assert issubclass(Base58Error, ValueError)


@given(st.binary(max_size=60))
def test_base58_round_trip_and_bitcoinlib(data: bytes) -> None:
    encoded = our_b58encode(data)
    assert encoded == bitcoinlib_b58encode(data)
    assert b58decode(encoded) == data == bitcoinlib_b58decode(encoded)


@given(st.binary(min_size=1, max_size=60))
def test_base58check_round_trip(payload: bytes) -> None:
    assert b58check_decode(b58check_encode(payload)) == payload


@given(st.data())
def test_segwit_address_round_trip(data: st.DataObject) -> None:
    version = data.draw(st.integers(min_value=0, max_value=16))
    size = data.draw(st.sampled_from([20, 32]) if version == 0 else st.integers(2, 40))
    program = data.draw(st.binary(min_size=size, max_size=size))
    address = encode_segwit_address("bc", version, program)
    assert decode_segwit_address(address) == ("bc", version, program)
    assert decode_segwit_address(address.upper()) == ("bc", version, program)


@given(st.sampled_from([MAINNET, TESTNET, REGTEST]), st.binary(min_size=20, max_size=20))
def test_script_address_round_trip_for_every_type(network: Network, digest: bytes) -> None:
    scripts = [
        bytes.fromhex("76a914") + digest + bytes.fromhex("88ac"),
        bytes.fromhex("a914") + digest + bytes.fromhex("87"),
        bytes.fromhex("0014") + digest,
        bytes.fromhex("0020") + digest + digest[:12],
        bytes.fromhex("5120") + digest + digest[:12],
    ]
    for script in scripts:
        assert address_to_script(script_to_address(script, network), network) == script


@given(st.lists(st.integers(min_value=0, max_value=31), max_size=40))
def test_bech32_variants_only_decode_as_themselves(data: list[int]) -> None:
    for encoding in Encoding:
        assert bech32_decode(bech32_encode("hrp", data, encoding)) == ("hrp", data, encoding)


def test_bech32_length_limit() -> None:
    with pytest.raises(Bech32Error, match="too long"):
        bech32_decode("a1" + "q" * 89)
