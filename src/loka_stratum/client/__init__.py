"""The test Stratum client: a small real CPU miner that checks a pool end to end.

It subscribes, authorizes, mines real SHA-256d shares against the pool's jobs and
submits them, then reports what it saw; the exit code says whether the pool works.
`client_command` (in `command`) is the click command the CLI registers as
`loka-stratum client`; `run_client` is the same run for Python callers.
"""

from loka_stratum.client.options import ClientOptions
from loka_stratum.client.report import ClientReport, EndReason, ExitCode, render_text
from loka_stratum.client.runner import mine, run_client

__all__ = [
    "ClientOptions",
    "ClientReport",
    "EndReason",
    "ExitCode",
    "mine",
    "render_text",
    "run_client",
]
