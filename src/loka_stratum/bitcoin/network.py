"""Per-network parameters: address prefixes, subsidy schedule, genesis blocks.

Canonical names are the ``chain`` values of bitcoind's ``getblockchaininfo``
(main, test, testnet4, signet, regtest); "mainnet"/"testnet"/"testnet3" are
accepted as aliases by :func:`network_by_name`. Genesis blocks are the real
bytes (Core's ``CreateGenesisBlock`` output); tests check each hashes to the
known genesis hash, so a node on a different chain is detectable at startup.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

COIN = 100_000_000
INITIAL_SUBSIDY = 50 * COIN
MAX_HALVINGS = 64
"""After 64 halvings a right shift is undefined in C++; Core pays zero instead."""

_SATOSHI_COINBASE_HEX = (
    "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ff"
    "ff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272"
    "696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a01000000"
    "434104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f3"
    "5504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000"
)
_MAIN_HEADER_HEX = (
    "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b2"
    "7ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c"
)
_TEST_HEADER_HEX = (
    "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b2"
    "7ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4adae5494dffff001d1aa4ae18"
)
_REGTEST_HEADER_HEX = (
    "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b2"
    "7ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4adae5494dffff7f2002000000"
)
_SIGNET_HEADER_HEX = (
    "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b2"
    "7ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a008f4d5fae77031e8ad22203"
)
_TESTNET4_GENESIS_HEX = (
    "0100000000000000000000000000000000000000000000000000000000000000000000004e7b2b9128fe0291"
    "db0693af2ae418b767e657cd407e80cb1434221eaea7a07a046f3566ffff001dbb0c78170101000000010000"
    "000000000000000000000000000000000000000000000000000000000000ffffffff5504ffff001d01044c4c"
    "30332f4d61792f32303234203030303030303030303030303030303030303030316562643538633234343937"
    "3062336161396437383362623030313031316662653865613865393865303065ffffffff0100f2052a010000"
    "002321000000000000000000000000000000000000000000000000000000000000000000ac00000000"
)


@dataclass(frozen=True, slots=True)
class Network:
    """Everything chain-specific the pool needs."""

    name: str
    bech32_hrp: str
    p2pkh_prefix: int
    p2sh_prefix: int
    halving_interval: int
    genesis_block_hex: str
    genesis_hash_hex: str
    """Genesis block hash as bitcoind displays it (``getblockhash 0``)."""
    pow_limit_bits: int
    """Compact form of the easiest target the chain allows."""

    @property
    def genesis_block(self) -> bytes:
        return bytes.fromhex(self.genesis_block_hex)


MAINNET = Network(
    name="main",
    bech32_hrp="bc",
    p2pkh_prefix=0x00,
    p2sh_prefix=0x05,
    halving_interval=210_000,
    genesis_block_hex=_MAIN_HEADER_HEX + "01" + _SATOSHI_COINBASE_HEX,
    genesis_hash_hex="000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f",
    pow_limit_bits=0x1D00FFFF,
)
TESTNET = Network(
    name="test",
    bech32_hrp="tb",
    p2pkh_prefix=0x6F,
    p2sh_prefix=0xC4,
    halving_interval=210_000,
    genesis_block_hex=_TEST_HEADER_HEX + "01" + _SATOSHI_COINBASE_HEX,
    genesis_hash_hex="000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943",
    pow_limit_bits=0x1D00FFFF,
)
TESTNET4 = Network(
    name="testnet4",
    bech32_hrp="tb",
    p2pkh_prefix=0x6F,
    p2sh_prefix=0xC4,
    halving_interval=210_000,
    genesis_block_hex=_TESTNET4_GENESIS_HEX,
    genesis_hash_hex="00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043",
    pow_limit_bits=0x1D00FFFF,
)
SIGNET = Network(
    name="signet",
    bech32_hrp="tb",
    p2pkh_prefix=0x6F,
    p2sh_prefix=0xC4,
    halving_interval=210_000,
    genesis_block_hex=_SIGNET_HEADER_HEX + "01" + _SATOSHI_COINBASE_HEX,
    genesis_hash_hex="00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6",
    pow_limit_bits=0x1E0377AE,
)
REGTEST = Network(
    name="regtest",
    bech32_hrp="bcrt",
    p2pkh_prefix=0x6F,
    p2sh_prefix=0xC4,
    halving_interval=150,
    genesis_block_hex=_REGTEST_HEADER_HEX + "01" + _SATOSHI_COINBASE_HEX,
    genesis_hash_hex="0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206",
    pow_limit_bits=0x207FFFFF,
)

NETWORKS: Mapping[str, Network] = MappingProxyType(
    {net.name: net for net in (MAINNET, TESTNET, TESTNET4, SIGNET, REGTEST)}
)
"""Networks by canonical (``getblockchaininfo.chain``) name."""

_ALIASES: Mapping[str, str] = MappingProxyType(
    {"mainnet": "main", "testnet": "test", "testnet3": "test"}
)


def network_by_name(name: str) -> Network:
    """Look up a network by canonical name or alias (case-insensitive)."""
    key = name.strip().lower()
    try:
        return NETWORKS[_ALIASES.get(key, key)]
    except KeyError:
        known = ", ".join([*NETWORKS, *_ALIASES])
        raise ValueError(f"unknown network {name!r}; expected one of: {known}") from None


def block_subsidy(height: int, network: Network) -> int:
    """New coins a block at ``height`` may claim, in satoshis (Core's GetBlockSubsidy)."""
    if height < 0:
        raise ValueError(f"block height cannot be negative: {height}")
    halvings = height // network.halving_interval
    if halvings >= MAX_HALVINGS:
        return 0
    return INITIAL_SUBSIDY >> halvings
