"""PLAIN SPARK REFERENCE, not our job: the least Spark can do for our core analytic, for bench.spark_bench.

One batch read of the whole topic (spark.read.format("kafka")), from_json with the event schema, and
the per-airline 1-minute windowed aggregation (count and average departure_delay_min per
window(event_time, "1 minute") and airline): no streaming engine, no validation, no state store, no
writes. It runs in one SparkSession (local_session: local[2], the connector jars, the same settings
as our job's local session, 4 shuffle partitions), --runs times (default 3, at least 2); the first
runs warm the JVM up (JIT, class loading) and bench.spark_bench reports the last one.

Each run's plan carries its run number as a literal (sum of departure_delay_min + run): within one
SparkSession an identical plan could reuse the previous run's shuffle files and skip its read.
Each run is forced by collecting one row that sums every aggregate column (a count of the result;
an unused column would be pruned from the plan).

JVM CPU of a run = utime + stime of the session's JVM (/proc/<pid>/stat, every thread: tasks, JIT,
GC, driver) after the run minus before it.

    python -m bench.spark_plain_reference BOOTSTRAP TOPIC [--runs 3]
prints  PLAIN_RESULT {"jvm_pid":P,"runs":[{"run":0,"wall_s":X,"events":N,"events_per_sec":Y,
                      "jvm_cpu_s":C,"windows":W}, ...]}
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from bench.spark_bench import java_descendants, proc_cpu_s
from flight_analytics.schema import load_flight_event_schema
from local.spark_runtime import local_session

MIN_RUNS = 2


def per_airline_minute(spark: SparkSession, bootstrap: str, topic: str, schema: StructType, run: int) -> DataFrame:
    """One row: windows (groups), events (rows that fell in a window), and the sums of the per-group
    average and of the per-group sum that carries `run` as a literal."""
    records = (
        spark.read.format("kafka")
        .option("kafka.bootstrap.servers", bootstrap)
        .option("subscribe", topic)
        .option("startingOffsets", "earliest")
        .option("endingOffsets", "latest")
        .load()
    )
    events = records.select(F.from_json(F.col("value").cast("string"), schema).alias("e")).select("e.*")
    groups = events.groupBy(F.window("event_time", "1 minute"), "airline").agg(
        F.count(F.lit(1)).alias("events"),
        F.avg("departure_delay_min").alias("avg_departure_delay_min"),
        F.sum(F.col("departure_delay_min") + F.lit(run)).alias("delay_plus_run"),
    )
    return groups.agg(
        F.count(F.lit(1)).alias("windows"),
        F.sum("events").alias("events"),
        F.sum("avg_departure_delay_min").alias("sum_avg_delay"),
        F.sum("delay_plus_run").alias("sum_delay_plus_run"),
    )


def spark_jvm_pid() -> int:
    """The session's JVM: the java process started under this Python process."""
    pids = java_descendants(os.getpid())
    if len(pids) != 1:
        raise RuntimeError(f"expected one Spark JVM under pid {os.getpid()}, found {pids}")
    return pids[0]


def timed_run(spark: SparkSession, bootstrap: str, topic: str, schema: StructType, run: int, jvm_pid: int) -> dict:
    """Run the aggregation once: wall seconds, events, events/s and the JVM CPU seconds it took."""
    cpu_before, started = proc_cpu_s(jvm_pid), time.monotonic()
    row = per_airline_minute(spark, bootstrap, topic, schema, run).collect()[0]
    wall_s, cpu_after = time.monotonic() - started, proc_cpu_s(jvm_pid)
    events = int(row["events"] or 0)
    return {
        "run": run,
        "wall_s": round(wall_s, 3),
        "events": events,
        "events_per_sec": round(events / wall_s, 1),
        "jvm_cpu_s": round(cpu_after - cpu_before, 2),
        "windows": int(row["windows"]),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench.spark_plain_reference", description=__doc__.splitlines()[0])
    parser.add_argument("bootstrap")
    parser.add_argument("topic")
    parser.add_argument("--runs", type=int, default=3, help=f"runs in the one session, the last reported (default 3, >= {MIN_RUNS})")
    args = parser.parse_args(argv)
    if args.runs < MIN_RUNS:
        parser.error(f"--runs={args.runs}: expected >= {MIN_RUNS} (the first run is not warm)")
    spark = local_session("plain-spark-reference")
    jvm_pid = spark_jvm_pid()
    schema = load_flight_event_schema().struct
    runs = []
    for run in range(args.runs):
        runs.append(timed_run(spark, args.bootstrap, args.topic, schema, run, jvm_pid))
        print(f"plain reference run {run}: {json.dumps(runs[-1])}", file=sys.stderr, flush=True)
    spark.stop()
    print("PLAIN_RESULT " + json.dumps({"jvm_pid": jvm_pid, "runs": runs}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
