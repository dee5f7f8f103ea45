"""A small real pool for end-to-end client tests: `ServerConnection` on 127.0.0.1, port 0.

Each connection is subscribed, authorized, sent a difficulty and a job. Every share
is checked by recomputing its header hash here with python-bitcoinlib's
`CBlockHeader` (independent of the client's hashing): known and live job, extranonce2
size, version bits inside the negotiated mask, duplicate, share target. Tests script
the pool's behaviour with hooks called after authorize and after each share.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from bitcoin.core import CBlockHeader

from loka_stratum.protocol import (
    NEED_DATA,
    Authorize,
    AuthorizeResult,
    Configure,
    ConfigureResult,
    JsonValue,
    Notify,
    PoolMessage,
    RequestReceived,
    Response,
    ResponseReceived,
    ServerConnection,
    SetDifficulty,
    SetExtranonce,
    StratumErrorCode,
    Submit,
    SubmitResult,
    Subscribe,
    SubscribeResult,
    SuggestDifficulty,
    negotiate_configure,
)

DIFF1 = 0xFFFF * 2**208
REGTEST_BITS = 0x207FFFFF
"""An nbits whose target every share meets: each share is also a block."""


def sha256d(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


@dataclass(frozen=True)
class PoolJob:
    """A job as the pool keeps it, with the extranonce1 it was sent under."""

    job_id: str
    prev_hash: bytes
    coinb1: bytes
    coinb2: bytes
    branch: tuple[bytes, ...]
    version: int
    bits: int
    ntime: int
    clean: bool
    extranonce1: bytes
    extranonce2_size: int

    def notify(self) -> Notify:
        words = b"".join(self.prev_hash[i : i + 4][::-1] for i in range(0, 32, 4))
        return Notify(
            self.job_id,
            words.hex(),
            self.coinb1.hex(),
            self.coinb2.hex(),
            tuple(b.hex() for b in self.branch),
            f"{self.version:08x}",
            f"{self.bits:08x}",
            f"{self.ntime:08x}",
            self.clean,
        )

    def share_hash(self, submit: Submit, mask: int) -> bytes:
        """The header hash of `submit`, computed with python-bitcoinlib."""
        coinbase = self.coinb1 + self.extranonce1 + bytes.fromhex(submit.extranonce2) + self.coinb2
        root = sha256d(coinbase)
        for sibling in self.branch:
            root = sha256d(root + sibling)
        version = self.version
        if submit.version_bits is not None:
            version = (self.version & ~mask) | int(submit.version_bits, 16)
        header = CBlockHeader(
            nVersion=version,
            hashPrevBlock=self.prev_hash,
            hashMerkleRoot=root,
            nTime=int(submit.ntime, 16),
            nBits=self.bits,
            nNonce=int(submit.nonce, 16),
        )
        digest: bytes = header.GetHash()
        return digest


@dataclass(frozen=True)
class CheckedShare:
    submit: Submit
    job: PoolJob | None
    verdict: StratumErrorCode | None
    """None: a valid share; else the code a correct pool answers with."""
    is_block: bool = False


@dataclass
class PoolConn:
    """The pool's side of one client connection."""

    pool: LoopbackPool
    conn: ServerConnection
    writer: asyncio.StreamWriter
    extranonce1: bytes
    extranonce2_size: int
    mask: int = 0
    jobs: dict[str, PoolJob] = field(default_factory=dict)
    live: set[str] = field(default_factory=set)
    seen: set[bytes] = field(default_factory=set)
    answers: list[object] = field(default_factory=list)

    def send(self, message: PoolMessage | Response) -> None:
        self.writer.write(self.conn.send(message))

    def send_job(self, *, clean: bool, bits: int | None = None) -> PoolJob:
        job = self.pool.make_job(self, clean=clean, bits=bits)
        self.jobs[job.job_id] = job
        if clean:
            self.live.clear()
        self.live.add(job.job_id)
        self.send(job.notify())
        return job

    def set_extranonce(self, extranonce1: bytes, size: int) -> None:
        """New extranonce for the jobs sent from now on."""
        self.send(SetExtranonce(extranonce1, size))
        self.extranonce1, self.extranonce2_size = extranonce1, size

    def request(self, message: PoolMessage) -> None:
        self.writer.write(self.conn.send_request(message)[1])

    def close(self) -> None:
        self.writer.close()

    def check(self, submit: Submit) -> CheckedShare:
        job = self.jobs.get(submit.job_id)
        if job is None or submit.job_id not in self.live:
            return CheckedShare(submit, job, StratumErrorCode.JOB_NOT_FOUND)
        bits = None if submit.version_bits is None else int(submit.version_bits, 16)
        en2_ok = len(bytes.fromhex(submit.extranonce2)) == job.extranonce2_size
        if not en2_ok or (bits is not None and bits & ~self.mask):
            return CheckedShare(submit, job, StratumErrorCode.OTHER)
        digest = job.share_hash(submit, self.mask)
        value = int.from_bytes(digest, "little")
        if digest in self.seen:
            return CheckedShare(submit, job, StratumErrorCode.DUPLICATE_SHARE)
        if value > DIFF1 / self.pool.difficulty:
            return CheckedShare(submit, job, StratumErrorCode.LOW_DIFFICULTY)
        self.seen.add(digest)
        is_block = value <= _bits_target(job.bits)
        return CheckedShare(submit, job, None, is_block)


