"""Where the job's rows go, each write exactly once per micro-batch.

Every Parquet output is written by a foreachBatch function. foreachBatch is at-least-once by
itself (a batch that failed half-way is replayed after a restart, with the same batch id, the
same offsets and the same state), so each batch is written to its own batch_id=<n> folder in
overwrite mode: a replay replaces its earlier output instead of adding to it. Readers see the
usual partitioned Parquet layout (spark.read.parquet(".../events")).

  EventsWriter     parsed records -> events/, quarantine/ and flight_positions/ (one parse unless a
                   batch has malformed records; positions read back from the batch's events/)
  WindowsWriter    closed windows -> airline_minute/, airport_5min/, route_15min/,
                   top_delayed_routes/, and optionally a Kafka topic of JSON aggregates

A Kafka producer cannot take back a record, so the Kafka topic is at-least-once: a replayed batch
sends its records again, with the same key and the same value (see transforms.kafka_json_records).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial, reduce

from pyspark import inheritable_thread_target
from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from flight_analytics.transforms import (
    POSITION_COLUMNS,
    TOP_DELAYED_ROUTES,
    WINDOW_FAMILIES,
    family_rows,
    kafka_json_records,
    latest_flight_positions,
    quarantined_events,
    top_delayed_routes,
    valid_events,
)

KAFKA_SECURITY_OPTION_PREFIXES = ("kafka.security.", "kafka.sasl.", "kafka.ssl.")
"""Source options the Kafka output reuses: how to reach and authenticate to the cluster, not how to consume."""


BATCH_ID_COLUMN = "batch_id"
"""Each sink's batch folders are <sink>/batch_id=<n>: readers see batch_id as a partition column."""


def batch_path(output_dir: str, sink: str, batch_id: int) -> str:
    return f"{output_dir}/{sink}/{BATCH_ID_COLUMN}={batch_id}"


@dataclass(frozen=True)
class KafkaOutput:
    """A Kafka topic the job writes JSON records to, on the source's cluster with its security options."""

    bootstrap: str
    topic: str
    options: dict[str, str] = field(default_factory=dict)

    @classmethod
    def like_source(cls, bootstrap: str, topic: str, source_options: dict[str, str]) -> "KafkaOutput":
        """Reuse the source's security options (SASL_SSL with MSK IAM on AWS), not its consumer ones."""
        options = {k: v for k, v in source_options.items() if k.startswith(KAFKA_SECURITY_OPTION_PREFIXES)}
        return cls(bootstrap, topic, options)

    def write(self, records: DataFrame) -> None:
        """records: key and value columns (strings)."""
        writer = records.write.format("kafka").option("kafka.bootstrap.servers", self.bootstrap).option("topic", self.topic)
        for key, value in self.options.items():
            writer = writer.option(key, value)
        writer.save()


@dataclass
class BatchTotals:
    """Rows written by a writer, summed over its batches, in constant memory however long the job
    runs. A replayed batch (Spark calls foreachBatch again with the id it called last) replaces
    that batch's figures instead of adding to them, so the totals count it once."""

    totals: Counter = field(default_factory=Counter)
    last_batch_id: int | None = None
    last: Counter = field(default_factory=Counter)

    def record(self, batch_id: int, counts: Mapping[str, int]) -> None:
        if batch_id == self.last_batch_id:
            self.totals.subtract(self.last)
        self.totals.update(counts)
        self.last_batch_id, self.last = batch_id, Counter(counts)

    def __getitem__(self, key: str) -> int:
        return self.totals.get(key, 0)

    def total(self) -> int:
        return sum(self.totals.values())


def tag_jobs(df: DataFrame, tag: str | None) -> None:
    """Names the Spark jobs this thread starts next (spark.job.description, seen in the event log
    and the UI): `fa:<step> ...`, which make bench-spark uses to split the CPU by step."""
    df.sparkSession.sparkContext.setJobDescription(tag)


SCHEDULER_POOL_PROPERTY = "spark.scheduler.pool"
EVENTS_POOL = "events_quarantine"
WINDOWS_POOL = "windows"
"""The scheduler pools of the two queries' Spark jobs, named after the queries (job.py)."""


def run_in_pool(df: DataFrame, pool: str | None) -> None:
    """Runs the Spark jobs this thread starts next in scheduler pool `pool` (None: the default pool).
    Under spark.scheduler.mode=FAIR (settings.py) the pools share the task slots equally, so one
    query cannot take every slot while the other waits. A foreachBatch function runs in a thread of
    its own, which does not inherit the thread-local properties of the thread that started the
    query, so each writer sets its pool itself."""
    df.sparkSession.sparkContext.setLocalProperty(SCHEDULER_POOL_PROPERTY, pool)


