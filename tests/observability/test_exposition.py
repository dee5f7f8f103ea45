"""The exposition as operators and Prometheus see it: the manual's greps and a lint."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from loka_stratum.observability.exposition import render
from loka_stratum.observability.live import DbPoolStats, LiveStats
from loka_stratum.observability.metrics import Metrics

MANUAL = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "000_de91bf7b7ad9ae7a.txt"

MANUAL_GREPS = [
    # (pattern, manual line where an operator greps the metrics endpoint for it)
    ("loka_stratum_connections_total", 288),
    ("loka_stratum_connections_rate", 515),
    ("loka_stratum_connection_errors", 518),
    ("loka_stratum_shares_submitted", 525),
    ("loka_stratum_shares_accepted", 528),
    ("loka_stratum_jobs_distributed", 531),
    ("db_connections", 741),
]


def running_exposition() -> str:
    """A freshly started server: its listener bound port 3333, the live source registered."""
    registry = CollectorRegistry()
    metrics = Metrics(registry, version="0.1.0", mode="pool")
    metrics.port(3333)
    metrics.set_live_source(lambda: LiveStats(db_pool=DbPoolStats(active=1, idle=4, max=10)))
    return render(registry).decode()


@pytest.mark.parametrize(("pattern", "line"), MANUAL_GREPS)
def test_manual_grep_finds_a_sample(pattern: str, line: int) -> None:
    samples = [s for s in running_exposition().splitlines() if not s.startswith("#")]
    assert any(pattern in sample for sample in samples), f"manual line {line}: grep {pattern}"


def test_the_table_holds_every_metrics_grep_in_the_manual() -> None:
    greps: set[tuple[str, int]] = set()
    for number, text in enumerate(MANUAL.read_text().splitlines(), start=1):
        if "metrics/prometheus" in text or ("curl" in text and "METRICS_URL" in text):
            match = re.search(r'\|\s*grep\s+(?:-q\s+)?"?([\w]+)"?', text)
            if match:
                greps.add((match.group(1), number))
    assert greps == set(MANUAL_GREPS)


def lint(text: str) -> list[str]:
    """promtool's `check metrics` rules that matter here, plus exposition sanity."""
    problems: list[str] = []
    helps = re.findall(r"^# HELP (\S+) (.*)$", text, re.MULTILINE)
    declared = re.findall(r"^# TYPE (\S+) (\S+)$", text, re.MULTILINE)
    types = dict(declared)
    documented = {name for name, doc in helps if doc.strip()}
    problems += [f"{name}: no HELP" for name in types if name not in documented]
    names = [name for name, _ in declared]
    problems += [f"{name}: declared twice" for name in types if names.count(name) > 1]
    problems += [f"{n}: not snake_case" for n in types if not re.fullmatch(r"[a-z][a-z0-9_]*", n)]
    problems += [f"{n}: counter without _total" for n, t in types.items() if t == "counter"
                 and not n.endswith("_total")]  # fmt: skip
    series = [line.rsplit(" ", 1)[0] for line in text.splitlines() if not line.startswith("#")]
    problems += sorted({f"{s}: duplicate series" for s in series if series.count(s) > 1})
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            bad = [k for k in sample.labels if not re.fullmatch(r"[a-z_][a-z0-9_]*", k)]
            problems += [f"{sample.name}: label {k} not snake_case" for k in bad]
    return problems


def test_exposition_passes_lint() -> None:
    text = running_exposition()
    assert lint(text) == []
    promtool = shutil.which("promtool")
    if promtool is not None:
        result = subprocess.run(
            [promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("# TYPE a_total counter\na_total 1\n", "a_total: no HELP"),
        ("# HELP a x\n# TYPE a counter\na 1\n", "a: counter without _total"),
        ("# HELP aB x\n# TYPE aB gauge\naB 1\n", "aB: not snake_case"),
        ('# HELP g x\n# TYPE g gauge\ng{p="1"} 1\ng{p="1"} 2\n', 'g{p="1"}: duplicate series'),
        ("# HELP g x\n# TYPE g gauge\n# TYPE g gauge\ng 1\n", "g: declared twice"),
    ],
)
def test_lint_catches_what_it_claims_to(text: str, problem: str) -> None:
    assert problem in lint(text)
