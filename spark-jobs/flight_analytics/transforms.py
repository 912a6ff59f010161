"""Kafka records -> flight events -> analytics, as pure DataFrame -> DataFrame functions.

Every function here uses Spark's built-in functions only, so the work stays in the JVM, and
works the same on a batch DataFrame (tests) and a streaming one (the job).
"""
from __future__ import annotations

from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import MapType, StringType, StructField, StructType

from flight_analytics.schema import FlightEventSchema, load_flight_event_schema

KAFKA_METADATA_COLUMNS = ("topic", "partition", "offset", "kafka_timestamp")
"""Where a record came from; kept on valid and quarantined rows alike so either can be traced back."""

QUARANTINE_COLUMNS = ("raw_value", *KAFKA_METADATA_COLUMNS, "reason")


def _field(parsed: Column, dotted: str) -> Column:
    return reduce(lambda col, name: col.getField(name), dotted.split("."), parsed)


def _reason(condition: Column, reason: Column | str) -> Column:
    """`reason` where `condition` holds, else null: coalesce() of these picks the first failure."""
    return F.when(condition, reason if isinstance(reason, Column) else F.lit(reason))


CORRUPT_RECORD_FIELD = "_corrupt_record"
"""from_json fills this extra field (PERMISSIVE mode) when any value in the record cannot be converted."""


def _reasons(schema: FlightEventSchema, event: Column, keys: Column, suspect: Column, raw: Column) -> list[Column]:
    """One nullable reason column per rule, in the order they are reported (first failure wins).

    `event` is the value parsed with the typed schema; `keys` its top-level keys (null unless the
    value is a JSON object); `suspect` whether the typed parse met a value it could not convert;
    `raw` the value parsed as a map of top-level field -> JSON text, computed for suspect rows only
    (null elsewhere). The map tells "absent or null" apart from "present but not of its type" (the
    typed parse turns a value it cannot convert into null); where nothing failed to convert, a null
    field in `event` can only mean absent or null, so most rows never pay for the map parse.
    """
    known = F.array(*(F.lit(name) for name in schema.top_level_fields))
    unexpected = F.array_except(keys, known)
    reasons = [
        # Not JSON, or JSON but not an object (array, string, number), or a null Kafka value.
        _reason(keys.isNull(), "invalid_json"),
        _reason(F.size(unexpected) > 0, F.concat(F.lit("unexpected_field:"), unexpected[0])),
    ]

    for name in schema.required:
        if "." not in name:
            reasons.append(
                _reason(event[name].isNull() & (~suspect | raw[name].isNull()), f"missing_required:{name}")
            )
        else:
            # A nested field is required only where its parent object is there.
            parent = name.rsplit(".", 1)[0]
            reasons.append(
                _reason(_field(event, parent).isNotNull() & _field(event, name).isNull(), f"missing_required:{name}")
            )

    for name in schema.top_level_fields:
        reasons.append(_reason(suspect & raw[name].isNotNull() & event[name].isNull(), f"invalid_type:{name}"))

    for name, value in schema.consts.items():
        actual = _field(event, name)
        reasons.append(
            _reason(actual.isNotNull() & (actual != F.lit(value)), F.concat(F.lit(f"unsupported_{name}:"), actual.cast("string")))
        )

    for name, allowed in schema.enums.items():
        actual = _field(event, name)
        reasons.append(
            _reason(actual.isNotNull() & ~actual.isin(*allowed), F.concat(F.lit(f"unknown_{name}:"), actual))
        )

    for name, bounds in schema.bounds.items():
        actual = _field(event, name)
        outside = F.lit(False)
        if bounds.minimum is not None:
            outside = outside | (actual < F.lit(bounds.minimum))
        if bounds.maximum is not None:
            outside = outside | (actual > F.lit(bounds.maximum))
        if bounds.exclusive_minimum is not None:
            outside = outside | (actual <= F.lit(bounds.exclusive_minimum))
        if bounds.exclusive_maximum is not None:
            outside = outside | (actual >= F.lit(bounds.exclusive_maximum))
        reasons.append(_reason(actual.isNotNull() & outside, f"out_of_range:{name}"))

    for name, rules in schema.string_rules.items():
        actual = _field(event, name)
        bad = F.lit(False)
        if rules.pattern is not None:
            bad = bad | ~actual.rlike(rules.pattern)
        if rules.min_length is not None:
            bad = bad | (F.length(actual) < F.lit(rules.min_length))
        if rules.max_length is not None:
            bad = bad | (F.length(actual) > F.lit(rules.max_length))
        reasons.append(_reason(actual.isNotNull() & bad, f"invalid_format:{name}"))

    return reasons