EVENTS_HIGH_CARDINALITY_COLUMNS = (
    "event_id", "event_time", "actual_departure", "actual_arrival", "offset", "kafka_timestamp",
    "position.lat_deg", "position.lon_deg", "position.altitude_ft", "position.ground_speed_kt", "position.heading_deg",
)
"""events/ columns whose values are (nearly) all distinct within a batch."""

EVENTS_PARQUET_OPTIONS = {f"parquet.enable.dictionary#{column}": "false" for column in EVENTS_HIGH_CARDINALITY_COLUMNS}
"""Parquet writes a dictionary page for every column unless told otherwise, and gives up on it only
after filling it: for a column of distinct values that is a hash lookup per value for nothing
(5-8 % of the job's task samples in a profile). Low-cardinality columns (airline, airports, event type,
delays) keep their dictionaries, which is where Parquet's compression comes from."""


def read_back(spark: SparkSession, path: str, written: StructType, columns: tuple[str, ...]) -> DataFrame:
    """`columns` of the Parquet a batch just wrote to `path`, read with the schema it was written
    with: without one, Spark infers it from the files' footers with a Spark job of its own
    (SchemaMergeUtils.mergeSchemasInParallel, even for one file), one more job per micro-batch."""
    return spark.read.schema(StructType([written[name] for name in columns])).parquet(path)


@dataclass
class EventsWriter:
    """foreachBatch function of the events query: parsed batch -> <output_dir>/events, quarantine
    and flight_positions.

    The events/ write parses the batch (the only parse of a batch without malformed records). The
    positions (the batch's latest event and position per flight and 5-minute window) are then
    computed from the Parquet just written, reading only their columns: cheaper than caching the
    batch (building Spark's compressed in-memory columns cost more than the write itself, profiled)
    and than parsing again. quarantine/ is written only for a batch that has malformed records, from
    the source again (rare)."""

    output_dir: str
    written: BatchTotals = field(default_factory=BatchTotals)
    """Rows written ("valid", "quarantined", "positions"), a replayed batch counted once."""
    pool: str = EVENTS_POOL
    """The scheduler pool of the batch's Spark jobs (run_in_pool)."""

    def __call__(self, parsed: DataFrame, batch_id: int) -> None:
        outcomes, positions_written = Observation(), Observation()
        observed = parsed.observe(
            outcomes,
            F.count(F.when(F.col("parse_error").isNull(), True)).alias("valid"),
            F.count(F.when(F.col("parse_error").isNotNull(), True)).alias("quarantined"),
        )
        events_path = self.batch_path("events", batch_id)
        spark = parsed.sparkSession
        try:
            run_in_pool(parsed, self.pool)
            tag_jobs(parsed, f"fa:events batch {batch_id}")
            events = valid_events(observed)
            # Written even when empty (a schema-only file), so that every batch has its events/ folder.
            events.write.options(**EVENTS_PARQUET_OPTIONS).mode("overwrite").parquet(events_path)
            counts = {"valid": outcomes.get["valid"], "quarantined": outcomes.get["quarantined"], "positions": 0}
            if counts["quarantined"]:
                tag_jobs(parsed, f"fa:quarantine batch {batch_id}")
                quarantine_path = self.batch_path("quarantine", batch_id)
                quarantined = quarantined_events(parsed)
                quarantined.write.mode("overwrite").parquet(quarantine_path)
                counts.update(quarantine_reason_counts(read_back(spark, quarantine_path, quarantined.schema, ("reason",))))
            if counts["valid"]:
                tag_jobs(parsed, f"fa:positions batch {batch_id}")
                events = read_back(spark, events_path, events.schema, POSITION_COLUMNS)
                positions = latest_flight_positions(events, None)
                positions.observe(positions_written, F.count(F.lit(1)).alias("rows")).write.mode("overwrite").parquet(
                    self.batch_path("flight_positions", batch_id)
                )
                counts["positions"] = positions_written.get["rows"]
            self.written.record(batch_id, counts)
        finally:
            tag_jobs(parsed, None)
            run_in_pool(parsed, None)

    def sink_path(self, sink: str) -> str:
        return f"{self.output_dir}/{sink}"

    def batch_path(self, sink: str, batch_id: int) -> str:
        return batch_path(self.output_dir, sink, batch_id)

    @property
    def valid_rows(self) -> int:
        return self.written["valid"]

    @property
    def quarantined_rows(self) -> int:
        return self.written["quarantined"]

    @property
    def position_rows(self) -> int:
        return self.written["positions"]

    @property
    def quarantined_by_reason(self) -> dict[str, int]:
        """Quarantined rows per reason kind (the reason up to its first ':'), e.g. {"invalid_json": 3}."""
        prefix = QUARANTINE_REASON_KEY_PREFIX
        return {key[len(prefix):]: value for key, value in sorted(self.written.totals.items()) if key.startswith(prefix)}


