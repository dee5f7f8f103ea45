"""A scripted fake Bitcoin Core for tests: JSON-RPC over loopback HTTP, optional ZMQ.

    async with FakeBitcoind(zmq=True) as node:
        node.url, node.auth, node.zmq_endpoint        # what a BitcoindSource needs
        node.chain.add_transaction(); await node.mine_block()   # mempool, another miner
        node.chain.invalidate_tip()                              # a reorg (getblockheader: -1)
        node.force_verdict("inconclusive"); node.fail("getbestblockhash", -1, "boom")
        node.answer("getbestblockhash", 42)                      # a malformed reply
        node.warmup = True; node.ibd = True; node.zmq_muted = True
        await node.go_away(); await node.come_back(rotate_cookie=True)
        await node.wait_calls("submitblock", 1); node.calls; node.submitted

Real consensus checks live in `FakeChain`; the HTTP behaviour (status codes,
401s, outages, held requests) in `JsonRpcHttpServer`, reachable as ``.http``.
ZMQ uses an XPUB socket so tests can wait until a subscriber is connected
before they expect a notification (a PUB drops messages sent earlier).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import zmq
import zmq.asyncio

from loka_stratum.bitcoin.hashing import sha256d
from loka_stratum.sources.rpc import CookieFile, RpcAuth, UserPassword
from tests.fakes.bitcoind_chain import BlockDecodeError, FakeChain
from tests.fakes.bitcoind_http import FakeRpcError, JsonRpcHttpServer

RPC_USER = "loka"
RPC_PASSWORD = "fake-node-password"
DEADLINE = 5.0
"""How long the wait helpers wait before failing the test."""


@dataclass(frozen=True, slots=True)
class RpcCall:
    method: str
    params: list[Any]


class FakeBitcoind:
    def __init__(
        self,
        chain: FakeChain | None = None,
        *,
        cookie_dir: Path | None = None,
        zmq: bool = False,
        chain_name: str = "regtest",
    ) -> None:
        self.chain = chain or FakeChain()
        self.chain_name = chain_name
        self.http = JsonRpcHttpServer(self._dispatch, self._authorize)
        self.cookie_path = cookie_dir / ".cookie" if cookie_dir else None
        self._cookie_secret = ""
        self.calls: list[RpcCall] = []
        self.submitted: list[tuple[bytes, str | None]] = []
        """(block hash, verdict) of every submitblock that decoded."""
        self.forced_verdicts: list[str | None] = []
        self.faults: dict[str, list[FakeRpcError]] = {}
        self.answers: dict[str, list[Any]] = {}
        """Scripted results, consumed one per call, before the real handler."""
        self.warmup = False
        self.ibd = False
        self.zmq_muted = False
        self.template_hook: Callable[[dict[str, Any]], dict[str, Any]] | None = None
        """Rewrites every getblocktemplate result (malformed-template tests)."""
        self.zmq_published = True
        """Whether getzmqnotifications lists pubhashblock (False: -zmqpubhashblock unset)."""
        self._zmq_wanted = zmq
        self._zmq: ZmqPublisher | None = None
        self._called = asyncio.Event()

    @property
    def url(self) -> str:
        return self.http.url

    @property
    def auth(self) -> RpcAuth:
        if self.cookie_path is not None:
            return CookieFile(self.cookie_path)
        return UserPassword(RPC_USER, RPC_PASSWORD)

    @property
    def zmq_endpoint(self) -> str:
        assert self._zmq is not None, "started without zmq=True"
        return self._zmq.endpoint

    async def start(self) -> None:
        if self.cookie_path is not None:
            self.rotate_cookie()
        await self.http.start()
        if self._zmq_wanted:
            self._zmq = ZmqPublisher()
            self._zmq.start()

    async def stop(self) -> None:
        await self.http.stop()
        if self._zmq is not None:
            await self._zmq.stop()

    async def __aenter__(self) -> FakeBitcoind:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # -- scripting ------------------------------------------------------------------------

    def rotate_cookie(self) -> None:
        """Write a fresh cookie, as bitcoind does at every start."""
        assert self.cookie_path is not None
        self._cookie_secret = secrets.token_hex(16)
        self.cookie_path.write_text(f"__cookie__:{self._cookie_secret}")

    def force_verdict(self, verdict: str | None) -> None:
        """The next submitblock answers `verdict` without looking at the block."""
        self.forced_verdicts.append(verdict)

    def fail(self, method: str, code: int, message: str, times: int = 1) -> None:
        self.faults.setdefault(method, []).extend([FakeRpcError(code, message)] * times)

    def answer(self, method: str, result: Any, times: int = 1) -> None:
        """The next `times` calls of `method` return `result` as is (malformed replies)."""
        self.answers.setdefault(method, []).extend([result] * times)

    async def mine_block(self, *, include_mempool: bool = False) -> bytes:
        """Another miner extends the chain; returns the new tip hash (internal order)."""
        self.chain.mine(include_mempool=include_mempool)
        await self._announce()
        return self.chain.tip

    async def go_away(self) -> None:
        """Crash: stop listening, cut connections, publish nothing."""
        self.zmq_muted = True
        await self.http.stop()

    async def come_back(self, *, rotate_cookie: bool = False) -> None:
        if rotate_cookie:
            self.rotate_cookie()
        await self.http.start()
        self.zmq_muted = False

    def count(self, method: str) -> int:
        return sum(call.method == method for call in self.calls)

    async def wait_calls(self, method: str, count: int = 1) -> None:
        """Until `method` was called `count` times in all (TimeoutError after `DEADLINE`)."""
        async with asyncio.timeout(DEADLINE):
            while self.count(method) < count:
                self._called.clear()
                await self._called.wait()

    @property
    def zmq(self) -> ZmqPublisher:
        assert self._zmq is not None, "started without zmq=True"
        return self._zmq

    async def wait_subscribed(self) -> None:
        """Until a ZMQ subscriber is connected, so a notification will reach it."""
        assert self._zmq is not None
        await asyncio.wait_for(self._zmq.subscribed.wait(), DEADLINE)

    # -- RPC ------------------------------------------------------------------------------

    def _authorize(self, user: str, password: str) -> bool:
        if self.cookie_path is not None:
            return user == "__cookie__" and password == self._cookie_secret
        return user == RPC_USER and password == RPC_PASSWORD

    async def _dispatch(self, method: str, params: list[Any]) -> Any:
        self.calls.append(RpcCall(method, params))
        self._called.set()
        if self.warmup:
            raise FakeRpcError(-28, "Loading block index…")
        if self.faults.get(method):
            raise self.faults[method].pop(0)
        if self.answers.get(method):
            return self.answers[method].pop(0)
        if method == "submitblock":
            return await self._submitblock(params)
        handlers: dict[str, Callable[[list[Any]], Any]] = {
            "getblockchaininfo": self._getblockchaininfo,
            "getbestblockhash": lambda _: self.chain.tip[::-1].hex(),
            "getblockheader": self._getblockheader,
            "getblocktemplate": self._getblocktemplate,
            "getzmqnotifications": self._getzmqnotifications,
        }
        if method not in handlers:
            raise FakeRpcError(-32601, "Method not found")
        return handlers[method](params)

    def _getblockchaininfo(self, _: list[Any]) -> dict[str, Any]:
        chain = self.chain
        return {
            "chain": self.chain_name,
            "blocks": chain.height,
            "headers": chain.height,
            "bestblockhash": chain.tip[::-1].hex(),
            "mediantime": chain.median_time_past(chain.tip),
            "verificationprogress": 0.42 if self.ibd else 1.0,
            "initialblockdownload": self.ibd,
            "pruned": False,
            "warnings": [],
        }

    def _getblockheader(self, params: list[Any]) -> dict[str, Any]:
        """The fields block maturity reads; -5 for a hash the chain never stored."""
        try:
            block_hash = bytes.fromhex(params[0])[::-1]
            block = self.chain.blocks[block_hash]
        except (IndexError, TypeError, ValueError, KeyError):
            raise FakeRpcError(-5, "Block not found") from None
        return {
            "hash": params[0],
            "confirmations": self.chain.confirmations(block_hash),
            "height": block.height,
            "time": block.time,
        }

    def _getblocktemplate(self, params: list[Any]) -> dict[str, Any]:
        request = params[0] if params else {}
        if not isinstance(request, dict) or "segwit" not in request.get("rules", []):
            raise FakeRpcError(
                -8,
                'getblocktemplate must be called with the segwit rule set (call with {"rules": '
                '["segwit"]})',
            )
        template = self.chain.template()
        return self.template_hook(template) if self.template_hook else template

    async def _submitblock(self, params: list[Any]) -> str | None:
        if len(params) not in (1, 2) or not isinstance(params[0], str):
            raise FakeRpcError(-1, 'submitblock "hexdata" ( "dummy" )')
        try:
            raw = bytes.fromhex(params[0])
        except ValueError:
            raise FakeRpcError(-22, "Block decode failed") from None
        tip = self.chain.tip
        verdict = self.forced_verdicts.pop(0) if self.forced_verdicts else self._submit(raw)
        self.submitted.append((sha256d(raw[:80]), verdict))
        if self.chain.tip != tip:
            await self._announce()
        return verdict

    def _submit(self, raw: bytes) -> str | None:
        try:
            return self.chain.submit(raw)
        except BlockDecodeError as exc:
            raise FakeRpcError(-22, str(exc)) from exc

    def _getzmqnotifications(self, _: list[Any]) -> list[dict[str, Any]]:
        if self._zmq is None or not self.zmq_published:
            return []
        return [{"type": "pubhashblock", "address": self._zmq.endpoint, "hwm": 1000}]

    async def _announce(self) -> None:
        if self._zmq is not None and not self.zmq_muted:
            await self._zmq.publish_hashblock(self.chain.tip)


class ZmqPublisher:
    """bitcoind's ``-zmqpubhashblock``, on an XPUB socket that tells us of subscribers."""

    def __init__(self) -> None:
        self._context = zmq.asyncio.Context()
        self._socket = self._context.socket(zmq.XPUB)
        self._sequence = 0
        self.subscribed = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self.endpoint = ""

    def start(self) -> None:
        self._socket.setsockopt(zmq.LINGER, 0)
        self._socket.bind("tcp://127.0.0.1:*")
        self.endpoint = self._socket.getsockopt_string(zmq.LAST_ENDPOINT)
        self._reader = asyncio.create_task(self._read_subscriptions())

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        self._socket.close(linger=0)
        self._context.term()

    async def _read_subscriptions(self) -> None:
        while True:
            message = await self._socket.recv()
            if message[:1] == b"\x01":
                self.subscribed.set()

    async def send_raw(self, frames: list[bytes]) -> None:
        """Publish arbitrary frames (malformed-message and sequence-gap tests)."""
        await self._socket.send_multipart(frames)

    async def publish_hashblock(self, block_hash: bytes) -> None:
        sequence = self._sequence.to_bytes(4, "little")
        self._sequence = (self._sequence + 1) % 2**32
        await self._socket.send_multipart([b"hashblock", block_hash[::-1], sequence])
