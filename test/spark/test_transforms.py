"""transforms.py on small batch DataFrames: parsing, validation, the split, and the minute windows."""
from __future__ import annotations

import json

import pytest
from pyspark.sql import Row
from pyspark.sql.types import DoubleType, LongType, StringType, StructField, StructType, TimestampType
from pyspark.testing import assertDataFrameEqual

from flight_analytics.transforms import airline_minute_windows, parse_flight_events, quarantined_events, valid_events
from flight_events import DEPARTED, KAFKA_TIMESTAMP, TOPIC, event, kafka_records, utc


def position(**changes) -> dict:
    return {**DEPARTED["position"], **changes}


def test_a_good_event_parses_into_typed_columns_with_its_kafka_metadata(spark):
    raw = json.dumps(DEPARTED)
    parsed = parse_flight_events(kafka_records(spark, [raw], partition=3))

    expected = Row(
        schema_version=1,
        event_id="BA117-20261124-LHR-2",
        flight_id="BA117-20261124-LHR",
        seq=2,
        event_type="departed",
        event_time=utc("2026-11-24T10:00:30.250Z"),
        airline="BA",
        flight_number="BA117",
        origin="LHR",
        destination="JFK",
        aircraft_type="B77W",
        scheduled_departure=utc("2026-11-24T09:45:00Z"),
        scheduled_arrival=utc("2026-11-24T17:50:00Z"),
        actual_departure=utc("2026-11-24T10:00:30.250Z"),
        actual_arrival=None,
        departure_delay_min=15,
        arrival_delay_min=None,
        diverted_to=None,
        position=Row(lat_deg=51.47, lon_deg=-0.4543, altitude_ft=0, ground_speed_kt=150, heading_deg=270.0),
        topic=TOPIC,
        partition=3,
        offset=0,
        kafka_timestamp=KAFKA_TIMESTAMP,
        raw_value=raw,
        parse_error=None,
    )
    assertDataFrameEqual(parsed, spark.createDataFrame([expected], parsed.schema))


def test_optional_fields_may_be_absent_or_null(spark):
    scheduled = event(
        event_type="scheduled", actual_departure=..., departure_delay_min=..., position=None, diverted_to=None
    )
    parsed = parse_flight_events(kafka_records(spark, [scheduled]))
    assertDataFrameEqual(
        parsed.select("event_type", "actual_departure", "departure_delay_min", "position", "parse_error"),
        [Row(event_type="scheduled", actual_departure=None, departure_delay_min=None, position=None, parse_error=None)],
    )


MALFORMED = [
    ("not json at all", "invalid_json"),
    ('{"event_id": "x",', "invalid_json"),
    ("[1, 2, 3]", "invalid_json"),
    ('"a string"', "invalid_json"),
    (None, "invalid_json"),
    (event(flight_id=...), "missing_required:flight_id"),
    (event(event_time=None), "missing_required:event_time"),
    (event(airline=...), "missing_required:airline"),
    (event(gate="A12"), "unexpected_field:gate"),
    (event(seq="two"), "invalid_type:seq"),
    (event(event_time="yesterday"), "invalid_type:event_time"),
    (event(position=[51.4, -0.4]), "invalid_type:position"),
    (event(schema_version=2), "unsupported_schema_version:2"),
    (event(event_type="taxiing"), "unknown_event_type:taxiing"),
    (event(position=position(lat_deg=90.5)), "out_of_range:position.lat_deg"),
    (event(position=position(lat_deg=-91)), "out_of_range:position.lat_deg"),
    (event(position=position(lon_deg=180.01)), "out_of_range:position.lon_deg"),
    (event(position=position(heading_deg=360)), "out_of_range:position.heading_deg"),
    (event(departure_delay_min=1441), "out_of_range:departure_delay_min"),
    (event(departure_delay_min=-61), "out_of_range:departure_delay_min"),
    (event(arrival_delay_min=-121), "out_of_range:arrival_delay_min"),
    (event(seq=-1), "out_of_range:seq"),
    (event(position={"lat_deg": 1.0, "lon_deg": 2.0, "altitude_ft": 0, "ground_speed_kt": 0}), "missing_required:position.heading_deg"),
    (event(airline="ba"), "invalid_format:airline"),
    (event(origin="LHRX"), "invalid_format:origin"),
    (event(event_id=""), "invalid_format:event_id"),
]


def test_each_kind_of_malformed_record_gets_its_reason(spark):
    values = [value for value, _ in MALFORMED]
    parsed = parse_flight_events(kafka_records(spark, values))
    assertDataFrameEqual(
        parsed.select("offset", "parse_error"),
        [Row(offset=i, parse_error=reason) for i, (_, reason) in enumerate(MALFORMED)],
    )


def test_values_on_the_bounds_are_valid(spark):
    edge = event(
        departure_delay_min=-60,
        arrival_delay_min=1440,
        position=position(lat_deg=-90.0, lon_deg=180.0, heading_deg=0.0, altitude_ft=60000, ground_speed_kt=800),
    )
    parsed = parse_flight_events(kafka_records(spark, [edge]))
    assertDataFrameEqual(parsed.select("parse_error"), [Row(parse_error=None)])


