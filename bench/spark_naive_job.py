"""BASELINE, not our job: the seed's PySpark job shape, for bench.spark_bench to compare against.

Kafka -> from_json with the same explicit schema -> per-airline 1-minute windowed count -> Parquet,
trigger(availableNow=True). No validation, no quarantine, no de-duplication, one query. A malformed
record here silently becomes a row of nulls; that is the behaviour our job exists to fix.

    python -m bench.spark_naive_job BOOTSTRAP TOPIC OUTPUT_DIR CHECKPOINT_DIR
prints  NAIVE_RESULT {"input_rows":N,"elapsed_s":X,"events_per_sec":Y}
"""
from __future__ import annotations

import json
import sys
import time

from pyspark.sql import functions as F

from flight_analytics.schema import load_flight_event_schema
from local.spark_runtime import local_session


def main(argv: list[str]) -> int:
    bootstrap, topic, output_dir, checkpoint_dir = argv
    spark = local_session("naive-baseline")  # the same local[2] session settings as our job's local run
    events = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", bootstrap)
        .option("subscribe", topic)
        .option("startingOffsets", "earliest")
        .load()
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
        counts.writeStream.format("parquet").outputMode("append")
        .option("path", output_dir).option("checkpointLocation", checkpoint_dir)
        .trigger(availableNow=True).start()
    )
    query.awaitTermination()
    elapsed_s = time.monotonic() - started
    input_rows = sum(p["numInputRows"] for p in query.recentProgress)
    spark.stop()
    print("NAIVE_RESULT " + json.dumps({"input_rows": input_rows, "elapsed_s": round(elapsed_s, 3),
                                         "events_per_sec": round(input_rows / elapsed_s, 1)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
