"""Reading a running instance's health and key figures, for `loka-stratum status`.

`/health` says whether the pool is well; the exposition carries the figures
an operator wants beside it (shares, blocks, hashrate), so the command reads
both. A health listener that does not answer, or answers with something that
is not our health JSON, is `StatusUnavailableError`: the caller cannot tell how
the pool is, which is a different outcome from "it says it is unhealthy".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Final

import httpx
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

STATUSES: Final = ("healthy", "degraded", "unhealthy")
_P: Final = "loka_stratum_"


class StatusUnavailableError(Exception):
    """No usable answer from the health listener (refused, timed out, not ours)."""


@dataclass(frozen=True, slots=True)
class KeyFigures:
    shares_accepted: float = 0.0
    shares_rejected: float = 0.0
    blocks_found: float = 0.0
    """Block candidates the node accepted."""
    blocks_rejected: float = 0.0
    hashrate: Mapping[str, float] = field(default_factory=dict)
    """Hashes per second by window (`1m`, `5m`, `1h`)."""


@dataclass(frozen=True, slots=True)
class StatusSnapshot:
    url: str
    health: Mapping[str, Any]
    figures: KeyFigures | None
    """None when the metrics could not be read (health alone still answers)."""

    @property
    def status(self) -> str:
        return str(self.health["status"])

    def to_json(self) -> dict[str, Any]:
        figures = None if self.figures is None else asdict(self.figures)
        return {"url": self.url, "health": dict(self.health), "figures": figures}


def key_figures(exposition: str) -> KeyFigures:
    """Sums over every port and reason of the counters `status` shows."""
    samples = [s for f in text_string_to_metric_families(exposition) for s in f.samples]
    blocks = _by_label(samples, _P + "blocks_found_total", "result")
    return KeyFigures(
        shares_accepted=_total(samples, _P + "shares_accepted_total"),
        shares_rejected=_total(samples, _P + "shares_rejected_total"),
        blocks_found=blocks.get("accepted", 0.0),
        blocks_rejected=sum(v for result, v in blocks.items() if result != "accepted"),
        hashrate=_by_label(samples, _P + "hashrate", "window"),
    )


def _total(samples: Iterable[Sample], name: str) -> float:
    return sum(s.value for s in samples if s.name == name)


def _by_label(samples: Iterable[Sample], name: str, label: str) -> dict[str, float]:
    return {s.labels[label]: s.value for s in samples if s.name == name and label in s.labels}


def fetch_status(url: str, *, timeout: float = 5.0) -> StatusSnapshot:
    """`GET {url}/health` and `{url}/metrics/prometheus`; raises `StatusUnavailableError`."""
    base = url.rstrip("/")
    with httpx.Client(base_url=base, timeout=timeout) as client:
        health = _health(client, base)
        try:
            metrics = client.get("/metrics/prometheus")
            metrics.raise_for_status()
            figures = key_figures(metrics.text)
        except (httpx.HTTPError, ValueError):
            figures = None
    return StatusSnapshot(base, health, figures)


def _health(client: httpx.Client, base: str) -> Mapping[str, Any]:
    try:
        response = client.get("/health")
    except httpx.HTTPError as exc:
        raise StatusUnavailableError(f"cannot reach {base}/health: {_reason(exc)}") from exc
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or body.get("status") not in STATUSES:
        raise StatusUnavailableError(
            f"{base}/health answered HTTP {response.status_code} without loka-stratum's health JSON"
        )
    return body


def _reason(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return f"connection failed ({exc})" if str(exc) else "connection failed"
    return str(exc) or type(exc).__name__
