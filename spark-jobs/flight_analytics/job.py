"""Flight events from Kafka -> valid events, quarantine, live positions and windowed analytics.

Two queries read the topic, each with its own checkpoint under --checkpoint-dir, and both parse
and validate every record with the same strict parser (transforms.parse_flight_events):
  events_quarantine  Kafka -> foreachBatch: events/ (every valid record), quarantine/ (every
                     malformed or implausible one, with its reason) and flight_positions/ (the
                     batch's latest event and position per flight and 5-minute window)
  windows            Kafka -> valid events -> de-duplicate by event_id within the watermark -> the
                     airline (1 min), airport (5 min) and route (15 min) windows in append mode;
                     foreachBatch writes one folder per family, top_delayed_routes/, and
                     (--output-topic) JSON to Kafka
Each trigger of each query costs the same however long the job has run: it reads the offsets
Spark planned from Kafka, and no query lists or remembers files. Why this shape and what it costs:
docs/spark-job.md ("The dataflow"); how each write stays exactly-once: sinks.py.

On success the last line on stdout is
  SPARK_RESULT {"processed":N,"quarantined":N,"windows":N,"input_rows":N,"late_dropped":N,
                "late_dropped_by_query":{"events_quarantine":0,"windows":N},"elapsed_s":X,"events_per_sec":Y}
Any failed query makes the process exit 1 (spark-operator would otherwise call the app COMPLETED).
"""
from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.streaming import StreamingQuery

from flight_analytics.config import JobConfig, parse_args
from flight_analytics.plausibility import quarantine_implausible_event_times
from flight_analytics.preflight import EXIT_CODE as PREFLIGHT_EXIT_CODE
from flight_analytics.preflight import PreflightError, check_kafka, check_writable
from flight_analytics.progress import MetricsServer, ProgressLog, ProgressMetrics, add_listeners
from flight_analytics.schema import load_flight_event_schema
from flight_analytics.sinks import EventsWriter, KafkaOutput, WindowsWriter
from flight_analytics.transforms import (
    ANALYTICS_COLUMNS,
    analytics_windows,
    deduplicated_events,
    parse_flight_events,
    valid_events,
)

POLL_INTERVAL_S = 0.5

SessionFactory = Callable[[JobConfig], SparkSession]
"""Builds the job's SparkSession from its configuration. The job never builds a local one itself:
the local runner (local/spark_job.py) passes one that brings the Kafka connector jars."""


def cluster_session(config: JobConfig) -> SparkSession:
    """On a cluster the image carries the connector jars and the SparkApplication sets the conf."""
    return SparkSession.builder.appName("flight-analytics").getOrCreate()


def start(writer, name: str, config: JobConfig) -> StreamingQuery:
    writer = writer.queryName(name).option("checkpointLocation", f"{config.checkpoint_dir}/{name}")
    if config.processing_time_s is None:
        writer = writer.trigger(availableNow=True)
    else:
        writer = writer.trigger(processingTime=f"{config.processing_time_ms} milliseconds")
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


def written_counters(events_writer: EventsWriter, windows_writer: WindowsWriter | None = None) -> dict:
    """The /metrics counters of rows the writers wrote (progress.prometheus_text's `counters`)."""
    counters = {
        "valid_records": ("Valid records written to events/ by this process", events_writer.valid_rows),
        "quarantined_records": (
            "Malformed records written to quarantine/ by this process, by reason kind (the reason up to its first ':')",
            [({"reason": kind}, rows) for kind, rows in events_writer.quarantined_by_reason.items()],
        ),
        "position_rows": ("Flight position rows written to flight_positions/ by this process", events_writer.position_rows),
    }
    if windows_writer is not None:
        counters["window_rows"] = ("Closed window rows written by this process", windows_writer.windows_written)
    return counters


