"""Flight events from Kafka -> valid events, quarantine, windowed analytics and live positions.

Kafka records are parsed and validated once, by the first query; the analytics read its output:
  events_quarantine  Kafka -> foreachBatch: parse and validate, write events/ and quarantine/
  windows            events/ (Parquet stream) -> de-duplicate, then the airline (1 min), airport
                     (5 min) and route (15 min) windows in append mode; foreachBatch writes one
                     folder per family, top_delayed_routes/, and (--output-topic) JSON to Kafka
  flight_positions   events/ (Parquet stream) -> latest event and position per flight and
                     5-minute window, update mode
Each query has its own checkpoint under --checkpoint-dir. With --trigger available-now the
analytics start once events_quarantine is done (a file stream source reads the files that exist
when it starts); with a processing-time trigger all three run at once, the analytics one trigger
behind. Why and what it costs: docs/spark-job.md ("Parse once"); how each write stays
exactly-once: sinks.py.

On success the last line on stdout is
  SPARK_RESULT {"processed":N,"quarantined":N,"windows":N,"input_rows":N,"elapsed_s":X,"events_per_sec":Y}
Any failed query makes the process exit 1 (spark-operator would otherwise call the app COMPLETED).
"""
from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.streaming import StreamingQuery, StreamingQueryListener
from pyspark.sql.types import LongType, StructField, StructType

from flight_analytics.config import JobConfig, parse_args
from flight_analytics.progress import MetricsServer, ProgressLog, ProgressMetrics
from flight_analytics.schema import load_flight_event_schema
from flight_analytics.settings import spark_conf
from flight_analytics.sinks import BATCH_ID_COLUMN, EventsAndQuarantineWriter, KafkaOutput, PositionsWriter, WindowsWriter
from flight_analytics.transforms import (
    ANALYTICS_COLUMNS,
    POSITION_COLUMNS,
    analytics_windows,
    deduplicated_events,
    latest_flight_positions,
    parse_flight_events,
    valid_events,
)

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


def is_replayed_batch_progress_failure(error: Exception) -> bool:
    """The Spark 4.1.2 Kafka source bug SPARK-55271 (docs/spark-job.md): a query restarted on a
    checkpoint whose last batch was planned but not committed replays that batch, commits it, and
    then fails while reporting its progress, because KafkaMicroBatchStream.metrics() reads latest
    offsets that only a newly planned batch sets (NullPointerException on Option.get())."""
    texts, cause = [], error
    for _ in range(8):  # the query's exception wraps the NPE; PySpark keeps each Java trace on its own level
        if cause is None:
            break
        texts += [str(getattr(cause, "_desc", "") or cause), str(getattr(cause, "_stackTrace", "") or "")]
        cause = getattr(cause, "_cause", None)
    text = "\n".join(texts)
    return "NullPointerException" in text and "KafkaMicroBatchStream" in text and ".metrics(" in text


class Queries:
    """The running queries, each with the function that starts it, so a query that hits the replay
    bug above can be started again in place once (its replayed batch is committed by then: the
    restart plans the next batch, which sets the offsets metrics() reads). Restarting only that query
    leaves the others running; a process restart would interrupt them mid-batch and make them
    replay, and hit the bug, in turn."""

    def __init__(self, starters: dict[str, Callable[[], StreamingQuery]]) -> None:
        self.starters = starters
        self.running = {name: start_query() for name, start_query in starters.items()}
        self.restarted: list[str] = []

    def __iter__(self):
        return iter(self.running.values())

    def failure(self) -> str | None:
        """The first failure that is not the replay bug; restarts a query that hit the bug, once."""
        for name, query in list(self.running.items()):
            error = query.exception()
            if error is None:
                continue
            if is_replayed_batch_progress_failure(error) and name not in self.restarted:
                print(
                    f"flight_analytics: query {name} hit the Spark Kafka metrics bug after replaying its last "
                    "uncommitted batch (committed now); starting it again from its checkpoint",
                    file=sys.stderr, flush=True,
                )
                self.restarted.append(name)
                self.running[name] = self.starters[name]()
                continue
            return f"query {name} failed: {error}"
        return None


def wait_for(queries: Queries, config: JobConfig, deadline: float | None) -> str | None:
    """Wait until every query is done, one fails, or the deadline (--timeout-s) passes. Returns an error, or None."""
    while True:
        error = queries.failure()
        if error is not None:
            return error
        if not any(query.isActive for query in queries):
            return queries.failure()  # a query may have failed between the two looks
        if deadline is not None and time.monotonic() >= deadline:
            if config.processing_time_s is not None:
                return None  # a continuous run for a fixed time: stopping is the plan, not a failure
            return f"not done after --timeout-s={config.timeout_s:g}: queries still running: " + ", ".join(
                q.name for q in queries if q.isActive
            )
        time.sleep(POLL_INTERVAL_S)


def kafka_source(spark: SparkSession, config: JobConfig) -> DataFrame:
    """The topic, from the checkpoint's offsets (or --starting-offsets on the first run)."""
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
    return source.load()


