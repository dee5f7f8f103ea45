"""The pipeline at run time: filters on real loggers, live changes, reopen, security log."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from loka_stratum.observability.loggers import get_logger, get_security_logger, security_event
from loka_stratum.observability.names import TRACE

from .conftest import Configure, json_lines, messages


def test_filter_drops_below_level_for_ours_and_third_party(configure: Configure) -> None:
    _, out = configure(level="info", filter_spec="warn,sqlalchemy.engine=info")
    logging.getLogger("sqlalchemy.engine").info("SELECT 1")
    logging.getLogger("sqlalchemy.pool").info("checkout")
    logging.getLogger("asyncio").warning("slow callback")
    get_logger("loka_stratum.server").info("Connection established")
    get_logger("loka_stratum.server").warning("Connection refused")
    assert messages(out.getvalue()) == ["SELECT 1", "slow callback", "Connection refused"]


def test_env_filter_overrides_config_level(configure: Configure) -> None:
    _, out = configure(level="warn", filter_spec="loka_stratum::network=debug")
    get_logger("loka_stratum.server.listener").debug("accepted")
    get_logger("loka_stratum.storage").info("flushed")
    assert messages(out.getvalue()) == ["accepted"]


def test_protocol_trace_reaches_the_session_logger(configure: Configure) -> None:
    _, out = configure(level="info", filter_spec="loka_stratum::protocol=trace")
    get_logger("loka_stratum.server.session").trace("<- mining.subscribe")
    get_logger("loka_stratum.server.listener").trace("not this")
    logging.getLogger("loka_stratum.server.session").log(TRACE, "stdlib trace")
    assert messages(out.getvalue()) == ["<- mining.subscribe", "stdlib trace"]
    assert {line["level"] for line in json_lines(out.getvalue())} == {"TRACE"}


def test_set_filter_changes_levels_live(configure: Configure) -> None:
    handle, out = configure(level="info")
    log = get_logger("loka_stratum.server")
    log.debug("before")
    handle.set_filter("info,loka_stratum::server=debug")
    log.debug("after")
    get_logger("loka_stratum.storage").debug("still quiet")
    handle.set_filter("warn")
    log.debug("quiet again")
    log.info("also quiet")
    assert messages(out.getvalue()) == ["after"]


def test_bad_filter_is_refused_and_old_one_stays(configure: Configure) -> None:
    handle, out = configure(level="info", filter_spec="loka_stratum=debug")
    with pytest.raises(ValueError, match="unknown log level"):
        handle.set_filter("loka_stratum=loud")
    get_logger("loka_stratum.server").debug("kept")
    assert str(handle.filter) == "info,loka_stratum=debug"
    assert messages(out.getvalue()) == ["kept"]


def test_set_level_keeps_directives(configure: Configure) -> None:
    handle, out = configure(level="info", filter_spec="loka_stratum::network=debug")
    handle.set_level("error")
    get_logger("loka_stratum.server").debug("server debug")
    get_logger("loka_stratum.storage").warning("storage warning")
    assert messages(out.getvalue()) == ["server debug"]


def test_reopen_after_rename_writes_to_a_new_file(configure: Configure, tmp_path: Path) -> None:
    path = tmp_path / "log" / "app.log"
    handle, _ = configure(file=path)
    log = get_logger("loka_stratum.app")
    log.info("first")
    rotated = path.with_name("app.log.1")
    path.rename(rotated)
    log.info("second")
    handle.reopen()
    log.info("third")
    assert messages(rotated.read_text()) == ["first", "second"]
    assert messages(path.read_text()) == ["third"]


def test_file_is_json_even_when_the_stream_is_console(configure: Configure, tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    _, out = configure(fmt="console", file=path)
    get_logger("loka_stratum.app").info("Pool connected")
    assert not out.getvalue().startswith("{")
    assert messages(path.read_text()) == ["Pool connected"]


def test_security_events_go_to_the_security_file_and_the_stream(
    configure: Configure, tmp_path: Path
) -> None:
    security = tmp_path / "security.log"
    app = tmp_path / "app.log"
    _, out = configure(file=app, security_file=security)
    security_event("rate_limit", ip="10.1.1.1", scope="connection")
    get_security_logger().warning("blocked", ip="10.1.1.2")
    get_logger("loka_stratum.server").warning("banned", ip="10.1.1.3", security=True)
    logging.getLogger("uvicorn.error").warning("auth_failed", extra={"security": True})
    get_logger("loka_stratum.server").warning("Connection reset")
    expected = ["rate_limit", "blocked", "banned", "auth_failed"]
    assert messages(security.read_text()) == expected
    assert messages(out.getvalue()) == [*expected, "Connection reset"]
    assert messages(app.read_text()) == [*expected, "Connection reset"]


def test_security_log_is_not_thinned_by_a_terse_main_filter(
    configure: Configure, tmp_path: Path
) -> None:
    security = tmp_path / "security.log"
    configure(level="error", security_file=security)
    security_event("banned", ip="10.9.9.9")
    get_logger("loka_stratum.server").warning("dropped")
    assert messages(security.read_text()) == ["banned"]


def test_security_level_can_be_set_explicitly(configure: Configure, tmp_path: Path) -> None:
    security = tmp_path / "security.log"
    configure(level="info", filter_spec="security=error", security_file=security)
    security_event("rate_limit", ip="10.9.9.9")
    assert security.read_text() == ""


def test_reopen_covers_the_security_file(configure: Configure, tmp_path: Path) -> None:
    security = tmp_path / "security.log"
    handle, _ = configure(security_file=security)
    security_event("banned", ip="1.1.1.1")
    security.rename(tmp_path / "security.log.1")
    handle.reopen()
    security_event("blocked", ip="2.2.2.2")
    assert messages(security.read_text()) == ["blocked"]


def test_configure_twice_without_close_is_refused(configure: Configure) -> None:
    configure()
    with pytest.raises(RuntimeError, match="already configured"):
        configure()


def test_close_restores_levels_and_handlers(configure: Configure) -> None:
    root = logging.getLogger()
    root_level, handlers = root.level, list(root.handlers)
    handle, _ = configure(level="debug", filter_spec="loka_stratum::network=trace")
    assert logging.getLogger("loka_stratum.server").level == TRACE
    handle.close()
    assert root.level == root_level
    assert root.handlers == handlers
    assert logging.getLogger("loka_stratum.server").level == logging.NOTSET
    assert logging.getLogger("loka_stratum.security").level == logging.NOTSET
