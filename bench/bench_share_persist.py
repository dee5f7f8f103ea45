"""Share persistence throughput: the real ShareBatcher -> ShareRepository path, per backend.

Prints one JSON line per backend:
{"bench":"share_persist","backend":...,"shares_per_s":...,"batch_size":...,
 "flush_p50_ms":...,"flush_p99_ms":...}

SQLite runs on a fresh file in a temporary directory. PostgreSQL runs on the
database named by ``--postgres-url`` (it must be empty or already migrated; the
bench writes share ids from 1 up) or, without it, on a private server this
script starts with fsync on, so the figure includes real commit costs.

    python bench/bench_share_persist.py [--shares 100000] [--batch-size 500]
        [--backend sqlite|postgresql|all] [--postgres-url postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson

from loka_stratum.storage import Database, ShareBatcher, ShareRecord
from loka_stratum.storage.pgserver import PostgresServer

ACCOUNTS = 100
RIGS_PER_ACCOUNT = 2
REJECT_EVERY = 50
SHARES_PER_SECOND = 10
T0 = 1_700_000_000.0


def make_shares(count: int) -> list[ShareRecord]:
    """200 workers at 10 shares/s together (3 per worker-minute), 1 in 50 rejected as stale.

    The worker-minute ratio matters: it sets how many ``share_stats`` rows a
    batch upserts (here about one per three shares).
    """
    return [
        ShareRecord(
            share_id=i,
            account=f"bc1qaccount{i % ACCOUNTS:03d}",
            worker=f"rig{i // ACCOUNTS % RIGS_PER_ACCOUNT}",
            job_id=f"{i // 1000:08x}",
            difficulty=65536.0,
            share_difficulty=65536.0 * 1.7,
            created_at=T0 + i / SHARES_PER_SECOND,
            accepted=i % REJECT_EVERY != 0,
            reject_reason="stale" if i % REJECT_EVERY == 0 else None,
        )
        for i in range(1, count + 1)
    ]


async def measure(url: str, shares: list[ShareRecord], batch_size: int) -> dict[str, object]:
    """Record every share, stop the batcher (which flushes all), time the whole run."""
    latencies: list[float] = []
    async with Database(url) as database:
        await database.migrate()
        with tempfile.TemporaryDirectory(prefix="loka-bench-journal-") as journal:
            batcher = ShareBatcher(
                database.shares,
                Path(journal),
                batch_size=batch_size,
                on_flush=lambda seconds, _count: latencies.append(seconds),
            )
            await batcher.start()
            started = time.perf_counter()
            for share in shares:
                batcher.record(share)
            await batcher.stop()
            elapsed = time.perf_counter() - started
        stats = batcher.stats()
        if stats.shares_committed != len(shares) or stats.failures:
            raise RuntimeError(f"bench run was not clean: {stats}")
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return {
        "bench": "share_persist",
        "backend": database.backend.value,
        "shares_per_s": round(len(shares) / elapsed),
        "batch_size": batch_size,
        "flush_p50_ms": round(statistics.median(latencies) * 1000, 2),
        "flush_p99_ms": round(cuts[98] * 1000, 2),
    }


@contextmanager
def postgres_url(given: str | None) -> Iterator[str]:
    """The operator's database, or a fresh one on a private server (fsync on)."""
    if given is not None:
        yield given
        return
    server = PostgresServer(fsync=True)
    server.start()
    try:
        yield server.create_database("bench")
    finally:
        server.stop()
        server.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shares", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "all"], default="all")
    parser.add_argument("--postgres-url", default=None)
    args = parser.parse_args()
    shares = make_shares(args.shares)
    if args.backend in ("sqlite", "all"):
        with tempfile.TemporaryDirectory(prefix="loka-bench-") as directory:
            url = f"sqlite:///{directory}/bench.sqlite3"
            report(asyncio.run(measure(url, shares, args.batch_size)))
    if args.backend in ("postgresql", "all"):
        with postgres_url(args.postgres_url) as url:
            report(asyncio.run(measure(url, shares, args.batch_size)))


def report(result: dict[str, object]) -> None:
    print(orjson.dumps(result).decode(), flush=True)


if __name__ == "__main__":
    main()
