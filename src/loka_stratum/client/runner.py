"""A whole run: sessions (following `client.reconnect`) around one miner thread."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable

from loka_stratum.client.conversation import End, Outcome
from loka_stratum.client.miner import FoundShare, Miner
from loka_stratum.client.options import ClientOptions
from loka_stratum.client.report import ClientReport, EndReason, render_text
from loka_stratum.client.session import PoolSession
from loka_stratum.client.work import DIFF1_TARGET

_END_REASONS = {
    End.DONE: EndReason.DURATION,
    End.SHARES: EndReason.SHARES,
    End.CLOSED: EndReason.CONNECTION_LOST,
    End.FAILED: EndReason.PROTOCOL_FAILURE,
    End.CONNECT_FAILED: EndReason.CONNECT_FAILED,
    End.RECONNECT: EndReason.PROTOCOL_FAILURE,
}


def _print_notice(text: str) -> None:
    print(text, file=sys.stderr)


async def mine(
    options: ClientOptions, notice: Callable[[str], None] = _print_notice
) -> ClientReport:
    """Run the client against the pool and return what it saw; never raises for pool faults."""
    loop = asyncio.get_running_loop()
    report = ClientReport(options.host, options.port, required_shares=options.required_shares)
    shares: asyncio.Queue[FoundShare] = asyncio.Queue()

    def found(share: FoundShare) -> None:  # runs in the miner thread
        loop.call_soon_threadsafe(shares.put_nowait, share)

    miner = Miner(found, DIFF1_TARGET)
    started = loop.time()
    deadline = started + options.duration
    miner.start()
    try:
        outcome = await _sessions(options, report, miner, shares, notice, deadline)
    finally:
        miner.stop()
    report.end_reason = _END_REASONS[outcome.end]
    report.hashes, report.hashing_seconds = miner.hashes, miner.busy_seconds
    report.elapsed = loop.time() - started
    return report


async def _sessions(
    options: ClientOptions,
    report: ClientReport,
    miner: Miner,
    shares: asyncio.Queue[FoundShare],
    notice: Callable[[str], None],
    deadline: float,
) -> Outcome:
    """Sessions until one ends the run; a reconnect request starts the next one."""
    loop = asyncio.get_running_loop()
    host, port = options.host, options.port
    while True:
        session = PoolSession(options, report, miner, shares, notice)
        outcome = await session.run(host, port, deadline)
        request = outcome.reconnect
        if request is None:
            return outcome
        if report.reconnects >= options.max_reconnects:
            report.fail(f"pool asked to reconnect more than {options.max_reconnects} times")
            return outcome
        report.reconnects += 1
        host, port = request.host or host, request.port or port
        notice(f"pool asked to reconnect to {host}:{port}")
        wait = min(float(request.wait_seconds or 0), max(0.0, deadline - loop.time()))
        await asyncio.sleep(wait)


def run_client(options: ClientOptions) -> int:
    """Run the client, print the report (JSON or summary) and return the exit code."""
    report = asyncio.run(mine(options))
    if options.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(render_text(report))
    return int(report.exit_code)
