"""make bench-producer: our TypeScript producer against three peers, side by side, in one run.

One invocation starts one embedded broker (local/embedded_kafka.py) with one topic, writes a file of
our own generated events, warms the broker up (unmeasured ProducerPerformance runs, warm_broker), then
runs, repetition after repetition and in a rotating order so that
machine noise hits every client alike, one process per client:

  flight-producer            our producer (the esbuild bundle, as in the image), 1 worker and N workers,
                             generating its events as it goes, keyed by flight id
  kafka-producer-perf-test   Apache Kafka's org.apache.kafka.tools.ProducerPerformance, --payload-file
                             = our events (same record sizes), null keys
  kafka-python               a producer written like the origin project's: events as dicts, json.dumps per event
                             (value_serializer), producer.send per message, flush at the end
  confluent-kafka            librdkafka's Python binding, the native-client reference: our events'
                             bytes, keyed by flight id, produce() per message

all with acks=all, the idempotent producer, and the same compression. Each client's latency is
reported as p50 and p99 next to its throughput: ours per produce request (send to acknowledgement),
ProducerPerformance's from its own percentiles, the Python clients' from delivery callbacks. A
diagnostic (bench/producer_encode_only.ts) measures our producer's own work without Kafka.

Load (bench/load.py, the rule bench-spark follows too): it does not start until the 1-minute load
average is below QUIET_LOAD (it waits up to --wait-for-quiet-s, then exits 3). Before each run it waits
the same way (then runs anyway) and records the load; a run whose load before or after it was above BUSY_LOAD, or
during which processes outside the benchmark used more than OTHERS_MAX_CORES of CPU on average, is
"valid": false (something else was running) and left out of the medians and ratios.

It writes bench/results/producer.json ({"record_bytes", "runs": [median per client, ...]}, with every
repetition and its load alongside) and prints a table. Every run is bounded in time.

    .venv/bin/python -m bench.producer_bench --repetitions 3 --messages 600000
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

from bench.load import BUSY_LOAD, OTHERS_MAX_CORES, QUIET_LOAD, CpuAccount, left_out, load_1m, RULE as LOAD_RULE, run_validity, start_when_quiet, wait_for_quiet
from local.embedded_kafka import EmbeddedKafka, free_ports
from local.pipeline import build_producer_bundle, producer_bundle_command, producer_image_node_args
from local.versions import PROJECT_ROOT, versions

NODE = PROJECT_ROOT / "node_modules" / ".bin" / "node"
ENCODE_ONLY_SCRIPT = PROJECT_ROOT / "bench" / "producer_encode_only.ts"
RESULTS_DIR = PROJECT_ROOT / "bench" / "results"
TOPIC = "bench-flight-events"
PERF_CLASS = "org.apache.kafka.tools.ProducerPerformance"
START_TIME = "2026-11-24T00:00:00Z"
CLIENTS = ("flight-producer", "kafka-producer-perf-test", "kafka-python", "confluent-kafka")
# The 1.2 billion events an hour the platform is sized for.
TARGET_MSGS_PER_SEC = 1_200_000_000 / 3600
# ProducerPerformance's summary line, e.g. "300000 records sent, 95238.1 records/sec (57.49 MB/sec),
# 120.35 ms avg latency, 523.00 ms max latency, 101 ms 50th, 300 ms 95th, 400 ms 99th, 500 ms 99.9th."
PERF_SUMMARY = re.compile(
    r"(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency"
    r"(?:, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99.9th)?"
)
PRODUCER_RESULT = re.compile(r"^PRODUCER_RESULT (\{.*\})$", re.MULTILINE)
PYTHON_RESULT = re.compile(r"^PYTHON_PRODUCER_RESULT (\{.*\})$", re.MULTILINE)
# Our producer's stderr summary of produce-request latencies (send -> acknowledgement).
BATCH_LATENCY = re.compile(r"batch latency .*: p50 ([\d.]+) ms, p99 ([\d.]+) ms")
# Batching of the clients that take byte sizes (ProducerPerformance, confluent-kafka): as ours.
BATCH_BYTES = 1_048_576
LINGER_MS = 5


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.producer_bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--repetitions", type=int, default=3, help="runs per client and setting (median of these); default 3")
    p.add_argument("--messages", type=int, default=600_000,
                   help="messages per run of flight-producer, ProducerPerformance and confluent-kafka; default 600000 "
                        "(runs of a few seconds: fewer would mostly measure start-up and JIT)")
    p.add_argument("--broker-warmup-messages", type=int, default=600_000,
                   help="messages ProducerPerformance sends per compression before the first measured run, not measured: "
                        "the broker's first producer-id block and its JIT on the produce path (0 = none); default 600000")
    p.add_argument("--python-messages", type=int, default=60_000,
                   help="messages per kafka-python run (it is ~10x slower; a rate needs no more); default 60000")
    p.add_argument("--partitions", type=int, default=6, help="partitions of the benchmark topic; default 6")
    p.add_argument("--compressions", default="none,lz4", help="comma-separated; each of none|lz4|zstd|gzip|snappy; default none,lz4")
    p.add_argument("--workers", default="1,2", help="comma-separated worker counts for our producer; default 1,2")
    p.add_argument("--clients", default=",".join(CLIENTS), help=f"comma-separated subset of {','.join(CLIENTS)}; default all")
    p.add_argument("--batch-size", type=int, default=5000, help="our producer's --batch-size (messages per request); default 5000")
    p.add_argument("--max-in-flight", type=int, default=5, help="our producer's --max-in-flight (1-5); default 5")
    p.add_argument("--run-timeout-s", type=float, default=300, help="longest one run may take before it is killed; default 300")
    p.add_argument("--wait-for-quiet-s", type=float, default=120,
                   help=f"wait up to this long for the 1-minute load to drop below {QUIET_LOAD}, at the start (else exit 3) "
                        "and before each run (then run anyway, marked invalid above the busy load); default 120")
    p.add_argument("--out", type=Path, default=RESULTS_DIR / "producer.json", help="JSON file to write; default bench/results/producer.json")
    # Internal: one Python client's run, in its own process.
    p.add_argument("--python-client", choices=("kafka-python", "confluent-kafka"), help=argparse.SUPPRESS)
    p.add_argument("--bootstrap", help=argparse.SUPPRESS)
    p.add_argument("--payload", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--compression", help=argparse.SUPPRESS)
    return p


def _check_args(args: argparse.Namespace) -> None:
    if not 1 <= args.repetitions <= 20:
        sys.exit(f"error: --repetitions {args.repetitions}: expected 1..20")
    for name in ("messages", "python_messages"):
        if not 1_000 <= getattr(args, name) <= 50_000_000:
            sys.exit(f"error: --{name.replace('_', '-')} {getattr(args, name)}: expected 1000..50000000")
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
    args.clients = args.clients.split(",")
    for c in args.clients:
        if c not in CLIENTS:
            sys.exit(f"error: --clients: unknown client '{c}', expected some of {','.join(CLIENTS)}")
    if not 0 <= args.broker_warmup_messages <= 50_000_000:
        sys.exit(f"error: --broker-warmup-messages {args.broker_warmup_messages}: expected 0..50000000")
    if not 1 <= args.max_in_flight <= 5:
        sys.exit(f"error: --max-in-flight {args.max_in_flight}: expected 1..5 (the idempotent producer's limit)")
    if args.wait_for_quiet_s < 0:
        sys.exit(f"error: --wait-for-quiet-s {args.wait_for_quiet_s}: expected seconds >= 0")


def _version(cmd: list[str]) -> str:
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return (r.stdout + r.stderr).strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError) as exc:
        return f"unknown ({exc})"


def _python_package_version(name: str) -> str:
    try:
        from importlib.metadata import version
        return version(name)
    except Exception as exc:  # noqa: BLE001 - reported, not fatal
        return f"not installed ({exc.__class__.__name__})"


def percentile(latencies_ms: list[float], pct: int) -> float | None:
    """The pct-th percentile (nearest rank), rounded to 0.1 ms; None without samples."""
    if not latencies_ms:
        return None
    ordered = sorted(latencies_ms)
    return round(ordered[min(len(ordered) - 1, max(0, -(-pct * len(ordered) // 100) - 1))], 1)


def write_payload_file(path: Path, count: int = 20_000) -> dict:
    """Our real events, one per line: what every peer sends (ProducerPerformance picks one at random per record)."""
    cmd = producer_bundle_command("generate", "--count", str(count), "--seed", "7", "--start-time", START_TIME, "--out", str(path))
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    sizes = [len(line) for line in path.read_bytes().split(b"\n") if line]
    return {"events": len(sizes), "mean_bytes": round(statistics.fmean(sizes), 1), "median_bytes": statistics.median(sizes),
            "min_bytes": min(sizes), "max_bytes": max(sizes)}


# ---- the clients ------------------------------------------------------------------------------

def _run_client(label: str, cmd: list[str], result_line: re.Pattern, timeout_s: float, **kwargs) -> tuple[dict, str, float]:
    """Run one client to its end: (its result line as a dict, its stderr, wall seconds). A non-zero
    exit or no result line fails with the tail of its output."""
    wall_start = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, **kwargs)
    wall_s = time.monotonic() - wall_start
    match = result_line.search(r.stdout)
    if r.returncode != 0 or not match:
        raise RuntimeError(f"{label} failed (exit {r.returncode}): {' '.join(cmd)}\n{(r.stdout + r.stderr)[-2000:]}")
    return json.loads(match.group(1)), r.stderr, wall_s


def run_ours(bootstrap: str, args: argparse.Namespace, compression: str, workers: int) -> dict:
    # As the image runs it (producer/Dockerfile's ENTRYPOINT flags: the heap sizes of docs/producer.md).
    cmd = producer_bundle_command("produce", "--bootstrap", bootstrap, "--topic", TOPIC,
                                  "--count", str(args.messages), "--compression", compression, "--workers", str(workers),
                                  "--batch-size", str(args.batch_size), "--max-in-flight", str(args.max_in_flight),
                                  "--start-time", START_TIME, node_args=producer_image_node_args())
    result, stderr, wall_s = _run_client("our producer", cmd, PRODUCER_RESULT, args.run_timeout_s)
    if result["acked"] != args.messages:
        raise RuntimeError(f"our producer acknowledged {result['acked']} of {args.messages} messages")
    latency = BATCH_LATENCY.search(stderr)
    return {
        "client": "flight-producer", "compression": compression, "workers": workers,
        "messages": result["acked"], "msgs_per_sec": result["msgs_per_sec"],
        "mb_per_sec": round(result["bytes"] / 1_048_576 / (result["elapsed_ms"] / 1000), 2),
        "elapsed_ms": result["elapsed_ms"], "process_wall_s": round(wall_s, 2),
        # Per produce request (batch): ProducerPerformance's percentiles also count the time a record
        # waits in its accumulator, ours do not, so the two are not the same measure.
        "p50_ms": float(latency.group(1)) if latency else None,
        "p99_ms": float(latency.group(2)) if latency else None,
        "latency_kind": "produce request, send to acknowledgement",
    }


ENCODE_ONLY_RESULT = re.compile(r"^ENCODE_ONLY (\{.*\})$", re.MULTILINE)


def run_encode_only(args: argparse.Namespace, compression: str) -> dict:
    """Diagnostic, not a client: our producer's own work without Kafka (bench/producer_encode_only.ts:
    simulate, write into record batches, finish them with compression and CRC32C), one thread, under
    the image's Node flags, so a reading can be split into "our CPU" and "the rest"."""
    cmd = [str(NODE), *producer_image_node_args(), "--import", "tsx", str(ENCODE_ONLY_SCRIPT), str(args.messages), compression]
    result, _stderr, _wall_s = _run_client("encode-only diagnostic", cmd, ENCODE_ONLY_RESULT, args.run_timeout_s, cwd=PROJECT_ROOT)
    return {"diagnostic": "flight-producer encode only (no Kafka): simulate + JSON into record batches + finish, 1 thread",
            "compression": compression, "msgs_per_sec": result["msgs_per_sec"], "cpu_us_per_event": result["cpu_us_per_event"],
            "batch_bytes_per_event": result["batch_bytes_per_event"]}