QUARANTINE_REASON_KEY_PREFIX = "quarantined:"


def quarantine_reason_counts(quarantine: DataFrame) -> dict[str, int]:
    """{"quarantined:<kind>": rows} of a batch's quarantine rows. The kind is the reason up to its
    first ':' (`unexpected_field:x` -> `unexpected_field`): a bounded set whatever the records hold,
    so a metric label made of it cannot grow without bound."""
    kinds = quarantine.groupBy(F.substring_index("reason", ":", 1).alias("kind")).count().collect()
    return {QUARANTINE_REASON_KEY_PREFIX + row["kind"]: row["count"] for row in kinds}


def run_together(spark: SparkSession, executor: ThreadPoolExecutor, actions: list[Callable[[], object]]) -> None:
    """Runs independent Spark actions at once, each from a thread of `executor` with this thread's
    local properties (scheduler pool, job description: pyspark's inheritable_thread_target), and
    returns when all have ended; the first failure, in the order given, is raised then. Each small
    write is a Spark job whose time is mostly fixed (planning, task launch, the commit's renames), so
    running them side by side instead of one after another shortens the micro-batch."""
    futures = [executor.submit(inheritable_thread_target(spark)(action)) for action in actions]
    errors = [future.exception() for future in futures]  # waits for every one
    first = next((error for error in errors if error is not None), None)
    if first is not None:
        raise first


WRITE_THREADS = 5
"""Threads for a windows batch's writes: three families, the top routes and the Kafka topic."""


@dataclass
class WindowsWriter:
    """foreachBatch function: the windows a batch closed (transforms.analytics_windows rows) ->
    one folder per family, the top delayed routes of each closed route window, and the Kafka topic.
    Those writes read the batch's cached windows and are independent of each other, so they run at
    once (run_together), from threads the writer keeps for its life."""

    output_dir: str
    kafka: KafkaOutput | None = None
    top_routes: int = TOP_DELAYED_ROUTES
    written: BatchTotals = field(default_factory=BatchTotals)
    """Rows written per family, a replayed batch counted once."""
    pool: str = WINDOWS_POOL
    """The scheduler pool of the batch's Spark jobs (run_in_pool)."""
    threads: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(WRITE_THREADS, thread_name_prefix="windows-write"), repr=False, compare=False
    )
    """Kept for the writer's life: PySpark pins a JVM thread to each Python thread, so threads made
    anew every micro-batch would each open a Py4J connection of their own."""

    def __call__(self, windows: DataFrame, batch_id: int) -> None:
        windows.persist()
        try:
            run_in_pool(windows, self.pool)
            # This job runs the whole streaming plan: read, parse, de-duplicate, aggregate.
            tag_jobs(windows, f"fa:windows-compute batch {batch_id}")
            counts = {row["kind"]: row["rows"] for row in windows.groupBy("kind").agg(F.count(F.lit(1)).alias("rows")).collect()}
            tag_jobs(windows, f"fa:windows-write batch {batch_id}")
            writes, records = [], []
            for family in WINDOW_FAMILIES:
                if not counts.get(family.name):
                    continue
                rows = family_rows(windows, family)
                writes.append(partial(rows.write.mode("overwrite").parquet, batch_path(self.output_dir, family.name, batch_id)))
                if family.name == "route_15min":
                    writes.append(partial(
                        top_delayed_routes(rows, self.top_routes).write.mode("overwrite").parquet,
                        batch_path(self.output_dir, "top_delayed_routes", batch_id),
                    ))
                records.append(kafka_json_records(rows, family.name, family.keys))
            if self.kafka is not None and records:
                writes.append(partial(self.kafka.write, reduce(DataFrame.unionByName, records)))
            run_together(windows.sparkSession, self.threads, writes)
            self.written.record(batch_id, counts)
        finally:
            windows.unpersist()
            tag_jobs(windows, None)
            run_in_pool(windows, None)

    @property
    def windows_written(self) -> int:
        return self.written.total()
