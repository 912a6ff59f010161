"""Flight events from Kafka -> valid events, quarantine and per-airline minute windows, as Parquet.

Two streaming queries read the topic, each with its own checkpoint under --checkpoint-dir:
  events_quarantine  foreachBatch: parse once, write events/ and quarantine/ (see sinks.py)
  airline_minute     windowed counts, file sink in append mode (exactly-once via its _spark_metadata log)

On success the last line on stdout is
  SPARK_RESULT {"processed":N,"quarantined":N,"windows":N,"input_rows":N,"elapsed_s":X,"events_per_sec":Y}
Any failed query makes the process exit 1 (spark-operator would otherwise call the app COMPLETED).
"""
from __future__ import annotations

import json
import sys
import time

from pyspark.errors import AnalysisException
from pyspark.sql import SparkSession
from pyspark.sql.streaming import StreamingQuery, StreamingQueryListener

from flight_analytics.config import JobConfig, parse_args
from flight_analytics.progress import ProgressLog
from flight_analytics.schema import load_flight_event_schema
from flight_analytics.settings import spark_conf
from flight_analytics.sinks import EventsAndQuarantineWriter
from flight_analytics.transforms import ANALYTICS_COLUMNS, airline_minute_windows, deduplicated_events, parse_flight_events, valid_events

POLL_INTERVAL_S = 0.5


class ProgressTotals(StreamingQueryListener):
    """Adds up what each query reports per micro-batch (recentProgress keeps only the last 100)."""

    def __init__(self) -> None:
        self.input_rows: dict[str, int] = {}
        self.last_batch_id: dict[str, int] = {}

    def onQueryStarted(self, event) -> None:
        pass

    def onQueryProgress(self, event) -> None:
        progress = event.progress
        self.input_rows[progress.name] = self.input_rows.get(progress.name, 0) + progress.numInputRows
        self.last_batch_id[progress.name] = progress.batchId

    def onQueryIdle(self, event) -> None:
        pass

    def onQueryTerminated(self, event) -> None:
        pass

    def wait_until_seen(self, queries: list[StreamingQuery], timeout_s: float = 10.0) -> None:
        """Listener events arrive asynchronously: wait until the last progress of each query is in."""
        deadline = time.monotonic() + timeout_s
        for query in queries:
            last = query.lastProgress
            while last is not None and self.last_batch_id.get(query.name, -1) < last["batchId"]:
                if time.monotonic() >= deadline:
                    return
                time.sleep(0.05)


def build_session(config: JobConfig) -> SparkSession:
    if config.master:
        # Local run: the connector jars come from Maven Central through local/ (not shipped in the image).
        try:
            from local.spark_runtime import local_session
        except ImportError as err:
            raise SystemExit(
                f"flight_analytics: --master needs the project's local/ package ({err}); "
                "run from the project root with PYTHONPATH=.:spark-jobs"
            ) from err

        return local_session("flight-analytics", master=config.master, extra_conf=spark_conf(config.checkpoint_dir))
    # On a cluster the image carries the connector jars and the SparkApplication sets the conf.
    return SparkSession.builder.appName("flight-analytics").getOrCreate()


def start(writer, name: str, config: JobConfig) -> StreamingQuery:
    writer = writer.queryName(name).option("checkpointLocation", f"{config.checkpoint_dir}/{name}")
    if config.processing_time_s is None:
        writer = writer.trigger(availableNow=True)
    else:
        writer = writer.trigger(processingTime=f"{config.processing_time_s} seconds")
    return writer.start()


