"""Network parameters: genesis blocks, names, subsidy schedule."""

from __future__ import annotations

import pytest

from loka_stratum.bitcoin.block import Block
from loka_stratum.bitcoin.network import (
    MAINNET,
    NETWORKS,
    REGTEST,
    SIGNET,
    TESTNET,
    TESTNET4,
    Network,
    block_subsidy,
    network_by_name,
)
from loka_stratum.bitcoin.target import bits_to_target, hash_to_int
from tests.bitcoin.bitcoinlib_check import check_block_bytes
from tests.bitcoin.realblocks import GENESIS

# (network, genesis hash, genesis merkle root) as published in Core's chainparams.cpp.
SATOSHI_ROOT = "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"
GENESIS_FACTS = [
    (MAINNET, "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f", SATOSHI_ROOT),
    (TESTNET, "000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943", SATOSHI_ROOT),
    (
        TESTNET4,
        "00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043",
        "7aa0a7ae1e223414cb807e40cd57e667b718e42aaf9306db9102fe28912b7b4e",
    ),
    (SIGNET, "00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6", SATOSHI_ROOT),
    (REGTEST, "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206", SATOSHI_ROOT),
]


@pytest.mark.parametrize(
    ("network", "block_hash", "root"), GENESIS_FACTS, ids=[fact[0].name for fact in GENESIS_FACTS]
)
def test_genesis_block_is_real(network: Network, block_hash: str, root: str) -> None:
    block = Block.parse(network.genesis_block)
    assert block.header.hash_hex() == block_hash == network.genesis_hash_hex
    assert block.header.merkle_root[::-1].hex() == root
    assert block.compute_merkle_root() == block.header.merkle_root
    assert block.serialize() == network.genesis_block
    assert block.header.bits == network.pow_limit_bits
    assert hash_to_int(block.header.hash()) <= bits_to_target(network.pow_limit_bits)
    check_block_bytes(network.genesis_block, expect_height=None, expect_segwit=False)


def test_mainnet_genesis_matches_the_checked_in_file() -> None:
    assert MAINNET.genesis_block == GENESIS.raw()


@pytest.mark.parametrize(
    ("name", "network"),
    [
        ("main", MAINNET),
        ("mainnet", MAINNET),
        ("test", TESTNET),
        ("testnet", TESTNET),
        ("testnet3", TESTNET),
        ("testnet4", TESTNET4),
        ("signet", SIGNET),
        ("regtest", REGTEST),
        (" Regtest ", REGTEST),
    ],
)
def test_network_by_name(name: str, network: Network) -> None:
    assert network_by_name(name) is network


def test_canonical_names_are_getblockchaininfo_chains() -> None:
    assert set(NETWORKS) == {"main", "test", "testnet4", "signet", "regtest"}
    assert all(NETWORKS[name].name == name for name in NETWORKS)


def test_unknown_network_lists_the_choices() -> None:
    with pytest.raises(ValueError, match=r"unknown network 'litecoin'.*regtest"):
        network_by_name("litecoin")


@pytest.mark.parametrize(
    ("height", "subsidy"),
    [
        (0, 50 * 10**8),
        (209_999, 50 * 10**8),
        (210_000, 25 * 10**8),
        (420_000, 1_250_000_000),
        (630_000, 625_000_000),
        (840_000, 312_500_000),
        (6_720_000, 1),
        (6_930_000, 0),
        (13_439_999, 0),
        (13_440_000, 0),
    ],
)
def test_mainnet_subsidy_schedule(height: int, subsidy: int) -> None:
    assert block_subsidy(height, MAINNET) == subsidy


@pytest.mark.parametrize(
    ("height", "subsidy"),
    [(0, 5_000_000_000), (149, 5_000_000_000), (150, 2_500_000_000), (300, 1_250_000_000)],
)
def test_regtest_halves_every_150_blocks(height: int, subsidy: int) -> None:
    assert block_subsidy(height, REGTEST) == subsidy


def test_subsidy_is_zero_after_64_halvings_even_with_short_intervals() -> None:
    assert block_subsidy(150 * 63, REGTEST) == 5_000_000_000 >> 63
    assert block_subsidy(150 * 64, REGTEST) == 0


def test_total_mainnet_supply_is_just_under_21_million() -> None:
    total = sum(block_subsidy(era * 210_000, MAINNET) * 210_000 for era in range(64))
    assert total == 2_099_999_997_690_000


def test_negative_height_is_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        block_subsidy(-1, MAINNET)
