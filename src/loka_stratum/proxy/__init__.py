"""Proxy mode's upstream side: Stratum V1 connections to upstream pools, failover, and the
extranonce subdivision that lets many miners share one upstream connection."""

from loka_stratum.proxy.backoff import Backoff
from loka_stratum.proxy.endpoint import Endpoint, endpoints
from loka_stratum.proxy.failover import UpstreamPool
from loka_stratum.proxy.subdivision import ExtranonceSplit, MinerExtranonce, prefix_width
from loka_stratum.proxy.types import (
    Disconnected,
    PoolEvent,
    PoolHealth,
    Switched,
    UpstreamError,
    UpstreamEvent,
    UpstreamOptions,
    UpstreamVerdict,
    VerdictKind,
)
from loka_stratum.proxy.upstream import UpstreamConnection

__all__ = [
    "Backoff",
    "Disconnected",
    "Endpoint",
    "ExtranonceSplit",
    "MinerExtranonce",
    "PoolEvent",
    "PoolHealth",
    "Switched",
    "UpstreamConnection",
    "UpstreamError",
    "UpstreamEvent",
    "UpstreamOptions",
    "UpstreamPool",
    "UpstreamVerdict",
    "VerdictKind",
    "endpoints",
    "prefix_width",
]