def parse_flight_events(kafka_records: DataFrame, schema: FlightEventSchema | None = None) -> DataFrame:
    """Kafka records (value as bytes or string) -> one row per record: the event's fields, the
    Kafka metadata, the raw value as a string, and `parse_error` (null when the event is valid, else
    the first broken rule: 'invalid_json', 'unexpected_field:<f>', 'missing_required:<f>',
    'invalid_type:<f>', 'unsupported_<f>:<v>', 'unknown_<f>:<v>', 'out_of_range:<f>', 'invalid_format:<f>').

    Input columns used: value, topic, partition, offset, timestamp (the Kafka source's names).

    Cost per record: one typed parse (from_json) and one key scan (json_object_keys, which skips
    over values without building them); the map parse that names a wrongly typed field runs only
    for records where the typed parse failed to convert a value.
    """
    schema = schema or load_flight_event_schema()
    raw_value = F.col("value").cast("string")
    with_corrupt = StructType([*schema.struct.fields, StructField(CORRUPT_RECORD_FIELD, StringType())])
    typed = F.from_json(raw_value, with_corrupt, {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT_RECORD_FIELD})
    with_json = kafka_records.select(
        raw_value.alias("raw_value"),
        typed.alias("_event"),
        F.json_object_keys(raw_value).alias("_keys"),
        F.col("topic"),
        F.col("partition"),
        F.col("offset"),
        F.col("timestamp").alias("kafka_timestamp"),
    )
    # Spark pushes a filter (valid_events' `parse_error IS NULL`) down through projections by inlining
    # what they compute, so without a barrier from_json would run once per field the rules read (37
    # parses of every record; see test_parse_runs_from_json_once_per_record). Filters are not pushed
    # through a Generate, so a one-row inline() makes the parsed columns a materialised input.
    # The event's fields come out of the barrier as top-level columns: rules that read a top-level
    # column are cheaper than ones that unpack the parsed struct again for every field they read.
    event = F.col("_event")
    parsed_once = with_json.select(
        F.inline(
            F.array(
                F.struct(
                    *(event[name].alias(name) for name in schema.top_level_fields),
                    event[CORRUPT_RECORD_FIELD].isNotNull().alias("_suspect"),
                    "_keys",
                    *KAFKA_METADATA_COLUMNS,
                    "raw_value",
                )
            )
        )
    )
    # The map parse sits inside a `when`, which Spark evaluates lazily: only suspect rows pay for it.
    # A second barrier keeps it from being inlined into every rule that reads it.
    with_raw = parsed_once.select(
        F.inline(
            F.array(
                F.struct(
                    *parsed_once.columns,
                    F.when(F.col("_suspect"), F.from_json("raw_value", MapType(StringType(), StringType()))).alias("_raw"),
                )
            )
        )
    )
    return with_raw.select(
        *schema.top_level_fields,
        *KAFKA_METADATA_COLUMNS,
        "raw_value",
        F.coalesce(*_reasons(schema, _Fields(), F.col("_keys"), F.col("_suspect"), F.col("_raw"))).alias("parse_error"),
    )


class _Fields:
    """Reads event fields from top-level columns: `_Fields()["seq"]` is the column `seq`."""

    def __getitem__(self, name: str) -> Column:
        return F.col(name)

    def getField(self, name: str) -> Column:  # noqa: N802 (the Column method it stands in for)
        return F.col(name)


def valid_events(parsed: DataFrame) -> DataFrame:
    """The events that passed every rule: event fields plus Kafka metadata."""
    return parsed.where(F.col("parse_error").isNull()).drop("parse_error", "raw_value")


def quarantined_events(parsed: DataFrame) -> DataFrame:
    """The records that broke a rule, kept verbatim with where they came from and why."""
    return parsed.where(F.col("parse_error").isNotNull()).select(
        "raw_value", *KAFKA_METADATA_COLUMNS, F.col("parse_error").alias("reason")
    )


ANALYTICS_COLUMNS = (
    "event_id", "event_time", "event_type", "airline", "origin", "destination", "diverted_to",
    "departure_delay_min", "arrival_delay_min",
)
"""What the windowed analytics read. Streaming de-duplication shuffles and keeps in its state every
column it is given (Spark does not prune through it), so the job selects these first."""


