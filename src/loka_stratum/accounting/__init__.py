"""Accounting calculators: who earned a block, how its reward splits, when it matures.

Pure: no I/O, no clock, no asyncio. ``schemes`` turns share values into
weights (PPLNS, PROP), ``split`` turns a reward and weights into integer
satoshi credits plus the pool fee, ``maturity`` decides pending, confirmed or
orphaned from a confirmation count. The runner that applies them to the
database lives in ``loka_stratum.app.accounting``.
"""

from loka_stratum.accounting.maturity import ORPHANED_CONFIRMATIONS, Maturity, classify
from loka_stratum.accounting.schemes import (
    PplnsWindow,
    PropRound,
    ShareValue,
    WeightedShare,
    pplns_weights,
    pplns_window_size,
    prop_weights,
)
from loka_stratum.accounting.split import Credit, Distribution, fee_of, fee_ppm, split_reward

__all__ = [
    "ORPHANED_CONFIRMATIONS",
    "Credit",
    "Distribution",
    "Maturity",
    "PplnsWindow",
    "PropRound",
    "ShareValue",
    "WeightedShare",
    "classify",
    "fee_of",
    "fee_ppm",
    "pplns_weights",
    "pplns_window_size",
    "prop_weights",
    "split_reward",
]
