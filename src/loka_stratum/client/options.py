"""What one run of the test client is asked to do."""

from __future__ import annotations

from dataclasses import dataclass

from loka_stratum import __version__

USER_AGENT = f"loka-stratum-client/{__version__}"
"""Sent in `mining.subscribe` and as the answer to `client.get_version`."""

VERSION_ROLLING_MASK = 0x1FFFE000
"""The BIP320 general-purpose bits, the mask ASIC miners ask for."""

VERSION_ROLLING_MIN_BITS = 2


DEFAULT_USER = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080.loka-test"
"""A regtest address: the embedded chain's SOLO pools pay it, account pools take it as a name."""


@dataclass(frozen=True, slots=True)
class ClientOptions:
    """One run: where to connect, as whom, and when to stop.

    The run ends after `duration` seconds or `shares` accepted shares, whichever comes
    first. Every wait is bounded, so a run lasts at most about
    `duration + response_timeout` seconds whatever the pool does.
    """

    host: str
    port: int = 3333
    user: str = DEFAULT_USER
    password: str = "x"
    duration: float = 30.0
    shares: int | None = None
    """Stop after this many accepted shares; None: mine for the whole duration."""
    json: bool = False
    """Print the report as one JSON object instead of a readable summary."""
    version_rolling: bool = True
    """Send `mining.configure` asking for version rolling before subscribing."""
    suggest_difficulty: float | None = None
    """Send `mining.suggest_difficulty` with this value after authorizing."""
    connect_timeout: float = 10.0
    response_timeout: float = 10.0
    """Longest wait for the handshake's answers and, at the end, for pending submits."""
    max_reconnects: int = 5
    """`client.reconnect` requests followed before the run counts as failed."""

    @property
    def required_shares(self) -> int:
        """Accepted shares needed to pass: `shares`, or one."""
        return self.shares if self.shares else 1
