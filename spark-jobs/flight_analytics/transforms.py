"""Kafka records -> flight events -> analytics, as pure DataFrame -> DataFrame functions.

Every function here uses Spark's built-in functions only, so the work stays in the JVM, and
works the same on a batch DataFrame (tests) and a streaming one (the job).
"""
from __future__ import annotations

from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import MapType, StringType

from flight_analytics.schema import FlightEventSchema, load_flight_event_schema

KAFKA_METADATA_COLUMNS = ("topic", "partition", "offset", "kafka_timestamp")
"""Where a record came from; kept on valid and quarantined rows alike so either can be traced back."""

QUARANTINE_COLUMNS = ("raw_value", *KAFKA_METADATA_COLUMNS, "reason")


def _field(parsed: Column, dotted: str) -> Column:
    return reduce(lambda col, name: col.getField(name), dotted.split("."), parsed)


def _reason(condition: Column, reason: Column | str) -> Column:
    """`reason` where `condition` holds, else null: coalesce() of these picks the first failure."""
    return F.when(condition, reason if isinstance(reason, Column) else F.lit(reason))


def _reasons(schema: FlightEventSchema, event: Column, raw: Column) -> list[Column]:
    """One nullable reason column per rule, in the order they are reported (first failure wins).

    `event` is the value parsed with the typed schema; `raw` the same value parsed as a map of
    top-level field -> JSON text, which tells "absent or null" apart from "present but not of its type"
    (from_json turns a value it cannot convert into null).
    """
    known = F.array(*(F.lit(name) for name in schema.top_level_fields))
    unexpected = F.array_except(F.map_keys(raw), known)
    reasons = [
        # Not JSON, or JSON but not an object (array, string, number), or a null Kafka value.
        _reason(raw.isNull(), "invalid_json"),
        _reason(F.size(unexpected) > 0, F.concat(F.lit("unexpected_field:"), unexpected[0])),
    ]

    for name in schema.required:
        if "." not in name:
            reasons.append(_reason(raw[name].isNull(), f"missing_required:{name}"))
        else:
            # A nested field is required only where its parent object is there.
            parent = name.rsplit(".", 1)[0]
            reasons.append(
                _reason(_field(event, parent).isNotNull() & _field(event, name).isNull(), f"missing_required:{name}")
            )

    for name in schema.top_level_fields:
        reasons.append(_reason(raw[name].isNotNull() & event[name].isNull(), f"invalid_type:{name}"))

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
    """
    schema = schema or load_flight_event_schema()
    raw_value = F.col("value").cast("string")
    with_json = kafka_records.select(
        raw_value.alias("raw_value"),
        F.from_json(raw_value, schema.struct, {"mode": "PERMISSIVE"}).alias("_event"),
        F.from_json(raw_value, MapType(StringType(), StringType())).alias("_raw"),
        F.col("topic"),
        F.col("partition"),
        F.col("offset"),
        F.col("timestamp").alias("kafka_timestamp"),
    )
    # Spark pushes a filter (valid_events' `parse_error IS NULL`) down through projections by inlining
    # what they compute, so without a barrier from_json would run once per field the rules read: 37
    # parses of every record instead of 2 (see test_parse_runs_from_json_once_per_record). Filters are
    # not pushed through a Generate, so a one-row inline() makes the parsed columns a materialised input.
    parsed_once = with_json.select(F.inline(F.array(F.struct(*with_json.columns))))
    event, raw = F.col("_event"), F.col("_raw")
    return parsed_once.select(
        *(event[name].alias(name) for name in schema.top_level_fields),
        *KAFKA_METADATA_COLUMNS,
        "raw_value",
        F.coalesce(*_reasons(schema, event, raw)).alias("parse_error"),
    )


def valid_events(parsed: DataFrame) -> DataFrame:
    """The events that passed every rule: event fields plus Kafka metadata."""
    return parsed.where(F.col("parse_error").isNull()).drop("parse_error", "raw_value")


def quarantined_events(parsed: DataFrame) -> DataFrame:
    """The records that broke a rule, kept verbatim with where they came from and why."""
    return parsed.where(F.col("parse_error").isNotNull()).select(
        "raw_value", *KAFKA_METADATA_COLUMNS, F.col("parse_error").alias("reason")
    )


def airline_minute_windows(events: DataFrame, watermark_delay: str) -> DataFrame:
    """Per airline and 1-minute tumbling window of event_time: how many events, departures,
    arrivals and cancellations, and the mean departure delay of the departures (null if none).

    The watermark lets a streaming query emit each window once, `watermark_delay` after it closes,
    and drop its state; on a batch DataFrame it changes nothing.
    """
    event_type = F.col("event_type")
    departed = event_type == "departed"
    return (
        events.withWatermark("event_time", watermark_delay)
        .groupBy(F.window("event_time", "1 minute").alias("window"), F.col("airline"))
        .agg(
            F.count(F.lit(1)).alias("events"),
            F.count(F.when(departed, True)).alias("departures"),
            F.count(F.when(event_type == "arrived", True)).alias("arrivals"),
            F.count(F.when(event_type == "cancelled", True)).alias("cancellations"),
            F.avg(F.when(departed, F.col("departure_delay_min"))).alias("avg_departure_delay_min"),
        )
        .select(
            F.col("window.start").alias("window_start"),
            F.col("window.end").alias("window_end"),
            "airline",
            "events",
            "departures",
            "arrivals",
            "cancellations",
            "avg_departure_delay_min",
        )
    )
