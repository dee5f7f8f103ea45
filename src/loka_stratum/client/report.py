"""What the client saw, and the verdict: a readable summary, JSON, and the exit code.

Exit codes: 0 when enough shares were accepted and nothing went wrong, 1 for a pool
that answered but failed (no or too few accepted shares, refused handshake,
unusable messages, shares rejected for reasons a valid share never earns), 2 when
the connection failed or was lost.

Rejections with code 21 (stale job) and 23 (low difficulty) happen to honest
clients in the race with a new job or a difficulty change, so they are reported
but do not fail a run; any other rejection of a share the client hashed itself
means the pool and the client disagree on what a valid share is.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import Enum

from loka_stratum.protocol import StratumError, StratumErrorCode

EXPECTED_REJECTIONS = frozenset({StratumErrorCode.JOB_NOT_FOUND, StratumErrorCode.LOW_DIFFICULTY})


class EndReason(Enum):
    """Why the run ended."""

    DURATION = "duration"
    SHARES = "shares"
    CONNECT_FAILED = "connect-failed"
    CONNECTION_LOST = "connection-lost"
    PROTOCOL_FAILURE = "protocol-failure"


class ExitCode(int, Enum):
    PASS = 0
    FAIL = 1
    CONNECTION = 2


@dataclass(slots=True)
class ClientReport:
    """Counters and facts gathered during a run; the session fills it in."""

    host: str
    port: int
    required_shares: int = 1
    connections: int = 0
    connect_error: str | None = None
    extranonce1: bytes | None = None
    extranonce2_size: int | None = None
    version_mask: int | None = None
    authorized: bool | None = None
    difficulties: list[float] = field(default_factory=list)
    jobs: int = 0
    clean_jobs: int = 0
    extranonce_changes: int = 0
    submitted: int = 0
    accepted: int = 0
    rejections: Counter[int] = field(default_factory=Counter)
    reject_messages: dict[int, str] = field(default_factory=dict)
    stale_dropped: int = 0
    blocks: int = 0
    hashes: int = 0
    hashing_seconds: float = 0.0
    reconnects: int = 0
    messages: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    end_reason: EndReason | None = None
    elapsed: float = 0.0

    @property
    def rejected(self) -> int:
        return sum(self.rejections.values())

    @property
    def unexpected_rejections(self) -> int:
        return sum(n for code, n in self.rejections.items() if code not in EXPECTED_REJECTIONS)

    @property
    def hashrate(self) -> float:
        return self.hashes / self.hashing_seconds if self.hashing_seconds else 0.0

    def reject(self, error: StratumError | None) -> None:
        code = StratumErrorCode.OTHER if error is None else error.code
        self.rejections[code] += 1
        self.reject_messages[code] = "" if error is None else error.message

    def fail(self, reason: str) -> None:
        """Record a protocol failure: the run cannot pass."""
        self.failures.append(reason)

    @property
    def exit_code(self) -> ExitCode:
        if self.end_reason in (EndReason.CONNECT_FAILED, EndReason.CONNECTION_LOST):
            return ExitCode.CONNECTION
        if self.failures or self.unexpected_rejections:
            return ExitCode.FAIL
        return ExitCode.PASS if self.accepted >= self.required_shares else ExitCode.FAIL

    def to_json(self) -> dict[str, object]:
        """Every fact as JSON-ready values: what `--json` prints."""
        return {
            "pool": f"{self.host}:{self.port}",
            "passed": self.exit_code is ExitCode.PASS,
            "exit_code": int(self.exit_code),
            "end_reason": None if self.end_reason is None else self.end_reason.value,
            "elapsed_seconds": round(self.elapsed, 3),
            "connections": self.connections,
            "connect_error": self.connect_error,
            "reconnects": self.reconnects,
            "extranonce1": None if self.extranonce1 is None else self.extranonce1.hex(),
            "extranonce2_size": self.extranonce2_size,
            "version_mask": None if self.version_mask is None else f"{self.version_mask:08x}",
            "authorized": self.authorized,
            "difficulties": self.difficulties,
            "jobs": self.jobs,
            "clean_jobs": self.clean_jobs,
            "extranonce_changes": self.extranonce_changes,
            "shares": {
                "required": self.required_shares,
                "submitted": self.submitted,
                "accepted": self.accepted,
                "rejected": self.rejected,
                "rejections": {
                    str(code): {"count": n, "message": self.reject_messages[code]}
                    for code, n in sorted(self.rejections.items())
                },
                "stale_dropped": self.stale_dropped,
            },
            "blocks_found": self.blocks,
            "hashes": self.hashes,
            "hashrate": round(self.hashrate, 1),
            "messages": self.messages,
            "failures": self.failures,
        }


def render_text(report: ClientReport) -> str:
    """The readable summary an operator reads after `loka-stratum client`."""
    r = report
    verdict = "PASS" if r.exit_code is ExitCode.PASS else f"FAIL (exit {int(r.exit_code)})"
    lines = [
        f"Stratum test client -> {r.host}:{r.port}: {verdict}",
        f"  connection      {_connection(r)}",
        f"  subscribed      {_subscription(r)}",
        f"  version rolling {'off' if r.version_mask is None else f'mask {r.version_mask:08x}'}",
        f"  authorized      {_yes_no(r.authorized)}",
        f"  difficulty      {_difficulties(r.difficulties)}",
        f"  jobs            {r.jobs} received, {r.clean_jobs} clean,"
        f" {r.extranonce_changes} extranonce changes",
        f"  shares          {r.submitted} submitted, {r.accepted} accepted, {r.rejected} rejected"
        f" (need {r.required_shares}); {r.stale_dropped} found for dropped jobs",
    ]
    lines += [
        f"    rejected {n} x code {code}: {r.reject_messages[code] or '(no message)'}"
        for code, n in sorted(r.rejections.items())
    ]
    lines.append(f"  blocks found    {r.blocks}")
    lines.append(
        f"  hashrate        {r.hashrate / 1e6:.2f} MH/s"
        f" ({r.hashes} hashes in {r.hashing_seconds:.1f} s)"
    )
    lines += [f"  pool message    {text}" for text in r.messages]
    lines += [f"  failure         {reason}" for reason in r.failures]
    ended = "-" if r.end_reason is None else r.end_reason.value
    lines.append(f"  ended           {ended} after {r.elapsed:.1f} s")
    return "\n".join(lines)


def _connection(r: ClientReport) -> str:
    if r.connect_error is not None:
        return f"failed: {r.connect_error}"
    return f"{r.connections} connection(s), {r.reconnects} reconnect(s)"


def _subscription(r: ClientReport) -> str:
    if r.extranonce1 is None:
        return "no"
    return f"extranonce1 {r.extranonce1.hex()}, extranonce2 size {r.extranonce2_size}"


def _yes_no(value: bool | None) -> str:
    return "no answer" if value is None else ("yes" if value else "refused")


def _difficulties(values: list[float]) -> str:
    if not values:
        return "never set (1)"
    shown = ", ".join(f"{d:g}" for d in values[-5:])
    return f"{values[-1]:g} ({len(values)} change(s): {shown})"
