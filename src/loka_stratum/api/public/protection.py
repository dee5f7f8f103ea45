"""The admin API's handle on the protection mode of the running pool or proxy.

The mode itself lives on the context (`server.protection`): sessions read the policy
through it on every use, so a mode change reaches connected miners at once, and a
config reload keeps the mode in force. This control adds who changed it to the
security log.
"""

from __future__ import annotations

from typing import Protocol

from loka_stratum.observability.loggers import security_event
from loka_stratum.server.policy import SessionPolicy
from loka_stratum.server.protection import ProtectionMode, protected_policy

__all__ = ["ProtectionControl", "ProtectionMode", "protected_policy"]


class ProtectionHolder(Protocol):
    @property
    def policy(self) -> SessionPolicy: ...

    @property
    def protection(self) -> ProtectionMode: ...

    def set_protection(self, mode: ProtectionMode) -> None: ...


class ProtectionControl:
    """Reads and changes the protection mode of one context."""

    def __init__(self, context: ProtectionHolder) -> None:
        self._context = context

    @property
    def mode(self) -> ProtectionMode:
        return self._context.protection

    def set_mode(self, mode: ProtectionMode, *, by: str) -> SessionPolicy:
        """Put `mode` in force for every session, connected or new; returns the policy."""
        previous = self._context.protection
        self._context.set_protection(mode)
        security_event(
            "attack",
            reason="ddos protection mode changed",
            mode=mode.value,
            previous=previous.value,
            by=by,
        )
        return self._context.policy
