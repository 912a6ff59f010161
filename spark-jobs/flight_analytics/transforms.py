"""Kafka records -> flight events -> analytics, as pure DataFrame -> DataFrame functions.

Everything runs in the JVM and works the same on a batch DataFrame (tests) and a streaming one
(the job). The analytics use Spark's built-in functions only. Parsing is one Java parser called as
an expression (flightanalytics.FlightEventParser, spark-jobs/validator/), because Spark's built-in JSON parsing
cannot be made strict: from_json accepts trailing bytes and a second object after the event, reads
a JSON number as epoch seconds for a timestamp and as text for a string, keeps the last of two
duplicate keys, reads "NaN" as a double, cannot refuse unknown keys of a nested object or bytes
that are not UTF-8, and cannot name the field that failed to convert without parsing again.
"""
from __future__ import annotations

import hashlib
import weakref
from dataclasses import dataclass
from pathlib import Path

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, BinaryType, DataType, MapType, StringType, StructField, StructType

from flight_analytics.schema import FlightEventSchema, load_flight_event_schema

KAFKA_METADATA_COLUMNS = ("topic", "partition", "offset", "kafka_timestamp")
"""Where a record came from; kept on valid and quarantined rows alike so either can be traced back."""


def raw_text(raw_bytes: Column) -> Column:
    """A quarantined record's `raw_value`: its bytes as text that is always valid UTF-8 (a cast from
    binary keeps the bytes as they are; make_valid_utf8 replaces each sequence that is not UTF-8
    with U+FFFD), so that any Parquet reader can read quarantine/ whatever a producer sent. Parsed
    rows carry only `raw_bytes`, the exact bytes; quarantined_events adds this for the rows it keeps."""
    return F.make_valid_utf8(raw_bytes.cast("string"))


REASON_CATEGORIES = (
    "invalid_utf8", "invalid_json", "trailing_data", "duplicate_field", "unexpected_field", "missing_required",
    "invalid_type", "unsupported", "unknown", "out_of_range", "invalid_format",
)
"""The kinds of parse_error, in the order they are reported: a record that breaks several rules gets
the first kind it breaks (within a kind, the field first in schema order). The Java parser holds the
same list (FlightEventParser.reasonCategories()); test_validation_properties checks they agree."""

PARSER_CLASS = "flightanalytics.FlightEventParser"

_PARSE_RESULT = "_event"

_parsers: weakref.WeakKeyDictionary[SparkSession, dict[str, object]] = weakref.WeakKeyDictionary()
"""The parser of each schema text (by digest) in each live SparkSession: a JVM object, compiled once."""


class ValidatorNotOnClasspathError(RuntimeError):
    """The Spark session's JVM has no flightanalytics.FlightEventParser class."""


def _nullable(data_type: DataType) -> DataType:
    """`data_type` with every field nullable, at every depth (the parser returns nulls for a rejected record)."""
    if isinstance(data_type, StructType):
        return StructType([StructField(f.name, _nullable(f.dataType), True, f.metadata) for f in data_type.fields])
    if isinstance(data_type, ArrayType):
        return ArrayType(_nullable(data_type.elementType), True)
    if isinstance(data_type, MapType):
        return MapType(data_type.keyType, _nullable(data_type.valueType), True)
    return data_type


def parse_result_type(schema: FlightEventSchema) -> StructType:
    """What the parser returns for each record: the event's fields (schema.struct, all nullable), then parse_error."""
    return StructType([*_nullable(schema.struct).fields, StructField("parse_error", StringType())])


def _jvm_class(jvm, name: str):
    """A JVM class of the validator's jar, or a clear error if the session was started without the jar."""
    from py4j.java_gateway import JavaClass

    cls = jvm
    for part in name.split("."):
        cls = getattr(cls, part)
    if not isinstance(cls, JavaClass):
        raise ValidatorNotOnClasspathError(
            f"{name} is not on the Spark classpath, so flight events cannot be parsed or de-duplicated. Add its jar: "
            "locally, local.spark_runtime.local_session() puts local.validator.validator_jar() "
            "(built from spark-jobs/validator/) in spark.jars, or pass that jar with --jars; the "
            "spark-jobs image ships it in /opt/spark/jars (spark-jobs/Dockerfile)."
        )
    return cls