def run_perf(kafka: EmbeddedKafka, payload: Path, args: argparse.Namespace, compression: str) -> dict:
    # Not kafka.run_tool(): its JVM options (C1 only, 256 MB) suit short admin tools, and would
    # handicap the peer. This is the JVM as kafka-producer-perf-test.sh starts it, heap aside.
    props = [f"bootstrap.servers={kafka.bootstrap_servers}", "acks=all", "enable.idempotence=true",
             f"linger.ms={LINGER_MS}", f"batch.size={BATCH_BYTES}", f"compression.type={compression}",
             "max.in.flight.requests.per.connection=5", "buffer.memory=67108864"]
    cmd = [kafka.java, "-Xmx512m", "-XX:+UseG1GC", f"-Dlog4j2.configurationFile={kafka.state_dir / 'tools-log4j2.properties'}",
           "-cp", str(kafka.jar_dir() / "*"), PERF_CLASS, "--topic", TOPIC, "--num-records", str(args.messages),
           "--throughput", "-1", "--payload-file", str(payload), "--producer-props", *props]
    wall_start = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=args.run_timeout_s)
    wall_s = time.monotonic() - wall_start
    final = [s for s in PERF_SUMMARY.findall(r.stdout) if s[5]]  # the last line has the percentiles
    if r.returncode != 0 or not final:
        raise RuntimeError(f"ProducerPerformance failed (exit {r.returncode}):\n{(r.stdout + r.stderr)[-2000:]}")
    sent, rate, mb, _avg, _max, p50, _p95, p99, _p999 = final[-1]
    return {
        "client": "kafka-producer-perf-test", "compression": compression, "workers": 1,
        "messages": int(sent), "msgs_per_sec": float(rate), "mb_per_sec": float(mb),
        "elapsed_ms": round(int(sent) / float(rate) * 1000) if float(rate) else None,
        "process_wall_s": round(wall_s, 2), "p50_ms": float(p50), "p99_ms": float(p99),
        "latency_kind": "record, send() call to acknowledgement",
    }


