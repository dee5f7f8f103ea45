"""The real `loka-stratum start` process under load from simulated miners in other processes.

Scenarios (JSON on stdout, one object per scenario):
- `submit`: N connections (default 1,000) keep one random-nonce submit each in
  flight for D seconds. Reports submits/s, p50/p99 latency and the server's
  CPU microseconds per submit (utime+stime of the server process from /proc).
  `--difficulty` picks whether shares are accepted (tiny, the default: they are
  also persisted to SQLite) or rejected as low difficulty after full validation.
- `idle`: N connections (default 10,000) authorize and sit idle. Reports the
  server's RSS per connection and the spread, first to last miner, of the
  `mining.notify` for a new block that a trigger miner finds meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadgen import LoadPlan, raise_fd_limit, run_process

ADDRESS = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(
    directory: Path,
    port: int,
    *,
    difficulty: float,
    network_difficulty: float,
    health_port: int | None = None,
    prelude: str = "",
    extra: str = "",
) -> Path:
    """The benchmark instance's config: no limits, quiet logs; `prelude` goes before the
    first table (top-level keys such as `mode`), `extra` after the last."""
    path = directory / "bench.toml"
    path.write_text(
        f"""{prelude}
[server]
host = "127.0.0.1"
port = {port}
handshake_timeout = "5m"

[stratum]
start_difficulty = {difficulty!r}
min_difficulty = 1e-12
max_difficulty = 1e12

[vardiff]
enabled = false

[embedded]
network_difficulty = {network_difficulty!r}

[database]
url = "sqlite+aiosqlite:///{directory}/bench.db"
journal_dir = "{directory}/journal"

[http]
health_port = {health_port or free_port()}
api_enabled = false

[limiter]
connections = 0
ban_threshold = 1000000
rate_limit_per_ip = 1000000000

[logging]
level = "warning"
format = "json"
filter = "warning,loka_stratum.server=debug,loka_stratum.server.session=warning"
{extra}""",
        encoding="utf-8",
    )
    return path


def start_server(config: Path, directory: Path) -> subprocess.Popen[bytes]:
    binary = Path(sys.executable).with_name("loka-stratum")
    log = (directory / "server.log").open("wb")
    return subprocess.Popen(
        [str(binary), "start", "--config", str(config)],
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=raise_fd_limit,  # noqa: PLW1509 - no threads exist yet in this process
        cwd=directory,
    )


def wait_for_port(port: int, deadline: float) -> None:
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"server did not listen on {port}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_bytes(pid: int) -> int:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE


def stop_server(server: subprocess.Popen[bytes]) -> float:
    started = time.time()
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    return time.time() - started


def share(args: argparse.Namespace, index: int) -> int:
    """Connections of load process `index`: the total split as evenly as it goes."""
    base, extra = divmod(int(args.connections), int(args.processes))
    return base + (index < extra)


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run_plans(plans: list[LoadPlan]) -> list[dict[str, Any]]:
    context = multiprocessing.get_context("spawn")
    with context.Pool(len(plans)) as pool:
        return pool.map(run_process, plans)


def submit_scenario(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="loka-bench-") as tmp:
        directory = Path(tmp)
        port = free_port()
        config = write_config(directory, port, difficulty=args.difficulty, network_difficulty=1e15)
        server = start_server(config, directory)
        try:
            wait_for_port(port, time.time() + 60)
            now = time.time()
            start_at = now + args.ramp
            stop_at = start_at + args.duration
            plans = [
                LoadPlan(
                    "127.0.0.1",
                    port,
                    share(args, i),
                    "submit",
                    f"{ADDRESS}.w{i}",
                    start_at,
                    stop_at,
                    i,
                )
                for i in range(args.processes)
            ]
            context = multiprocessing.get_context("spawn")
            with context.Pool(len(plans)) as pool:
                pending = pool.map_async(run_process, plans)
                time.sleep(max(0.0, start_at - time.time()))
                cpu_start = cpu_seconds(server.pid)
                time.sleep(max(0.0, stop_at - time.time()))
                cpu_end = cpu_seconds(server.pid)
                results = pending.get(timeout=args.duration + args.ramp + 120)
            rss = rss_bytes(server.pid)
        finally:
            stop_seconds = stop_server(server)
    answered = sum(r["answered"] for r in results)
    latencies = [x for r in results for x in r["latencies"]]
    cpu = cpu_end - cpu_start
    return {
        "bench": "server_submit",
        "connections": sum(r["connected"] for r in results),
        "failed_connections": sum(r["failed"] for r in results),
        "duration_s": args.duration,
        "difficulty": args.difficulty,
        "submits": answered,
        "accepted": sum(r["accepted"] for r in results),
        "submits_per_s": round(answered / args.duration),
        "latency_p50_ms": round(percentile(latencies, 0.5) * 1e3, 3),
        "latency_p99_ms": round(percentile(latencies, 0.99) * 1e3, 3),
        "latency_mean_ms": round(statistics.fmean(latencies) * 1e3, 3) if latencies else None,
        "server_cpu_s": round(cpu, 3),
        "server_cpu_us_per_submit": round(cpu / answered * 1e6, 2) if answered else None,
        "server_rss_mb": round(rss / 2**20, 1),
        "stop_seconds": round(stop_seconds, 2),
        "floor_submits_per_s": 10_000,
        "ckpool_cpu_us_per_submit": 42,
    }


async def trigger_block(port: int) -> float:
    """Mine until a share is a block (network difficulty is tiny); returns the submit time."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)

    async def call(msg_id: int, method: str, params: list[Any]) -> dict[str, Any]:
        writer.write(orjson.dumps({"id": msg_id, "method": method, "params": params}) + b"\n")
        while True:
            message: dict[str, Any] = orjson.loads(await reader.readline())
            if message.get("id") == msg_id and message.get("method") is None:
                return message

    await call(1, "mining.subscribe", [])
    await call(2, "mining.authorize", [f"{ADDRESS}.trigger", "x"])
    job: list[Any] | None = None
    while job is None:
        message = orjson.loads(await reader.readline())
        if message.get("method") == "mining.notify":
            job = message["params"]
    rng = random.Random(1)
    for attempt in range(1000):
        sent = time.time()
        params = [
            f"{ADDRESS}.trigger",
            job[0],
            rng.randbytes(4).hex(),
            job[7],
            f"{rng.getrandbits(32):08x}",
        ]
        if (await call(10 + attempt, "mining.submit", params)).get("result") is True:
            writer.close()
            return sent
    raise RuntimeError("no block found")


