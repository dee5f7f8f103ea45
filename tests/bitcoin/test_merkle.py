"""Merkle roots and branches, including the Stratum coinbase branch."""

from __future__ import annotations

import pytest
from bitcoin.core import CBlock
from hypothesis import given
from hypothesis import strategies as st

from loka_stratum.bitcoin.hashing import sha256d
from loka_stratum.bitcoin.merkle import (
    coinbase_merkle_branch,
    merkle_branch,
    merkle_root,
    root_from_branch,
)
from tests.bitcoin.realblocks import BLOCK_100000, BLOCK_100000_TXIDS
from tests.bitcoin.strategies import hashes32

leaf_lists = st.lists(hashes32, min_size=1, max_size=40)


def _block_100000_leaves() -> list[bytes]:
    return [bytes.fromhex(txid)[::-1] for txid in BLOCK_100000_TXIDS]


def test_block_100000_root() -> None:
    root = merkle_root(_block_100000_leaves())
    assert root[::-1].hex() == BLOCK_100000.merkle_root_hex


def test_single_leaf_is_its_own_root() -> None:
    leaf = bytes(range(32))
    assert merkle_root([leaf]) == leaf
    assert merkle_branch([leaf]) == []
    assert coinbase_merkle_branch([]) == []


def test_odd_level_duplicates_the_last_hash() -> None:
    a, b, c = (bytes([n]) * 32 for n in (1, 2, 3))
    assert merkle_root([a, b, c]) == sha256d(sha256d(a + b) + sha256d(c + c))


def test_empty_list_has_no_root() -> None:
    with pytest.raises(ValueError, match="empty"):
        merkle_root([])


@given(leaf_lists)
def test_root_matches_bitcoinlib(leaves: list[bytes]) -> None:
    assert merkle_root(leaves) == CBlock.build_merkle_tree_from_txids(leaves)[-1]


@given(leaf_lists)
def test_every_branch_folds_to_the_root(leaves: list[bytes]) -> None:
    root = merkle_root(leaves)
    for index, leaf in enumerate(leaves):
        assert root_from_branch(leaf, merkle_branch(leaves, index), index) == root


@given(leaf_lists, hashes32)
def test_coinbase_branch_commits_any_coinbase(txids: list[bytes], coinbase_txid: bytes) -> None:
    branch = coinbase_merkle_branch(txids)
    assert branch == merkle_branch([coinbase_txid, *txids], 0)
    assert root_from_branch(coinbase_txid, branch) == merkle_root([coinbase_txid, *txids])


@given(st.integers(min_value=1, max_value=2100))
def test_branch_length_is_the_tree_depth(tx_count: int) -> None:
    txids = [n.to_bytes(32, "little") for n in range(tx_count)]
    assert len(coinbase_merkle_branch(txids)) == tx_count.bit_length()


def test_real_block_coinbase_branch() -> None:
    leaves = _block_100000_leaves()
    branch = coinbase_merkle_branch(leaves[1:])
    assert branch[0] == leaves[1]
    assert root_from_branch(leaves[0], branch)[::-1].hex() == BLOCK_100000.merkle_root_hex


@pytest.mark.parametrize("index", [-1, 3])
def test_branch_index_out_of_range(index: int) -> None:
    with pytest.raises(IndexError):
        merkle_branch([bytes(32)] * 3, index)