def run_python(client: str, bootstrap: str, payload: Path, args: argparse.Namespace, compression: str) -> dict:
    messages = args.python_messages if client == "kafka-python" else args.messages
    cmd = [sys.executable, "-m", "bench.producer_bench", "--python-client", client, "--bootstrap", bootstrap,
           "--payload", str(payload), "--compression", compression, "--messages", str(messages)]
    result, _stderr, wall_s = _run_client(client, cmd, PYTHON_RESULT, args.run_timeout_s, cwd=PROJECT_ROOT)
    if result["acked"] != messages or result["errors"]:
        raise RuntimeError(f"{client} acknowledged {result['acked']} of {messages} messages ({result['errors']} errors)")
    elapsed_s = result["elapsed_ms"] / 1000
    return {
        "client": client, "compression": compression, "workers": 1, "messages": result["acked"],
        "msgs_per_sec": round(result["acked"] / elapsed_s, 1), "mb_per_sec": round(result["bytes"] / 1_048_576 / elapsed_s, 2),
        "elapsed_ms": result["elapsed_ms"], "process_wall_s": round(wall_s, 2), "p50_ms": result["p50_ms"],
        "p99_ms": result["p99_ms"], "latency_kind": result["latency_kind"],
        "record_mean_bytes": round(result["bytes"] / result["acked"], 1),
    }