def _parser_class(jvm):
    """The JVM class of the parser, or a clear error if the session was started without its jar."""
    return _jvm_class(jvm, PARSER_CLASS)


def _parse_column(spark: SparkSession, schema: FlightEventSchema, value: Column) -> Column:
    """A column that parses `value` (binary) against `schema`: the Java parser's expression
    (FlightEventParser.column), with the parser compiled once per session and schema text."""
    if getattr(spark, "_jsparkSession", None) is None:
        raise RuntimeError("parse_flight_events needs a classic SparkSession (its JVM runs the parser), not Spark Connect")
    text = Path(schema.source).read_text(encoding="utf-8")
    digest = hashlib.sha256(text.encode()).hexdigest()
    cls = _parser_class(spark._jvm)
    parsers = _parsers.setdefault(spark, {})
    parser = parsers.get(digest)
    result_type = parse_result_type(schema)
    if parser is None:
        parser = cls(text)  # compiles the schema: an unsupported keyword fails here, on the driver
        if parser.simpleString() != result_type.simpleString():
            raise RuntimeError(
                f"the Java parser reads {schema.source} as {parser.simpleString()}, but schema.py translates it to "
                f"{result_type.simpleString()}: the two translations of the schema disagree"
            )
        parsers[digest] = parser
    from pyspark.sql.classic.column import Column as ClassicColumn

    return ClassicColumn(cls.column(parser, value._jc, result_type.json()))


def parse_flight_events(kafka_records: DataFrame, schema: FlightEventSchema | None = None) -> DataFrame:
    """Kafka records (value as bytes or string) -> one row per record: the event's fields, the Kafka
    metadata, the record's exact bytes (raw_bytes), and `parse_error`:
    null when the value is exactly one UTF-8 JSON object that the schema accepts, and then every
    field equals its JSON value; otherwise every field is null and parse_error is the first broken
    rule, one of REASON_CATEGORIES: 'invalid_utf8', 'invalid_json', 'trailing_data',
    'duplicate_field:<f>', 'unexpected_field:<f>', 'missing_required:<f>', 'invalid_type:<f>',
    'unsupported_<f>:<v>', 'unknown_<f>:<v>', 'out_of_range:<f>', 'invalid_format:<f>' (nested
    fields dotted: 'position.lat_deg'). The rules are read from the schema file itself
    (schema.source) by the Java parser; schema.struct gives the columns' types.

    Input columns used: value, topic, partition, offset, timestamp (the Kafka source's names).

    Cost per record: one call of a Java method from Spark's generated code, in the executor's JVM
    (no Python worker, no Arrow transfer). It checks the bytes are UTF-8, reads them once with
    Jackson's streaming parser (no tree, no second parse) checking every rule as it goes, and returns
    one row already in Spark's internal format (no conversion). The expression is non-deterministic,
    which keeps Spark from running it a second time inside a pushed-down filter
    (FlightEventParser.column).
    """
    schema = schema or load_flight_event_schema()
    value = F.col("value")
    if not isinstance(kafka_records.schema["value"].dataType, BinaryType):
        value = value.cast("binary")
    parsed = kafka_records.select(
        _parse_column(kafka_records.sparkSession, schema, value).alias(_PARSE_RESULT),
        value.alias("raw_bytes"),
        F.col("topic"),
        F.col("partition"),
        F.col("offset"),
        F.col("timestamp").alias("kafka_timestamp"),
    )
    event = F.col(_PARSE_RESULT)
    return parsed.select(
        *(event[name].alias(name) for name in schema.top_level_fields),
        *KAFKA_METADATA_COLUMNS,
        # Only raw_bytes: a foreachBatch function gets its batch as computed rows (Spark cannot prune
        # a column the streaming plan computes), so text for quarantine/ here would cost every record.
        "raw_bytes",
        event["parse_error"].alias("parse_error"),
    )


def valid_events(parsed: DataFrame) -> DataFrame:
    """The events that passed every rule: event fields plus Kafka metadata."""
    return parsed.where(F.col("parse_error").isNull()).drop("parse_error", "raw_bytes")


