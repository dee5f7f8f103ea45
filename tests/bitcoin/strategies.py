"""Hypothesis strategies for Bitcoin values."""

from __future__ import annotations

from hypothesis import strategies as st

from loka_stratum.bitcoin.tx import OutPoint, Transaction, TxIn, TxOut

hashes32 = st.binary(min_size=32, max_size=32)
u32 = st.integers(min_value=0, max_value=0xFFFFFFFF)
scripts = st.binary(max_size=120)
witness_stacks = st.lists(st.binary(max_size=80), max_size=4).map(tuple)

outpoints = st.builds(OutPoint, hashes32, u32)
legacy_inputs = st.builds(TxIn, outpoints, scripts, u32)
outputs = st.builds(TxOut, st.integers(min_value=0, max_value=21_000_000 * 10**8), scripts)


@st.composite
def transactions(draw: st.DrawFn, *, segwit: bool | None = None) -> Transaction:
    """A transaction with 1..4 inputs; ``segwit`` forces witness data on or off."""
    inputs = draw(st.lists(legacy_inputs, min_size=1, max_size=4))
    with_witness = draw(st.booleans()) if segwit is None else segwit
    if with_witness:
        stacks = draw(st.lists(witness_stacks, min_size=len(inputs), max_size=len(inputs)))
        stacks[0] = stacks[0] or (b"\x01",)
        inputs = [
            TxIn(tx_in.prevout, tx_in.script_sig, tx_in.sequence, stack)
            for tx_in, stack in zip(inputs, stacks, strict=True)
        ]
    return Transaction(
        version=draw(st.integers(min_value=-(2**31), max_value=2**31 - 1)),
        inputs=tuple(inputs),
        outputs=tuple(draw(st.lists(outputs, min_size=1, max_size=4))),
        locktime=draw(u32),
    )
