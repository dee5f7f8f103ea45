"""The fake node checked against an independent library, so its verdicts can be trusted."""

from __future__ import annotations

from dataclasses import replace

import pytest

from loka_stratum.bitcoin.block import Block
from loka_stratum.bitcoin.tx import Transaction
from loka_stratum.sources.gbt import parse_template
from loka_stratum.sources.rpc import BitcoindRpc, RpcError
from tests.bitcoin.bitcoinlib_check import check_block_bytes
from tests.fakes.bitcoind import FakeBitcoind
from tests.fakes.bitcoind_chain import FakeChain, solve
from tests.sources.blocks import pool_block


@pytest.mark.parametrize("segwit", [True, False])
def test_blocks_the_fake_mines_pass_bitcoinlib(segwit: bool) -> None:
    chain = FakeChain(segwit=segwit)
    for index in range(5):
        chain.add_transaction(segwit=segwit and index % 2 == 0, fee=100 * index)
    raw = chain.mine(include_mempool=True)
    parsed = check_block_bytes(raw, expect_height=chain.height, expect_segwit=segwit)
    assert len(parsed.vtx) == 6
    assert chain.mempool == {}


def test_pre_segwit_chain_serves_legacy_templates_that_pool_blocks_satisfy() -> None:
    chain = FakeChain(segwit=False)
    chain.add_transaction(segwit=False, fee=300)
    chain.add_transaction(segwit=True, fee=400)  # never offered without the segwit rule
    template = parse_template(chain.template())
    assert template.witness_commitment is None and len(template.transactions) == 1
    block = pool_block(template)
    check_block_bytes(block, expect_height=template.height, expect_segwit=False)
    assert chain.submit(block) is None


def _strip_coinbase_witness(raw: bytes) -> bytes:
    block = Block.parse(raw)
    coinbase = block.transactions[0]
    bare = replace(coinbase, inputs=(replace(coinbase.inputs[0], witness=()),))
    return Block(block.header, (bare, *block.transactions[1:])).serialize()


def _witness_without_commitment(chain: FakeChain) -> bytes:
    chain.add_transaction(segwit=True)
    template = parse_template(chain.template())
    block = Block.parse(pool_block(template))
    coinbase = block.transactions[0]
    outputs = tuple(o for o in coinbase.outputs if not o.script_pubkey.startswith(b"\x6a\x24"))
    bare = Transaction(coinbase.version, coinbase.inputs, outputs, coinbase.locktime)
    txs = (bare, *block.transactions[1:])
    header = replace(block.header, merkle_root=Block(block.header, txs).compute_merkle_root())
    return Block(solve(header), txs).serialize()


def test_stricter_than_core_about_the_witness_reserved_value() -> None:
    chain = FakeChain()
    chain.add_transaction(segwit=True)
    block = _strip_coinbase_witness(pool_block(parse_template(chain.template())))
    assert chain.submit(block) == "bad-witness-nonce-size"


def test_witness_data_without_a_commitment_is_unexpected() -> None:
    chain = FakeChain()
    assert chain.submit(_witness_without_commitment(chain)) == "unexpected-witness"


def test_block_too_far_in_the_future_is_refused() -> None:
    chain = FakeChain()
    template = parse_template(chain.template())
    late = replace(template, curtime=chain.now + 7201)
    assert chain.submit(pool_block(late)) == "time-too-new"


def test_invalid_block_is_remembered_as_duplicate_invalid() -> None:
    chain = FakeChain()
    template = parse_template(chain.template())
    bad = pool_block(replace(template, height=template.height + 5))
    assert chain.submit(bad) == "bad-cb-height"
    assert chain.submit(bad) == "duplicate-invalid"


async def test_rpc_surface_matches_core_for_what_the_source_relies_on() -> None:
    async with FakeBitcoind() as node:
        rpc = BitcoindRpc(node.url, node.auth)
        try:
            with pytest.raises(RpcError, match="segwit rule set") as no_rules:
                await rpc.call("getblocktemplate", {})
            with pytest.raises(RpcError) as unknown:
                await rpc.call("getnetworkhashps")
            info = await rpc.call("getblockchaininfo")
            best = await rpc.call("getbestblockhash")
            notifications = await rpc.call("getzmqnotifications")
        finally:
            await rpc.aclose()
    assert no_rules.value.code == -8 and unknown.value.code == -32601
    assert (info["chain"], info["blocks"], info["bestblockhash"]) == ("regtest", 200, best)
    assert notifications == []
