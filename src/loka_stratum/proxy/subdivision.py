"""Extranonce subdivision: many miners share one upstream connection without overlapping work.

The upstream gives the connection `extranonce1` (E1) and an extranonce2 of `size`
bytes that we fill. We cut those bytes in two: a fixed-width *prefix* unique per
miner on the connection, and the rest, which the miner rolls. A miner is told
extranonce1 = E1 + prefix and extranonce2_size = size - width; the share goes
upstream with extranonce2 = prefix + the miner's extranonce2. The coinbase bytes
are therefore identical to what the miner hashed, and two miners with different
prefixes can never build the same coinbase.

Prefix width by upstream extranonce2 size (`prefix_width`)::

    upstream size   prefix   miner size   miners per connection
    >= 9            4        size - 4     2**32
    8               4        4            2**32
    7 / 6 / 5       3 / 2 / 1  4          2**24 / 2**16 / 256
    4               1        3            256
    3               1        2            256
    2               1        1            256
    0 / 1           0        size         1 (no split: one miner per connection)

Why: 4 bytes of extranonce2 is what most pools hand their miners, and with nonce,
ntime and version rolling it is inexhaustible; so we keep 4 for the miners whenever
the upstream leaves room and give the prefix the rest (up to 4: the allocator works
on sets, so a wide space costs nothing). Below 5 bytes the miners cannot keep 4 and
the trade flips: one prefix byte (256 miners per connection, more connections when
full) leaves them as much as possible. Per job a miner has 2**(8*size) coinbases x
2**32 nonces, x 2**16 with version rolling: 3 miner bytes are 2**56 hashes (12
minutes of a 100 TH/s machine even without version rolling), 2 bytes 2**48 (3 s
without, days with), 1 byte (upstream size 2) 2**40 (11 ms without, 12 minutes
with): workable only with version rolling, which is why the table never goes below
1 miner byte. An upstream that leaves fewer than 2 bytes cannot be split: each miner
needs its own connection.
When a connection is full, `allocate` returns None and the caller opens another.
"""

from __future__ import annotations

from dataclasses import dataclass

from loka_stratum.mining.extranonce import ExtranonceAllocator, ExtranonceExhaustedError

MINER_EXTRANONCE2_TARGET = 4
"""The extranonce2 size miners keep whenever the upstream leaves room for it."""
MAX_PREFIX_WIDTH = 4


def prefix_width(upstream_extranonce2_size: int) -> int:
    """The prefix width for an upstream extranonce2 size (see the module's table)."""
    if upstream_extranonce2_size < 2:
        return 0
    spare = upstream_extranonce2_size - MINER_EXTRANONCE2_TARGET
    return min(MAX_PREFIX_WIDTH, max(1, spare))


@dataclass(frozen=True, slots=True)
class MinerExtranonce:
    """What one miner is told at subscribe: its extranonce1 and extranonce2 size."""

    extranonce1: bytes
    extranonce2_size: int


class ExtranonceSplit:
    """The miners' prefixes within one upstream connection's extranonce space.

    Built on `ExtranonceAllocator` with the upstream extranonce1 as its fixed prefix,
    so each live miner's extranonce1 is distinct and of one width. `resume_window`
    holds a released prefix for a miner that reconnects with its session id.
    """

    def __init__(
        self,
        upstream_extranonce1: bytes,
        upstream_extranonce2_size: int,
        *,
        resume_window: float = 0.0,
        whole: bool = False,
    ) -> None:
        """`whole`: no split, the one miner gets the whole space (passthrough mode)."""
        self.upstream_extranonce1 = upstream_extranonce1
        self.upstream_extranonce2_size = upstream_extranonce2_size
        self.width = 0 if whole else prefix_width(upstream_extranonce2_size)
        self.miner_extranonce2_size = upstream_extranonce2_size - self.width
        self._allocator = (
            ExtranonceAllocator(
                self.width, prefix=upstream_extranonce1, resume_window=resume_window
            )
            if self.width
            else None
        )
        self._whole_taken = False
        """Width 0: whether the one miner the connection can carry is there."""

    @property
    def capacity(self) -> int:
        """How many miners this connection can carry at once."""
        return 1 if self._allocator is None else self._allocator.capacity

    @property
    def in_use(self) -> int:
        if self._allocator is None:
            return int(self._whole_taken)
        return self._allocator.in_use

    def allocate(self, now: float, session_id: bytes | None = None) -> MinerExtranonce | None:
        """A miner's extranonce, or None when the connection is full (open another)."""
        if self._allocator is None:
            if self._whole_taken:
                return None
            self._whole_taken = True
            return MinerExtranonce(self.upstream_extranonce1, self.miner_extranonce2_size)
        try:
            extranonce1 = self._allocator.allocate(now, session_id)
        except ExtranonceExhaustedError:
            return None
        return MinerExtranonce(extranonce1, self.miner_extranonce2_size)

    def release(self, extranonce1: bytes, now: float) -> None:
        """The miner left; its prefix becomes free (after the resume window)."""
        if self._allocator is None:
            if extranonce1 == self.upstream_extranonce1:
                self._whole_taken = False
            return
        self._allocator.release(extranonce1, now)

    def upstream_extranonce2(self, miner_extranonce1: bytes, miner_extranonce2: bytes) -> bytes:
        """The extranonce2 to submit upstream for a miner's share: prefix + its extranonce2.

        Raises `ValueError` for an extranonce that is not of this split (a share from a
        miner of another connection, or of the wrong size): forwarding it would be
        rejected upstream or, worse, credited to the wrong work.
        """
        upstream = self.upstream_extranonce1
        if (
            len(miner_extranonce1) != len(upstream) + self.width
            or not miner_extranonce1.startswith(upstream)
            or len(miner_extranonce2) != self.miner_extranonce2_size
        ):
            raise ValueError("extranonce does not belong to this upstream connection")
        return miner_extranonce1[len(upstream) :] + miner_extranonce2
