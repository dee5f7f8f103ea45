"""The on-disk spill for share batches (shares and verdicts) the database could not take.

One file per batch, not one append-only log. A batch file is written under a
temporary name, fsynced, renamed into place and the directory fsynced: a crash
leaves either the whole batch or no file (stray temporaries are deleted on
open), never a torn line to detect and skip. Removing a batch after its commit
is one unlink, where a log would need an offset file or compaction. Files are
named by a sequence number that continues from the highest one found on open,
so lexical order is write order, across restarts too. The price, a file per
batch, is small: at the default one batch per second an hour-long outage makes
3,600 files of a few tens of kilobytes.

Disk work runs in a worker thread so an fsync never stalls the event loop that
is serving miners. A file that cannot be parsed (disk damage, a hand edit) is
renamed to ``*.corrupt`` and left for the operator instead of blocking replay.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import fields
from pathlib import Path

import orjson
import structlog

from loka_stratum.storage.batches import ShareBatch
from loka_stratum.storage.shares import ShareRecord
from loka_stratum.storage.verdicts import Verdict, VerdictRecord

SHARES_FORMAT = 1
"""Shares only: the format every batch was written in before verdicts existed."""
VERDICTS_FORMAT = 2
"""Shares and upstream verdicts."""
_SUFFIX = ".batch.json"
_TEMP_SUFFIX = ".tmp"
_CORRUPT_SUFFIX = ".corrupt"

_SHARE_FIELDS = tuple(field.name for field in fields(ShareRecord))
_VERDICT_FIELDS = tuple(field.name for field in fields(VerdictRecord))

log = structlog.get_logger(__name__)


def encode(batch: ShareBatch) -> bytes:
    """A batch as JSON: records as positional arrays in their dataclass field order.

    A batch without verdicts is written in format 1, byte for byte as before
    verdicts existed, so a pool-mode journal stays readable by an older build.
    A batch with verdicts is format 2, which an older build quarantines (the
    file is kept for the operator) rather than replays without its verdicts.
    """
    document: dict[str, object] = {
        "format": VERDICTS_FORMAT if batch.verdicts else SHARES_FORMAT,
        "batch_id": batch.batch_id,
        "shares": [[getattr(share, name) for name in _SHARE_FIELDS] for share in batch.shares],
    }
    if batch.verdicts:
        document["verdicts"] = [
            [getattr(verdict, name) for name in _VERDICT_FIELDS] for verdict in batch.verdicts
        ]
    return orjson.dumps(document)


def decode(data: bytes) -> ShareBatch:
    """Inverse of ``encode`` (formats 1 and 2); raises ``ValueError`` for anything else."""
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc}") from exc
    version = document.get("format") if isinstance(document, dict) else None
    if type(version) is not int or version not in (SHARES_FORMAT, VERDICTS_FORMAT):
        raise ValueError("not a share batch journal file of format 1 or 2")
    if (version == VERDICTS_FORMAT) != ("verdicts" in document):
        raise ValueError(f"malformed share batch: verdicts do not match format {version}")
    try:
        shares = tuple(ShareRecord(*row) for row in document["shares"])
        verdicts = tuple(_verdict(*row) for row in document.get("verdicts", ()))
        return ShareBatch(str(document["batch_id"]), shares, verdicts)
    except (KeyError, TypeError) as exc:
        raise ValueError(f"malformed share batch: {exc}") from exc


def _verdict(
    upstream: str, account: str, worker: str, created_at: float, verdict: str, difficulty: float
) -> VerdictRecord:
    return VerdictRecord(upstream, account, worker, created_at, Verdict(verdict), difficulty)


class Journal:
    """Batches in write order; ``oldest()`` / ``remove_oldest()`` replay them in order."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._files: list[Path] = []
        self._next_sequence = 1

    @property
    def depth(self) -> int:
        """Batches waiting in the journal."""
        return len(self._files)

    async def open(self) -> None:
        """Create the directory, drop stray temporaries, index what a previous run left."""
        await asyncio.to_thread(self._open)

    async def append(self, batch: ShareBatch) -> None:
        """Durably add ``batch`` behind every batch already journaled."""
        path = self.directory / f"{self._next_sequence:016d}{_SUFFIX}"
        await asyncio.to_thread(_write_durably, path, encode(batch))
        self._next_sequence += 1
        self._files.append(path)

    async def oldest(self) -> ShareBatch | None:
        """The batch to replay next (quarantining unreadable files on the way)."""
        while self._files:
            path = self._files[0]
            try:
                return decode(await asyncio.to_thread(path.read_bytes))
            except ValueError as exc:
                self._files.pop(0)
                await asyncio.to_thread(path.rename, path.with_suffix(_CORRUPT_SUFFIX))
                log.error("share journal file quarantined", path=str(path), error=str(exc))
        return None

    async def remove_oldest(self) -> None:
        """Forget the oldest batch: call only after its commit."""
        path = self._files.pop(0)
        await asyncio.to_thread(path.unlink)

    def _open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        for stray in self.directory.glob(f"*{_TEMP_SUFFIX}"):
            stray.unlink()
        self._files = sorted(self.directory.glob(f"*{_SUFFIX}"))
        if self._files:
            self._next_sequence = int(self._files[-1].name.removesuffix(_SUFFIX)) + 1


def _write_durably(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + _TEMP_SUFFIX)
    with temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.rename(path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
