"""The emergency switch: standalone mode kept in ``pool_state``, across processes and restarts.

``loka-stratum federation disable --emergency`` writes it into the database the
config names; the running pool reads it every heartbeat and drops every link
and its listener within one interval, and a restarted pool starts standalone
until ``federation enable``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from loka_stratum.payments.state import PoolState

STANDALONE_KEY: Final = "federation.standalone"


@dataclass(frozen=True, slots=True)
class Standalone:
    """Whether the federation is switched off, by whom and since when."""

    on: bool
    by: str = ""
    since: str = ""


class FederationControl:
    """Read and flip the standalone flag."""

    def __init__(self, state: PoolState) -> None:
        self._state = state

    async def read(self) -> Standalone:
        text = await self._state.get(STANDALONE_KEY)
        if text is None:
            return Standalone(False)
        try:
            value = json.loads(text)
            return Standalone(bool(value["on"]), str(value["by"]), str(value["since"]))
        except (ValueError, KeyError, TypeError):
            return Standalone(True, "unreadable flag")  # fail safe: an odd flag keeps us out

    async def set(self, on: bool, by: str, now: datetime) -> Standalone:
        flag = Standalone(on, by, now.isoformat())
        text = json.dumps({"on": on, "by": by, "since": flag.since}, sort_keys=True)
        await self._state.put(STANDALONE_KEY, text, now)
        return flag
