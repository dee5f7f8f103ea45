"""Hypothesis strategies for JSON values and every Stratum message."""

from __future__ import annotations

from hypothesis import strategies as st

from loka_stratum.protocol import (
    Authorize,
    Configure,
    ConfigureResult,
    ExtranonceSubscribe,
    GetTransactions,
    GetVersion,
    JsonValue,
    MinerRequest,
    Notify,
    PoolMessage,
    Reconnect,
    SetDifficulty,
    SetExtranonce,
    SetVersionMask,
    ShowMessage,
    Submit,
    Subscribe,
    SubscribeResult,
    SuggestDifficulty,
    UnknownRequest,
)

INT64 = st.integers(-(2**63), 2**64 - 1)
text = st.text(max_size=20)
optional_text = st.none() | text
ports = st.integers(0, 65535)
masks = st.integers(0, 2**32 - 1)
difficulties = st.floats(min_value=0, exclude_min=True, allow_infinity=False, allow_nan=False)

json_scalars: st.SearchStrategy[JsonValue] = (
    st.none() | st.booleans() | INT64 | st.floats(allow_nan=False, allow_infinity=False) | text
)
json_values: st.SearchStrategy[JsonValue] = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)


def _unknown_methods(known: frozenset[str]) -> st.SearchStrategy[str]:
    return st.text(min_size=1, max_size=20).filter(lambda m: m not in known)


MINER_METHOD_NAMES = frozenset(
    {
        "mining.subscribe",
        "mining.authorize",
        "mining.submit",
        "mining.configure",
        "mining.suggest_difficulty",
        "mining.extranonce.subscribe",
        "mining.get_transactions",
    }
)
POOL_METHOD_NAMES = frozenset(
    {
        "mining.notify",
        "mining.set_difficulty",
        "mining.set_version_mask",
        "mining.set_extranonce",
        "client.reconnect",
        "client.show_message",
        "client.get_version",
    }
)

configures = st.builds(
    Configure,
    st.lists(text, max_size=4).map(tuple),
    st.none() | masks,
    st.none() | st.integers(0, 32),
    st.none() | difficulties,
)

miner_requests: st.SearchStrategy[MinerRequest] = st.one_of(
    st.builds(Subscribe, optional_text, optional_text, optional_text, st.none() | ports),
    st.builds(Authorize, text, optional_text),
    st.builds(Submit, text, text, text, text, text, optional_text),
    configures,
    st.builds(SuggestDifficulty, difficulties),
    st.just(ExtranonceSubscribe()),
    st.builds(GetTransactions, optional_text),
    st.builds(UnknownRequest, _unknown_methods(MINER_METHOD_NAMES), json_values),
)

pool_messages: st.SearchStrategy[PoolMessage] = st.one_of(
    st.builds(
        Notify,
        text,
        text,
        text,
        text,
        st.lists(text, max_size=12).map(tuple),
        text,
        text,
        text,
        st.booleans(),
    ),
    st.builds(SetDifficulty, difficulties),
    st.builds(SetVersionMask, masks),
    st.builds(SetExtranonce, st.binary(max_size=16), st.integers(0, 32)),
    st.builds(Reconnect, optional_text, st.none() | ports, st.none() | st.integers(0, 3600)),
    st.builds(ShowMessage, text),
    st.just(GetVersion()),
    st.builds(UnknownRequest, _unknown_methods(POOL_METHOD_NAMES), json_values),
)

subscribe_results = st.builds(
    SubscribeResult,
    st.lists(st.tuples(text, text), max_size=3).map(tuple),
    st.binary(max_size=16),
    st.integers(0, 32),
)

configure_results = st.builds(
    ConfigureResult,
    st.none() | st.booleans(),
    st.none() | masks,
    st.none() | st.booleans(),
    st.none() | st.booleans(),
)
