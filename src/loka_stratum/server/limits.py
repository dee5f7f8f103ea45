"""Per-IP accounting for the limiter: message rate, misbehaviour strikes, exemptions.

Counted per IP address, not per connection, so a client cannot reset its count by
reconnecting. Time is passed in (monotonic seconds).

- Request rate: a fixed window of `rate_limit_window` seconds shared by every IP;
  at most `rate_limit_per_ip` requests other than shares per IP per window (the
  session does not count `mining.submit`: shares are judged by their validity).
  One dict of counters, emptied when the window rolls: O(1) per request, memory
  bounded by the IPs active in one window.
- Strikes: protocol garbage and malformed shares (never stale, duplicate or
  low-difficulty shares) within `ban_window`; `ban_threshold` of them ban the IP.
- Exempt networks (`[limiter] exempt_networks`, e.g. an own farm) are never limited
  or banned.
"""

from __future__ import annotations

import ipaddress
from collections import deque
from collections.abc import Sequence

from loka_stratum.server.policy import SessionPolicy

MAX_TRACKED_IPS = 100_000
"""Strike lists kept at most; past it the oldest half is dropped (a flood of one-strike
addresses must not grow memory without bound)."""


class IpLimits:
    def __init__(self, policy: SessionPolicy) -> None:
        self._policy = policy
        self._window_start = 0.0
        self._messages: dict[str, int] = {}
        self._strikes: dict[str, deque[float]] = {}
        self._exempt: dict[str, bool] = {}

    def set_policy(self, policy: SessionPolicy) -> None:
        self._policy = policy
        self._exempt.clear()

    def exempt(self, ip: str) -> bool:
        cached = self._exempt.get(ip)
        if cached is None:
            cached = _in_networks(ip, self._policy.exempt_networks)
            if len(self._exempt) >= MAX_TRACKED_IPS:
                self._exempt.clear()
            self._exempt[ip] = cached
        return cached

    def allow_message(self, ip: str, now: float) -> bool:
        """Count one request from `ip`; False when it is over the window's limit."""
        policy = self._policy
        if policy.rate_limit_per_ip <= 0:
            return True
        if now - self._window_start >= policy.rate_limit_window:
            self._window_start = now
            self._messages.clear()
        count = self._messages.get(ip, 0) + 1
        self._messages[ip] = count
        return count <= policy.rate_limit_per_ip or self.exempt(ip)

    def strike(self, ip: str, now: float) -> bool:
        """Record one misbehaviour of `ip`; True when it reaches the ban threshold."""
        if self.exempt(ip):
            return False
        strikes = self._strikes.get(ip)
        if strikes is None:
            if len(self._strikes) >= MAX_TRACKED_IPS:
                for old in list(self._strikes)[: MAX_TRACKED_IPS // 2]:
                    del self._strikes[old]
            strikes = self._strikes[ip] = deque()
        horizon = now - self._policy.ban_window
        while strikes and strikes[0] <= horizon:
            strikes.popleft()
        strikes.append(now)
        if len(strikes) >= self._policy.ban_threshold:
            del self._strikes[ip]
            return True
        return False


def _in_networks(ip: str, networks: Sequence[str]) -> bool:
    if not networks:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in networks)
