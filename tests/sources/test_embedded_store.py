"""The embedded chain file: round trips, restarts, torn tails, and files that must be refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from loka_stratum.bitcoin.network import MAINNET
from loka_stratum.sources.embedded_chain import EmbeddedChain
from loka_stratum.sources.embedded_store import (
    MAGIC,
    ChainEntry,
    ChainFileError,
    write_chain,
)
from tests.sources.embedded_blocks import NOW, mine, pool_block, unsolve_header

PREAMBLE = len(MAGIC) + 32


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "chain.dat"


def mined(count: int) -> EmbeddedChain:
    chain = EmbeddedChain()
    mine(chain, count)
    return chain


def entries(chain: EmbeddedChain) -> list[ChainEntry]:
    """Every block of the active chain, genesis first."""
    found = []
    for height in range(chain.best_height + 1):
        block_hash = chain.block_hash_at(height)
        entry = chain.entry(block_hash) if block_hash else None
        assert entry is not None
        found.append(entry)
    return found


def test_save_and_load_round_trip(path: Path) -> None:
    chain = mined(5)
    chain.save(path)
    loaded, dropped = EmbeddedChain.load(path)
    assert dropped == 0
    assert loaded.best_height == 5
    assert entries(loaded) == entries(chain)


def test_appending_each_block_gives_the_same_file_as_saving(path: Path, tmp_path: Path) -> None:
    chain = EmbeddedChain()
    chain.save(path)
    for _ in range(3):
        mine(chain)
        chain.append_tip(path)
    chain.save(tmp_path / "whole.dat")
    assert path.read_bytes() == (tmp_path / "whole.dat").read_bytes()


def test_a_restart_continues_at_the_same_height(path: Path) -> None:
    chain = mined(4)
    chain.save(path)
    loaded, _ = EmbeddedChain.load(path)
    template = loaded.template(NOW + 50)
    assert template.height == 5
    assert template.prev_hash == chain.tip.hash
    assert template.mintime == chain.template(NOW + 50).mintime
    assert loaded.submit(pool_block(template), NOW + 50).accepted


def test_load_uses_the_given_settings(path: Path) -> None:
    mined(1).save(path)
    loaded, _ = EmbeddedChain.load(path, bits=0x2000FFFF, filler_transactions=2)
    template = loaded.template(NOW)
    assert (template.bits, len(template.transactions)) == (0x2000FFFF, 2)


def test_a_torn_final_record_is_dropped_and_cut_from_the_file(path: Path) -> None:
    chain = mined(3)
    chain.save(path)
    whole = path.read_bytes()
    path.write_bytes(whole[:-10])
    loaded, dropped = EmbeddedChain.load(path)
    assert loaded.best_height == 2
    good = len(whole) - dropped - 10
    assert path.stat().st_size == good
    mine(loaded, now=NOW + 10)
    loaded.append_tip(path)
    again, dropped_again = EmbeddedChain.load(path)
    assert (again.best_height, dropped_again) == (3, 0)


def test_a_torn_length_prefix_is_dropped(path: Path) -> None:
    chain = mined(1)
    chain.save(path)
    path.write_bytes(path.read_bytes() + b"\x10\x00")
    loaded, dropped = EmbeddedChain.load(path)
    assert (loaded.best_height, dropped) == (1, 2)


def test_an_empty_chain_file_loads_at_genesis(path: Path) -> None:
    EmbeddedChain().save(path)
    assert path.stat().st_size == PREAMBLE
    assert EmbeddedChain.load(path)[0].best_height == 0


def test_a_file_for_another_genesis_is_refused(path: Path) -> None:
    write_chain(path, bytes.fromhex(MAINNET.genesis_hash_hex)[::-1], [])
    with pytest.raises(ChainFileError, match=f"genesis {MAINNET.genesis_hash_hex}"):
        EmbeddedChain.load(path)


def test_a_file_that_is_not_a_chain_file_is_refused(path: Path) -> None:
    path.write_bytes(b"hello world, not a chain" * 3)
    with pytest.raises(ChainFileError, match="magic"):
        EmbeddedChain.load(path)


def test_a_flipped_byte_is_refused(path: Path) -> None:
    mined(2).save(path)
    data = bytearray(path.read_bytes())
    data[PREAMBLE + 4 + 40] ^= 1  # inside the first record's merkle root
    path.write_bytes(bytes(data))
    with pytest.raises(ChainFileError, match="checksum"):
        EmbeddedChain.load(path)


def test_an_impossible_record_length_is_refused(path: Path) -> None:
    mined(1).save(path)
    data = bytearray(path.read_bytes())
    data[PREAMBLE : PREAMBLE + 4] = (50).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(ChainFileError, match="length"):
        EmbeddedChain.load(path)


def test_records_that_do_not_link_are_refused(path: Path) -> None:
    chain = mined(3)
    first, second, third = entries(chain)[1:]
    write_chain(path, entries(chain)[0].hash, [first, third, second])
    with pytest.raises(ChainFileError, match=r"height 2\).*does not link"):
        EmbeddedChain.load(path)


def test_a_header_without_proof_of_work_is_refused(path: Path) -> None:
    chain = mined(1)
    genesis, block = entries(chain)
    target_missed = unsolve_header(block.header)
    write_chain(path, genesis.hash, [ChainEntry(1, target_missed, block.coinbase)])
    with pytest.raises(ChainFileError, match="proof of work"):
        EmbeddedChain.load(path)


def test_a_coinbase_without_its_height_is_refused(path: Path) -> None:
    chain = mined(2)
    genesis, first, second = entries(chain)
    swapped = ChainEntry(1, first.header, second.coinbase)
    write_chain(path, genesis.hash, [swapped])
    with pytest.raises(ChainFileError, match="BIP34"):
        EmbeddedChain.load(path)