def _load_payload(path: Path) -> list[bytes]:
    return [line for line in path.read_bytes().split(b"\n") if line]


def python_client_main(args: argparse.Namespace) -> int:
    """One Python client's run (in its own process): prints PYTHON_PRODUCER_RESULT {...}."""
    lines = _load_payload(args.payload)
    n = args.messages
    compression = None if args.compression == "none" else args.compression
    if args.python_client == "kafka-python":
        result = _kafka_python(args.bootstrap, lines, n, compression)
    else:
        result = _confluent_kafka(args.bootstrap, lines, n, compression)
    print("PYTHON_PRODUCER_RESULT " + json.dumps(result), flush=True)
    return 0


def _kafka_python(bootstrap: str, lines: list[bytes], n: int, compression: str | None) -> dict:
    """Written like the origin project's producer: dict events, json.dumps in the value serializer, send() per message."""
    from kafka import KafkaProducer

    events = [json.loads(line) for line in lines]  # the origin project built dicts; building them is not timed
    producer = KafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, compression_type=compression,
        key_serializer=lambda k: k.encode("utf-8"),
        # Compact separators, so the records are exactly our events' bytes (json.dumps' default adds spaces).
        value_serializer=lambda v: json.dumps(v, separators=(",", ":")).encode("utf-8"),
    )
    producer.partitions_for(TOPIC)  # connect and read metadata before the clock starts, as the others do
    latencies: list[float] = []
    errors = [0]
    sizes = [0]

    def sampled(sent_at: float):
        def on_ack(metadata) -> None:
            latencies.append((time.perf_counter() - sent_at) * 1000)
            sizes[0] += metadata.serialized_value_size
        return on_ack

    def on_error(_exc) -> None:
        errors[0] += 1

    start = time.perf_counter()
    count = len(events)
    for i in range(n):
        event = events[i % count]
        future = producer.send(TOPIC, key=event["flight_id"], value=event)
        if i % 100 == 0:  # a latency sample every 100 messages
            future.add_callback(sampled(time.perf_counter()))
        future.add_errback(on_error)
    producer.flush()
    elapsed = time.perf_counter() - start
    producer.close()
    mean_bytes = sum(len(lines[i % count]) for i in range(min(n, count))) / min(n, count)
    return {"acked": n - errors[0], "errors": errors[0], "elapsed_ms": round(elapsed * 1000),
            "bytes": round(mean_bytes * (n - errors[0])), "p50_ms": percentile(latencies, 50), "p99_ms": percentile(latencies, 99),
            "latency_kind": "record, send() call to acknowledgement (every 100th)"}