def deduplicated_events(events: DataFrame, watermark_delay: str) -> DataFrame:
    """Each event_id once: a re-sent event (a producer retry, a replayed partition) arriving within
    `watermark_delay` of event time after the first copy is dropped, so analytics count it once.

    Streaming state holds each id until the watermark passes its event_time + delay, so it stays
    bounded. Spark offers dropDuplicatesWithinWatermark on streams only; on a batch DataFrame (tests,
    backfills) the same meaning is a plain dropDuplicates on event_id.
    """
    watermarked = events.withWatermark("event_time", watermark_delay)
    if events.isStreaming:
        return watermarked.dropDuplicatesWithinWatermark(["event_id"])
    return watermarked.dropDuplicates(["event_id"])


ON_TIME_MAX_DELAY_MIN = 15
"""A departure is on time when it left at most this many minutes after schedule (the usual industry rule)."""


def _watermarked(events: DataFrame, watermark_delay: str | None) -> DataFrame:
    """`events` with an event-time watermark; None when they carry one already (from
    deduplicated_events): a stream may define its watermark only once."""
    return events if watermark_delay is None else events.withWatermark("event_time", watermark_delay)


def _tumbling_windows(
    events: DataFrame, watermark_delay: str | None, duration: str, keys: list[str], *metrics: Column
) -> DataFrame:
    """`metrics` per `keys` and tumbling `duration` window of event_time, as flat columns:
    window_start, window_end, the keys, then the metrics in the order given."""
    aggregated = (
        _watermarked(events, watermark_delay)
        .groupBy(F.window("event_time", duration).alias("window"), *(F.col(k) for k in keys))
        .agg(*metrics)
    )
    return aggregated.select(
        F.col("window.start").alias("window_start"),
        F.col("window.end").alias("window_end"),
        *(c for c in aggregated.columns if c != "window"),
    )


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
    event_type = F.col("event_type")
    departed = event_type == "departed"
    departure_delay = F.when(departed, F.col("departure_delay_min"))
    return _tumbling_windows(
        events,
        watermark_delay,
        "1 minute",
        ["airline"],
        F.count(F.lit(1)).alias("events"),
        F.count(F.when(departed, True)).alias("departures"),
        F.count(F.when(event_type == "arrived", True)).alias("arrivals"),
        F.count(F.when(event_type == "cancelled", True)).alias("cancellations"),
        F.avg(departure_delay).alias("avg_departure_delay_min"),
        F.percentile_approx(departure_delay, 0.9).alias("p90_departure_delay_min"),
        F.avg(F.when(departure_delay.isNotNull(), (departure_delay <= ON_TIME_MAX_DELAY_MIN).cast("double"))).alias(
            "on_time_rate"
        ),
    )


def airport_windows(events: DataFrame, watermark_delay: str | None) -> DataFrame:
    """Per airport and 5-minute tumbling window of event_time:
      departures                  'departed' events with this airport as origin (count)
      arrivals                    'arrived' events with this airport as destination (count; a
                                  diverted flight arrives at diverted_to, which counts instead)
      avg_departure_delay_min     mean departure_delay_min of those departures (minutes; null if none)
      avg_arrival_delay_min       mean arrival_delay_min of those arrivals (minutes; null if none)
    """
    departed = events.where(F.col("event_type") == "departed").select(
        "event_time", F.col("origin").alias("airport"), F.lit(1).alias("departure"), F.lit(None).cast("int").alias("arrival"),
        F.col("departure_delay_min").alias("departure_delay"), F.lit(None).cast("int").alias("arrival_delay"),
    )
    arrived = events.where(F.col("event_type") == "arrived").select(
        "event_time", F.coalesce("diverted_to", "destination").alias("airport"), F.lit(None).cast("int").alias("departure"),
        F.lit(1).alias("arrival"), F.lit(None).cast("int").alias("departure_delay"), F.col("arrival_delay_min").alias("arrival_delay"),
    )
    return _tumbling_windows(
        departed.unionByName(arrived),
        watermark_delay,
        "5 minutes",
        ["airport"],
        F.count("departure").alias("departures"),
        F.count("arrival").alias("arrivals"),
        F.avg("departure_delay").alias("avg_departure_delay_min"),
        F.avg("arrival_delay").alias("avg_arrival_delay_min"),
    )


def route_windows(events: DataFrame, watermark_delay: str | None) -> DataFrame:
    """Per route (origin -> scheduled destination) and 15-minute tumbling window of event_time:
      flights                     'departed' events on the route (count; one per flight)
      avg_departure_delay_min     mean departure_delay_min of those departures (minutes)
    Rank the output by avg_departure_delay_min for the most delayed routes.
    """
    return _tumbling_windows(
        events.where(F.col("event_type") == "departed"),
        watermark_delay,
        "15 minutes",
        ["origin", "destination"],
        F.count(F.lit(1)).alias("flights"),
        F.avg("departure_delay_min").alias("avg_departure_delay_min"),
    )
