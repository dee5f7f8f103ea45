"""Render a registry for the HTTP layer (`GET /metrics`, `GET /metrics/prometheus`).

The text format 0.0.4 every Prometheus version scrapes. prometheus_client adds a
`<name>_created` gauge next to every counter and histogram child; in this
format those are separate families carrying start timestamps, which double the
series count and clutter what operators grep. They are dropped here, at
render time, rather than switched off through the library's process-wide flag.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Final

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.metrics_core import Metric

CONTENT_TYPE: Final = CONTENT_TYPE_PLAIN_0_0_4
"""`text/plain; version=0.0.4; charset=utf-8`, the Content-Type of `render`'s bytes."""


class _WithoutCreated:
    """A view of a registry without the `_created` samples."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterator[Metric]:
        for family in self._registry.collect():
            created = family.name + "_created"
            trimmed = copy.copy(family)
            trimmed.samples = [s for s in family.samples if s.name != created]
            yield trimmed


def render(registry: CollectorRegistry) -> bytes:
    """The exposition of every metric on `registry`, served with `CONTENT_TYPE`."""
    return generate_latest(_WithoutCreated(registry))
