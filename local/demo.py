"""`make demo`: the whole pipeline on this machine, from an empty broker to an analytics report.

embedded Kafka (KRaft, 127.0.0.1) -> TypeScript producer (N seeded events, acks=all, idempotent)
-> PySpark job (trigger availableNow) -> Parquet, and every closed window as JSON on the Kafka
topic flight-aggregates -> report: a table here, and a self-contained HTML page (local/report.py,
<state-dir>/report.html) with charts and a map. Everything is stopped at the end.

--topology single (default): one combined broker+controller and Spark in local[2].
--topology multi-node: the users' multi-node topology (local/multi_node.py, docs/topology.md): 3 KRaft
controllers + 3 brokers, a topic with 3 replicas and min.insync.replicas=2, and the job on a Spark
standalone master + 3 workers. (`seed`, its old name, still selects it.)
The last line is machine-readable:
SUMMARY produced=<n> processed=<n> quarantined=<n> late_dropped=<n> windows=<n> aggregates=<n> producer_msgs_per_sec=<x> spark_events_per_sec=<y>
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

from local.embedded_kafka import EmbeddedKafka, free_ports
from local.pipeline import PipelineStepError, produce, run_spark_job
from local.multi_node import MultiNodeTopology
from local.report import write_report
from local.versions import STATE_DIR, versions

TOPIC = "flight-events"
AGGREGATES_TOPIC = "flight-aggregates"
"""The job's --output-topic: one JSON record per closed window, keyed by window (compacted)."""
DEMO_MAX_OFFSETS_PER_TRIGGER = 250_000
STANDALONE_DRIVER_ENV = ("SPARK_CONF_DIR", "SPARK_LOCAL_IP")


