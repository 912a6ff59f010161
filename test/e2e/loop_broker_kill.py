"""Runs the broker-kill scenario N times in a row and stops at the first failure (not in CI: about
a minute a run). Each run's counts go to one JSON line on stdout; the last line is
  BROKER_KILL_LOOP consecutive_passes=<n> runs=<n>
and a failing run's producer stderr is printed in full.

  PYTHONPATH=.:spark-jobs:test/e2e .venv/bin/python test/e2e/loop_broker_kill.py --runs 20
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from broker_kill import EVENT_COUNT, run_broker_kill


def passed(counts: dict) -> bool:
    return (
        counts["producer_exit_code"] == 0
        and counts["acknowledged"] == EVENT_COUNT
        and counts["producer_errors"] == 0
        and counts["found"] == EVENT_COUNT
        and counts["duplicated"] == 0
        and counts["lost"] == 0
        and counts["found_unacknowledged"] == 0
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--keep-going", action="store_true", help="run all --runs even after a failure")
    parser.add_argument("--stderr-dir", type=Path, help="keep each run's producer stderr here as run-<n>.log")
    args = parser.parse_args()
    if not 1 <= args.runs <= 200:
        parser.error(f"--runs {args.runs}: expected 1..200")
    consecutive = failures = 0
    for run in range(1, args.runs + 1):
        load = os.getloadavg()[0]
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="broker-kill-") as tmp:
            result = run_broker_kill(Path(tmp))
        counts = result["counts"]
        ok = passed(counts)
        consecutive = consecutive + 1 if ok else 0
        failures += not ok
        print(json.dumps({"run": run, "passed": ok, "load_before": round(load, 2),
                          "wall_s": round(time.monotonic() - started, 1), **counts}), flush=True)
        if args.stderr_dir:
            args.stderr_dir.mkdir(parents=True, exist_ok=True)
            (args.stderr_dir / f"run-{run}.log").write_text(result["producer_stderr"] + "\n")
        if not ok:
            print(result["producer_stderr"], file=sys.stderr, flush=True)
            if not args.keep_going:
                break
    print(f"BROKER_KILL_LOOP consecutive_passes={consecutive} runs={run} failures={failures}", flush=True)
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
