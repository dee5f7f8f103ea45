"""Addresses <-> output scripts for P2PKH, P2SH, P2WPKH, P2WSH and witness v1+ (P2TR).

Payout addresses come from operators and miners (worker names are often an
address), so errors must say what is wrong in words a person can act on:
which network an address belongs to, a bad checksum, a wrong program size,
mixed case, a stray character or the wrong Bech32 variant.
"""

from __future__ import annotations

from loka_stratum.bitcoin.base58 import Base58Error, b58check_decode, b58check_encode
from loka_stratum.bitcoin.bech32 import Bech32Error, decode_segwit_address, encode_segwit_address
from loka_stratum.bitcoin.encoding import OP_0, OP_1
from loka_stratum.bitcoin.network import NETWORKS, Network

OP_DUP = 0x76
OP_HASH160 = 0xA9
OP_EQUALVERIFY = 0x88
OP_CHECKSIG = 0xAC
OP_EQUAL = 0x87


class AddressError(ValueError):
    """An address that is malformed or does not belong to the expected network."""


_DISPLAY_NAMES = {"main": "mainnet", "test": "testnet3"}


def _network_label(networks: list[Network]) -> str:
    """Human name for the networks sharing a prefix (testnet3/testnet4/signet share 'tb')."""
    return "/".join(sorted({_DISPLAY_NAMES.get(net.name, net.name) for net in networks}))


def _owner_by_hrp(hrp: str) -> str | None:
    owners = [net for net in NETWORKS.values() if net.bech32_hrp == hrp]
    return _network_label(owners) if owners else None


def _owner_by_prefix(prefix: int) -> str | None:
    owners = [net for net in NETWORKS.values() if prefix in (net.p2pkh_prefix, net.p2sh_prefix)]
    return _network_label(owners) if owners else None


def _segwit_script(version: int, program: bytes) -> bytes:
    opcode = OP_0 if version == 0 else OP_1 - 1 + version
    return bytes((opcode, len(program))) + program


def _decode_segwit(address: str, network: Network) -> bytes:
    try:
        hrp, version, program = decode_segwit_address(address)
    except Bech32Error as exc:
        raise AddressError(f"invalid bech32 address {address!r}: {exc}") from exc
    if hrp != network.bech32_hrp:
        owner = _owner_by_hrp(hrp)
        where = f"is a {owner} address" if owner else f"has unknown prefix {hrp!r}"
        raise AddressError(f"{address!r} {where}; expected a {_network_label([network])} address")
    return _segwit_script(version, program)


def _decode_base58(address: str, network: Network) -> bytes:
    try:
        payload = b58check_decode(address)
    except Base58Error as exc:
        raise AddressError(f"invalid base58 address {address!r}: {exc}") from exc
    if len(payload) != 21:
        raise AddressError(f"base58 address {address!r} has a {len(payload) - 1}-byte hash")
    prefix, digest = payload[0], payload[1:]
    if prefix == network.p2pkh_prefix:
        return bytes((OP_DUP, OP_HASH160, 20)) + digest + bytes((OP_EQUALVERIFY, OP_CHECKSIG))
    if prefix == network.p2sh_prefix:
        return bytes((OP_HASH160, 20)) + digest + bytes((OP_EQUAL,))
    owner = _owner_by_prefix(prefix)
    where = f"is a {owner} address" if owner else f"has unknown version byte {prefix:#04x}"
    raise AddressError(f"{address!r} {where}; expected a {_network_label([network])} address")


def _looks_bech32(address: str) -> bool:
    """Known HRP before the last '1', or longer than any Base58 address can be."""
    hrp = address[: address.rfind("1")].lower()
    known = {net.bech32_hrp for net in NETWORKS.values()}
    return hrp in known or (len(address) > 35 and "1" in address[1:])


def address_to_script(address: str, network: Network) -> bytes:
    """The output script (scriptPubKey) an address stands for on ``network``."""
    address = address.strip()
    if not address:
        raise AddressError("empty address")
    if _looks_bech32(address):
        return _decode_segwit(address, network)
    return _decode_base58(address, network)


def _witness_program(script: bytes) -> tuple[int, bytes] | None:
    if len(script) < 4 or len(script) != script[1] + 2 or not 2 <= script[1] <= 40:
        return None
    if script[0] == OP_0:
        return 0, script[2:]
    if OP_1 <= script[0] <= OP_1 + 15:
        return script[0] - OP_1 + 1, script[2:]
    return None


def script_to_address(script: bytes, network: Network) -> str:
    """The address of a standard output script; ValueError for anything else."""
    p2pkh_head = bytes((OP_DUP, OP_HASH160, 20))
    if len(script) == 25 and script.startswith(p2pkh_head) and script[-2:] == b"\x88\xac":
        return b58check_encode(bytes((network.p2pkh_prefix,)) + script[3:23])
    if len(script) == 23 and script[:2] == bytes((OP_HASH160, 20)) and script[-1] == OP_EQUAL:
        return b58check_encode(bytes((network.p2sh_prefix,)) + script[2:22])
    witness = _witness_program(script)
    if witness is not None:
        try:
            return encode_segwit_address(network.bech32_hrp, *witness)
        except Bech32Error as exc:
            raise AddressError(f"output script {script.hex()} has no address: {exc}") from exc
    raise AddressError(f"output script {script.hex()} has no standard address form")
