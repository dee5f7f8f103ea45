"""`loka-stratum client` as a click command, and `test_stratum_client.py` run as a script."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from loka_stratum.client.command import client_command
from loka_stratum.protocol import StratumErrorCode

from .pool import LoopbackPool

REPO_ROOT = Path(__file__).resolve().parents[2]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_the_command_is_named_client_and_has_the_options_operators_use() -> None:
    assert isinstance(client_command, click.Command)
    assert client_command.name == "client"
    names = {name for param in client_command.params for name in param.opts}
    assert {"--host", "--port", "--user", "--password", "--duration", "--shares", "--json"} <= names
    assert {"--version-rolling", "--suggest-difficulty"} <= names


def test_a_refused_connection_exits_2_with_a_json_report() -> None:
    port = closed_port()
    args = ["--host", "127.0.0.1", "--port", str(port), "--duration", "5", "--json"]
    result = CliRunner().invoke(client_command, args)
    assert result.exit_code == 2, result.output
    report = json.loads(result.stdout)
    assert report["end_reason"] == "connect-failed"
    assert report["passed"] is False


def test_the_summary_is_printed_without_json() -> None:
    args = ["--host", "127.0.0.1", "--port", str(closed_port()), "--duration", "5"]
    result = CliRunner().invoke(client_command, args)
    assert result.exit_code == 2
    assert result.stdout.startswith("Stratum test client -> 127.0.0.1:")


async def run_script(port: int, *extra: str) -> tuple[int, str]:
    """`python test_stratum_client.py ...` from the repo root, as operators and CI run it."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "test_stratum_client.py",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *extra,
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(60):
        out, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode()


async def test_the_script_passes_against_a_working_pool() -> None:
    async with LoopbackPool() as pool:
        code, out = await run_script(pool.port, "--shares", "2", "--json", "--duration", "30")
    report = json.loads(out)
    assert code == 0, out
    assert report["passed"] is True
    assert report["shares"]["accepted"] == 2
    assert len(pool.valid_shares()) == len(pool.shares) >= 2


async def test_the_script_fails_against_a_pool_rejecting_every_share() -> None:
    low = StratumErrorCode.LOW_DIFFICULTY
    async with LoopbackPool(difficulty=0.00001, accept=False, reject_code=low) as pool:
        code, out = await run_script(pool.port, "--duration", "1.5")
    assert code == 1, out
    assert "rejected" in out and "code 23: Low difficulty share" in out
    assert pool.shares
