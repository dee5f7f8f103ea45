"""When a found block's credits become balances: the maturity decision.

The work source reports a block's confirmations in the best chain (1 for the
tip), -1 when the block is known but not in the best chain, or None when it
cannot tell right now (node unreachable). Only a definite answer moves a block
out of ``pending``: an outage never orphans anything.
"""

from __future__ import annotations

from enum import StrEnum

ORPHANED_CONFIRMATIONS = -1
"""What a source reports for a block that is not in its best chain (as ``getblockheader``)."""


class Maturity(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    ORPHANED = "orphaned"


def classify(confirmations: int | None, required: int) -> Maturity:
    """``confirmed`` at ``required`` confirmations; ``orphaned`` when not in the best chain.

    Zero confirmations (a source that knows the block but has not connected it
    yet) and None (no answer) both leave it pending.
    """
    if required < 1:
        raise ValueError(f"required confirmations must be at least 1: {required}")
    if confirmations is None or 0 <= confirmations < required:
        return Maturity.PENDING
    if confirmations < 0:
        return Maturity.ORPHANED
    return Maturity.CONFIRMED
