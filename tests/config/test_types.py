"""Durations, byte sizes and the version mask: every accepted form, and the way back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loka_stratum.config.types import (
    format_byte_size,
    format_duration,
    format_version_mask,
    parse_byte_size,
    parse_duration,
    parse_version_mask,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("500ms", 0.5),
        ("30s", 30.0),
        ("1m", 60.0),
        ("10m", 600.0),
        ("1h", 3600.0),
        ("2d", 172800.0),
        ("1h30m", 5400.0),
        ("1.5s", 1.5),
        (" 30S ", 30.0),
        ("45", 45.0),
        ("0.25", 0.25),
        (30, 30.0),
        (0.5, 0.5),
        (0, 0.0),
    ],
)
def test_duration_forms(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "abc", "10x", "m", "-5s", "5 s", "1h-30m", -1, True, None, []])
def test_duration_rejects(bad: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(bad)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.5, "500ms"), (30.0, "30s"), (90.0, "90s"), (600.0, "10m"), (7200.0, "2h"), (0.0, "0s")],
)
def test_duration_prints_in_largest_exact_unit(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_duration_without_exact_unit_prints_as_seconds() -> None:
    assert format_duration(0.0001) == 0.0001


@given(st.integers(min_value=0, max_value=10**12))
def test_duration_round_trip_in_milliseconds(millis: int) -> None:
    assert parse_duration(format_duration(millis / 1000)) == pytest.approx(millis / 1000)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("16384", 16384),
        (16384, 16384),
        ("64KiB", 65536),
        ("64kb", 64000),
        ("1MiB", 2**20),
        ("1MB", 10**6),
        ("2GiB", 2 * 2**30),
        ("512B", 512),
    ],
)
def test_byte_size_forms(text: object, size: int) -> None:
    assert parse_byte_size(text) == size


@pytest.mark.parametrize("bad", ["", "64KQ", "1.5MiB", "-1", -1, True, 1.0])
def test_byte_size_rejects(bad: object) -> None:
    with pytest.raises(ValueError, match="byte size"):
        parse_byte_size(bad)


@given(st.integers(min_value=0, max_value=2**40))
def test_byte_size_round_trip(size: int) -> None:
    assert parse_byte_size(format_byte_size(size)) == size


@pytest.mark.parametrize(
    ("value", "mask"),
    [("1fffe000", 0x1FFFE000), ("0x1FFFE000", 0x1FFFE000), (0x00002000, 0x2000), ("0", 0)],
)
def test_version_mask_forms(value: object, mask: int) -> None:
    assert parse_version_mask(value) == mask


@pytest.mark.parametrize(
    ("bad", "why"),
    [("zz", "hex"), ("ffffffff", "BIP320"), (0x20000000, "BIP320"), (False, "boolean")],
)
def test_version_mask_rejects(bad: object, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_version_mask(bad)


def test_version_mask_prints_as_eight_hex_digits() -> None:
    assert format_version_mask(0x2000) == "00002000"