def _bits_target(bits: int) -> int:
    return (bits & 0xFFFFFF) << (8 * ((bits >> 24) - 3))


Hook = Callable[[PoolConn], None]
ShareHook = Callable[[PoolConn, CheckedShare], None]


class LoopbackPool:
    """Serves on `host` (loopback) port 0 inside `async with`; raises its own errors on exit."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        difficulty: float = 0.0001,
        pool_mask: int | None = 0x1FFFE000,
        extranonce2_size: int = 4,
        bits: int = 0x1D00FFFF,
        accept: bool = True,
        reject_code: StratumErrorCode = StratumErrorCode.OTHER,
        authorize: bool = True,
        answer: bool = True,
        on_authorized: Hook | None = None,
        on_share: ShareHook | None = None,
    ) -> None:
        self.host = host
        self.difficulty = difficulty
        self.pool_mask = pool_mask
        self.extranonce2_size = extranonce2_size
        self.bits = bits
        self.accept = accept
        self.reject_code = reject_code
        self.authorize = authorize
        self.answer = answer
        self.on_authorized = on_authorized
        self.on_share = on_share
        self.port = 0
        self.conns: list[PoolConn] = []
        self.shares: list[CheckedShare] = []
        self.requests: list[object] = []
        self.errors: list[BaseException] = []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._job_count = 0

    async def __aenter__(self) -> LoopbackPool:
        self._server = await asyncio.start_server(self._serve, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        for conn in self.conns:
            conn.writer.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()
        if self.errors:
            raise AssertionError(f"the test pool failed: {self.errors!r}")

    def make_job(self, conn: PoolConn, *, clean: bool, bits: int | None) -> PoolJob:
        self._job_count += 1
        n = self._job_count
        seed = n.to_bytes(4, "big")
        return PoolJob(
            job_id=f"job{n}",
            prev_hash=hashlib.sha256(b"prev" + seed).digest(),
            coinb1=bytes.fromhex("0100000001" + "00" * 32 + "ffffffff20") + seed,
            coinb2=bytes.fromhex("ffffffff0100f2052a01000000016a00000000"),
            branch=(hashlib.sha256(b"a" + seed).digest(), hashlib.sha256(b"b" + seed).digest()),
            version=0x20000000,
            bits=self.bits if bits is None else bits,
            ntime=1_700_000_000 + n,
            clean=clean,
            extranonce1=conn.extranonce1,
            extranonce2_size=conn.extranonce2_size,
        )

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        extranonce1 = (0xF8000000 + len(self.conns)).to_bytes(4, "big")
        conn = PoolConn(self, ServerConnection(), writer, extranonce1, self.extranonce2_size)
        self.conns.append(conn)
        try:
            while data := await reader.read(65536):
                conn.conn.receive_data(data)
                while (event := conn.conn.next_event()) is not NEED_DATA:
                    if isinstance(event, RequestReceived) and self.answer:
                        self._on_request(conn, event)
                    elif isinstance(event, ResponseReceived):
                        conn.answers.append(event.result)
        except (ConnectionError, asyncio.CancelledError):
            pass
        except Exception as exc:  # surfaced by __aexit__, not lost in a server callback
            self.errors.append(exc)
        finally:
            writer.close()

    def _on_request(self, conn: PoolConn, event: RequestReceived) -> None:
        request, msg_id = event.request, event.id
        self.requests.append(request)
        if event.rejection is not None:
            conn.send(Response.reject(msg_id, event.rejection))
        elif isinstance(request, Configure):
            result: ConfigureResult = negotiate_configure(request, pool_mask=self.pool_mask)
            conn.mask = result.version_rolling_mask or 0
            conn.send(Response(msg_id, result))
        elif isinstance(request, Subscribe):
            result_s = SubscribeResult.create("sid", conn.extranonce1, conn.extranonce2_size)
            conn.send(Response(msg_id, result_s))
            conn.send(SetDifficulty(self.difficulty))
            conn.send_job(clean=True)
        elif isinstance(request, Authorize):
            conn.send(Response(msg_id, AuthorizeResult(self.authorize, request.username)))
            if self.authorize and self.on_authorized is not None:
                self.on_authorized(conn)
        elif isinstance(request, SuggestDifficulty):
            conn.send(Response(msg_id, True))
        elif isinstance(request, Submit):
            self._on_submit(conn, request, msg_id)
        else:
            conn.send(Response.reject(msg_id, StratumErrorCode.OTHER))

    def _on_submit(self, conn: PoolConn, submit: Submit, msg_id: JsonValue) -> None:
        checked = conn.check(submit)
        self.shares.append(checked)
        if self.accept and checked.verdict is None:
            conn.send(Response(msg_id, SubmitResult(True)))
        else:
            conn.send(Response.reject(msg_id, checked.verdict or self.reject_code))
        if self.on_share is not None:
            self.on_share(conn, checked)

    def valid_shares(self) -> list[CheckedShare]:
        return [share for share in self.shares if share.verdict is None]
