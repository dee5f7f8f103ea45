"""The RUST_LOG-style filter: the manual's specs, precedence, aliases and refusals."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loka_stratum.observability.log_filter import LogFilter, filter_from_env, parse_filter
from loka_stratum.observability.names import OFF, TRACE

DEBUG, INFO, WARN, ERROR = logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR


@pytest.mark.parametrize(
    ("spec", "logger", "expected"),
    [
        ("info", "loka_stratum.server", INFO),
        ("loka_stratum=info", "loka_stratum.storage", INFO),
        ("loka_stratum=debug,tower_http=debug", "loka_stratum.server.session", DEBUG),
        ("loka_stratum=debug,tower_http=debug", "uvicorn.access", DEBUG),
        ("loka_stratum=debug,tower_http=debug", "loka_stratum.api.admin", DEBUG),
        ("loka_stratum=debug,tower_http=debug", "sqlalchemy.engine", INFO),
        ("loka_stratum::protocol=trace", "loka_stratum.protocol.codec", TRACE),
        ("loka_stratum::protocol=trace", "loka_stratum.server.session", TRACE),
        ("loka_stratum::protocol=trace", "loka_stratum.server.listener", INFO),
        ("loka_stratum::network=debug", "loka_stratum.server.listener", DEBUG),
        ("loka_stratum::services::database=debug", "loka_stratum.storage.engine", DEBUG),
        ("loka_stratum::services::metrics=debug", "loka_stratum.observability.live", DEBUG),
        ("loka_stratum=trace", "loka_stratum.mining", TRACE),
        ("debug", "asyncio", DEBUG),
        ("warn,loka_stratum::server=debug", "loka_stratum.server", DEBUG),
        ("warn,loka_stratum::server=debug", "loka_stratum.storage", WARN),
        ("warn,loka_stratum::server=debug", "uvicorn.error", WARN),
    ],
)
def test_manual_specs(spec: str, logger: str, expected: int) -> None:
    assert parse_filter(spec).level_for(logger) == expected


def test_bare_level_sets_default_and_last_one_wins() -> None:
    assert parse_filter("error").default == ERROR
    assert parse_filter("error,debug").default == DEBUG
    assert parse_filter("").default == INFO
    assert parse_filter(" , ,").default == INFO


def test_levels_are_case_insensitive_and_include_off() -> None:
    assert parse_filter("WARN").default == WARN
    assert parse_filter("Warning").default == WARN
    assert parse_filter("loka_stratum=OFF").level_for("loka_stratum.x") == OFF


def test_most_specific_target_wins_whatever_the_order() -> None:
    spec = "loka_stratum::server::session=error,loka_stratum=trace,loka_stratum::server=info"
    log_filter = parse_filter(spec)
    assert log_filter.level_for("loka_stratum.server.session.codec") == ERROR
    assert log_filter.level_for("loka_stratum.server.listener") == INFO
    assert log_filter.level_for("loka_stratum.storage") == TRACE


def test_later_directive_for_same_target_replaces_earlier() -> None:
    log_filter = parse_filter("loka_stratum=debug,loka_stratum=error")
    assert log_filter.directives == (("loka_stratum", ERROR),)


def test_targets_match_whole_components_only() -> None:
    log_filter = parse_filter("warn,loka_stratum.server=debug")
    assert log_filter.level_for("loka_stratum.serverless") == WARN
    assert log_filter.level_for("loka_stratum") == WARN


def test_bare_target_enables_every_level() -> None:
    assert parse_filter("loka_stratum::server").level_for("loka_stratum.server.x") == TRACE
    assert parse_filter("loka_stratum").level_for("loka_stratum") == TRACE


def test_alias_prefix_carries_the_rest_of_the_path() -> None:
    log_filter = parse_filter("loka_stratum::network::listener=debug")
    assert log_filter.directives == (("loka_stratum.server.listener", DEBUG),)


def test_short_aliases_for_performance_and_security() -> None:
    log_filter = parse_filter("performance=warn,security=error")
    assert log_filter.level_for("loka_stratum.performance") == WARN
    assert log_filter.level_for("loka_stratum.security") == ERROR
    assert log_filter.mentions("loka_stratum.security")


def test_dotted_python_names_work_like_rust_paths() -> None:
    assert parse_filter("loka_stratum.network=debug") == parse_filter("loka_stratum::network=debug")


@pytest.mark.parametrize(
    ("spec", "complaint"),
    [
        ("loka_stratum=verbose", "unknown log level 'verbose'"),
        ("degub", "unknown level"),
        ("loka_stratum=", "unknown log level ''"),
        ("=debug", "is not a module path"),
        ("loka stratum=debug", "is not a module path"),
        ("loka_stratum::=debug", "is not a module path"),
        ("loka_stratum=debug/accepted", "/regex message filters are not supported"),
    ],
)
def test_nonsense_is_refused_with_a_reason(spec: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint.replace("(", r"\(")):
        parse_filter(spec)


def test_unknown_bare_word_suggests_the_target_form() -> None:
    with pytest.raises(ValueError, match="write 'sqlalchemy=trace'"):
        parse_filter("sqlalchemy")


def test_str_is_a_spec_that_parses_back() -> None:
    log_filter = parse_filter("warn,loka_stratum::protocol=trace,uvicorn=off")
    assert str(log_filter) == (
        "warn,loka_stratum.protocol=trace,loka_stratum.server.session=trace,uvicorn=off"
    )


_TARGETS = st.sampled_from(
    [
        "loka_stratum",
        "loka_stratum::server",
        "loka_stratum::protocol",
        "loka_stratum::protocol::codec",
        "loka_stratum.server.session",
        "loka_stratum::network",
        "loka_stratum::services::database",
        "tower_http",
        "performance",
        "sqlalchemy.engine",
    ]
)
_WORDS = st.sampled_from(["trace", "debug", "info", "warn", "error", "off"])


@given(
    default=_WORDS,
    directives=st.lists(st.tuples(_TARGETS, _WORDS), max_size=6),
)
def test_round_trip_through_str(default: str, directives: list[tuple[str, str]]) -> None:
    spec = ",".join([default, *(f"{target}={word}" for target, word in directives)])
    log_filter = parse_filter(spec)
    assert parse_filter(str(log_filter)) == log_filter


@given(directives=st.lists(st.tuples(_TARGETS, _WORDS), min_size=1, max_size=6))
def test_level_for_is_the_longest_covering_directive(directives: list[tuple[str, str]]) -> None:
    log_filter = parse_filter(",".join(f"{target}={word}" for target, word in directives))
    for name, level in log_filter.directives:
        assert log_filter.level_for(name) == level
        assert log_filter.level_for(name + ".child") == level


def test_with_default_keeps_directives() -> None:
    log_filter = parse_filter("info,loka_stratum::server=debug").with_default(ERROR)
    assert log_filter == LogFilter(ERROR, (("loka_stratum.server", DEBUG),))


def test_filter_from_env_prefers_loka_log() -> None:
    env = {"LOKA_LOG": "debug", "RUST_LOG": "loka_stratum=trace"}
    assert filter_from_env(env) == "debug"


def test_filter_from_env_falls_back_to_rust_log() -> None:
    assert filter_from_env({"RUST_LOG": "loka_stratum=info"}) == "loka_stratum=info"
    assert filter_from_env({"LOKA_LOG": "  ", "RUST_LOG": "warn"}) == "warn"


def test_filter_from_env_without_either_is_none() -> None:
    assert filter_from_env({"PATH": "/usr/bin"}) is None