def wait_for(queries: list[StreamingQuery], config: JobConfig) -> str | None:
    """Wait until every query is done, one fails, or --timeout-s passes. Returns an error, or None."""
    deadline = None if config.timeout_s is None else time.monotonic() + config.timeout_s
    while True:
        for query in queries:
            if query.exception() is not None:
                return f"query {query.name} failed: {query.exception()}"
        if not any(query.isActive for query in queries):
            return None
        if deadline is not None and time.monotonic() >= deadline:
            if config.processing_time_s is not None:
                return None  # a continuous run for a fixed time: stopping is the plan, not a failure
            return f"not done after --timeout-s={config.timeout_s:g}: queries still running: " + ", ".join(
                q.name for q in queries if q.isActive
            )
        time.sleep(POLL_INTERVAL_S)


def committed_rows(spark: SparkSession, path: str) -> int:
    """Rows a file sink has committed at `path` (read through its _spark_metadata log), 0 before its first batch.

    The file sink reports no row count in its progress (sink.numOutputRows is -1), so the job counts
    the output before and after the run.
    """
    try:
        return spark.read.parquet(path).count()
    except AnalysisException:  # PATH_NOT_FOUND, or a folder with no data yet
        return 0


def main(argv: list[str] | None = None) -> int:
    # 1. Arguments (bad ones exit 2 here, before Spark starts).
    config = parse_args(argv)
    schema = load_flight_event_schema()

    # 2. Session.
    spark = build_session(config)
    totals = ProgressTotals()
    spark.streams.addListener(totals)
    spark.streams.addListener(ProgressLog())

    # 3. Source: the topic, from the checkpoint's offsets (or --starting-offsets on the first run).
    source = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", config.bootstrap)
        .option("subscribe", config.topic)
        .option("startingOffsets", config.starting_offsets)
        .option("failOnDataLoss", "true")
    )
    if config.max_offsets_per_trigger is not None:
        source = source.option("maxOffsetsPerTrigger", str(config.max_offsets_per_trigger))
    for key, value in config.kafka_options.items():
        source = source.option(key, value)
    kafka_records = source.load()

    # 4. Transformations.
    parsed = parse_flight_events(kafka_records, schema)
    # Analytics count each event_id once (within the watermark); events/ keeps every valid record.
    analytics_events = deduplicated_events(valid_events(parsed).select(*ANALYTICS_COLUMNS), config.watermark_delay)
    windows = airline_minute_windows(analytics_events, watermark_delay=None)

    # 5. Sinks.
    events_writer = EventsAndQuarantineWriter(config.output_dir)
    windows_path = f"{config.output_dir}/airline_minute"
    windows_before = committed_rows(spark, windows_path)
    started_s = time.monotonic()
    queries = [
        start(parsed.writeStream.foreachBatch(events_writer), "events_quarantine", config),
        start(
            windows.writeStream.format("parquet").outputMode("append").option("path", windows_path),
            "airline_minute",
            config,
        ),
    ]

    # 6. Wait, then report.
    error = wait_for(queries, config)
    for query in queries:
        if query.isActive:
            query.stop()
    elapsed_s = time.monotonic() - started_s
    error = error or next((f"query {q.name} failed: {q.exception()}" for q in queries if q.exception()), None)
    if error:
        print(f"flight_analytics: {error}", file=sys.stderr)
        spark.stop()
        return 1

    totals.wait_until_seen(queries)
    input_rows = totals.input_rows.get("events_quarantine", 0)
    windows_written = committed_rows(spark, windows_path) - windows_before
    result = {
        "processed": events_writer.valid_rows,
        "quarantined": events_writer.quarantined_rows,
        "windows": windows_written,
        # Records read from Kafka by the events query (the windows query reads the same records again).
        "input_rows": input_rows,
        "elapsed_s": round(elapsed_s, 3),
        # Throughput over the wall time of the streaming phase: from starting the queries until both
        # are done (session start-up excluded). With a processing-time trigger that includes idle
        # waits between batches, so measure throughput with --trigger available-now.
        "events_per_sec": round(input_rows / elapsed_s, 1) if elapsed_s > 0 else 0.0,
    }
    spark.stop()
    print("SPARK_RESULT " + json.dumps(result, separators=(",", ":")), flush=True)
    return 0
