"""Fixtures: logging configured onto an in-memory stream, always torn down."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest

from loka_stratum.observability.logging import LogFormat, LoggingHandle, configure_logging


class Configure(Protocol):
    def __call__(
        self,
        *,
        level: str = ...,
        filter_spec: str | None = ...,
        fmt: LogFormat = ...,
        file: Path | None = ...,
        security_file: Path | None = ...,
        stream: io.StringIO | None = ...,
    ) -> tuple[LoggingHandle, io.StringIO]: ...


@pytest.fixture
def configure() -> Iterator[Configure]:
    handles: list[LoggingHandle] = []

    def make(
        *,
        level: str = "info",
        filter_spec: str | None = None,
        fmt: LogFormat = "json",
        file: Path | None = None,
        security_file: Path | None = None,
        stream: io.StringIO | None = None,
    ) -> tuple[LoggingHandle, io.StringIO]:
        out = io.StringIO() if stream is None else stream
        handle = configure_logging(
            level=level,
            fmt=fmt,
            filter_spec=filter_spec,
            file=file,
            security_file=security_file,
            stream=out,
        )
        handles.append(handle)
        return handle, out

    yield make
    for handle in handles:
        handle.close()


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every line parsed as one JSON object (fails on anything else)."""
    return [json.loads(line) for line in text.splitlines()]


def messages(text: str) -> list[str]:
    return [line["message"] for line in json_lines(text)]