def valid_events_stream(spark: SparkSession, events_dir: str, schema: StructType) -> DataFrame:
    """The valid events the events_quarantine query writes to events/, as a stream of Parquet files:
    the analytics' input, parsed and validated once. Only committed files are seen (Spark writes
    under _temporary/ and moves them in on commit; names starting with _ are skipped).

    A replayed events_quarantine batch rewrites its batch_id=<n> folder with the same records
    (same offsets, same parse) in new files: the windows query counts them once through its
    event_id de-duplication, positions keep the latest event either way, and ignoreMissingFiles
    lets a replayed analytics batch skip files the rewrite removed (their records come again in
    the new files)."""
    path = spark._jvm.org.apache.hadoop.fs.Path(events_dir)
    path.getFileSystem(spark._jsc.hadoopConfiguration()).mkdirs(path)  # a file stream source needs its folder
    # The batch_id=<n> folders are a partition column: a stream's schema must name it.
    with_batch_id = StructType([*schema.fields, StructField(BATCH_ID_COLUMN, LongType(), nullable=True)])
    return spark.readStream.schema(with_batch_id).option("ignoreMissingFiles", "true").parquet(events_dir)


def main(argv: list[str] | None = None) -> int:
    # 1. Arguments (bad ones exit 2 here, before Spark starts).
    config = parse_args(argv)
    schema = load_flight_event_schema()

    # 2. Session, progress listeners, and the metrics endpoint.
    spark = build_session(config)
    totals, metrics = ProgressTotals(), ProgressMetrics()
    for listener in (totals, ProgressLog(), metrics):
        spark.streams.addListener(listener)

    # 3. Source.
    kafka_records = kafka_source(spark, config)

    # 4. Transformations: parse once; the analytics read the valid events back from events/.
    parsed = parse_flight_events(kafka_records, schema)
    events_writer = EventsAndQuarantineWriter(config.output_dir)
    events = valid_events_stream(spark, events_writer.sink_path("events"), valid_events(parsed).schema)
    # Analytics count each event_id once (within the watermark); events/ keeps every valid record.
    analytics_events = deduplicated_events(events.select(*ANALYTICS_COLUMNS), config.watermark_delay)
    windows = analytics_windows(analytics_events)
    # The latest event wins whether or not it was re-sent, so positions need no de-duplication.
    positions = latest_flight_positions(events.select(*POSITION_COLUMNS), config.watermark_delay)

    # 5. Sinks.
    kafka_output = (
        KafkaOutput.like_source(config.bootstrap, config.output_topic, config.kafka_options) if config.output_topic else None
    )
    windows_writer = WindowsWriter(config.output_dir, kafka_output)
    positions_writer = PositionsWriter(config.output_dir)
    server = None
    if config.metrics_port:
        try:
            server = MetricsServer(
                metrics,
                lambda: {
                    "valid_records": ("Valid records written to events/ by this process", events_writer.valid_rows),
                    "quarantined_records": ("Malformed records written to quarantine/ by this process", events_writer.quarantined_rows),
                    "window_rows": ("Closed window rows written by this process", windows_writer.windows_written),
                },
                config.metrics_host,
                config.metrics_port,
            ).start()
        except OSError as err:
            print(
                f"flight_analytics: cannot serve metrics on --metrics-host={config.metrics_host} "
                f"--metrics-port={config.metrics_port}: {err}; pick a free port, or 0 for none",
                file=sys.stderr,
            )
            spark.stop()
            return 2
        print(f"flight_analytics: Prometheus metrics on {server.url}", file=sys.stderr, flush=True)
    started_s = time.monotonic()
    phases = [
        {"events_quarantine": lambda: start(parsed.writeStream.foreachBatch(events_writer), "events_quarantine", config)},
        {
            "windows": lambda: start(windows.writeStream.outputMode("append").foreachBatch(windows_writer), "windows", config),
            "flight_positions": lambda: start(
                positions.writeStream.outputMode("update").foreachBatch(positions_writer), "flight_positions", config
            ),
        },
    ]
    if config.processing_time_s is not None:
        phases = [{name: starter for phase in phases for name, starter in phase.items()}]  # all at once

    # 6. Run each phase to its end (available-now) or all queries until --timeout-s, then report.
    deadline = None if config.timeout_s is None else time.monotonic() + config.timeout_s
    started: list[Queries] = []
    error = None
    for phase in phases:
        started.append(Queries(phase))
        error = wait_for(started[-1], config, deadline)
        if error is not None:
            break
    queries = [query for phase in started for query in phase]
    for query in queries:
        if query.isActive:
            query.stop()
    elapsed_s = time.monotonic() - started_s
    if server is not None:
        server.stop()
    error = error or next((f"query {q.name} failed: {q.exception()}" for q in queries if q.exception()), None)
    if error:
        print(f"flight_analytics: {error}", file=sys.stderr)
        spark.stop()
        return 1

    totals.wait_until_seen(queries)
    input_rows = totals.input_rows.get("events_quarantine", 0)
    result = {
        "processed": events_writer.valid_rows,
        "quarantined": events_writer.quarantined_rows,
        # Window rows of every family (airline, airport, route) written by this run.
        "windows": windows_writer.windows_written,
        # Records read from Kafka (by events_quarantine; the analytics read the valid ones from events/).
        "input_rows": input_rows,
        "elapsed_s": round(elapsed_s, 3),
        # Throughput over the wall time of the streaming phase: from starting the queries until all
        # are done (session start-up excluded). With a processing-time trigger that includes idle
        # waits between batches, so measure throughput with --trigger available-now.
        "events_per_sec": round(input_rows / elapsed_s, 1) if elapsed_s > 0 else 0.0,
    }
    spark.stop()
    print("SPARK_RESULT " + json.dumps(result, separators=(",", ":")), flush=True)
    return 0
