"""Real mainnet blocks checked into tests/data, with facts bitcoind reports for them.

Provenance (see tests/data/README.md): the raw hex came from public test
fixtures; every value below is the node's own ``getblock`` output (hash,
merkle root, sizes, weight, coinbase txid/wtxid), never something computed
by the code under test.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True, slots=True)
class RealBlock:
    height: int
    hash_hex: str
    merkle_root_hex: str
    bits: int
    tx_count: int
    size: int
    stripped_size: int
    weight: int
    segwit: bool
    coinbase_wtxid_hex: str | None = None

    def raw(self) -> bytes:
        return bytes.fromhex((DATA_DIR / f"mainnet_block_{self.height}.hex").read_text().strip())


GENESIS = RealBlock(
    height=0,
    hash_hex="000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f",
    merkle_root_hex="4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b",
    bits=0x1D00FFFF,
    tx_count=1,
    size=285,
    stripped_size=285,
    weight=1140,
    segwit=False,
)
BLOCK_100000 = RealBlock(
    height=100_000,
    hash_hex="000000000003ba27aa200b1cecaad478d2b00432346c3f1f3986da1afd33e506",
    merkle_root_hex="f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766",
    bits=0x1B04864C,
    tx_count=4,
    size=957,
    stripped_size=957,
    weight=3828,
    segwit=False,
)
BLOCK_500044 = RealBlock(
    height=500_044,
    hash_hex="0000000000000000001f9ba01120351182680ceba085ffabeaa532cda35f2cc7",
    merkle_root_hex="db5f956e4f48e79895021a9f7e64035fd03680e96253aafd438118485bfe49cb",
    bits=0x18009645,
    tx_count=1,
    size=285,
    stripped_size=249,
    weight=1032,
    segwit=True,
    coinbase_wtxid_hex="3286aa5c7ce04f05501e2c2947c2efc6e0a3978c9b84397df2647bd2c31a2369",
)
BLOCK_551515 = RealBlock(
    height=551_515,
    hash_hex="000000000000000000222975c4926be6da3bae4d8e93046613209dbd054fc74b",
    merkle_root_hex="98a6d1f184b1394a2044437e6e07eb8f99c8d5cf9a6a8b9940fa4c85e0518ea0",
    bits=0x172A4E2F,
    tx_count=1,
    size=280,
    stripped_size=244,
    weight=1012,
    segwit=True,
    coinbase_wtxid_hex="836829befd45639e3281bfe26149aa7f8fad4b2c01fb6b897842965abbab1625",
)

REAL_BLOCKS = (GENESIS, BLOCK_100000, BLOCK_500044, BLOCK_551515)

BLOCK_100000_TXIDS = (
    "8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87",
    "fff2525b8931402dd09222c50775608f75787bd2b87e56995a7bdd30f79702c4",
    "6359f0868171b1d194cbee1af2f16ea598ae8fad666d9b012c8ed2b79a236ec4",
    "e9a66845e05d5abc0ad04ec80f774a7e585c6e8db975962d069a522137b80c1d",
)
"""Display-order txids of block 100000 (the textbook merkle example)."""

BIP34_MAINNET_HEIGHT = 227_931