def positive_int(text: str) -> int:
    try:
        value = int(float(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number > 0, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a whole number > 0, got {text!r}")
    return value


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=positive_int, default=1_000_000, help="events to produce (default 1,000,000)")
    parser.add_argument("--partitions", type=positive_int, default=6, help="partitions of the topic (default 6)")
    parser.add_argument("--seed", type=int, default=42, help="producer seed; same seed, same events")
    parser.add_argument("--start-time", default="2026-01-01T06:00:00.000Z", help="simulation clock start (ISO-8601 UTC)")
    parser.add_argument("--state-dir", type=Path, default=STATE_DIR / "demo", help="broker data, Spark output, logs")
    parser.add_argument("--topology", choices=("single", "multi-node", "seed"), default="single",
                        help="single: one Kafka node + Spark local[2]; multi-node: 3 controllers + 3 brokers + Spark master + 3 workers "
                             "(seed: its old name)")
    args = parser.parse_args(argv)
    if args.topology == "seed":
        print("note: --topology seed is now called multi-node (seed means only the producer's random seed)", file=sys.stderr)
        args.topology = "multi-node"
    return args


def airline_report(windows_dir: Path) -> tuple[str, int]:
    """A table of airlines by average departure delay, over every closed 1-minute window."""
    import pandas as pd

    files = list(windows_dir.rglob("*.parquet"))
    if not files:
        return "(no closed windows yet)", 0
    windows = pd.concat(pd.read_parquet(f) for f in files)
    windows["delay_minutes_total"] = windows["avg_departure_delay_min"].fillna(0) * windows["departures"]
    per_airline = windows.groupby("airline").agg(
        windows=("window_start", "count"),
        events=("events", "sum"),
        departures=("departures", "sum"),
        arrivals=("arrivals", "sum"),
        cancellations=("cancellations", "sum"),
        delay_minutes_total=("delay_minutes_total", "sum"),
    )
    per_airline["avg_departure_delay_min"] = (
        per_airline["delay_minutes_total"] / per_airline["departures"].where(per_airline["departures"] > 0)
    ).round(1)
    table = (
        per_airline.drop(columns="delay_minutes_total")
        .sort_values("avg_departure_delay_min", ascending=False)
        .head(15)
        .to_string()
    )
    span = f"{windows['window_start'].min()} .. {windows['window_end'].max()} (event time, UTC)"
    return f"Airlines by average departure delay, 1-minute windows {span}\n{table}", len(windows)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    v = versions()
    if args.state_dir.exists():
        shutil.rmtree(args.state_dir)  # a demo run starts from an empty broker and empty sinks
    args.state_dir.mkdir(parents=True)
    print(f"== Flight Data Analytics demo: Kafka {v['kafka']} (KRaft), Spark {v['spark']}, Node {v['node']}", flush=True)

    if args.topology == "multi-node":
        cluster = MultiNodeTopology(args.state_dir / "multi-node")
        broker = cluster.kafka
        master = cluster.spark.master_url
    else:
        port, controller_port = free_ports(2)
        cluster = broker = EmbeddedKafka(args.state_dir / "kafka", port=port, controller_port=controller_port)
        master = "local[2]"
    saved_env = {k: os.environ[k] for k in STANDALONE_DRIVER_ENV if k in os.environ}
    started_s = time.monotonic()
    try:
        cluster.start()
        print(f"== {args.topology} topology up: brokers {broker.bootstrap_servers}, Spark {master} "
              f"({time.monotonic() - started_s:.1f} s)", flush=True)
        broker.create_topic(TOPIC, partitions=args.partitions)
        broker.create_topic(AGGREGATES_TOPIC, partitions=args.partitions, configs={"cleanup.policy": "compact"})
        if args.topology == "multi-node":
            described = broker.describe_topic(TOPIC)
            print(f"   topic '{TOPIC}': replication factor {described['replication_factor']}, "
                  f"min.insync.replicas {described['configs'].get('min.insync.replicas')}", flush=True)
            # The driver joins the standalone cluster with its secret and executor sizes (spark-defaults.conf);
            # restored in `finally`, so a caller in the same process keeps its environment.
            os.environ.update({k: cluster.spark.job_env()[k] for k in STANDALONE_DRIVER_ENV})

        print(f"== producing {args.events:,} events to '{TOPIC}' ({args.partitions} partitions)", flush=True)
        produced = produce(
            broker.bootstrap_servers, TOPIC, args.events, seed=args.seed, start_time=args.start_time, echo=True
        )
        print(f"   acked {produced.acked:,} in {produced.elapsed_ms / 1000:.1f} s = {produced.msgs_per_sec:,.0f} msg/s", flush=True)

        print("== running the Spark job (availableNow) over the topic", flush=True)
        spark = run_spark_job(
            broker.bootstrap_servers, TOPIC, args.state_dir / "output", args.state_dir / "checkpoints",
            master=master,
            # Bounded micro-batches keep the driver's memory flat however many events the demo makes.
            extra_args=("--max-offsets-per-trigger", str(DEMO_MAX_OFFSETS_PER_TRIGGER), "--output-topic", AGGREGATES_TOPIC),
        )
        aggregates = sum(broker.topic_end_offsets(AGGREGATES_TOPIC).values())
        print(
            f"   processed {spark.processed:,} events, quarantined {spark.quarantined:,}, "
            f"dropped as late by the analytics {spark.late_dropped:,}, "
            f"{spark.events_per_sec:,.0f} events/s", flush=True
        )
        print(f"   {aggregates:,} window aggregates as JSON on Kafka topic '{AGGREGATES_TOPIC}'", flush=True)
        report, windows_on_disk = airline_report(args.state_dir / "output" / "airline_minute")
        print("\n" + report + "\n", flush=True)
        report_path = write_report(
            args.state_dir / "output", args.state_dir / "report.html",
            subtitle=f"make demo: {produced.acked:,} events (seed {args.seed}) through the {args.topology} topology, "
                     f"Kafka {v['kafka']}, Spark {v['spark']}",
        )
    except PipelineStepError as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        return 1
    finally:
        cluster.stop()
        for key in STANDALONE_DRIVER_ENV:
            if key in saved_env:
                os.environ[key] = saved_env[key]
            else:
                os.environ.pop(key, None)

    print(f"== report: {report_path} (self-contained HTML, opens offline in any browser)", flush=True)
    print(
        f"SUMMARY produced={produced.acked} processed={spark.processed} quarantined={spark.quarantined} "
        f"late_dropped={spark.late_dropped} windows={windows_on_disk} aggregates={aggregates} producer_msgs_per_sec={produced.msgs_per_sec:.0f} "
        f"spark_events_per_sec={spark.events_per_sec:.0f}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
