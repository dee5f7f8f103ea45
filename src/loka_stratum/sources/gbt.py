"""bitcoind answers -> values: ``getblocktemplate`` into `BlockTemplate`, and the
few other answers the work source reads (chain info, block hashes).

Everything bitcoind hands us is checked here, once, so the job factory can
trust its input: hashes are 32 bytes (display hex reversed to internal
order), ``bits`` agrees with ``target``, the witness commitment is a real
commitment script, and the template's rules are ones we understand. A
template that fails any check raises `TemplateError`; the caller keeps its
previous template rather than handing miners work that cannot become a block.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from loka_stratum.bitcoin.target import bits_to_target
from loka_stratum.mining.template import BlockTemplate, TemplateTransaction

WITNESS_COMMITMENT_PREFIX = bytes.fromhex("6a24aa21a9ed")
"""OP_RETURN, push 36, then the BIP141 commitment header."""

KNOWN_MANDATORY_RULES = frozenset({"segwit", "signet"})
"""Rules we must understand to use a template (BIP9 "!" prefix). Segwit changes the
block layout (witness commitment); signet changes nothing for the pool (the signet
solution lives in the template's commitment, which we copy)."""


class MalformedReplyError(ValueError):
    """A node answer that does not have the shape bitcoind documents."""


class TemplateError(MalformedReplyError):
    """A getblocktemplate result we refuse to mine on."""


@dataclass(frozen=True, slots=True)
class ChainInfo:
    """What the source needs from ``getblockchaininfo``."""

    chain: str
    """"main", "test", "testnet4", "signet" or "regtest", as our `Network.name`."""
    blocks: int
    initial_block_download: bool


def parse_chain_info(result: Any) -> ChainInfo:
    if not isinstance(result, Mapping) or not isinstance(result.get("chain"), str):
        raise MalformedReplyError("getblockchaininfo result without a chain name")
    blocks = result.get("blocks", 0)
    return ChainInfo(
        chain=result["chain"],
        blocks=blocks if isinstance(blocks, int) else 0,
        initial_block_download=result.get("initialblockdownload") is True,
    )


def parse_block_hash(result: Any) -> bytes:
    """A block hash as bitcoind shows it (display hex) -> internal byte order."""
    try:
        return _hash(result, "block hash")
    except (TypeError, ValueError) as exc:
        raise MalformedReplyError(f"not a block hash: {result!r}") from exc


def template_request(*, signet: bool = False) -> dict[str, list[str]]:
    """The ``template_request`` argument: Core insists on the segwit (and signet) rule."""
    return {"rules": ["segwit", "signet"] if signet else ["segwit"]}


def parse_template(result: Any) -> BlockTemplate:
    """Convert a ``getblocktemplate`` result, raising `TemplateError` on anything odd."""
    if not isinstance(result, Mapping):
        raise TemplateError("getblocktemplate result is not an object")
    try:
        return _parse(result)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, TemplateError):
            raise
        raise TemplateError(f"malformed template: {type(exc).__name__}: {exc}") from exc


def _parse(gbt: Mapping[str, Any]) -> BlockTemplate:
    segwit = _segwit_active(gbt.get("rules", []))
    bits = _uint(int(_str(gbt["bits"]), 16), "bits", 32)
    if "target" in gbt and int(_str(gbt["target"]), 16) != bits_to_target(bits):
        raise TemplateError(f"target {gbt['target']} disagrees with bits {gbt['bits']}")
    transactions = tuple(_transaction(tx, segwit) for tx in gbt.get("transactions", []))
    commitment = _commitment(gbt.get("default_witness_commitment"), segwit)
    if commitment is None and any(_has_witness(tx) for tx in gbt.get("transactions", [])):
        raise TemplateError("witness transactions but no default_witness_commitment")
    height = _uint(gbt["height"], "height", 31)
    if height < 1:
        raise TemplateError("height must be at least 1")
    return BlockTemplate(
        height=height,
        prev_hash=_hash(gbt["previousblockhash"], "previousblockhash"),
        version=_uint(gbt["version"], "version", 32),
        bits=bits,
        curtime=_uint(gbt["curtime"], "curtime", 32),
        mintime=_uint(gbt.get("mintime", 0), "mintime", 32),
        coinbase_value=_uint(gbt["coinbasevalue"], "coinbasevalue", 63),
        transactions=transactions,
        witness_commitment=commitment,
        coinbase_aux=_coinbase_aux(gbt.get("coinbaseaux")),
    )


def _segwit_active(rules: Any) -> bool:
    if not isinstance(rules, list) or not all(isinstance(rule, str) for rule in rules):
        raise TemplateError("rules must be a list of strings")
    for rule in rules:
        if rule.startswith("!") and rule[1:] not in KNOWN_MANDATORY_RULES:
            raise TemplateError(f"template requires unsupported rule {rule[1:]!r}")
    return "segwit" in rules or "!segwit" in rules


def _transaction(tx: Any, segwit: bool) -> TemplateTransaction:
    if not isinstance(tx, Mapping):
        raise TemplateError("transaction entry is not an object")
    data = bytes.fromhex(_str(tx["data"]))
    if not data:
        raise TemplateError("empty transaction data")
    if _has_witness(tx) and not segwit:
        raise TemplateError("witness transaction in a template without the segwit rule")
    return TemplateTransaction(
        data=data,
        txid=_hash(tx["txid"], "txid"),
        fee=_uint(tx.get("fee", 0), "fee", 63),
        weight=_uint(tx.get("weight", 0), "weight", 32),
    )


def _has_witness(tx: Any) -> bool:
    """GBT's ``hash`` is the wtxid; it differs from ``txid`` exactly when there is a witness."""
    return isinstance(tx, Mapping) and "hash" in tx and tx["hash"] != tx["txid"]


def _commitment(value: Any, segwit: bool) -> bytes | None:
    """The commitment script; None before segwit, or when no transaction has a witness."""
    if value is None:
        return None
    script = bytes.fromhex(_str(value))
    if len(script) != 38 or not script.startswith(WITNESS_COMMITMENT_PREFIX):
        raise TemplateError(f"default_witness_commitment is not a commitment: {value}")
    return script if segwit else None


def _coinbase_aux(value: Any) -> bytes:
    if value is None:
        return b""
    if not isinstance(value, Mapping):
        raise TemplateError("coinbaseaux is not an object")
    return bytes.fromhex(_str(value.get("flags", "")))


def _hash(value: Any, name: str) -> bytes:
    raw = bytes.fromhex(_str(value))
    if len(raw) != 32:
        raise TemplateError(f"{name} is not a 32-byte hash")
    return raw[::-1]


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _uint(value: Any, name: str, bits: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TemplateError(f"{name} is not an integer")
    if not 0 <= value < 1 << bits:
        raise TemplateError(f"{name} out of range: {value}")
    return value
