"""CPU percent over sensible intervals; real memory and CPU figures of this process."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loka_stratum.api.resources import CpuMeter, CpuSample, ProcessResources, cpu_percent


def test_cpu_percent_of_one_core() -> None:
    assert cpu_percent(CpuSample(10.0, 1.0), CpuSample(12.0, 2.5)) == pytest.approx(75.0)
    assert cpu_percent(CpuSample(10.0, 1.0), CpuSample(10.0, 2.0)) == 0.0


@given(
    st.floats(0, 1e6),
    st.floats(0, 1e6),
    st.floats(-10, 1e4),
    st.floats(-10, 1e4),
)
def test_cpu_percent_is_never_negative(wall: float, cpu: float, dwall: float, dcpu: float) -> None:
    assert cpu_percent(CpuSample(wall, cpu), CpuSample(wall + dwall, cpu + dcpu)) >= 0.0


class Reader:
    def __init__(self, *samples: CpuSample) -> None:
        self.samples = list(samples)

    def __call__(self) -> CpuSample:
        return self.samples.pop(0)


def test_meter_holds_its_figure_between_scrapes_less_than_an_interval_apart() -> None:
    reader = Reader(
        CpuSample(100.0, 10.0),  # first: lifetime average since the baseline
        CpuSample(100.2, 10.2),  # 0.2 s later: too short, keep the figure
        CpuSample(101.0, 10.3),  # 1 s after the last baseline: 30 %
    )
    meter = CpuMeter(reader, CpuSample(0.0, 0.0), min_interval=1.0)
    assert meter.percent() == pytest.approx(10.0)
    assert meter.percent() == pytest.approx(10.0)
    assert meter.percent() == pytest.approx(30.0)


def test_first_reading_inside_the_interval_uses_what_it_has() -> None:
    meter = CpuMeter(Reader(CpuSample(0.5, 0.25)), CpuSample(0.0, 0.0), min_interval=1.0)
    assert meter.percent() == pytest.approx(50.0)


def test_real_process_figures() -> None:
    resources = ProcessResources()
    assert resources.memory_rss() > 1_000_000
    assert resources.cpu_usage() >= 0.0
