"""Print benchmark results, or compare two runs figure by figure as ratios."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def load(path: Path) -> dict[str, dict[str, Any]]:
    """Results by benchmark (plus backend/difficulty where a benchmark runs several times)."""
    results: dict[str, dict[str, Any]] = {}
    for line in path.read_text().splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            key = "/".join(str(record[k]) for k in ("bench", "backend") if k in record)
            results[key] = record
    return results


def show(path: Path) -> None:
    for key, record in load(path).items():
        figures = ", ".join(f"{name}={value}" for name, value in record.items() if name != "bench")
        print(f"{key}: {figures}")


def compare(baseline: Path, latest: Path) -> None:
    old, new = load(baseline), load(latest)
    for key in sorted(old.keys() & new.keys()):
        for name, value in new[key].items():
            before = old[key].get(name)
            if isinstance(value, int | float) and isinstance(before, int | float) and before:
                print(f"{key} {name}: {before} -> {value} (x{value / before:.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("show").add_argument("path", type=Path)
    diff = sub.add_parser("compare")
    diff.add_argument("baseline", type=Path)
    diff.add_argument("latest", type=Path)
    args = parser.parse_args()
    if args.command == "show":
        show(args.path)
    else:
        compare(args.baseline, args.latest)


if __name__ == "__main__":
    main()
