"""Merging the config file's upstreams with the `pools` table (`proxy.sources`)."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st
from structlog.testing import capture_logs

from loka_stratum.config.proxy import PoolSettings, Upstream
from loka_stratum.proxy.endpoint import endpoints
from loka_stratum.proxy.sources import Source, Status, effective_upstreams, merge
from loka_stratum.storage import Database, NewPool, Pool, PoolKind

NOW = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
NAMES = ("a", "b", "c", "d", "e")


def upstream(name: str, priority: int = 0, enabled: bool = True) -> Upstream:
    return Upstream(
        name=name, url=f"stratum+tcp://{name}.conf:3333", priority=priority, enabled=enabled
    )


def row(
    name: str,
    priority: int = 0,
    enabled: bool = True,
    url: str | None = None,
    kind: PoolKind = PoolKind.UPSTREAM,
) -> Pool:
    url = url or f"stratum+tcp://{name}.db:3333"
    return Pool(1, name, kind, url, "", None, priority, enabled, NOW, NOW)


def test_config_alone_is_used_in_priority_order() -> None:
    config = [upstream("b", 1), upstream("a", 2), upstream("c", 1)]
    entries = merge(config, [])
    assert [(e.upstream.name, e.status) for e in entries] == [
        ("b", Status.IN_USE),
        ("c", Status.IN_USE),
        ("a", Status.IN_USE),
    ]
    assert {e.source for e in entries} == {Source.CONFIG}


def test_a_row_replaces_the_config_entry_of_its_name_in_its_place() -> None:
    entries = merge([upstream("a"), upstream("b")], [row("a", priority=0)])
    assert [(e.upstream.name, e.source, e.status) for e in entries] == [
        ("a", Source.DATABASE, Status.IN_USE),
        ("b", Source.CONFIG, Status.IN_USE),
        ("a", Source.CONFIG, Status.OVERRIDDEN),
    ]
    assert entries[0].upstream.host == "a.db"


def test_a_disabled_row_removes_the_config_entry() -> None:
    entries = merge([upstream("a"), upstream("b")], [row("a", enabled=False)])
    used = [e.upstream.name for e in entries if e.status is Status.IN_USE]
    assert used == ["b"]
    assert [(e.upstream.name, e.source, e.status) for e in entries[1:]] == [
        ("a", Source.DATABASE, Status.DISABLED),
        ("a", Source.CONFIG, Status.OVERRIDDEN),
    ]


def test_local_rows_are_not_upstreams() -> None:
    assert merge([], [row("self", kind=PoolKind.LOCAL)]) == []


def test_an_invalid_row_is_shown_with_its_problem_and_not_used() -> None:
    (entry,) = merge([], [row("bad", url="http://x:80")])
    assert entry.status is Status.INVALID
    assert entry.problem is not None and "scheme must be one of" in entry.problem
    assert entry.upstream.url == "http://x:80"


def test_empty_row_credentials_fall_back_to_the_pool_defaults() -> None:
    (entry,) = merge([], [row("a")])
    assert entry.upstream.username is None and entry.upstream.password is None
    settings = PoolSettings(username="acct", upstreams=(entry.upstream,))
    assert endpoints(settings)[0].username == "acct"


@given(
    config=st.dictionaries(
        st.sampled_from(NAMES), st.tuples(st.integers(0, 3), st.booleans()), max_size=5
    ),
    rows=st.dictionaries(
        st.sampled_from(NAMES), st.tuples(st.integers(0, 3), st.booleans()), max_size=5
    ),
)
def test_merge_rule(config: dict[str, tuple[int, bool]], rows: dict[str, tuple[int, bool]]) -> None:
    entries = merge(
        [upstream(n, p, e) for n, (p, e) in config.items()],
        [row(n, p, e) for n, (p, e) in rows.items()],
    )
    used = [e for e in entries if e.status is Status.IN_USE]
    expected = {n for n, (_, e) in rows.items() if e}
    expected |= {n for n, (_, e) in config.items() if e and n not in rows}
    assert sorted(e.upstream.name for e in used) == sorted(expected)
    assert [e.upstream.priority for e in used] == sorted(e.upstream.priority for e in used)
    for entry in used:
        assert entry.source is (Source.DATABASE if entry.upstream.name in rows else Source.CONFIG)
    assert len(entries) == len(config) + len(rows)


async def test_effective_upstreams_read_the_table(database_url: str) -> None:
    settings = PoolSettings(username="acct", upstreams=(upstream("main", 0), upstream("backup", 1)))
    async with Database(database_url) as database:
        await database.migrate()
        assert (await effective_upstreams(settings, database.pools)).upstreams == (
            settings.upstreams
        )
        pools = database.pools
        await pools.add(NewPool("main", "stratum+ssl://m.db:443", "", enabled=False), NOW)
        await pools.add(NewPool("extra", "stratum+tcp://x.db:3333", "other", priority=0), NOW)
        effective = await effective_upstreams(settings, pools)
    assert [u.name for u in effective.upstreams] == ["extra", "backup"]
    assert effective.username == "acct"
    assert [e.username for e in endpoints(effective)] == ["other", "acct"]


async def test_an_invalid_row_is_left_out_and_logged(sqlite_url: str) -> None:
    settings = PoolSettings(upstreams=(upstream("main"),))
    async with Database(sqlite_url) as database:
        await database.migrate()
        await database.pools.add(NewPool("odd", "http://odd:80", "me"), NOW)
        with capture_logs() as logs:
            effective = await effective_upstreams(settings, database.pools)
    assert [u.name for u in effective.upstreams] == ["main"]
    (warning,) = [entry for entry in logs if entry["log_level"] == "warning"]
    assert warning["pool"] == "odd" and "scheme" in warning["problem"]