def test_valid_and_quarantined_rows_split_the_batch(spark):
    bad = event(event_type="taxiing")
    parsed = parse_flight_events(kafka_records(spark, [DEPARTED, "oops", bad]))

    valid = valid_events(parsed)
    assert "parse_error" not in valid.columns and "raw_value" not in valid.columns
    assert {"topic", "partition", "offset", "kafka_timestamp"} <= set(valid.columns)
    assertDataFrameEqual(valid.select("event_id", "offset"), [Row(event_id=DEPARTED["event_id"], offset=0)])

    assertDataFrameEqual(
        quarantined_events(parsed),
        [
            Row(raw_value="oops", topic=TOPIC, partition=0, offset=1, kafka_timestamp=KAFKA_TIMESTAMP, reason="invalid_json"),
            Row(
                raw_value=json.dumps(bad),
                topic=TOPIC,
                partition=0,
                offset=2,
                kafka_timestamp=KAFKA_TIMESTAMP,
                reason="unknown_event_type:taxiing",
            ),
        ],
    )


AIRLINE_MINUTE = StructType(
    [
        StructField("window_start", TimestampType()),
        StructField("window_end", TimestampType()),
        StructField("airline", StringType()),
        StructField("events", LongType()),
        StructField("departures", LongType()),
        StructField("arrivals", LongType()),
        StructField("cancellations", LongType()),
        StructField("avg_departure_delay_min", DoubleType()),
    ]
)


def flight(airline: str, event_type: str, at: str, delay: int | None, n: int) -> dict:
    return event(
        event_id=f"{airline}1-{n}",
        flight_id=f"{airline}1",
        airline=airline,
        flight_number=f"{airline}1",
        event_type=event_type,
        event_time=at,
        departure_delay_min=delay,
    )


def test_airline_minute_windows_equal_hand_computed_rows(spark):
    events = [
        flight("BA", "departed", "2026-11-24T10:00:10.000Z", 10, 1),
        flight("BA", "departed", "2026-11-24T10:00:50.000Z", 20, 2),
        flight("BA", "position", "2026-11-24T10:00:55.000Z", 99, 3),  # not a departure: its delay must not count
        flight("BA", "arrived", "2026-11-24T10:01:05.000Z", 15, 4),
        flight("BA", "cancelled", "2026-11-24T10:02:59.999Z", None, 5),
        flight("AF", "departed", "2026-11-24T10:00:00.000Z", -5, 6),  # a window includes its start
        flight("AF", "cancelled", "2026-11-24T10:01:00.000Z", None, 7),  # ... and excludes its end
        flight("AF", "scheduled", "2026-11-24T10:02:30.000Z", None, 8),
    ]
    parsed = parse_flight_events(kafka_records(spark, events))
    assert parsed.where("parse_error IS NOT NULL").count() == 0

    windows = airline_minute_windows(valid_events(parsed), "10 minutes")

    m0, m1, m2, m3 = (utc(f"2026-11-24T10:0{i}:00Z") for i in range(4))
    expected = [
        (m0, m1, "AF", 1, 1, 0, 0, -5.0),
        (m0, m1, "BA", 3, 2, 0, 0, 15.0),
        (m1, m2, "AF", 1, 0, 0, 1, None),
        (m1, m2, "BA", 1, 0, 1, 0, None),
        (m2, m3, "AF", 1, 0, 0, 0, None),
        (m2, m3, "BA", 1, 0, 0, 1, None),
    ]
    assertDataFrameEqual(windows, spark.createDataFrame(expected, AIRLINE_MINUTE))


@pytest.mark.parametrize("delay", ["10 minutes", "30 seconds"])
def test_the_watermark_does_not_change_a_batch_result(spark, delay):
    parsed = parse_flight_events(kafka_records(spark, [DEPARTED]))
    windows = airline_minute_windows(valid_events(parsed), delay)
    assertDataFrameEqual(windows.select("airline", "events", "departures"), [Row(airline="BA", events=1, departures=1)])


@pytest.mark.parametrize("view", ["parsed", "valid_events", "quarantined_events"])
def test_parse_runs_from_json_once_per_record(spark, view):
    # GIVEN Kafka-shaped records
    records = spark.createDataFrame(
        [(json.dumps({"event_id": "x"}), "t", 0, 0, None)],
        "value string, topic string, partition int, offset long, timestamp timestamp",
    )
    parsed = parse_flight_events(records)
    frames = {"parsed": parsed, "valid_events": valid_events(parsed), "quarantined_events": quarantined_events(parsed)}
    # WHEN Spark optimises the plan (filters are pushed down through projections)
    plan = frames[view]._jdf.queryExecution().executedPlan().toString()
    # THEN the value is still parsed exactly twice (typed struct + field map), not once per field a rule reads
    assert plan.count("from_json(") == 2, plan
