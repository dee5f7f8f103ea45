"""The PostgreSQL fixture fails loudly, never skips, when there is no PostgreSQL."""

from __future__ import annotations

import sys

import pytest

from loka_stratum.storage import pgserver

pytest_plugins = ["pytester"]


def hide_postgres(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(pgserver, "_SEARCH_GLOB", "/nonexistent/postgresql/*/bin")


def test_finding_nothing_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    hide_postgres(monkeypatch)
    with pytest.raises(pgserver.PostgresNotFoundError, match="initdb/pg_ctl not found"):
        pgserver.find_bin_dir()


def test_missing_postgres_fails_the_tests_in_ci(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    hide_postgres(monkeypatch)
    monkeypatch.setenv("CI", "true")
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makeconftest(f"pytest_plugins = [{loaded_plugin_name()!r}]")
    pytester.makepyfile("def test_needs_postgres(postgres_url):\n    assert postgres_url\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*these tests need a real PostgreSQL server*"])


def loaded_plugin_name() -> str:
    """The name tests/conftest.py loaded the plugin under (with or without ``tests.``)."""
    return next(name for name in sys.modules if name.endswith("fixtures.postgres"))