def _confluent_kafka(bootstrap: str, lines: list[bytes], n: int, compression: str | None) -> dict:
    """librdkafka: our events' bytes keyed by flight id, produce() per message, poll() to serve deliveries."""
    from confluent_kafka import Producer

    keys = [json.loads(line)["flight_id"].encode("utf-8") for line in lines]
    producer = Producer({
        "bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
        "compression.type": compression or "none", "linger.ms": LINGER_MS, "batch.size": BATCH_BYTES,
        "queue.buffering.max.messages": 500_000, "queue.buffering.max.kbytes": 1_048_576,
    })
    producer.list_topics(TOPIC, timeout=30)  # connect and read metadata before the clock starts
    state = {"acked": 0, "errors": 0, "bytes": 0}
    latencies: list[float] = []

    def on_delivery(error, message) -> None:
        if error is not None:
            state["errors"] += 1
            return
        state["acked"] += 1
        state["bytes"] += len(message.value())
        if state["acked"] % 100 == 0:
            latencies.append(message.latency() * 1000)

    start = time.perf_counter()
    count = len(lines)
    produce = producer.produce
    for i in range(n):
        j = i % count
        while True:
            try:
                produce(TOPIC, lines[j], keys[j], on_delivery=on_delivery)
                break
            except BufferError:  # the local queue is full: serve deliveries, then retry
                producer.poll(0.05)
        if i % 1000 == 0:
            producer.poll(0)
    remaining = producer.flush(120)
    elapsed = time.perf_counter() - start
    if remaining:
        state["errors"] += remaining
    return {"acked": state["acked"], "errors": state["errors"], "elapsed_ms": round(elapsed * 1000), "bytes": state["bytes"],
            "p50_ms": percentile(latencies, 50), "p99_ms": percentile(latencies, 99),
            "latency_kind": "record, produce() call to delivery report (every 100th)"}


# ---- summary ----------------------------------------------------------------------------------

def median_or_none(values: list[float | None]) -> float | None:
    """The median of the values, or None when any is missing (a median of some runs only would mislead)."""
    return statistics.median(values) if values and all(v is not None for v in values) else None


