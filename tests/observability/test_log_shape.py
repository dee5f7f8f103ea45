"""What a log line looks like: the contract's JSON keys, levels, targets, console lines."""

from __future__ import annotations

import io
import logging
import re
from datetime import UTC, datetime

import pytest
import structlog

from loka_stratum.observability.loggers import get_logger, log_performance, security_event
from loka_stratum.observability.names import TRACE

from .conftest import Configure, json_lines, messages

KEYS = {"timestamp", "level", "target", "message", "fields"}
RFC3339_MICROS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def test_every_line_has_exactly_the_contract_keys(configure: Configure) -> None:
    _, out = configure(level="trace")
    log = get_logger("loka_stratum.server").bind(session_id="a1b2", peer="10.0.0.7:51234")
    log.info("Connection established", worker="bc1q.rig1")
    log.trace("wire line", line='{"id":1}')
    logging.getLogger("sqlalchemy.engine").warning("pool %s", "exhausted")
    lines = json_lines(out.getvalue())
    assert len(lines) == 3
    for line in lines:
        assert set(line) == KEYS
        assert isinstance(line["fields"], dict)
    assert lines[0]["fields"] == {
        "session_id": "a1b2",
        "peer": "10.0.0.7:51234",
        "worker": "bc1q.rig1",
    }


def test_timestamp_is_rfc3339_utc_with_microseconds(configure: Configure) -> None:
    _, out = configure()
    before = datetime.now(UTC)
    get_logger("loka_stratum.app").info("started")
    after = datetime.now(UTC)
    stamp = json_lines(out.getvalue())[0]["timestamp"]
    assert RFC3339_MICROS.fullmatch(stamp)
    assert before.replace(microsecond=0) <= datetime.fromisoformat(stamp) <= after


@pytest.mark.parametrize(
    ("level", "label"),
    [
        (TRACE, "TRACE"),
        (logging.DEBUG, "DEBUG"),
        (logging.INFO, "INFO"),
        (logging.WARNING, "WARN"),
        (logging.ERROR, "ERROR"),
        (logging.CRITICAL, "ERROR"),
    ],
)
def test_levels_render_the_way_the_manual_greps_them(
    configure: Configure, level: int, label: str
) -> None:
    _, out = configure(level="trace")
    get_logger("loka_stratum.app").log(level, "event")
    logging.getLogger("uvicorn.error").log(level, "foreign event")
    assert [line["level"] for line in json_lines(out.getvalue())] == [label, label]


def test_ordinary_error_lines_match_grep_error(configure: Configure) -> None:
    _, out = configure()
    get_logger("loka_stratum.storage").error("Database unreachable", error_type="timeout")
    line = out.getvalue().splitlines()[0]
    assert '"level":"ERROR"' in line
    assert json_lines(line)[0]["fields"]["error_type"] == "timeout"


def test_logged_exception_gets_traceback_and_error_type(configure: Configure) -> None:
    _, out = configure()
    log = get_logger("loka_stratum.server")
    try:
        raise ConnectionResetError("peer went away")
    except ConnectionResetError:
        log.exception("Session failed")
    try:
        raise KeyError("job")
    except KeyError:
        logging.getLogger("asyncio").exception("Task exception was never retrieved")
    ours, foreign = json_lines(out.getvalue())
    assert ours["fields"]["error_type"] == "ConnectionResetError"
    assert "peer went away" in ours["fields"]["exception"]
    assert foreign["fields"]["error_type"] == "KeyError"
    assert foreign["target"] == "asyncio"


def test_explicit_error_type_wins_over_the_exception_class(configure: Configure) -> None:
    _, out = configure()
    try:
        raise OSError("boom")
    except OSError:
        get_logger("loka_stratum.server").exception("Accept failed", error_type="accept")
    assert json_lines(out.getvalue())[0]["fields"]["error_type"] == "accept"


def test_target_is_the_dotted_logger_name(configure: Configure) -> None:
    _, out = configure()
    get_logger("loka_stratum.server.session").info("x")
    logging.getLogger("uvicorn.access").info("y")
    assert [line["target"] for line in json_lines(out.getvalue())] == [
        "loka_stratum.server.session",
        "uvicorn.access",
    ]


