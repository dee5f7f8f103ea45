#!/usr/bin/env bash
# Benchmarks of the hot paths, as the operations manual drives them:
#   ./run_benchmarks.sh all            run every benchmark, save bench/results/<time>.jsonl
#   ./run_benchmarks.sh quick          the in-process ones only (validation, protocol, persistence)
#   ./run_benchmarks.sh report         print the latest results
#   ./run_benchmarks.sh baseline NAME  keep the latest results as baseline NAME
#   ./run_benchmarks.sh compare NAME   latest results against baseline NAME, as ratios
# Every benchmark prints JSON lines; figures are only comparable within one machine.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-.venv/bin/python}
RESULTS=bench/results
mkdir -p "$RESULTS"

run_quick() {
  "$PY" bench/bench_validate.py
  "$PY" bench/bench_protocol.py
  "$PY" bench/bench_share_persist.py --backend sqlite
}

run_all() {
  run_quick
  "$PY" bench/bench_share_persist.py --backend postgresql
  "$PY" bench/bench_server.py all
  "$PY" bench/bench_proxy.py all
}

save() {
  local out="$RESULTS/$(date -u +%Y%m%dT%H%M%SZ).jsonl"
  "$@" | tee "$out"
  ln -sfn "$(basename "$out")" "$RESULTS/latest.jsonl"
}

case "${1:-}" in
  all) save run_all ;;
  quick) save run_quick ;;
  report) "$PY" bench/report.py show "$RESULTS/latest.jsonl" ;;
  baseline)
    [ -n "${2:-}" ] || { echo "usage: $0 baseline NAME" >&2; exit 2; }
    cp "$RESULTS/latest.jsonl" "$RESULTS/baseline-$2.jsonl"
    echo "saved baseline $2" ;;
  compare)
    [ -n "${2:-}" ] || { echo "usage: $0 compare NAME" >&2; exit 2; }
    "$PY" bench/report.py compare "$RESULTS/baseline-$2.jsonl" "$RESULTS/latest.jsonl" ;;
  *) sed -n '2,7p' "$0" >&2; exit 2 ;;
esac
