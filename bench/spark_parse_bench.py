"""Parse + validate cost, side by side: typed from_json alone vs the job's parse_flight_events.

    .venv/bin/python -m bench.spark_parse_bench EVENTS_JSONL [repeats] [old_transforms.py]

Reads JSON Lines (e.g. from local.pipeline.generate_events_file) into a cached Kafka-shaped batch
DataFrame, then times each variant's valid-events pass (noop sink) alternately, `repeats` times.
An optional third argument names another transforms.py to compare (e.g. an older revision).
"""
from __future__ import annotations

import importlib.util
import os
import statistics
import sys
import time

os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")

from pyspark.sql import functions as F  # noqa: E402

from flight_analytics import transforms  # noqa: E402
from flight_analytics.schema import load_flight_event_schema  # noqa: E402
from local.spark_runtime import local_session  # noqa: E402


def main(argv: list[str]) -> int:
    path, repeats = argv[0], int(argv[1]) if len(argv) > 1 else 3
    spark = local_session("spark-parse-bench", extra_conf={"spark.sql.shuffle.partitions": "2"})
    schema = load_flight_event_schema()
    records = (
        spark.read.text(path)
        .select(
            F.col("value").cast("binary").alias("value"),
            F.lit("t").alias("topic"),
            F.lit(0).alias("partition"),
            F.monotonically_increasing_id().alias("offset"),
            F.current_timestamp().alias("timestamp"),
        )
        .repartition(2)
        .cache()
    )
    rows = records.count()
    variants = {
        "from_json_only": lambda: records.select(F.from_json(F.col("value").cast("string"), schema.struct).alias("e")).select("e.*"),
        "parse_validate": lambda: transforms.valid_events(transforms.parse_flight_events(records, schema)),
    }
    if len(argv) > 2:
        spec = importlib.util.spec_from_file_location("transforms_other", argv[2])
        other = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(other)
        variants["parse_validate_other"] = lambda: other.valid_events(other.parse_flight_events(records, schema))
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeats):
        for name, frame in variants.items():
            started = time.perf_counter()
            frame().write.format("noop").mode("overwrite").save()
            seconds[name].append(time.perf_counter() - started)
    spark.stop()
    print(f"{rows} records, {repeats} runs each (median s, records/s)")
    for name, runs in seconds.items():
        median = statistics.median(runs)
        print(f"  {name:24s} {median:7.2f} s  {rows / median:10.0f}/s   runs={[round(r, 2) for r in runs]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
