"""make bench-spark: our Spark job vs the seed's job shape (bench/spark_naive_job.py), same topic, one run.

    .venv/bin/python -m bench.spark_bench [--events 500000] [--partitions 6] [--repeats 3]

Starts an embedded broker on 127.0.0.1, preloads N seeded events with our producer, then runs, alternating
and `repeats` times each, from fresh checkpoints over the whole topic (trigger available-now, local[2]):
  flight-analytics  our job: parse + validate + quarantine + events sink + de-duplicated airline windows
  naive-baseline    from_json + windowed count per airline, nothing else
events_per_sec = events on the topic / wall time of the streaming phase (session start-up excluded).
Writes bench/results/spark-<UTC date>.json and prints a table of medians and the ratio.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from local.embedded_kafka import EmbeddedKafka, free_ports
from local.pipeline import produce, run_spark_job

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = PROJECT_ROOT / "bench" / "results"
SEED = 42
START_TIME = "2026-03-01T00:00:00.000Z"


def run_naive(bootstrap: str, topic: str, workdir: Path, timeout_s: float = 1800) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(PROJECT_ROOT / "spark-jobs"), str(PROJECT_ROOT), env.get("PYTHONPATH", "")])
    cmd = [sys.executable, "-m", "bench.spark_naive_job", bootstrap, topic, str(workdir / "out"), str(workdir / "ck")]
    done = subprocess.run(cmd, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=timeout_s)
    if done.returncode != 0:
        raise RuntimeError(f"naive baseline exited {done.returncode}: {done.stderr[-2000:]}")
    line = next(l for l in reversed(done.stdout.splitlines()) if l.startswith("NAIVE_RESULT "))
    return json.loads(line.removeprefix("NAIVE_RESULT "))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.spark_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    if args.events < 1 or args.partitions < 1 or args.repeats < 1:
        parser.error("--events, --partitions and --repeats must be >= 1")

    with tempfile.TemporaryDirectory(prefix="spark-bench-") as tmp:
        workdir = Path(tmp)
        port, controller_port = free_ports(2)
        broker = EmbeddedKafka(workdir / "kafka", port=port, controller_port=controller_port, heap_mb=512)
        broker.start(timeout_s=120)
        try:
            topic = "flight-events-bench"
            broker.create_topic(topic, partitions=args.partitions)
            produced = produce(broker.bootstrap_servers, topic, args.events, seed=SEED, start_time=START_TIME, timeout_s=1800)
            assert produced.acked == args.events, produced
            runs = []
            for repeat in range(args.repeats):
                for job in ("flight-analytics", "naive-baseline"):
                    run_dir = workdir / f"{job}-{repeat}"
                    if job == "flight-analytics":
                        result = run_spark_job(broker.bootstrap_servers, topic, run_dir / "out", run_dir / "ck", timeout_s=1800)
                        row = {"input_rows": result.input_rows, "elapsed_s": result.elapsed_s, "events_per_sec": result.events_per_sec}
                    else:
                        row = run_naive(broker.bootstrap_servers, topic, run_dir)
                    row = {"job": job, "repeat": repeat, **row}
                    print(json.dumps(row), flush=True)
                    runs.append(row)
        finally:
            broker.stop()

    medians = {
        job: statistics.median(r["events_per_sec"] for r in runs if r["job"] == job) for job in ("flight-analytics", "naive-baseline")
    }
    report = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "events": args.events,
        "partitions": args.partitions,
        "cores": 2,
        "master": "local[2]",
        "machine": f"{platform.machine()} {os.cpu_count()} CPUs (shared; load average {os.getloadavg()[0]:.1f} at the end)",
        "runs": runs,
        "median_events_per_sec": medians,
        "ratio_ours_to_baseline": round(medians["flight-analytics"] / medians["naive-baseline"], 3),
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"spark-{datetime.now(timezone.utc):%Y-%m-%d}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\n{'job':18s} {'median events/s':>16s}  runs")
    for job, median in medians.items():
        print(f"{job:18s} {median:16,.0f}  {[r['events_per_sec'] for r in runs if r['job'] == job]}")
    print(f"ratio flight-analytics / naive-baseline = {report['ratio_ours_to_baseline']}   -> {out.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