def summarize(runs: list[dict]) -> list[dict]:
    """Median per (client, compression, workers) over its valid runs, with each one's per-repetition
    values, its ratio to ProducerPerformance and (ours) to confluent-kafka. Invalid runs (busy
    machine) are counted, not used."""
    groups: dict[tuple, list[dict]] = {}
    for run in runs:
        groups.setdefault((run["client"], run["compression"], run["workers"]), []).append(run)
    medians = []
    for (client, compression, workers), all_runs in groups.items():
        rs = [r for r in all_runs if r["valid"]]
        medians.append({
            "client": client, "workers": workers,
            "msgs_per_sec": round(statistics.median(r["msgs_per_sec"] for r in rs), 1) if rs else None,
            "mb_per_sec": round(statistics.median(r["mb_per_sec"] for r in rs), 2) if rs else None,
            "p50_ms": median_or_none([r["p50_ms"] for r in rs]),
            "p99_ms": median_or_none([r["p99_ms"] for r in rs]),
            "compression": compression, "repetitions": len(rs), "invalid_runs": len(all_runs) - len(rs),
            "per_repetition_msgs_per_sec": [r["msgs_per_sec"] for r in rs],
            "messages_per_run": all_runs[0]["messages"], "latency_kind": all_runs[0].get("latency_kind"),
        })
    def ratio_to(m: dict, peer_client: str) -> float | None:
        # This run / the peer's run within each repetition (runs a minute apart see the same machine),
        # then the median; a repetition counts only when both runs in it are valid.
        per_rep = []
        for rep in sorted({r["repetition"] for r in runs}):
            this = [r for r in runs if r["valid"] and r["repetition"] == rep and (r["client"], r["compression"], r["workers"]) == (m["client"], m["compression"], m["workers"])]
            peer = [r for r in runs if r["valid"] and r["repetition"] == rep and r["client"] == peer_client and r["compression"] == m["compression"]]
            if this and peer:
                per_rep.append(this[0]["msgs_per_sec"] / peer[0]["msgs_per_sec"])
        return round(statistics.median(per_rep), 3) if per_rep else None

    for m in medians:
        if m["client"] != "kafka-producer-perf-test":
            m["ratio_to_producer_performance"] = ratio_to(m, "kafka-producer-perf-test")
        if m["client"] == "flight-producer":
            m["ratio_to_confluent_kafka"] = ratio_to(m, "confluent-kafka")
            if m["msgs_per_sec"] is not None:
                m["share_of_333k_target"] = round(m["msgs_per_sec"] / TARGET_MSGS_PER_SEC, 3)
    order = {c: i for i, c in enumerate(CLIENTS)}
    medians.sort(key=lambda m: (m["compression"] != "none", m["compression"], order[m["client"]], m["workers"]))
    return medians


def warm_broker(kafka: EmbeddedKafka, payload: Path, args: argparse.Namespace) -> list[dict]:
    """Unmeasured runs before the first measured one, one per compression, so no client pays for the
    fresh broker: its first idempotent producer id took ~0.5 s (a block of ids is allocated once), and
    its produce path (validation, decompression, log append) is still interpreted Java at first. The
    same broker serves every client afterwards, in a rotating order."""
    warmups = []
    if args.broker_warmup_messages == 0:
        return warmups
    warm_args = argparse.Namespace(**{**vars(args), "messages": args.broker_warmup_messages})
    for compression in args.compressions:
        run = run_perf(kafka, payload, warm_args, compression)
        warmups.append({"client": run["client"], "compression": compression, "messages": run["messages"],
                        "msgs_per_sec": run["msgs_per_sec"], "wall_s": run["process_wall_s"]})
        print(f"  broker warm-up (not measured): ProducerPerformance {compression} {run['messages']:,} messages, "
              f"{run['msgs_per_sec']:,.0f} msg/s", flush=True)
    return warmups