def test_performance_record_answers_the_manual_jq(configure: Configure) -> None:
    _, out = configure()
    log_performance({"connections_active": 120, "hashrate_5m": 1.5e15})
    (line,) = json_lines(out.getvalue())
    assert line["target"] == "performance"
    assert "Performance" in line["message"]
    assert line["metrics"] == {"connections_active": 120, "hashrate_5m": 1.5e15}
    assert set(line) == {*KEYS, "metrics"}
    assert line["fields"] == {}


def test_stdlib_extras_become_fields(configure: Configure) -> None:
    _, out = configure()
    logging.getLogger("loka_stratum.api").info("request", extra={"path": "/health", "status": 200})
    assert json_lines(out.getvalue())[0]["fields"] == {"path": "/health", "status": 200}


def test_positional_arguments_are_interpolated(configure: Configure) -> None:
    _, out = configure()
    get_logger("loka_stratum.app").info("listening on %s:%d", "0.0.0.0", 3333)
    assert messages(out.getvalue()) == ["listening on 0.0.0.0:3333"]


def test_contextvars_are_merged_into_fields(configure: Configure) -> None:
    _, out = configure()
    with structlog.contextvars.bound_contextvars(session_id="s9"):
        get_logger("loka_stratum.server").info("Share accepted")
    assert json_lines(out.getvalue())[0]["fields"] == {"session_id": "s9"}


def test_get_logger_refuses_names_outside_the_package() -> None:
    with pytest.raises(ValueError, match="must be 'loka_stratum' or below it"):
        get_logger("server")
    with pytest.raises(ValueError, match="below it"):
        get_logger("loka_stratumx.server")


def test_capture_logs_sees_our_events() -> None:
    with structlog.testing.capture_logs() as events:
        get_logger("loka_stratum.server").bind(peer="1.2.3.4:1").info("mining.authorize", ok=True)
        security_event("banned", ip="1.2.3.4", reason="invalid-shares")
        log_performance({"shares_per_second": 12.5})
    assert events == [
        {"peer": "1.2.3.4:1", "ok": True, "event": "mining.authorize", "log_level": "info"},
        {"ip": "1.2.3.4", "reason": "invalid-shares", "event": "banned", "log_level": "warning"},
        {
            "metrics": {"shares_per_second": 12.5},
            "event": "Performance report",
            "log_level": "info",
        },
    ]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_console_format_is_one_readable_line(configure: Configure) -> None:
    _, out = configure(fmt="console")
    get_logger("loka_stratum.server").info("Connection established", peer="1.2.3.4:5", n=3)
    line = out.getvalue().rstrip("\n")
    assert "\x1b[" not in line
    assert re.fullmatch(
        r"\S+Z INFO  loka_stratum\.server: Connection established peer=1\.2\.3\.4:5 n=3", line
    )


def test_console_quotes_values_with_spaces_and_prints_tracebacks_below(
    configure: Configure,
) -> None:
    _, out = configure(fmt="console")
    try:
        raise ValueError("bad")
    except ValueError:
        get_logger("loka_stratum.app").exception("failed", why="two words")
    first, *rest = out.getvalue().splitlines()
    assert first.endswith('failed why="two words" error_type=ValueError')
    assert rest[0] == "Traceback (most recent call last):"


def test_auto_picks_console_with_colours_on_a_terminal(configure: Configure) -> None:
    _, out = configure(fmt="auto", stream=_Terminal())
    get_logger("loka_stratum.app").warning("careful")
    text = out.getvalue()
    assert "\x1b[33mWARN " in text
    assert not text.startswith("{")


def test_auto_picks_json_when_not_a_terminal(configure: Configure) -> None:
    _, out = configure(fmt="auto")
    get_logger("loka_stratum.app").warning("careful")
    assert out.getvalue().startswith("{")


def test_capture_logs_sees_events_the_filter_would_drop(configure: Configure) -> None:
    _, out = configure(level="warn")
    log = get_logger("loka_stratum.server")
    with structlog.testing.capture_logs() as events:
        log.debug("quiet")
        log.trace("quieter")
    log.debug("dropped")
    assert [e["event"] for e in events] == ["quiet", "quieter"]
    assert [e["log_level"] for e in events] == ["debug", "trace"]
    assert out.getvalue() == ""
