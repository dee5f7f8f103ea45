"""The proxy's cost on the submit path, measured against the pool it forwards to.

One `loka-stratum` pool process (embedded chain) and one `loka-stratum` proxy process
in front of it; simulated miners (bench/loadgen.py) in other processes keep one
random-nonce submit each in flight. Both levels use a tiny difficulty, so about a
quarter of random nonces are valid shares, and every valid share also meets the
upstream difficulty and is forwarded: the proxy validates every submit and forwards
every share, the heaviest case.

Scenarios (JSON lines on stdout):
- `latency`: the same light load (default 10 miners, so latency is not queueing)
  first straight to the pool, then through the proxy, in one run: p50/p99 of each and
  the added latency. The proxy answers after its own validation, so the figure is what
  the proxy adds to a miner's submit (the upstream's answer does not delay the miner's).
- `throughput`: 1,000 miners straight to the pool, then through the proxy: submits/s
  of both, the proxy's CPU per submit, and how many shares went up and were accepted
  upstream. All processes share the machine: the proxy run has one more busy process.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench_server import (
    ADDRESS,
    cpu_seconds,
    free_port,
    percentile,
    share,
    start_server,
    stop_server,
    wait_for_port,
    write_config,
)
from loadgen import LoadPlan, run_process

DIFFICULTY = 1e-9


def write_proxy_config(directory: Path, port: int, upstream_port: int, health_port: int) -> Path:
    """The benchmark config in proxy mode, forwarding to the pool on `upstream_port`."""
    pool = f"""
[pool]
username = "{ADDRESS}"
password = "x"

[[pool.upstreams]]
name = "bench-pool"
url = "stratum+tcp://127.0.0.1:{upstream_port}"
"""
    return write_config(
        directory,
        port,
        difficulty=DIFFICULTY,
        network_difficulty=1e15,
        health_port=health_port,
        prelude='mode = "proxy"\n',
        extra=pool,
    )


def load(
    port: int, connections: int, processes: int, seconds: float, ramp: float, pid: int
) -> tuple[list[dict[str, Any]], float]:
    """Run the load against `port`; returns the workers' results and `pid`'s CPU seconds."""
    args = argparse.Namespace(connections=connections, processes=processes)
    start_at = time.time() + ramp
    stop_at = start_at + seconds
    plans = [
        LoadPlan(
            "127.0.0.1", port, share(args, i), "submit", f"{ADDRESS}.w{i}", start_at, stop_at, i
        )
        for i in range(processes)
    ]
    context = multiprocessing.get_context("spawn")
    with context.Pool(len(plans)) as pool:
        pending = pool.map_async(run_process, plans)
        time.sleep(max(0.0, start_at - time.time()))
        cpu_start = cpu_seconds(pid)
        time.sleep(max(0.0, stop_at - time.time()))
        cpu_end = cpu_seconds(pid)
        results = pending.get(timeout=seconds + ramp + 120)
    return results, cpu_end - cpu_start


def summary(results: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    answered = sum(r["answered"] for r in results)
    latencies = [x for r in results for x in r["latencies"]]
    return {
        "connections": sum(r["connected"] for r in results),
        "submits": answered,
        "accepted": sum(r["accepted"] for r in results),
        "submits_per_s": round(answered / seconds),
        "latency_p50_ms": round(percentile(latencies, 0.5) * 1e3, 3),
        "latency_p99_ms": round(percentile(latencies, 0.99) * 1e3, 3),
        "latency_mean_ms": round(statistics.fmean(latencies) * 1e3, 3) if latencies else None,
    }


def upstream_counts(health_port: int) -> dict[str, float]:
    """The proxy's forwarded / upstream-accepted counters from its Prometheus text."""
    url = f"http://127.0.0.1:{health_port}/metrics/prometheus"
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode()
    counts: dict[str, float] = {}
    for line in text.splitlines():
        for name in ("upstream_shares_forwarded_total", "upstream_shares_accepted_total"):
            if name in line and not line.startswith("#"):
                counts[name] = counts.get(name, 0.0) + float(line.rsplit(" ", 1)[1])
    return counts


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="loka-bench-proxy-") as tmp:
        directory = Path(tmp)
        pool_dir, proxy_dir = directory / "pool", directory / "proxy"
        pool_dir.mkdir()
        proxy_dir.mkdir()
        pool_port, proxy_port, proxy_health = free_port(), free_port(), free_port()
        pool_config = write_config(
            pool_dir, pool_port, difficulty=DIFFICULTY, network_difficulty=1e15
        )
        pool = start_server(pool_config, pool_dir)
        proxy = None
        try:
            wait_for_port(pool_port, time.time() + 60)
            proxy = start_server(
                write_proxy_config(proxy_dir, proxy_port, pool_port, proxy_health), proxy_dir
            )
            wait_for_port(proxy_port, time.time() + 60)
            if args.scenario in ("latency", "all"):
                n, seconds = args.latency_connections, args.duration
                direct, _ = load(pool_port, n, args.processes, seconds, args.ramp, pool.pid)
                proxied, _ = load(proxy_port, n, args.processes, seconds, args.ramp, proxy.pid)
                d, p = summary(direct, seconds), summary(proxied, seconds)
                out.append(
                    {
                        "bench": "proxy_latency",
                        "connections": n,
                        "direct": d,
                        "proxy": p,
                        "added_p50_ms": round(p["latency_p50_ms"] - d["latency_p50_ms"], 3),
                        "added_p99_ms": round(p["latency_p99_ms"] - d["latency_p99_ms"], 3),
                        "p50_ratio": round(p["latency_p50_ms"] / d["latency_p50_ms"], 2),
                    }
                )
            if args.scenario in ("throughput", "all"):
                n, seconds = args.connections, args.duration
                direct, _ = load(pool_port, n, args.processes, seconds, args.ramp, pool.pid)
                before = upstream_counts(proxy_health)
                results, cpu = load(proxy_port, n, args.processes, seconds, args.ramp, proxy.pid)
                time.sleep(1.0)  # the last verdicts come back
                after = upstream_counts(proxy_health)
                s = summary(results, seconds)
                forwarded = after.get("upstream_shares_forwarded_total", 0.0) - before.get(
                    "upstream_shares_forwarded_total", 0.0
                )
                accepted = after.get("upstream_shares_accepted_total", 0.0) - before.get(
                    "upstream_shares_accepted_total", 0.0
                )
                out.append(
                    {
                        "bench": "proxy_throughput",
                        **s,
                        "proxy_cpu_us_per_submit": round(cpu / s["submits"] * 1e6, 2)
                        if s["submits"]
                        else None,
                        "direct_submits_per_s": summary(direct, seconds)["submits_per_s"],
                        "forwarded": int(forwarded),
                        "upstream_accepted": int(accepted),
                    }
                )
        finally:
            if proxy is not None:
                stop_server(proxy)
            stop_server(pool)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("scenario", choices=["latency", "throughput", "all"])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--latency-connections", type=int, default=10)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--ramp", type=float, default=8.0)
    args = parser.parse_args()
    for result in run(args):
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
