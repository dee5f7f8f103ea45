"""The hashing loop: real SHA-256d over real headers, in one worker thread.

Why a thread and this shape: hashlib holds the GIL for inputs as small as a header,
so the loop is pure Python either way; a thread keeps it simple (no pickling, no
process start) and still hashes over a million headers a second. The loop hashes one
`Unit` at a time (a few milliseconds) and looks for new work between units, so a
clean job stops stale hashing within one unit, and CPython's switch interval lets the
event loop thread run in between.

The midstate: SHA-256 consumes 64-byte blocks, and the first 64 header bytes are the
same for every nonce of a unit, so they are hashed once and the state `.copy()`-ed per
nonce; only the last 16 bytes (end of merkle root, ntime, nbits, nonce) are hashed
per nonce.
"""

from __future__ import annotations

import hashlib
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from loka_stratum.client.work import UNIT_NONCES, Unit, Work, version_bits_param
from loka_stratum.protocol import Submit

_sha256 = hashlib.sha256
_pack_nonce = struct.Struct("<I").pack
_from_bytes = int.from_bytes


def scan(prefix: bytes, nonce_start: int, count: int, target: int) -> list[tuple[int, bytes]]:
    """`(nonce, hash)` for each nonce in the range whose header hash is <= `target`.

    `prefix` is the 76-byte header without its nonce; hashes are in internal
    (little-endian) byte order, as compared with targets.
    """
    copy = _sha256(prefix[:64]).copy
    tail = prefix[64:]
    found = []
    for nonce in range(nonce_start, nonce_start + count):
        inner = copy()
        inner.update(tail + _pack_nonce(nonce))
        digest = _sha256(inner.digest()).digest()
        if _from_bytes(digest, "little") <= target:
            found.append((nonce, digest))
    return found


@dataclass(frozen=True, slots=True)
class FoundShare:
    """A header whose hash met the share target when it was found."""

    work: Work
    extranonce2: bytes
    version: int
    nonce: int
    hash: bytes
    """Header hash in internal byte order."""

    @property
    def is_block(self) -> bool:
        """Whether the hash also meets the network target of the job's nbits."""
        return _from_bytes(self.hash, "little") <= self.work.network_target

    def submit(self, worker: str) -> Submit:
        """The `mining.submit`, with BIP310 version bits when rolling was negotiated."""
        mask = self.work.version_mask
        return Submit(
            worker=worker,
            job_id=self.work.job_id,
            extranonce2=self.extranonce2.hex(),
            ntime=f"{self.work.ntime:08x}",
            nonce=f"{self.nonce:08x}",
            version_bits=version_bits_param(self.version, mask) if mask else None,
        )


class Miner:
    """Hashes the newest work in a daemon thread and hands each share to `on_share`.

    `on_share` runs in the miner thread: the session passes a function that moves the
    share to its event loop (`loop.call_soon_threadsafe`).
    """

    def __init__(self, on_share: Callable[[FoundShare], None], target: int) -> None:
        self._on_share = on_share
        self._work: Work | None = None
        self._target = target
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="loka-client-miner", daemon=True)
        self.hashes = 0
        self.busy_seconds = 0.0

    @property
    def hashrate(self) -> float:
        """Hashes per second while there was work to hash."""
        return self.hashes / self.busy_seconds if self.busy_seconds else 0.0

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> None:
        self._thread.start()

    def set_work(self, work: Work | None) -> None:
        """Hash `work` from the next unit on; None pauses (no valid job)."""
        self._work = work
        self._wake.set()

    def set_target(self, target: int) -> None:
        """The share target for hashes from the next unit on."""
        self._target = target

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the unit in progress; returns once the thread has ended."""
        self._stopping = True
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        current: Work | None = None
        index = 0
        while not self._stopping:
            work = self._work
            if work is not current:
                index = _start_index(work, current, index)
                current = work
            if work is None or index >= work.unit_count:
                self._idle(work)
                continue
            self._hash_unit(work, work.unit(index))
            index += 1

    def _idle(self, work: Work | None) -> None:
        """Sleep until `set_work` or `stop`; a change made before `clear` is seen by the check."""
        self._wake.clear()
        if self._work is work and not self._stopping:
            self._wake.wait()

    def _hash_unit(self, work: Work, unit: Unit) -> None:
        started = time.perf_counter()
        prefix = work.header_prefix(unit.extranonce2, unit.version)
        found = scan(prefix, unit.nonce_start, UNIT_NONCES, self._target)
        self.busy_seconds += time.perf_counter() - started
        self.hashes += UNIT_NONCES
        for nonce, digest in found:
            self._on_share(FoundShare(work, unit.extranonce2, unit.version, nonce, digest))


def _start_index(work: Work | None, previous: Work | None, done: int) -> int:
    """A new job starts at unit 0; the same job under a new mask resumes past `done`."""
    if work is None or previous is None or work.job_id != previous.job_id:
        return 0
    return work.resume_index(previous, done)
