"""One TCP connection to a pool: the asyncio edge around a `Conversation`.

Two tasks per connection: one reads the socket and feeds the conversation, one takes
the shares the miner thread found and submits them. The session ends when the
runner's deadline passes or enough shares are accepted (then it stops hashing and
waits, bounded, for the answers to pending submits), or when the conversation ends
it: the pool closed, asked to reconnect, or failed the handshake. Every wait has a
bound, so a silent or misbehaving pool cannot hang the client.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from loka_stratum.client.conversation import Conversation, End, Outcome
from loka_stratum.client.miner import FoundShare, Miner
from loka_stratum.client.options import ClientOptions
from loka_stratum.client.report import ClientReport

_READ_SIZE = 64 * 1024
_CLOSE_TIMEOUT = 1.0


class PoolSession:
    """One connection's lifetime; the report and the miner outlive it (reconnects)."""

    def __init__(
        self,
        options: ClientOptions,
        report: ClientReport,
        miner: Miner,
        shares: asyncio.Queue[FoundShare],
        notice: Callable[[str], None],
    ) -> None:
        self._options = options
        self._report = report
        self._miner = miner
        self._shares = shares
        self._writer: asyncio.StreamWriter | None = None
        self._ended: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._settled = asyncio.Event()
        self._conversation = Conversation(
            options, report, miner, write=self._write, end=self._end, notice=notice
        )

    async def run(self, host: str, port: int, deadline: float) -> Outcome:
        """Connect, converse until something ends the session, and close."""
        loop = asyncio.get_running_loop()
        timeout = max(0.0, min(self._options.connect_timeout, deadline - loop.time()))
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(host, port)
        except (OSError, TimeoutError) as exc:
            self._report.connect_error = f"{host}:{port}: {exc or 'timed out'}"
            return Outcome(End.CONNECT_FAILED)
        self._report.connections += 1
        self._writer = writer
        try:
            return await self._converse(reader, deadline)
        finally:
            self._miner.set_work(None)
            writer.close()
            with contextlib.suppress(OSError, TimeoutError):
                async with asyncio.timeout(_CLOSE_TIMEOUT):
                    await writer.wait_closed()

    async def _converse(self, reader: asyncio.StreamReader, deadline: float) -> Outcome:
        loop = asyncio.get_running_loop()
        self._conversation.start()
        watchdog = loop.call_later(self._options.response_timeout, self._check_handshake)
        tasks = [
            asyncio.create_task(self._read(reader)),
            asyncio.create_task(self._take_shares()),
        ]
        for task in tasks:
            task.add_done_callback(self._task_done)
        try:
            try:
                async with asyncio.timeout_at(deadline):
                    outcome = await asyncio.shield(self._ended)
            except TimeoutError:
                outcome = Outcome(End.DONE)
            if outcome.end in (End.DONE, End.SHARES):
                await self._settle()
            return outcome
        finally:
            watchdog.cancel()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def _write(self, data: bytes) -> None:
        if self._writer is not None and not self._writer.is_closing():
            self._writer.write(data)

    def _end(self, outcome: Outcome) -> None:
        if not self._ended.done():
            self._ended.set_result(outcome)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        """A crash in a session task is our bug: report it rather than idle to the deadline."""
        if not task.cancelled() and task.exception() is not None:
            self._conversation.fail(f"client error: {task.exception()!r}")

    def _check_handshake(self) -> None:
        if not self._conversation.ready and not self._ended.done():
            timeout = self._options.response_timeout
            self._conversation.fail(f"handshake not answered within {timeout:g} s")

    async def _settle(self) -> None:
        """Stop hashing and wait (bounded) for the pool to answer every submitted share."""
        conversation = self._conversation
        conversation.stop_mining()
        self._settled.clear()
        if conversation.outstanding and not conversation.closed:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._options.response_timeout):
                    await self._settled.wait()
        if conversation.outstanding:
            self._report.fail(f"{conversation.outstanding} submitted share(s) never answered")

    async def _read(self, reader: asyncio.StreamReader) -> None:
        conversation = self._conversation
        while not conversation.closed:
            try:
                data = await reader.read(_READ_SIZE)
            except OSError:
                data = b""
            conversation.receive(data)
            if not conversation.outstanding or conversation.closed:
                self._settled.set()

    async def _take_shares(self) -> None:
        while True:
            self._conversation.submit(await self._shares.get())