def measured(run: dict, load_before: float, waited_s: float, others_cores: float | None, load_after: float) -> dict:
    """A run (or diagnostic) with the load before and after it, the CPU other processes used during it,
    and whether it counts (bench/load.py)."""
    run["load_avg_1m_before"] = round(load_before, 2)
    run["waited_for_quiet_s"] = waited_s
    run["load_avg_1m_after"] = round(load_after, 2)
    run["others_cores"] = others_cores
    run["valid"], run["invalid_reason"] = run_validity(load_before, None, others_cores, run["load_avg_1m_after"])
    return run


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.python_client:
        return python_client_main(args)
    _check_args(args)
    start = start_when_quiet("bench.producer_bench", args.wait_for_quiet_s)
    if start is None:
        return 3
    load_at_start, waited_at_start_s = start
    started = dt.datetime.now(dt.timezone.utc)
    print("bundling the producer (node producer/build.mjs) ...", flush=True)
    build_producer_bundle()
    work = Path(tempfile.mkdtemp(prefix="producer-bench-"))
    port, controller_port = free_ports(2)
    kafka = EmbeddedKafka(work / "kafka", port=port, controller_port=controller_port, heap_mb=1024)
    runs: list[dict] = []
    diagnostics: list[dict] = []
    load_avg_at_start = os.getloadavg()
    try:
        print(f"starting the embedded broker in {work} ...", flush=True)
        kafka.start(timeout_s=180)
        kafka.create_topic(TOPIC, args.partitions)
        payload = work / "payload.jsonl"
        record = write_payload_file(payload)
        print(f"records: our events, mean {record['mean_bytes']} bytes ({record['min_bytes']}-{record['max_bytes']})", flush=True)
        warmups = warm_broker(kafka, payload, args)
        steps: list[tuple[str, int]] = []
        for client in args.clients:
            steps += [(client, w) for w in args.workers] if client == "flight-producer" else [(client, 1)]
        for rep in range(1, args.repetitions + 1):
            for compression in args.compressions:
                # Rotate who goes first, so no client always runs on the warmer (or busier) machine.
                shift = (rep - 1) % len(steps)
                for client, workers in steps[shift:] + steps[:shift]:
                    _, load_before, waited_s = wait_for_quiet(args.wait_for_quiet_s)
                    with CpuAccount() as cpu:
                        if client == "flight-producer":
                            run = run_ours(kafka.bootstrap_servers, args, compression, workers)
                        elif client == "kafka-producer-perf-test":
                            run = run_perf(kafka, payload, args, compression)
                        else:
                            run = run_python(client, kafka.bootstrap_servers, payload, args, compression)
                    run["repetition"] = rep
                    runs.append(measured(run, load_before, waited_s, cpu.others_cores, load_1m()))
                    print(f"  rep {rep} {run['client']:<26} {compression:<6} workers={run['workers']} "
                          f"{run['msgs_per_sec']:>10,.0f} msg/s {run['mb_per_sec']:>7.1f} MB/s  p50 {run['p50_ms']} p99 {run['p99_ms']} ms  "
                          f"(load {load_before:.2f}{'' if run['valid'] else ', NOT VALID'})", flush=True)
                if "flight-producer" in args.clients:
                    _, load_before, waited_s = wait_for_quiet(args.wait_for_quiet_s)
                    with CpuAccount() as cpu:
                        diagnostic = run_encode_only(args, compression)
                    diagnostic["repetition"] = rep
                    diagnostics.append(measured(diagnostic, load_before, waited_s, cpu.others_cores, load_1m()))
                    print(f"  rep {rep} {'(encode only, no Kafka)':<26} {compression:<6} {diagnostic['msgs_per_sec']:>20,.0f} msg/s "
                          f"({diagnostic['cpu_us_per_event']} us CPU per event, load {load_before:.2f}"
                          f"{'' if diagnostic['valid'] else ', NOT VALID'})", flush=True)
    finally:
        kafka.stop()
        shutil.rmtree(work, ignore_errors=True)

    medians = summarize(runs)
    report = {
        "record_bytes": record["mean_bytes"],
        "runs": medians,
        "benchmark": "producer",
        "started_utc": started.isoformat(timespec="seconds"),
        "command": "python -m bench.producer_bench " + " ".join(argv if argv is not None else sys.argv[1:]),
        "record_bytes_detail": record,
        "target_msgs_per_sec": round(TARGET_MSGS_PER_SEC),
        "settings": {
            "messages_per_run": args.messages, "kafka_python_messages_per_run": args.python_messages,
            "repetitions": args.repetitions, "partitions": args.partitions, "acks": "all", "idempotent": True,
            "compressions": args.compressions,
            "broker_warmup": {"messages_per_compression": args.broker_warmup_messages, "runs": warmups,
                              "why": "not measured: the fresh broker's first producer-id block (~0.5 s) and its JIT, "
                                     "which would otherwise fall on whichever client runs first"},
            "flight_producer": {"batch_size_msgs": args.batch_size, "max_in_flight": args.max_in_flight, "linger_ms": 10,
                                "keyed_by": "flight_id", "node_options": " ".join(producer_image_node_args()),
                                "runs": "the esbuild bundle producer/dist/producer.mjs (as in the image); generates its events while sending"},
            "kafka-producer-perf-test": {"batch_size_bytes": BATCH_BYTES, "linger_ms": LINGER_MS, "jvm": "-Xmx512m -XX:+UseG1GC",
                                         "keys": "none (ProducerPerformance sends null keys)", "payload": "our events file"},
            "kafka-python": {"batching": "client defaults (batch_size 16384, linger_ms 0), as the origin project's script leaves them",
                             "keys": "flight_id", "serializer": "json.dumps(dict, separators=(',', ':')) per event"},
            "confluent-kafka": {"batch_size_bytes": BATCH_BYTES, "linger_ms": LINGER_MS, "keys": "flight_id", "payload": "our events' bytes"},
        },
        "load_rule": LOAD_RULE,
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(), "load_avg_before": [round(x, 2) for x in load_avg_at_start],
                    "load_avg_1m_at_start": round(load_at_start, 2), "waited_for_quiet_s_at_start": waited_at_start_s,
                    "load_avg_after": [round(x, 2) for x in os.getloadavg()],
                    "node": _version([str(NODE), "--version"]), "java": _version([kafka.java, "-version"]),
                    "python": platform.python_version(), "kafka": versions()["kafka"],
                    "kafka_python": _python_package_version("kafka-python"), "confluent_kafka": _python_package_version("confluent-kafka"),
                    "shared": "2 cores shared with the broker and other work; see the load averages"},
        "repetition_runs": runs,
        "diagnostics": {
            "encode_only": diagnostics,
            # Medians over the valid diagnostics only, per compression.
            "encode_only_median": {c: {"msgs_per_sec": statistics.median(d["msgs_per_sec"] for d in valid),
                                       "cpu_us_per_event": statistics.median(d["cpu_us_per_event"] for d in valid),
                                       "runs": len(valid)}
                                   for c in args.compressions
                                   if (valid := [d for d in diagnostics if d["compression"] == c and d["valid"]])},
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    names = ("repetition", "client", "compression", "workers")
    runs_kept, runs_left_out = left_out(report["repetition_runs"], names)
    encode_kept, encode_left_out = left_out(report["diagnostics"]["encode_only"], ("repetition", "compression"))
    published = {**report, "repetition_runs": runs_kept, "repetition_runs_left_out": runs_left_out,
                 "diagnostics": {**report["diagnostics"], "encode_only": encode_kept, "encode_only_left_out": encode_left_out}}
    args.out.write_text(json.dumps(published, indent=2) + "\n", encoding="utf-8")

    print(f"\nmedians of the valid runs (load before and after < {BUSY_LOAD}, others' CPU < {OTHERS_MAX_CORES} cores), records of ~{record['mean_bytes']:.0f} bytes, acks=all, idempotent:")
    print(f"{'client':<26} {'compr.':<6} {'workers':>7} {'msg/s':>10} {'MB/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'vs perf':>8} {'vs rdkafka':>10} "
          f"{'of 333k':>8} {'valid':>6}")

    def cell(value: float | None, spec: str = "") -> str:
        return "n/a" if value is None else format(value, spec)

    for m in medians:
        ratio = m.get("ratio_to_producer_performance")
        ratio_rd = m.get("ratio_to_confluent_kafka")
        share = m.get("share_of_333k_target")
        print(f"{m['client']:<26} {m['compression']:<6} {m['workers']:>7} {cell(m['msgs_per_sec'], ',.0f'):>10} "
              f"{cell(m['mb_per_sec'], '.1f'):>7} {cell(m['p50_ms'], '.1f'):>7} {cell(m['p99_ms'], '.1f'):>7} "
              f"{'' if ratio is None else f'{ratio:.2f}x':>8} {'' if ratio_rd is None else f'{ratio_rd:.2f}x':>10} {'' if share is None else f'{share:.0%}':>8} "
              f"{m['repetitions']}/{m['repetitions'] + m['invalid_runs']:>4}")
    print("(vs perf, vs rdkafka: median over repetitions of msg/s / ProducerPerformance's (confluent-kafka's) msg/s in the same repetition; "
          "p50/p99: ours per produce request, the others per record)")
    for c, median in report["diagnostics"]["encode_only_median"].items():
        print(f"diagnostic: our producer without Kafka ({c}): {median['msgs_per_sec']:,.0f} msg/s, "
              f"{median['cpu_us_per_event']} us CPU per event (median of {median['runs']} valid), one thread")
    for run in [*runs, *diagnostics]:
        if not run["valid"]:
            print(f"  not valid: rep {run['repetition']} {run.get('client', 'encode only')} {run['compression']}: {run['invalid_reason']}")
    print(f"\nwrote {args.out.relative_to(PROJECT_ROOT) if args.out.is_relative_to(PROJECT_ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
