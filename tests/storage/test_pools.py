"""`PoolRepository.list` by kind: the proxy merges only upstream rows with its config."""

from __future__ import annotations

from datetime import UTC, datetime

from loka_stratum.storage import Database, NewPool, PoolKind

NOW = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)


async def test_list_by_kind(database: Database) -> None:
    pools = database.pools
    await pools.add(NewPool("self", "stratum+tcp://0.0.0.0:3333", "-", kind=PoolKind.LOCAL), NOW)
    await pools.add(NewPool("b", "stratum+tcp://b:3333", "me", priority=1, enabled=False), NOW)
    await pools.add(NewPool("a", "stratum+tcp://a:3333", "me", priority=1), NOW)
    upstreams = await pools.list(kind=PoolKind.UPSTREAM)
    assert [(p.name, p.kind) for p in upstreams] == [
        ("a", PoolKind.UPSTREAM),
        ("b", PoolKind.UPSTREAM),
    ]
    assert [p.name for p in await pools.list(kind=PoolKind.LOCAL)] == ["self"]
    enabled = await pools.list(kind=PoolKind.UPSTREAM, enabled_only=True)
    assert [p.name for p in enabled] == ["a"]
