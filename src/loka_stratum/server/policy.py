"""What a session needs to know about the pool's rules, as one value built from config."""

from __future__ import annotations

from dataclasses import dataclass

from loka_stratum.bitcoin.network import Network
from loka_stratum.mining.vardiff import VardiffPolicy
from loka_stratum.protocol import DEFAULT_MAX_LINE_LENGTH


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    network: Network
    solo: bool
    """SOLO: usernames are payout addresses and the coinbase pays the finder."""
    vardiff: VardiffPolicy
    vardiff_enabled: bool = True
    extranonce2_size: int = 4
    version_mask: int = 0x1FFFE000
    handshake_timeout: float = 30.0
    idle_timeout: float = 600.0
    max_line_length: int = DEFAULT_MAX_LINE_LENGTH
    write_high_water: int = 256 * 1024
    """Pause reading a miner that does not read what we write past this many bytes."""
    write_hard_limit: int = 4 * 1024 * 1024
    """Close a miner whose unread output grows past this: it is not reading at all."""
    ban_threshold: int = 20
    """Protocol errors (garbage, not rejected shares) within `ban_window` before the IP
    is banned."""
    ban_window: float = 300.0
    ban_duration: float = 600.0
    rate_limit_per_ip: int = 0
    """Most requests one IP may send per `rate_limit_window` (0 = no limit)."""
    rate_limit_window: float = 60.0
    exempt_networks: tuple[str, ...] = ()
    """Networks (CIDR) never rate limited or banned."""
    max_connections_per_ip: int = 0
    """0 means no limit."""
