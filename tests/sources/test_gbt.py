"""getblocktemplate parsing: byte order, rules, commitments, and refusal of malformed input."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loka_stratum.sources.gbt import TemplateError, parse_template, template_request

GENESIS = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
COMMITMENT = "6a24aa21a9ed" + "e2f61c3f71d1defd3fa999dfa36953755c690689799962b48bebd836974e8cf9"
SEGWIT_TX = {
    "data": "02000000000101" + "ab" * 40,
    "txid": "11" * 31 + "01",
    "hash": "22" * 31 + "02",
    "depends": [],
    "fee": 2250,
    "sigops": 1,
    "weight": 561,
}
LEGACY_TX = {
    "data": "0100000001" + "cd" * 50,
    "txid": "33" * 31 + "03",
    "hash": "33" * 31 + "03",
    "depends": [1],
    "fee": 1000,
    "sigops": 4,
    "weight": 904,
}


def segwit_gbt() -> dict[str, Any]:
    """Shaped like Bitcoin Core 27's answer to {"rules": ["segwit"]} (trimmed)."""
    return {
        "capabilities": ["proposal"],
        "version": 0x20000000,
        "rules": ["csv", "!segwit", "taproot"],
        "vbavailable": {},
        "vbrequired": 0,
        "previousblockhash": GENESIS,
        "transactions": [copy.deepcopy(SEGWIT_TX), copy.deepcopy(LEGACY_TX)],
        "coinbaseaux": {},
        "coinbasevalue": 5_000_003_250,
        "longpollid": GENESIS + "12",
        "target": "0000000000000000000308b60000000000000000000000000000000000000000",
        "mintime": 1_700_000_001,
        "mutable": ["time", "transactions", "prevblock"],
        "noncerange": "00000000ffffffff",
        "sigoplimit": 80000,
        "sizelimit": 4000000,
        "weightlimit": 4000000,
        "curtime": 1_700_000_600,
        "bits": "170308b6",
        "height": 820_000,
        "default_witness_commitment": COMMITMENT,
    }


def pre_segwit_gbt() -> dict[str, Any]:
    gbt = segwit_gbt()
    gbt["rules"] = ["csv"]
    gbt["transactions"] = [copy.deepcopy(LEGACY_TX)]
    gbt["coinbaseaux"] = {"flags": "062f503253482f"}
    gbt["version"] = 0x20000000
    del gbt["default_witness_commitment"]
    return gbt


def test_segwit_template_fields_are_converted_to_internal_order() -> None:
    template = parse_template(segwit_gbt())
    assert template.prev_hash == bytes.fromhex(GENESIS)[::-1]
    assert template.prev_hash.hex().startswith("6fe28c0ab6f1b372")
    assert (template.height, template.version, template.bits) == (820_000, 0x20000000, 0x170308B6)
    assert (template.curtime, template.mintime) == (1_700_000_600, 1_700_000_001)
    assert template.coinbase_value == 5_000_003_250
    assert template.network_target == int(segwit_gbt()["target"], 16)
    assert template.witness_commitment == bytes.fromhex(COMMITMENT)
    assert template.coinbase_aux == b""
    first, second = template.transactions
    assert first.data == bytes.fromhex(SEGWIT_TX["data"])  # type: ignore[arg-type]
    assert first.txid == bytes.fromhex("11" * 31 + "01")[::-1]
    assert (first.fee, first.weight, second.fee, second.weight) == (2250, 561, 1000, 904)


def test_pre_segwit_template_has_no_commitment_and_keeps_aux_flags() -> None:
    template = parse_template(pre_segwit_gbt())
    assert template.witness_commitment is None
    assert template.coinbase_aux == bytes.fromhex("062f503253482f")
    assert len(template.transactions) == 1


def test_empty_template_and_optional_fields() -> None:
    gbt = segwit_gbt()
    gbt["transactions"] = []
    for optional in ("coinbaseaux", "mintime", "target"):
        del gbt[optional]
    template = parse_template(gbt)
    assert template.transactions == () and template.coinbase_aux == b""
    assert template.mintime == 0


def test_segwit_template_without_commitment_is_fine_only_without_witnesses() -> None:
    gbt = segwit_gbt()
    del gbt["default_witness_commitment"]
    with pytest.raises(TemplateError, match="no default_witness_commitment"):
        parse_template(gbt)
    gbt["transactions"] = [copy.deepcopy(LEGACY_TX)]
    assert parse_template(gbt).witness_commitment is None


