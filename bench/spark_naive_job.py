"""BASELINE, not our job: the origin project's PySpark job shape, for bench.spark_bench to compare against.

Kafka -> from_json with the same explicit schema -> per-airline 1-minute windowed count -> Parquet,
trigger(availableNow=True). No validation, no quarantine, no de-duplication, one query, and Spark's
default settings (200 shuffle partitions, the default HDFS-backed state store, default codegen
limits): the issue asks for a "naive seed-style job (from_json + groupBy, default settings)".
What it shares with our job's local run is only what any job needs to run here, so the two differ
in the job and its tuning, not in the machine: the same local[2] master, the same connector jars,
loopback binding and the same driver heap (NAIVE_CONF). A malformed record here silently becomes a
row of nulls; that is the behaviour our job exists to fix.

--max-offsets-per-trigger caps the records per micro-batch (the Kafka source's maxOffsetsPerTrigger),
so that bench.spark_bench can measure the steady batches after the first ones; without it the
whole topic is one batch. The per-batch progress goes to the Spark event log, which the bench reads.

    python -m bench.spark_naive_job BOOTSTRAP TOPIC OUTPUT_DIR CHECKPOINT_DIR [--max-offsets-per-trigger N]
prints  NAIVE_RESULT {"input_rows":N,"elapsed_s":X,"events_per_sec":Y,"batches":B}
(events_per_sec: input rows / wall seconds from starting the query until it is done, warm-up included.)
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from pyspark.sql import functions as F

from flight_analytics.schema import load_flight_event_schema
from local.spark_runtime import local_session

SPARK_DEFAULT_SHUFFLE_PARTITIONS = "200"
NAIVE_CONF = {
    # local_session's DEFAULT_CONF tunes shuffle partitions for this machine; the baseline keeps
    # Spark's own default instead. Everything else it inherits is about running here, not tuning.
    "spark.sql.shuffle.partitions": SPARK_DEFAULT_SHUFFLE_PARTITIONS,
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.spark_naive_job", description=__doc__.splitlines()[0])
    for name in ("bootstrap", "topic", "output_dir", "checkpoint_dir"):
        parser.add_argument(name)
    parser.add_argument("--max-offsets-per-trigger", type=int, default=None,
                        help="records per micro-batch (default: no cap, the whole topic in one batch)")
    args = parser.parse_args(argv)
    if args.max_offsets_per_trigger is not None and args.max_offsets_per_trigger < 1:
        parser.error(f"--max-offsets-per-trigger={args.max_offsets_per_trigger}: expected an integer >= 1")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    spark = local_session("naive-baseline", extra_conf=NAIVE_CONF)
    source = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", args.bootstrap)
        .option("subscribe", args.topic)
        .option("startingOffsets", "earliest")
    )
    if args.max_offsets_per_trigger is not None:
        source = source.option("maxOffsetsPerTrigger", str(args.max_offsets_per_trigger))
    events = (
        source.load()
        .select(F.from_json(F.col("value").cast("string"), load_flight_event_schema().struct).alias("e"))
        .select("e.*")
    )
    counts = (
        events.withWatermark("event_time", "10 minutes")
        .groupBy(F.window("event_time", "1 minute"), "airline")
        .count()
    )
    started = time.monotonic()
    query = (
        counts.writeStream.queryName("naive_baseline").format("parquet").outputMode("append")
        .option("path", args.output_dir).option("checkpointLocation", args.checkpoint_dir)
        .trigger(availableNow=True).start()
    )
    query.awaitTermination()
    elapsed_s = time.monotonic() - started
    if query.exception() is not None:
        print(f"naive baseline: query failed: {query.exception()}", file=sys.stderr)
        spark.stop()
        return 1
    progress = query.recentProgress
    input_rows = sum(p["numInputRows"] for p in progress)
    spark.stop()
    print("NAIVE_RESULT " + json.dumps({"input_rows": input_rows, "elapsed_s": round(elapsed_s, 3),
                                         "events_per_sec": round(input_rows / elapsed_s, 1),
                                         "batches": len(progress)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