def server_broadcast_ms(log: Path) -> float | None:
    """The server's own time to write the largest new-block broadcast (from its debug log)."""
    best = None
    for line in log.read_bytes().splitlines():
        if b"Job broadcast" in line:
            fields = orjson.loads(line)["fields"]
            if fields.get("clean_jobs"):
                best = max(best or 0.0, fields["seconds"] * 1e3)
    return None if best is None else round(best, 1)


def idle_scenario(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="loka-bench-") as tmp:
        directory = Path(tmp)
        port = free_port()
        config = write_config(directory, port, difficulty=1e-9, network_difficulty=1e-9)
        server = start_server(config, directory)
        try:
            wait_for_port(port, time.time() + 60)
            time.sleep(1.0)
            rss_before = rss_bytes(server.pid)
            now = time.time()
            stop_at = now + args.ramp + args.hold
            plans = [
                LoadPlan(
                    "127.0.0.1", port, share(args, i), "idle", f"{ADDRESS}.i{i}", now, stop_at, i
                )
                for i in range(args.processes)
            ]
            context = multiprocessing.get_context("spawn")
            with context.Pool(len(plans)) as pool:
                pending = pool.map_async(run_process, plans)
                time.sleep(args.ramp)
                rss_after = rss_bytes(server.pid)
                triggered = asyncio.run(trigger_block(port))
                results = pending.get(timeout=args.ramp + args.hold + 120)
        finally:
            stop_seconds = stop_server(server)
        broadcast_ms = server_broadcast_ms(directory / "server.log")
    connected = sum(r["connected"] for r in results)
    arrivals = [
        t for r in results for (_job, t, clean) in r["notify_times"] if clean and t >= triggered
    ]
    spread = max(arrivals) - min(arrivals) if arrivals else float("nan")
    return {
        "bench": "server_idle",
        "connections": connected,
        "failed_connections": sum(r["failed"] for r in results),
        "rss_before_mb": round(rss_before / 2**20, 1),
        "rss_after_mb": round(rss_after / 2**20, 1),
        "rss_per_connection_kib": round((rss_after - rss_before) / max(connected, 1) / 1024, 2),
        "new_block_notifies": len(arrivals),
        "server_broadcast_ms": broadcast_ms,
        "notify_spread_ms": round(spread * 1e3, 1),
        "notify_first_after_submit_ms": round((min(arrivals) - triggered) * 1e3, 1)
        if arrivals
        else None,
        "stop_seconds": round(stop_seconds, 2),
        "floor_rss_per_connection_kib": 10,
        "floor_notify_spread_ms": 200,
        "ckpool_rss_per_connection_kb": 5.8,
        "ckpool_notify_spread_ms": 170,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("scenario", choices=["submit", "idle", "all"])
    parser.add_argument("--connections", type=int, default=None)
    parser.add_argument("--processes", type=int, default=3, help="load processes (submit)")
    parser.add_argument(
        "--idle-processes",
        type=int,
        default=8,
        help="load processes (idle): fewer miners per process keep their own lag out of the spread",
    )
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--ramp", type=float, default=10.0)
    parser.add_argument("--hold", type=float, default=5.0)
    parser.add_argument("--difficulty", type=float, default=1e-9)
    args = parser.parse_args()
    raise_fd_limit()
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if args.scenario in ("submit", "all"):
        submit_args = argparse.Namespace(**vars(args))
        submit_args.connections = args.connections or 1000
        print(json.dumps(submit_scenario(submit_args)), flush=True)
    if args.scenario in ("idle", "all"):
        idle_args = argparse.Namespace(**vars(args))
        idle_args.connections = min(args.connections or 10_000, soft - 100)
        idle_args.ramp = max(args.ramp, 20.0)
        idle_args.processes = args.idle_processes
        print(json.dumps(idle_scenario(idle_args)), flush=True)


if __name__ == "__main__":
    main()
