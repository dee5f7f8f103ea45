"""Block assembly from coinbase parts, witness commitments, and a bitcoinlib cross-check."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loka_stratum.bitcoin.block import (
    Block,
    assemble_block,
    witness_commitment_hash,
    witness_commitment_script,
)
from loka_stratum.bitcoin.coinbase import CoinbaseOutput, build_coinbase
from loka_stratum.bitcoin.encoding import push_data
from loka_stratum.bitcoin.hashing import sha256d
from loka_stratum.bitcoin.header import BlockHeader
from loka_stratum.bitcoin.merkle import coinbase_merkle_branch, merkle_root, root_from_branch
from loka_stratum.bitcoin.tx import OutPoint, Transaction, TxIn, TxOut, add_coinbase_witness
from tests.bitcoin.bitcoinlib_check import BlockCheckError, check_block_bytes
from tests.bitcoin.realblocks import BLOCK_500044
from tests.bitcoin.strategies import hashes32, u32

REGTEST_BITS = 0x207FFFFF

p2wpkh_scripts = st.binary(min_size=20, max_size=20).map(lambda h: b"\x00\x14" + h)
p2pkh_scripts = st.binary(min_size=20, max_size=20).map(lambda h: b"\x76\xa9\x14" + h + b"\x88\xac")
payout_scripts = st.one_of(p2wpkh_scripts, p2pkh_scripts)


@st.composite
def spends(draw: st.DrawFn, *, segwit: bool) -> Transaction:
    """A well-formed (push-only scriptSig, standard outputs) one-input spend."""
    witness = (draw(st.binary(min_size=70, max_size=72)), draw(st.binary(min_size=33, max_size=33)))
    script_sig = b"" if segwit else push_data(draw(st.binary(min_size=70, max_size=72)))
    tx_in = TxIn(OutPoint(draw(hashes32), draw(st.integers(0, 3))), script_sig, 0xFFFFFFFD)
    if segwit:
        tx_in = TxIn(tx_in.prevout, tx_in.script_sig, tx_in.sequence, witness)
    outputs = tuple(
        TxOut(draw(st.integers(1, 10**8)), draw(payout_scripts))
        for _ in range(draw(st.integers(1, 3)))
    )
    return Transaction(2, (tx_in,), outputs, draw(u32))


@st.composite
def templates(draw: st.DrawFn) -> tuple[bool, list[Transaction]]:
    """(segwit?, body): a segwit template mixes witness and legacy spends; txids unique."""
    segwit = draw(st.booleans())
    kinds = st.one_of(spends(segwit=True), spends(segwit=False)) if segwit else spends(segwit=False)
    body = draw(st.lists(kinds, max_size=12, unique_by=lambda tx: tx.txid()))
    return segwit, body


def _make_block(
    *,
    height: int,
    segwit: bool,
    body: list[Transaction],
    outputs: list[CoinbaseOutput],
    extranonce: tuple[bytes, bytes],
    tag: bytes,
    header_fields: tuple[int, bytes, int, int],
) -> tuple[bytes, bytes, BlockHeader]:
    """Build a block exactly as the pool does: parts -> coinbase -> branch -> header -> bytes."""
    commitment = None
    if segwit:
        witness_root = merkle_root([bytes(32)] + [tx.wtxid() for tx in body])
        commitment = witness_commitment_script(witness_commitment_hash(witness_root))
    en1, en2 = extranonce
    parts = build_coinbase(
        height=height,
        outputs=outputs,
        extranonce1_size=len(en1),
        extranonce2_size=len(en2),
        pool_tag=tag,
        witness_commitment=commitment,
    )
    coinbase = parts.assemble(en1, en2)
    root = root_from_branch(sha256d(coinbase), coinbase_merkle_branch([tx.txid() for tx in body]))
    version, prev_hash, time, nonce = header_fields
    header = BlockHeader(version, prev_hash, root, time, REGTEST_BITS, nonce)
    full_coinbase = add_coinbase_witness(coinbase) if segwit else coinbase
    raw = assemble_block(header.serialize(), full_coinbase, [tx.serialize() for tx in body])
    return raw, coinbase, header


@settings(max_examples=60, deadline=None)
@given(
    templates(),
    st.integers(min_value=0, max_value=2**31 - 1),
    st.lists(
        st.builds(CoinbaseOutput, st.integers(1, 50 * 10**8), payout_scripts),
        min_size=1,
        max_size=5,
    ),
    st.tuples(st.binary(min_size=0, max_size=8), st.binary(min_size=1, max_size=8)),
    st.binary(max_size=120),
    st.tuples(st.integers(1, 2**31 - 1), hashes32, u32, u32),
)
def test_assembled_blocks_pass_bitcoinlib(
    template: tuple[bool, list[Transaction]],
    height: int,
    outputs: list[CoinbaseOutput],
    extranonce: tuple[bytes, bytes],
    tag: bytes,
    header_fields: tuple[int, bytes, int, int],
) -> None:
    segwit, body = template
    raw, coinbase, header = _make_block(
        height=height,
        segwit=segwit,
        body=body,
        outputs=outputs,
        extranonce=extranonce,
        tag=tag,
        header_fields=header_fields,
    )
    theirs = check_block_bytes(raw, expect_height=height, expect_segwit=segwit, check_pow=False)
    assert theirs.GetHash() == header.hash()
    assert theirs.vtx[0].GetTxid() == sha256d(coinbase)
    assert [tx.GetHash() for tx in theirs.vtx[1:]] == [tx.wtxid() for tx in body]
    ours = Block.parse(raw)
    assert ours.serialize() == raw
    assert ours.compute_merkle_root() == header.merkle_root
    assert ours.weight() == theirs.GetWeight()
    if segwit:
        assert ours.witness_commitment() == witness_commitment_hash(ours.compute_witness_root())


@pytest.mark.parametrize("height", [1, 2, 16, 17, 128, 32768])
def test_regtest_low_heights_pass_the_core_bip34_check(height: int) -> None:
    raw, _, _ = _make_block(
        height=height,
        segwit=True,
        body=[],
        outputs=[CoinbaseOutput(5_000_000_000, b"\x00\x14" + bytes(20))],
        extranonce=(b"\x00\x00\x00\x01", b"\x00" * 4),
        tag=b"/loka/",
        header_fields=(0x20000000, bytes(32), 1_700_000_000, 0),
    )
    check_block_bytes(raw, expect_height=height, expect_segwit=True, check_pow=False)


def test_checker_catches_a_wrong_height() -> None:
    raw, _, _ = _make_block(
        height=5,
        segwit=False,
        body=[],
        outputs=[CoinbaseOutput(1, b"\x51")],
        extranonce=(b"", b"\x00"),
        tag=b"",
        header_fields=(1, bytes(32), 0, 0),
    )
    with pytest.raises(BlockCheckError, match="height push"):
        check_block_bytes(raw, expect_height=6, expect_segwit=False, check_pow=False)
    with pytest.raises(BlockCheckError, match="witness"):
        check_block_bytes(raw, expect_height=5, expect_segwit=True, check_pow=False)


def test_checker_catches_missing_proof_of_work() -> None:
    raw = bytearray(BLOCK_500044.raw())
    raw[76] ^= 1  # flip a nonce bit
    with pytest.raises(BlockCheckError, match="above target"):
        check_block_bytes(bytes(raw), expect_height=None, expect_segwit=True)


def test_assemble_block_tx_count_prefix() -> None:
    header = bytes(80)
    assert assemble_block(header, b"C", [b"t"] * 251)[80:81] == b"\xfc"
    assert assemble_block(header, b"C", [b"t"] * 252)[80:83] == b"\xfd\xfd\x00"
    assert assemble_block(header, b"C", [b"x", b"y"]) == header + b"\x03Cxy"


def test_assemble_block_needs_an_80_byte_header() -> None:
    with pytest.raises(ValueError, match="80 bytes"):
        assemble_block(bytes(79), b"", [])


def test_commitment_script_layout() -> None:
    script = witness_commitment_script(bytes(range(32)))
    assert script.hex() == "6a24aa21a9ed" + bytes(range(32)).hex()
    with pytest.raises(ValueError, match="32 bytes"):
        witness_commitment_script(bytes(31))


def test_witness_commitment_takes_the_last_matching_output() -> None:
    block = Block.parse(BLOCK_500044.raw())
    coinbase = block.transactions[0]
    decoy = TxOut(0, witness_commitment_script(b"\x11" * 32))
    last = TxOut(0, witness_commitment_script(b"\x22" * 32) + b"extra")
    short = TxOut(0, witness_commitment_script(b"\x33" * 32)[:37])
    outputs = (*coinbase.outputs, decoy, last, short)
    changed = Transaction(coinbase.version, coinbase.inputs, outputs, coinbase.locktime)
    assert Block(block.header, (changed,)).witness_commitment() == b"\x22" * 32
