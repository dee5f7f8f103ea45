"""DDoS protection modes: normal, elevated, emergency, as limits on the live session policy.

The pool's `SessionPolicy` is a frozen value that every session reads through
the context on each use, so a mode change is one assignment of a new policy
(`dataclasses.replace` of the normal one) and reaches connected miners at once.

- normal: the configured limits.
- elevated: the per-IP limits halved: connections per IP, protocol errors
  before a ban; half the time to finish the handshake.
- emergency: a quarter of the per-IP connections, a ban on the first
  protocol error, and at most `EMERGENCY_HANDSHAKE` seconds to handshake.

A per-IP cap of 0 means "no cap" and stays so. The normal policy is the one in
force when the control is built; if someone else (a config reload) replaces
the policy afterwards, that new policy becomes the normal one and the mode
reads NORMAL again, which is what the sessions then apply.
"""

from __future__ import annotations

import dataclasses
from enum import StrEnum

from loka_stratum.api.public.subject import PolicyHolder
from loka_stratum.observability.loggers import security_event
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


class ProtectionControl:
    """Holds the protection mode of one pool context and applies mode changes to it."""

    def __init__(self, context: PolicyHolder) -> None:
        self._context = context
        self._normal = context.policy
        self._applied = context.policy
        self._mode = ProtectionMode.NORMAL

    @property
    def mode(self) -> ProtectionMode:
        """The mode in force; NORMAL again once someone else (a reload) replaced the policy."""
        self._adopt()
        return self._mode

    def set_mode(self, mode: ProtectionMode, *, by: str) -> SessionPolicy:
        """Put `mode` in force for every session, connected or new; returns the policy."""
        previous = self.mode
        self._applied = protected_policy(self._normal, mode)
        self._context.policy = self._applied
        self._mode = mode
        security_event(
            "attack",
            reason="ddos protection mode changed",
            mode=mode.value,
            previous=previous.value,
            by=by,
        )
        return self._applied

    def _adopt(self) -> None:
        current = self._context.policy
        if current is not self._applied:
            self._normal = self._applied = current
            self._mode = ProtectionMode.NORMAL
