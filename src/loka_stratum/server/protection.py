"""DDoS protection modes: normal, elevated, emergency, as limits on the session policy.

- normal: the configured limits.
- elevated: the per-IP limits halved: connections per IP, protocol errors
  before a ban; half the time to finish the handshake.
- emergency: a quarter of the per-IP connections, a ban on the first
  protocol error, and at most `EMERGENCY_HANDSHAKE` seconds to handshake.

A per-IP cap of 0 means "no cap" and stays so. The context keeps the mode and the
normal (configured) policy apart, so a config reload changes the normal limits and
the mode in force is applied on top of them again: a reload never silently ends an
emergency.
"""

from __future__ import annotations

import dataclasses
from enum import StrEnum

from loka_stratum.server.policy import SessionPolicy

EMERGENCY_HANDSHAKE = 5.0
"""Seconds; real miners subscribe and authorize within a round trip or two."""


class ProtectionMode(StrEnum):
    NORMAL = "normal"
    ELEVATED = "elevated"
    EMERGENCY = "emergency"


def _divided(limit: int, divisor: int) -> int:
    return 0 if limit == 0 else max(1, limit // divisor)


def protected_policy(normal: SessionPolicy, mode: ProtectionMode) -> SessionPolicy:
    """The policy `mode` puts in force, derived from the normal one."""
    if mode is ProtectionMode.NORMAL:
        return normal
    if mode is ProtectionMode.ELEVATED:
        return dataclasses.replace(
            normal,
            max_connections_per_ip=_divided(normal.max_connections_per_ip, 2),
            ban_threshold=max(1, normal.ban_threshold // 2),
            handshake_timeout=normal.handshake_timeout / 2,
        )
    return dataclasses.replace(
        normal,
        max_connections_per_ip=_divided(normal.max_connections_per_ip, 4),
        ban_threshold=1,
        handshake_timeout=min(normal.handshake_timeout, EMERGENCY_HANDSHAKE),
    )