def quarantined_events(parsed: DataFrame) -> DataFrame:
    """The records that broke a rule, kept verbatim (raw_bytes exactly, raw_value to read) with
    where they came from and why."""
    return parsed.where(F.col("parse_error").isNotNull()).select(
        raw_text(F.col("raw_bytes")).alias("raw_value"), "raw_bytes", *KAFKA_METADATA_COLUMNS, F.col("parse_error").alias("reason")
    )


ANALYTICS_COLUMNS = (
    "flight_id", "event_id", "event_time", "event_type", "airline", "origin", "destination", "diverted_to",
    "departure_delay_min", "arrival_delay_min",
)
"""What the windowed analytics read: the de-duplication's key (flight_id, event_id) and the windows'
columns. Streaming de-duplication shuffles every column it is given and converts each row to a Java
Row and back (Spark does not prune through it), so the job selects these first."""

DEDUPLICATION_CLASS = "flightanalytics.FlightDeduplication"


def deduplicated_events(events: DataFrame, watermark_delay: str) -> DataFrame:
    """Each event once per flight: a re-sent event (a producer retry, a replayed partition) of the
    same flight_id and event_id, arriving within `watermark_delay` of event time after the first
    copy, is dropped, so analytics count it once; an event behind the watermark is dropped as late.

    On a stream this is FlightDeduplication (spark-jobs/validator/, Java): the events are grouped by
    flight and each flight keeps ONE state value, the ids it has seen within the delay, read and
    written once per micro-batch that touches the flight and cleared by an event-time timer. Spark's
    dropDuplicatesWithinWatermark keeps one state row per event instead: a RocksDB read and write for
    every event and a delete when it expires, the job's largest cost (docs/spark-job.md). The output
    keeps the watermark on event_time (transformWithState's event-time column), so the windows can
    follow in the same query. On a batch DataFrame (tests, backfills) the same meaning is a plain
    dropDuplicates on (flight_id, event_id).
    """
    watermarked = events.withWatermark("event_time", watermark_delay)
    if not events.isStreaming:
        return watermarked.dropDuplicates(["flight_id", "event_id"])
    from pyspark.sql.classic.dataframe import DataFrame as ClassicDataFrame

    spark = events.sparkSession
    cls = _jvm_class(spark._jvm, DEDUPLICATION_CLASS)
    return ClassicDataFrame(cls.deduplicate(watermarked._jdf, "flight_id", "event_id", "event_time", watermark_delay), spark)


ON_TIME_MAX_DELAY_MIN = 15
"""A departure is on time when it left at most this many minutes after schedule (the usual industry rule)."""


def _watermarked(events: DataFrame, watermark_delay: str | None) -> DataFrame:
    """`events` with an event-time watermark; None when they carry one already (from
    deduplicated_events): a stream may define its watermark only once."""
    return events if watermark_delay is None else events.withWatermark("event_time", watermark_delay)


