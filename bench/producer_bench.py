"""make bench-producer: our TypeScript producer and Kafka's own ProducerPerformance, side by side.

One invocation starts one embedded broker (local/embedded_kafka.py) with one topic, then runs,
repetition after repetition and alternating between clients so that machine noise hits both alike:

  flight-producer            `producer/src/main.ts produce` (1 worker, and --workers N), keyed by flight id
  kafka-producer-perf-test   org.apache.kafka.tools.ProducerPerformance with --payload-file made of
                             our own generated events (so the same record sizes), no keys

both with acks=all, the idempotent producer, the same message count, and each compression asked
for. It writes bench/results/producer-<date>.json (every run, medians, ratios ours/peer, machine)
and prints a table. Every run is bounded in count and in time.

    .venv/bin/python -m bench.producer_bench --repetitions 3 --messages 300000
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from local.embedded_kafka import EmbeddedKafka, free_port
from local.versions import PROJECT_ROOT, versions

NODE = PROJECT_ROOT / "node_modules" / ".bin" / "node"
TSX_CLI = PROJECT_ROOT / "node_modules" / "tsx" / "dist" / "cli.mjs"
PRODUCER_MAIN = PROJECT_ROOT / "producer" / "src" / "main.ts"
RESULTS_DIR = PROJECT_ROOT / "bench" / "results"
TOPIC = "bench-flight-events"
PERF_CLASS = "org.apache.kafka.tools.ProducerPerformance"
# The 1.2 billion events an hour the platform is sized for.
TARGET_MSGS_PER_SEC = 1_200_000_000 / 3600
# ProducerPerformance's summary line, e.g. "300000 records sent, 95238.1 records/sec (57.49 MB/sec),
# 120.35 ms avg latency, 523.00 ms max latency, 101 ms 50th, 300 ms 95th, 400 ms 99th, 500 ms 99.9th."
PERF_SUMMARY = re.compile(
    r"(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency"
    r"(?:, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99.9th)?"
)
PRODUCER_RESULT = re.compile(r"^PRODUCER_RESULT (\{.*\})$", re.MULTILINE)
# Our producer's stderr summary of produce-request latencies (send -> acknowledgement).
BATCH_LATENCY = re.compile(r"batch latency .*: p50 ([\d.]+) ms, p99 ([\d.]+) ms")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.producer_bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--repetitions", type=int, default=3, help="runs per client and setting (median of these); default 3")
    p.add_argument("--messages", type=int, default=300_000, help="messages per run, every client; default 300000")
    p.add_argument("--partitions", type=int, default=6, help="partitions of the benchmark topic; default 6")
    p.add_argument("--compressions", default="none,lz4", help="comma-separated; each of none|lz4|zstd|gzip|snappy; default none,lz4")
    p.add_argument("--workers", default="1,2", help="comma-separated worker counts for our producer; default 1,2")
    p.add_argument("--batch-size", type=int, default=5000, help="our producer's --batch-size (messages); default 5000")
    p.add_argument("--max-in-flight", type=int, default=16, help="our producer's --max-in-flight; default 16")
    p.add_argument("--perf-batch-bytes", type=int, default=1_048_576, help="ProducerPerformance batch.size, bytes; default 1 MiB")
    p.add_argument("--perf-linger-ms", type=int, default=5, help="ProducerPerformance linger.ms; default 5")
    p.add_argument("--run-timeout-s", type=float, default=300, help="longest one run may take before it is killed; default 300")
    p.add_argument("--out", type=Path, default=None, help="JSON file to write; default bench/results/producer-<UTC date>.json")
    return p


def _check_args(args: argparse.Namespace) -> None:
    if not 1 <= args.repetitions <= 20:
        sys.exit(f"error: --repetitions {args.repetitions}: expected 1..20")
    if not 1_000 <= args.messages <= 50_000_000:
        sys.exit(f"error: --messages {args.messages}: expected 1000..50000000")
    compressions = args.compressions.split(",")
    for c in compressions:
        if c not in ("none", "lz4", "zstd", "gzip", "snappy"):
            sys.exit(f"error: --compressions: unknown compression '{c}', expected none|lz4|zstd|gzip|snappy")
    args.compressions = compressions
    try:
        args.workers = [int(w) for w in args.workers.split(",")]
    except ValueError:
        sys.exit(f"error: --workers '{args.workers}': expected comma-separated integers, e.g. 1,2")
    if any(not 1 <= w <= 64 for w in args.workers):
        sys.exit(f"error: --workers {args.workers}: each must be 1..64")


def _version(cmd: list[str]) -> str:
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return (r.stdout + r.stderr).strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError) as exc:
        return f"unknown ({exc})"


def write_payload_file(path: Path, count: int = 20_000) -> dict:
    """Our real events, one per line: ProducerPerformance picks one of them at random per record."""
    cmd = [str(NODE), str(TSX_CLI), str(PRODUCER_MAIN), "generate", "--count", str(count), "--seed", "7",
           "--start-time", "2026-11-24T00:00:00Z", "--out", str(path)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    sizes = [len(line) for line in path.read_bytes().split(b"\n") if line]
    return {"events": len(sizes), "mean_bytes": round(statistics.fmean(sizes), 1), "median_bytes": statistics.median(sizes),
            "min_bytes": min(sizes), "max_bytes": max(sizes)}


def run_ours(bootstrap: str, args: argparse.Namespace, compression: str, workers: int) -> dict:
    cmd = [str(NODE), str(TSX_CLI), str(PRODUCER_MAIN), "produce", "--bootstrap", bootstrap, "--topic", TOPIC,
           "--count", str(args.messages), "--compression", compression, "--workers", str(workers),
           "--batch-size", str(args.batch_size), "--max-in-flight", str(args.max_in_flight),
           "--start-time", "2026-11-24T00:00:00Z"]
    # As the image runs it (producer/Dockerfile): a 64 MiB semi-space; the peer's JVM gets its heap too.
    env = {**os.environ, "NODE_OPTIONS": "--max-semi-space-size=64"}
    wall_start = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=args.run_timeout_s, env=env)
    wall_s = time.monotonic() - wall_start
    match = PRODUCER_RESULT.search(r.stdout)
    if r.returncode != 0 or not match:
        raise RuntimeError(f"our producer failed (exit {r.returncode}): {' '.join(cmd)}\n{r.stderr[-2000:]}")
    result = json.loads(match.group(1))
    if result["acked"] != args.messages:
        raise RuntimeError(f"our producer acknowledged {result['acked']} of {args.messages} messages")
    return {
        "client": "flight-producer", "compression": compression, "workers": workers,
        "messages": result["acked"], "msgs_per_sec": result["msgs_per_sec"],
        "mb_per_sec": round(result["bytes"] / 1_048_576 / (result["elapsed_ms"] / 1000), 2),
        "elapsed_ms": result["elapsed_ms"], "process_wall_s": round(wall_s, 2),
        # Per produce request (batch), not per record: ProducerPerformance's p99 also counts the time a
        # record waits in its accumulator, ours does not, so the two are not the same measure.
        "p99_ms": float(latency.group(2)) if (latency := BATCH_LATENCY.search(r.stderr)) else None,
        "latency_kind": "produce request, send to acknowledgement",
    }


def run_peer(kafka: EmbeddedKafka, payload: Path, args: argparse.Namespace, compression: str) -> dict:
    # Not kafka.run_tool(): its JVM options (C1 only, 256 MB) suit short admin tools, and would
    # handicap the peer. This is the JVM as kafka-producer-perf-test.sh starts it, heap aside.
    props = [f"bootstrap.servers={kafka.bootstrap_servers}", "acks=all", "enable.idempotence=true",
             f"linger.ms={args.perf_linger_ms}", f"batch.size={args.perf_batch_bytes}", f"compression.type={compression}",
             "max.in.flight.requests.per.connection=5", "buffer.memory=67108864"]
    cmd = [kafka.java, "-Xmx512m", "-XX:+UseG1GC", f"-Dlog4j2.configurationFile={kafka.state_dir / 'tools-log4j2.properties'}",
           "-cp", str(kafka.jar_dir() / "*"), PERF_CLASS, "--topic", TOPIC, "--num-records", str(args.messages),
           "--throughput", "-1", "--payload-file", str(payload), "--producer-props", *props]
    wall_start = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=args.run_timeout_s)
    wall_s = time.monotonic() - wall_start
    summaries = PERF_SUMMARY.findall(r.stdout)
    final = [s for s in summaries if s[5]]  # the last line has the percentiles
    if r.returncode != 0 or not final:
        raise RuntimeError(f"ProducerPerformance failed (exit {r.returncode}):\n{(r.stdout + r.stderr)[-2000:]}")
    sent, rate, mb, _avg, _max, _p50, _p95, p99, _p999 = final[-1]
    return {
        "client": "kafka-producer-perf-test", "compression": compression, "workers": 1,
        "messages": int(sent), "msgs_per_sec": float(rate), "mb_per_sec": float(mb),
        "elapsed_ms": round(int(sent) / float(rate) * 1000) if float(rate) else None,
        "process_wall_s": round(wall_s, 2), "p99_ms": int(p99),
        "latency_kind": "record, send() call to acknowledgement",
    }


def summarize(runs: list[dict]) -> list[dict]:
    groups: dict[tuple, list[dict]] = {}
    for run in runs:
        groups.setdefault((run["client"], run["compression"], run["workers"]), []).append(run)
    medians = []
    for (client, compression, workers), rs in groups.items():
        medians.append({
            "client": client, "compression": compression, "workers": workers, "repetitions": len(rs),
            "msgs_per_sec": round(statistics.median(r["msgs_per_sec"] for r in rs), 1),
            "mb_per_sec": round(statistics.median(r["mb_per_sec"] for r in rs), 2),
            "p99_ms": statistics.median(r["p99_ms"] for r in rs) if all(r["p99_ms"] is not None for r in rs) else None,
            "latency_kind": rs[0].get("latency_kind"),
        })
    for m in medians:
        if m["client"] == "flight-producer":
            peer = next((p for p in medians if p["client"] == "kafka-producer-perf-test" and p["compression"] == m["compression"]), None)
            m["ratio_to_producer_performance"] = round(m["msgs_per_sec"] / peer["msgs_per_sec"], 3) if peer else None
            # The same ratio within each repetition (runs minutes apart see the same machine load), then the median.
            per_rep = []
            for rep in sorted({r["repetition"] for r in runs}):
                ours = [r for r in runs if r["repetition"] == rep and r["client"] == m["client"] and r["compression"] == m["compression"] and r["workers"] == m["workers"]]
                theirs = [r for r in runs if r["repetition"] == rep and r["client"] == "kafka-producer-perf-test" and r["compression"] == m["compression"]]
                if ours and theirs:
                    per_rep.append(ours[0]["msgs_per_sec"] / theirs[0]["msgs_per_sec"])
            m["median_ratio_within_repetition"] = round(statistics.median(per_rep), 3) if per_rep else None
            m["share_of_333k_target"] = round(m["msgs_per_sec"] / TARGET_MSGS_PER_SEC, 3)
    return medians


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _check_args(args)
    started = dt.datetime.now(dt.timezone.utc)
    out = args.out or RESULTS_DIR / f"producer-{started:%Y-%m-%d}.json"
    work = Path(tempfile.mkdtemp(prefix="producer-bench-"))
    kafka = EmbeddedKafka(work / "kafka", port=free_port(), controller_port=free_port(), heap_mb=1024)
    runs: list[dict] = []
    load_before = os.getloadavg()
    try:
        print(f"starting the embedded broker in {work} ...", flush=True)
        kafka.start(timeout_s=180)
        kafka.create_topic(TOPIC, args.partitions)
        payload = work / "payload.jsonl"
        record = write_payload_file(payload)
        print(f"records: our events, mean {record['mean_bytes']} bytes ({record['min_bytes']}-{record['max_bytes']})", flush=True)
        for rep in range(1, args.repetitions + 1):
            for compression in args.compressions:
                # Alternate who goes first, so neither always runs on the warmer (or busier) machine.
                steps = [("ours", w) for w in args.workers] + [("peer", 1)]
                if rep % 2 == 0:
                    steps.reverse()
                for who, workers in steps:
                    run = run_ours(kafka.bootstrap_servers, args, compression, workers) if who == "ours" else run_peer(kafka, payload, args, compression)
                    run["repetition"] = rep
                    run["load_avg_1m"] = round(os.getloadavg()[0], 2)
                    runs.append(run)
                    print(f"  rep {rep} {run['client']:<26} {compression:<6} workers={run['workers']} "
                          f"{run['msgs_per_sec']:>10,.0f} msg/s {run['mb_per_sec']:>7.1f} MB/s", flush=True)
    finally:
        kafka.stop()
        shutil.rmtree(work, ignore_errors=True)

    medians = summarize(runs)
    report = {
        "benchmark": "producer",
        "started_utc": started.isoformat(timespec="seconds"),
        "command": "python -m bench.producer_bench " + " ".join(argv if argv is not None else sys.argv[1:]),
        "settings": {"messages_per_run": args.messages, "repetitions": args.repetitions, "partitions": args.partitions,
                     "acks": "all", "idempotent": True, "compressions": args.compressions,
                     "flight_producer": {"batch_size_msgs": args.batch_size, "max_in_flight": args.max_in_flight, "keyed_by": "flight_id",
                                         "node_options": "--max-semi-space-size=64", "runs": "TypeScript sources via tsx"},
                     "producer_performance": {"batch_size_bytes": args.perf_batch_bytes, "linger_ms": args.perf_linger_ms, "jvm": "-Xmx512m -XX:+UseG1GC",
                                              "keys": "none (ProducerPerformance sends null keys)"}},
        "record_bytes": record,
        "target_msgs_per_sec": round(TARGET_MSGS_PER_SEC),
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(), "load_avg_before": [round(x, 2) for x in load_before],
                    "load_avg_after": [round(x, 2) for x in os.getloadavg()],
                    "node": _version([str(NODE), "--version"]), "java": _version([kafka.java, "-version"]),
                    "kafka": versions()["kafka"], "shared": "2 cores shared with other work; see load averages"},
        "medians": medians,
        "runs": runs,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")

    print(f"\nmedians of {args.repetitions} runs, {args.messages:,} messages of ~{record['mean_bytes']:.0f} bytes, acks=all, idempotent:")
    print(f"{'client':<26} {'compr.':<6} {'workers':>7} {'msg/s':>10} {'MB/s':>7} {'p99 ms':>7} {'ours/peer':>9} {'of 333k':>8}")
    print("(ours/peer: median of the per-repetition ratios)")
    for m in medians:
        ratio = m.get("median_ratio_within_repetition")
        share = m.get("share_of_333k_target")
        print(f"{m['client']:<26} {m['compression']:<6} {m['workers']:>7} {m['msgs_per_sec']:>10,.0f} {m['mb_per_sec']:>7.1f} "
              f"{'' if m['p99_ms'] is None else m['p99_ms']:>7} {'' if ratio is None else f'{ratio:.2f}x':>9} "
              f"{'' if share is None else f'{share:.0%}':>8}")
    print(f"\nwrote {out.relative_to(PROJECT_ROOT) if out.is_relative_to(PROJECT_ROOT) else out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
