"""Temporary IP bans for peers that keep sending garbage. Time is passed in."""

from __future__ import annotations


class BanList:
    def __init__(self, duration: float) -> None:
        self.duration = duration
        self._until: dict[str, float] = {}

    def ban(self, ip: str, now: float) -> None:
        self._until[ip] = now + self.duration

    def is_banned(self, ip: str, now: float) -> bool:
        until = self._until.get(ip)
        if until is None:
            return False
        if until <= now:
            del self._until[ip]
            return False
        return True

    def active(self, now: float) -> int:
        self._until = {ip: until for ip, until in self._until.items() if until > now}
        return len(self._until)