def test_witness_transaction_without_the_segwit_rule_is_refused() -> None:
    gbt = pre_segwit_gbt()
    gbt["transactions"].append(copy.deepcopy(SEGWIT_TX))
    with pytest.raises(TemplateError, match="without the segwit rule"):
        parse_template(gbt)


def test_commitment_outside_segwit_is_ignored() -> None:
    gbt = pre_segwit_gbt()
    gbt["default_witness_commitment"] = COMMITMENT
    assert parse_template(gbt).witness_commitment is None


@pytest.mark.parametrize(
    ("rules", "ok"),
    [
        (["csv", "!segwit", "taproot", "some-future-soft-fork"], True),
        (["segwit", "!signet"], True),
        (["!segwit", "!new-block-format"], False),
    ],
)
def test_unknown_rules_only_matter_when_mandatory(rules: list[str], ok: bool) -> None:
    gbt = segwit_gbt()
    gbt["rules"] = rules
    if ok:
        assert parse_template(gbt).witness_commitment is not None
    else:
        with pytest.raises(TemplateError, match="unsupported rule 'new-block-format'"):
            parse_template(gbt)


def test_target_must_agree_with_bits() -> None:
    gbt = segwit_gbt()
    gbt["target"] = "00000000000000000003" + "0" * 44
    with pytest.raises(TemplateError, match="disagrees with bits"):
        parse_template(gbt)


def _set(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    gbt = segwit_gbt()
    node: Any = gbt
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return gbt


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("height",), KeyError, "KeyError: 'height'"),
        (("height",), 0, "at least 1"),
        (("height",), True, "height is not an integer"),
        (("height",), "820000", "height is not an integer"),
        (("bits",), "zz0308b6", "malformed template: ValueError"),
        (("bits",), 0x170308B6, "expected a string"),
        (("bits",), "1170308b6", "bits out of range"),
        (("version",), -1, "version out of range"),
        (("coinbasevalue",), 50.5, "coinbasevalue is not an integer"),
        (("previousblockhash",), GENESIS[:-2], "previousblockhash is not a 32-byte hash"),
        (("previousblockhash",), None, "expected a string"),
        (("rules",), "segwit", "rules must be a list"),
        (("transactions",), [42], "transaction entry is not an object"),
        (("transactions", 0, "data"), "", "empty transaction data"),
        (("transactions", 0, "txid"), "ab", "txid is not a 32-byte hash"),
        (("transactions", 1, "fee"), -5, "fee out of range"),
        (("default_witness_commitment",), "6a" + "00" * 37, "not a commitment"),
        (("default_witness_commitment",), COMMITMENT + "00", "not a commitment"),
        (("coinbaseaux",), ["flags"], "coinbaseaux is not an object"),
        (("coinbaseaux",), {"flags": "xyz"}, "malformed template"),
    ],
)
def test_malformed_templates_raise_template_error(
    path: tuple[Any, ...], value: Any, message: str
) -> None:
    with pytest.raises(TemplateError, match=message):
        parse_template(_set(path, value))


@pytest.mark.parametrize("result", [None, [], "template", 7])
def test_non_object_results_are_refused(result: Any) -> None:
    with pytest.raises(TemplateError, match="not an object"):
        parse_template(result)


def test_template_request_names_the_rules_core_insists_on() -> None:
    assert template_request() == {"rules": ["segwit"]}
    assert template_request(signet=True) == {"rules": ["segwit", "signet"]}


@given(
    prev=st.binary(min_size=32, max_size=32),
    txids=st.lists(st.binary(min_size=32, max_size=32), max_size=8),
    height=st.integers(1, 2**31 - 1),
    value=st.integers(0, 21_000_000 * 10**8),
)
def test_hashes_round_trip_from_display_hex(
    prev: bytes, txids: list[bytes], height: int, value: int
) -> None:
    gbt = segwit_gbt()
    gbt["previousblockhash"] = prev[::-1].hex()
    gbt["transactions"] = [
        {"data": "00", "txid": txid[::-1].hex(), "hash": txid[::-1].hex()} for txid in txids
    ]
    gbt["height"], gbt["coinbasevalue"] = height, value
    template = parse_template(gbt)
    assert template.prev_hash == prev and template.txids == txids
    assert (template.height, template.coinbase_value) == (height, value)