@dataclass(frozen=True)
class WindowFamily:
    """One kind of windowed aggregate: its name (also its output folder and Kafka `kind`), its
    tumbling window length, the columns that identify a row besides the window, and the metrics it
    reports (all computed by _window_metrics, which defines each metric once for every family)."""

    name: str
    minutes: int
    keys: tuple[str, ...]
    metrics: tuple[str, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        """Its rows' columns, in order."""
        return ("window_start", "window_end", *self.keys, *self.metrics)


AIRLINE_MINUTE = WindowFamily(
    "airline_minute", 1, ("airline",),
    ("events", "departures", "arrivals", "cancellations", "avg_departure_delay_min", "p90_departure_delay_min", "on_time_rate"),
)
AIRPORT_5MIN = WindowFamily(
    "airport_5min", 5, ("airport",), ("departures", "arrivals", "avg_departure_delay_min", "avg_arrival_delay_min")
)
ROUTE_15MIN = WindowFamily("route_15min", 15, ("origin", "destination"), ("flights", "avg_departure_delay_min"))
WINDOW_FAMILIES = (AIRLINE_MINUTE, AIRPORT_5MIN, ROUTE_15MIN)

_KEY_SLOTS = ("key1", "key2")
"""analytics_windows rows hold a family's keys in these generic columns (airline | airport | origin, destination)."""


def _window_start(event_time: Column, minutes: int) -> Column:
    """Start of the `minutes`-long tumbling window (aligned on the Unix epoch, like F.window) holding event_time."""
    seconds = F.unix_seconds(event_time)
    return F.timestamp_seconds(seconds - F.pmod(seconds, F.lit(minutes * 60)))


def _family_entry(family: WindowFamily, applies: Column | None, *keys: Column) -> Column:
    """The struct an event contributes to `family` (null where `applies` is false)."""
    entry = F.struct(
        F.lit(family.name).alias("kind"),
        *(key.alias(slot) for key, slot in zip(keys, _KEY_SLOTS)),
        *(F.lit(None).cast("string").alias(slot) for slot in _KEY_SLOTS[len(keys):]),
        _window_start(F.col("event_time"), family.minutes).alias("window_start"),
    )
    return entry if applies is None else F.when(applies, entry)


def _window_metrics() -> list[Column]:
    """Every metric of every family, each defined once; a family reports the ones it names."""
    event_type = F.col("event_type")
    departed, arrived = event_type == "departed", event_type == "arrived"
    departure_delay = F.when(departed, F.col("departure_delay_min"))
    return [
        F.count(F.lit(1)).alias("events"),
        F.count(F.when(departed, True)).alias("departures"),
        F.count(F.when(departed, True)).alias("flights"),
        F.count(F.when(arrived, True)).alias("arrivals"),
        F.count(F.when(event_type == "cancelled", True)).alias("cancellations"),
        F.avg(departure_delay).alias("avg_departure_delay_min"),
        # Only the airline family reports it; the others skip its state.
        F.percentile_approx(F.when(F.col("kind") == AIRLINE_MINUTE.name, departure_delay), 0.9).alias("p90_departure_delay_min"),
        F.avg(F.when(departure_delay.isNotNull(), (departure_delay <= ON_TIME_MAX_DELAY_MIN).cast("double"))).alias("on_time_rate"),
        F.avg(F.when(arrived, F.col("arrival_delay_min"))).alias("avg_arrival_delay_min"),
    ]


def analytics_windows(
    events: DataFrame, watermark_delay: str | None = None, families: tuple[WindowFamily, ...] = WINDOW_FAMILIES
) -> DataFrame:
    """The windows of several families in ONE aggregation, so one streaming query (one read, one
    parse, one de-duplication, one state store) computes them all. One row per window, as
      kind                        the family's name
      window_start, window_end    the family's tumbling window of event_time
      key1, key2                  its keys (airline | airport | origin, destination), else null
      events ... avg_arrival_delay_min   every metric (_window_metrics); family_rows() keeps its own

    Each event is exploded into one entry per family it counts for: every event for its airline;
    a departure for its origin airport and for its route; an arrival for the airport it landed at.

    In a stream, append mode emits a window once, when the watermark passes the end of the longest
    family window around it (the state window): Spark evicts state by one event-time window per
    aggregation, so sharing the aggregation means sharing that window. With all three families, a
    1-minute airline window is written when its 15-minute block closes (latency up to 15 minutes +
    the watermark delay instead of 1 + delay), in exchange for reading and parsing the topic once.
    `watermark_delay` None: `events` carry a watermark already (deduplicated_events).
    """
    event_type = F.col("event_type")
    departed, arrived = event_type == "departed", event_type == "arrived"
    entries = {
        AIRLINE_MINUTE.name: _family_entry(AIRLINE_MINUTE, None, F.col("airline")),
        AIRPORT_5MIN.name: _family_entry(
            AIRPORT_5MIN, departed | arrived, F.when(departed, F.col("origin")).otherwise(F.coalesce("diverted_to", "destination"))
        ),
        ROUTE_15MIN.name: _family_entry(ROUTE_15MIN, departed, F.col("origin"), F.col("destination")),
    }
    state_window_min = max(f.minutes for f in families)
    exploded = (
        _watermarked(events, watermark_delay)
        .select(
            "event_time", "event_type", "departure_delay_min", "arrival_delay_min",
            F.explode(F.array(*(entries[f.name] for f in families))).alias("entry"),
        )
        .where(F.col("entry").isNotNull())
        .select("event_time", "event_type", "departure_delay_min", "arrival_delay_min", "entry.*")
    )
    aggregated = exploded.groupBy(
        F.window("event_time", f"{state_window_min} minutes").alias("state_window"), "kind", *_KEY_SLOTS, "window_start"
    ).agg(*_window_metrics())
    minutes = F.lit(None).cast("int")
    for family in families:
        minutes = F.when(F.col("kind") == family.name, F.lit(family.minutes)).otherwise(minutes)
    return aggregated.select(
        "kind",
        "window_start",
        (F.col("window_start") + F.make_dt_interval(mins=minutes)).alias("window_end"),
        *_KEY_SLOTS,
        *(c for c in aggregated.columns if c not in ("state_window", "kind", "window_start", *_KEY_SLOTS)),
    )


def family_rows(windows: DataFrame, family: WindowFamily) -> DataFrame:
    """The rows of one family out of analytics_windows(), with its own columns (family.columns)."""
    keys = [F.col(slot).alias(key) for slot, key in zip(_KEY_SLOTS, family.keys)]
    return windows.where(F.col("kind") == family.name).select("window_start", "window_end", *keys, *family.metrics)


def family_windows(events: DataFrame, watermark_delay: str | None, family: WindowFamily) -> DataFrame:
    """One family on its own: its state window is its own window, so a stream emits each window
    `watermark_delay` after it ends. On a batch DataFrame the watermark changes nothing."""
    return family_rows(analytics_windows(events, watermark_delay, (family,)), family)


def airline_minute_windows(events: DataFrame, watermark_delay: str | None) -> DataFrame:
    """Per airline and 1-minute tumbling window of event_time:
      events                      events of any type (count)
      departures, arrivals, cancellations   events of that type (count)
      avg_departure_delay_min     mean departure_delay_min of the departures (minutes; null if none)
      p90_departure_delay_min     90th percentile of it (minutes, percentile_approx: a delay that
                                  occurred, exact for fewer than 10,000 departures in a window)
      on_time_rate                share of departures with delay <= 15 minutes (0..1; null if none)

    The watermark lets a streaming query emit each window once, `watermark_delay` after it closes,
    and drop its state; on a batch DataFrame it changes nothing. Pass None for events that carry a
    watermark already (deduplicated_events).
    """
    return family_windows(events, watermark_delay, AIRLINE_MINUTE)


def airport_windows(events: DataFrame, watermark_delay: str | None) -> DataFrame:
    """Per airport and 5-minute tumbling window of event_time:
      departures                  'departed' events with this airport as origin (count)
      arrivals                    'arrived' events with this airport as destination (count; a
                                  diverted flight arrives at diverted_to, which counts instead)
      avg_departure_delay_min     mean departure_delay_min of those departures (minutes; null if none)
      avg_arrival_delay_min       mean arrival_delay_min of those arrivals (minutes; null if none)
    """
    return family_windows(events, watermark_delay, AIRPORT_5MIN)


def route_windows(events: DataFrame, watermark_delay: str | None) -> DataFrame:
    """Per route (origin -> scheduled destination) and 15-minute tumbling window of event_time:
      flights                     'departed' events on the route (count; one per flight)
      avg_departure_delay_min     mean departure_delay_min of those departures (minutes)
    top_delayed_routes() ranks them.
    """
    return family_windows(events, watermark_delay, ROUTE_15MIN)


TOP_DELAYED_ROUTES = 10
"""How many routes top_delayed_routes keeps per 15-minute window."""


def top_delayed_routes(route_rows: DataFrame, top: int = TOP_DELAYED_ROUTES) -> DataFrame:
    """The `top` routes with the highest avg_departure_delay_min in each window of route_windows()
    rows, ranked 1..top (ties: more flights first, then origin, destination, so the order is stable).

    A batch function (a window function over the rows at hand): the job applies it to the route
    windows each micro-batch closes. A window is closed, and so emitted, in exactly one batch, so
    ranking within the batch ranks the whole window.
    """
    if top < 1:
        raise ValueError(f"top={top}: expected an integer >= 1 (routes to keep per window)")
    order = Window.partitionBy("window_start").orderBy(
        F.col("avg_departure_delay_min").desc(), F.col("flights").desc(), "origin", "destination"
    )
    ranked = route_rows.where(F.col("avg_departure_delay_min").isNotNull()).withColumn("rank", F.row_number().over(order))
    return ranked.where(F.col("rank") <= top).select(
        "window_start", "window_end", "rank", "origin", "destination", "flights", "avg_departure_delay_min"
    )


POSITION_WINDOW = "5 minutes"
"""latest_flight_positions keeps one state row per flight and 5-minute window of event time."""

FINISHED_EVENT_TYPES = ("landed", "arrived", "cancelled")
"""After one of these a flight is no longer active on a live map."""

POSITION_COLUMNS = (
    "flight_id", "seq", "event_time", "event_type", "airline", "flight_number", "origin", "destination", "position",
)
"""What latest_flight_positions reads (the job projects these before the aggregation)."""


def latest_flight_positions(events: DataFrame, watermark_delay: str | None) -> DataFrame:
    """Per flight and 5-minute tumbling window of event_time, the flight's latest state, for a live map:
      last_event_time, last_event_type   the flight's latest event (by event_time, then seq)
      active                            false once that event is 'landed', 'arrived' or 'cancelled'
      position_time                     event_time of the latest event that carried a position
                                        (null if none did in this window)
      lat_deg, lon_deg, altitude_ft, ground_speed_kt, heading_deg   that position (degrees, feet, knots)
      airline, flight_number, origin, destination                   of the flight

    Built-in max_by only (no Python). On a stream the job runs it in update mode: each micro-batch
    emits the (flight, window) rows that changed, so the map moves every batch. The window is what
    bounds the state: Spark drops a (flight, window) row once the watermark passes the window's end,
    so state holds only the flights seen within the last window + watermark delay, and a landed
    flight's rows go with them (its last row says active=false, so a map drops it at once).
    The latest position of a flight is its row with the greatest position_time across windows.
    """
    order = F.struct("event_time", "seq")
    grouped = (
        _watermarked(events, watermark_delay)
        .groupBy(F.window("event_time", POSITION_WINDOW).alias("window"), "flight_id")
        .agg(
            F.max_by(
                F.struct(
                    F.col("event_time").alias("last_event_time"), F.col("event_type").alias("last_event_type"),
                    "airline", "flight_number", "origin", "destination",
                ),
                order,
            ).alias("last"),
            # max_by ignores rows whose ordering is null: here, the events without a position.
            F.max_by(
                F.struct(F.col("event_time").alias("position_time"), "position.*"),
                F.when(F.col("position").isNotNull(), order),
            ).alias("fix"),
        )
    )
    return grouped.select(
        F.col("window.start").alias("window_start"),
        F.col("window.end").alias("window_end"),
        "flight_id",
        "last.airline", "last.flight_number", "last.origin", "last.destination",
        "last.last_event_time", "last.last_event_type",
        (~F.col("last.last_event_type").isin(*FINISHED_EVENT_TYPES)).alias("active"),
        "fix.position_time", "fix.lat_deg", "fix.lon_deg", "fix.altitude_ft", "fix.ground_speed_kt", "fix.heading_deg",
    )


def kafka_json_records(rows: DataFrame, kind: str, keys: tuple[str, ...]) -> DataFrame:
    """Rows of one window family -> Kafka records: key '<kind>|<key values>|<window_start ISO>', value the
    row as JSON with its kind, e.g. {"kind":"airline_minute","window_start":"2026-03-01T00:00:00.000Z",...}.

    The key is the same for the same window whenever it is written, so a consumer (or a compacted
    topic) that keeps the last record per key sees each window once even if a batch is re-sent.
    """
    key = F.concat_ws("|", F.lit(kind), *(F.coalesce(F.col(k).cast("string"), F.lit("")) for k in keys),
                      F.date_format("window_start", "yyyy-MM-dd'T'HH:mm:ss'Z'"))
    value = F.to_json(F.struct(F.lit(kind).alias("kind"), *rows.columns))
    return rows.select(key.alias("key"), value.alias("value"))
