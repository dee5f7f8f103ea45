"""The one-line live summary an operator watches: connections, hashrate, shares, blocks."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from loka_stratum.app.pool import PoolApp
    from loka_stratum.app.proxy import ProxyApp

_UNITS = ("H/s", "kH/s", "MH/s", "GH/s", "TH/s", "PH/s", "EH/s")


def format_hashrate(hashes_per_second: float) -> str:
    value = hashes_per_second
    for unit in _UNITS:
        if value < 1000 or unit == _UNITS[-1]:
            return f"{value:.2f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def status_line(app: PoolApp | ProxyApp, now: float) -> str:
    context = app.context
    active = sum(1 for session in context.sessions if session.active)
    one_minute, five_minutes, _hour = app.hashrate
    template = context.jobs.template
    height = template.height if template is not None else "-"
    return (
        f"connections {len(context.sessions)} ({active} mining) | "
        f"hashrate {format_hashrate(one_minute.hashrate(now))} (1m) "
        f"{format_hashrate(five_minutes.hashrate(now))} (5m) | "
        f"shares {app.sink.accepted} accepted {app.sink.rejected} rejected | "
        f"blocks {app.sink.blocks} | height {height}"
    )