def main(argv: list[str] | None = None, session_factory: SessionFactory | None = None) -> int:
    # 1. Arguments (bad ones exit 2 here, before Spark starts).
    config = parse_args(argv)
    schema = load_flight_event_schema()
    if config.master and session_factory is None:
        print(
            f"flight_analytics: error: --master {config.master} runs the job on this machine, which needs the Kafka "
            "connector jars the image would carry: start it with python -m local.spark_job (PYTHONPATH=.:spark-jobs)",
            file=sys.stderr,
        )
        return 2

    # 2. Session (the caller's, or the cluster's), progress listeners, and the metrics endpoint.
    spark = (session_factory or cluster_session)(config)
    # Bad settings fail here in seconds, with one line, instead of as a failed query minutes later.
    try:
        check_writable(spark, config)
        check_kafka(spark, config)
    except PreflightError as err:
        print(err, file=sys.stderr, flush=True)
        spark.stop()
        return PREFLIGHT_EXIT_CODE
    metrics = ProgressMetrics()
    add_listeners(spark, ProgressLog(), metrics)

    # 3. Source.
    kafka_records = kafka_source(spark, config)

    # 4. Transformations. One well-formed record stamped far in the future would move the watermark
    # out of reach: it is quarantined before any query sees it (plausibility.py).
    parsed = quarantine_implausible_event_times(parse_flight_events(kafka_records, schema), config.max_event_ahead)
    # Analytics count each event_id once (within the watermark); events/ keeps every valid record.
    analytics_events = deduplicated_events(valid_events(parsed).select(*ANALYTICS_COLUMNS), config.watermark_delay)
    windows = analytics_windows(analytics_events)

    # 5. Sinks.
    kafka_output = (
        KafkaOutput.like_source(config.bootstrap, config.output_topic, config.kafka_options) if config.output_topic else None
    )
    events_writer = EventsWriter(config.output_dir)
    windows_writer = WindowsWriter(config.output_dir, kafka_output)
    server = None
    if config.metrics_port:
        try:
            server = MetricsServer(
                metrics,
                lambda: written_counters(events_writer, windows_writer),
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
    starters = {
        "events_quarantine": lambda: start(parsed.writeStream.foreachBatch(events_writer), "events_quarantine", config),
        "windows": lambda: start(windows.writeStream.outputMode("append").foreachBatch(windows_writer), "windows", config),
    }

    # 6. Run every query to its end (available-now) or until --timeout-s, then report.
    deadline = None if config.timeout_s is None else time.monotonic() + config.timeout_s
    running = Queries(starters)
    error = wait_for(running, config, deadline)
    queries = list(running)
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

    metrics.wait_until_seen(queries)
    late_dropped = {query: record["late_dropped_total"] for query, record in sorted(metrics.records().items())}
    # Records the events query wrote, valid or quarantined: one per record read from Kafka. (The
    # progress' numInputRows counts a batch's records again when quarantine/ re-reads them.)
    input_rows = events_writer.valid_rows + events_writer.quarantined_rows
    result = {
        "processed": events_writer.valid_rows,
        "quarantined": events_writer.quarantined_rows,
        # Window rows of every family (airline, airport, route) written by this run.
        "windows": windows_writer.windows_written,
        # Records read from Kafka by events_quarantine (the windows query reads the same records).
        "input_rows": input_rows,
        # Rows the analytics dropped as late (behind the watermark), in all and per query.
        "late_dropped": sum(late_dropped.values()),
        "late_dropped_by_query": late_dropped,
        "elapsed_s": round(elapsed_s, 3),
        # Throughput over the wall time of the streaming phase: from starting the queries until all
        # are done (session start-up excluded). With a processing-time trigger that includes idle
        # waits between batches, so measure throughput with --trigger available-now.
        "events_per_sec": round(input_rows / elapsed_s, 1) if elapsed_s > 0 else 0.0,
    }
    spark.stop()
    print("SPARK_RESULT " + json.dumps(result, separators=(",", ":")), flush=True)
    return 0
