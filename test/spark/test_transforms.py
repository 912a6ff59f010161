"""transforms.py on small batch DataFrames: parsing, validation, the split, the windows, the top
delayed routes, the latest flight positions and the Kafka records of the windows."""
from __future__ import annotations

import json

import pytest
from pyspark.sql import Row
from pyspark.sql.types import DoubleType, IntegerType, LongType, StringType, StructField, StructType, TimestampType
from pyspark.testing import assertDataFrameEqual

from flight_analytics.transforms import (
    WINDOW_FAMILIES,
    airline_minute_windows,
    airport_windows,
    analytics_windows,
    deduplicated_events,
    family_rows,
    family_windows,
    kafka_json_records,
    latest_flight_positions,
    parse_flight_events,
    quarantined_events,
    route_windows,
    top_delayed_routes,
    valid_events,
)
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
        raw_bytes=bytearray(raw.encode()),
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
    (event(event_time="yesterday"), "invalid_format:event_time"),
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
    # What the lenient from_json parse used to let through (test_validation_properties has the bytes-level ones).
    (event(event_id=123), "invalid_type:event_id"),
    (event(flight_id=True), "invalid_type:flight_id"),
    (event(seq=2.0), "invalid_type:seq"),
    (event(seq=2**31), "out_of_range:seq"),
    (event(position=position(lat_deg="NaN")), "invalid_type:position.lat_deg"),
    (event(position=position(lat_deg=float("nan"))), "invalid_json"),  # json.dumps writes a bare NaN
    (json.dumps(DEPARTED)[:-1] + ', "seq": 3}', "duplicate_field:seq"),
    (event(position=position(gate="A12")), "unexpected_field:position.gate"),
    (event(origin="LHR\n"), "invalid_format:origin"),
    (event(event_time="2026-11-24T10:00:30.250"), "invalid_format:event_time"),  # no offset
    (event(event_time="2026-11-24 10:00:30.250Z"), "invalid_format:event_time"),
    (event(event_time="2026-11-24T10:00:30.2500001Z"), "invalid_format:event_time"),  # below a microsecond
    (event(event_time="2026-02-29T10:00:30Z"), "invalid_format:event_time"),  # not a leap year
    (json.dumps(DEPARTED) + "\n" + json.dumps(DEPARTED), "trailing_data"),
]


def test_each_kind_of_malformed_record_gets_its_reason(spark):
    values = [value for value, _ in MALFORMED]
    parsed = parse_flight_events(kafka_records(spark, values))
    assertDataFrameEqual(
        parsed.select("offset", "parse_error"),
        [Row(offset=i, parse_error=reason) for i, (_, reason) in enumerate(MALFORMED)],
    )


def test_the_parse_is_the_same_whatever_the_order_or_spelling_of_the_keys(spark):
    """The parser first matches the name the schema's order expects next against the input's bytes,
    and reads any other name the usual way: keys in another order, or spelled with JSON escapes,
    give the same row, and a key seen again after its in-order copy is still a duplicate."""
    in_order = json.dumps(DEPARTED)
    reversed_keys = json.dumps(dict(reversed(list(DEPARTED.items()))))
    escaped = "{" + ",".join(
        json.dumps(key).replace(key[0], "\\u%04x" % ord(key[0]), 1) + ":" + json.dumps(value) for key, value in DEPARTED.items()
    ) + "}"
    assert '"\\u0065vent_id"' in escaped
    duplicate_after_in_order = in_order[:-1] + ', "airline": "BA"}'
    unknown_between = in_order.replace('"airline":', '"gate": "A12", "airline":')
    parsed = parse_flight_events(kafka_records(spark, [in_order, reversed_keys, escaped, duplicate_after_in_order, unknown_between]))
    # The parsed fields only: not the Kafka metadata, nor the record's bytes (kept for the quarantine).
    rows = parsed.drop("offset", "partition", "topic", "kafka_timestamp", "raw_bytes").collect()
    assert rows[0]["parse_error"] is None and rows[0]["event_id"] == DEPARTED["event_id"]
    assert rows[1] == rows[0], "keys in reverse order"
    assert rows[2] == rows[0], "keys written with JSON escapes"
    assert rows[3]["parse_error"] == "duplicate_field:airline"
    assert rows[4]["parse_error"] == "unexpected_field:gate"


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
    assert not {"parse_error", "raw_value", "raw_bytes"} & set(valid.columns)
    assert {"topic", "partition", "offset", "kafka_timestamp"} <= set(valid.columns)
    assertDataFrameEqual(valid.select("event_id", "offset"), [Row(event_id=DEPARTED["event_id"], offset=0)])

    assertDataFrameEqual(
        quarantined_events(parsed),
        [
            Row(
                raw_value="oops", raw_bytes=bytearray(b"oops"), topic=TOPIC, partition=0, offset=1,
                kafka_timestamp=KAFKA_TIMESTAMP, reason="invalid_json",
            ),
            Row(
                raw_value=json.dumps(bad),
                raw_bytes=bytearray(json.dumps(bad).encode()),
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
        StructField("p90_departure_delay_min", IntegerType()),
        StructField("on_time_rate", DoubleType()),
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
        # BA's departures were 10 and 20 min late: p90 is 20, one of two (10 <= 15) on time
        (m0, m1, "AF", 1, 1, 0, 0, -5.0, -5, 1.0),
        (m0, m1, "BA", 3, 2, 0, 0, 15.0, 20, 0.5),
        (m1, m2, "AF", 1, 0, 0, 1, None, None, None),
        (m1, m2, "BA", 1, 0, 1, 0, None, None, None),
        (m2, m3, "AF", 1, 0, 0, 0, None, None, None),
        (m2, m3, "BA", 1, 0, 0, 1, None, None, None),
    ]
    assertDataFrameEqual(windows, spark.createDataFrame(expected, AIRLINE_MINUTE))


def test_a_re_sent_event_is_counted_once_in_the_windows(spark):
    # GIVEN the same departure sent twice (a producer retry: same event, a later offset) and another one
    other = flight("BA", "departed", "2026-11-24T10:00:40.000Z", 30, 9)
    parsed = parse_flight_events(kafka_records(spark, [DEPARTED, other, DEPARTED]))
    # WHEN the windows are computed over de-duplicated events
    windows = airline_minute_windows(deduplicated_events(valid_events(parsed), "10 minutes"), "10 minutes")
    # THEN the window counts it once: 2 departures, mean delay (15 + 30) / 2
    assertDataFrameEqual(
        windows.select("airline", "events", "departures", "avg_departure_delay_min"),
        [Row(airline="BA", events=2, departures=2, avg_departure_delay_min=22.5)],
    )


@pytest.mark.parametrize("delay", ["10 minutes", "30 seconds"])
def test_the_watermark_does_not_change_a_batch_result(spark, delay):
    parsed = parse_flight_events(kafka_records(spark, [DEPARTED]))
    windows = airline_minute_windows(valid_events(parsed), delay)
    assertDataFrameEqual(windows.select("airline", "events", "departures"), [Row(airline="BA", events=1, departures=1)])


def full_plan(spark, plan_of) -> str:
    """A plan as text with no field lists cut short ("... N more fields")."""
    before = spark.conf.get("spark.sql.debug.maxToStringFields")
    spark.conf.set("spark.sql.debug.maxToStringFields", "10000")
    try:
        return plan_of().toString()
    finally:
        spark.conf.set("spark.sql.debug.maxToStringFields", before)


@pytest.mark.parametrize("view", ["parsed", "valid_events", "quarantined_events"])
def test_parse_runs_the_validator_once_per_record(spark, view):
    # GIVEN Kafka-shaped records (a string value, as a test may pass it)
    records = spark.createDataFrame(
        [(json.dumps({"event_id": "x"}), "t", 0, 0, None)],
        "value string, topic string, partition int, offset long, timestamp timestamp",
    )
    parsed = parse_flight_events(records)
    frames = {"parsed": parsed, "valid_events": valid_events(parsed), "quarantined_events": quarantined_events(parsed)}
    # WHEN Spark optimises the plan (filters are pushed down through projections)
    plan = full_plan(spark, frames[view]._jdf.queryExecution().executedPlan)
    # THEN every record goes through the validator exactly once, not once in the filter and once
    # more in the projection, and nothing parses it a second way
    assert plan.count(spark._jvm.flightanalytics.FlightEventParser.METHOD) == 1, plan
    assert "from_json" not in plan, plan
    # ... and the outcome is the one record, quarantined
    if view == "valid_events":
        assert frames[view].count() == 0
    else:
        column = "parse_error" if view == "parsed" else "reason"
        assertDataFrameEqual(frames[view].select(column), [Row(**{column: "missing_required:schema_version"})])


NAMED_HOLES = {
    "extra bytes after the event": (json.dumps(DEPARTED) + "xyz", "trailing_data"),
    "a second object after the event": (json.dumps(DEPARTED) + json.dumps(DEPARTED), "trailing_data"),
    "event_time as a JSON number": (event(event_time=1764000030), "invalid_type:event_time"),
    "position.lat_deg as a string": (event(position=position(lat_deg="51.47")), "invalid_type:position.lat_deg"),
}


@pytest.mark.parametrize("value, reason", NAMED_HOLES.values(), ids=NAMED_HOLES.keys())
def test_what_the_lenient_parse_accepted_is_quarantined_with_its_reason(spark, value, reason):
    parsed = parse_flight_events(kafka_records(spark, [value]))
    assertDataFrameEqual(parsed.select("event_id", "event_time", "position", "parse_error"),
                         [Row(event_id=None, event_time=None, position=None, parse_error=reason)])


def trip(n: int, event_type: str, at: str, origin: str, destination: str, **fields) -> dict:
    return event(
        event_id=f"BA{n}-x-{event_type}", flight_id=f"BA{n}-x", flight_number=f"BA{n}", event_type=event_type,
        event_time=at, origin=origin, destination=destination, **fields,
    )


def test_airport_windows_count_departures_at_the_origin_and_arrivals_where_the_flight_landed(spark):
    events = [
        trip(1, "departed", "2026-11-24T10:01:00.000Z", "LHR", "JFK", departure_delay_min=10),
        trip(2, "departed", "2026-11-24T10:04:59.000Z", "LHR", "CDG", departure_delay_min=20),
        trip(3, "arrived", "2026-11-24T10:02:00.000Z", "CDG", "LHR", arrival_delay_min=-4, departure_delay_min=0),
        # diverted: arrives at diverted_to, not at its scheduled destination
        trip(4, "arrived", "2026-11-24T10:03:00.000Z", "JFK", "LHR", arrival_delay_min=30, diverted_to="STN"),
        trip(5, "position", "2026-11-24T10:03:00.000Z", "LHR", "JFK", departure_delay_min=99),  # neither
        trip(6, "departed", "2026-11-24T10:05:00.000Z", "LHR", "JFK", departure_delay_min=0),  # next window
    ]
    parsed = parse_flight_events(kafka_records(spark, events))
    assert parsed.where("parse_error IS NOT NULL").count() == 0
    m0, m5, m10 = (utc(f"2026-11-24T10:{m:02d}:00Z") for m in (0, 5, 10))
    assertDataFrameEqual(
        airport_windows(valid_events(parsed), "10 minutes"),
        [
            Row(window_start=m0, window_end=m5, airport="LHR", departures=2, arrivals=1, avg_departure_delay_min=15.0, avg_arrival_delay_min=-4.0),
            Row(window_start=m0, window_end=m5, airport="STN", departures=0, arrivals=1, avg_departure_delay_min=None, avg_arrival_delay_min=30.0),
            Row(window_start=m5, window_end=m10, airport="LHR", departures=1, arrivals=0, avg_departure_delay_min=0.0, avg_arrival_delay_min=None),
        ],
    )


def test_route_windows_count_departures_per_origin_and_destination(spark):
    events = [
        trip(1, "departed", "2026-11-24T10:01:00.000Z", "LHR", "JFK", departure_delay_min=10),
        trip(2, "departed", "2026-11-24T10:14:59.000Z", "LHR", "JFK", departure_delay_min=31),
        trip(3, "departed", "2026-11-24T10:05:00.000Z", "JFK", "LHR", departure_delay_min=0),  # the other direction
        trip(1, "landed", "2026-11-24T10:06:00.000Z", "LHR", "JFK", departure_delay_min=10),  # not a departure
        trip(4, "departed", "2026-11-24T10:15:00.000Z", "LHR", "JFK", departure_delay_min=5),  # next window
    ]
    parsed = parse_flight_events(kafka_records(spark, events))
    m0, m15, m30 = (utc(f"2026-11-24T10:{m:02d}:00Z") for m in (0, 15, 30))
    assertDataFrameEqual(
        route_windows(valid_events(parsed), "10 minutes"),
        [
            Row(window_start=m0, window_end=m15, origin="JFK", destination="LHR", flights=1, avg_departure_delay_min=0.0),
            Row(window_start=m0, window_end=m15, origin="LHR", destination="JFK", flights=2, avg_departure_delay_min=20.5),
            Row(window_start=m15, window_end=m30, origin="LHR", destination="JFK", flights=1, avg_departure_delay_min=5.0),
        ],
    )


def test_analytics_windows_hold_each_family_exactly_as_its_own_function_computes_it(spark):
    # GIVEN departures and arrivals of several airlines, airports and routes
    events = [
        trip(1, "departed", "2026-11-24T10:01:00.000Z", "LHR", "JFK", departure_delay_min=10),
        trip(2, "departed", "2026-11-24T10:07:00.000Z", "LHR", "CDG", departure_delay_min=40),
        trip(3, "arrived", "2026-11-24T10:02:00.000Z", "CDG", "LHR", arrival_delay_min=-4, departure_delay_min=0),
        trip(4, "departed", "2026-11-24T10:16:00.000Z", "JFK", "LHR", departure_delay_min=3, airline="AA"),
    ]
    valid = valid_events(parse_flight_events(kafka_records(spark, events)))
    # WHEN all families are computed together, as the job's one windows query does
    windows = analytics_windows(deduplicated_events(valid, "10 minutes"))
    # THEN splitting them again gives each family's own rows, and nothing else
    for family in WINDOW_FAMILIES:
        assertDataFrameEqual(family_rows(windows, family), family_windows(valid, "10 minutes", family))
    assert windows.count() == sum(family_windows(valid, "10 minutes", family).count() for family in WINDOW_FAMILIES)


def route_row(start: str, origin: str, destination: str, flights: int, delay: float | None) -> Row:
    window_start = utc(start)
    return Row(
        window_start=window_start, window_end=window_start.replace(minute=window_start.minute + 15),
        origin=origin, destination=destination, flights=flights, avg_departure_delay_min=delay,
    )


def test_top_delayed_routes_rank_each_window_by_average_delay_then_flights(spark):
    w0, w15 = "2026-11-24T10:00:00Z", "2026-11-24T10:15:00Z"
    routes = spark.createDataFrame([
        route_row(w0, "LHR", "JFK", 2, 20.5),
        route_row(w0, "JFK", "LHR", 1, 45.0),
        route_row(w0, "CDG", "LHR", 3, 20.5),  # same delay as LHR-JFK, more flights: ranks above it
        route_row(w0, "AMS", "LHR", 1, None),  # no delay known: not ranked
        route_row(w15, "LHR", "JFK", 1, 5.0),
    ])
    top = top_delayed_routes(routes, top=2)
    assertDataFrameEqual(
        top.select("window_start", "rank", "origin", "destination", "flights", "avg_departure_delay_min"),
        [
            Row(window_start=utc(w0), rank=1, origin="JFK", destination="LHR", flights=1, avg_departure_delay_min=45.0),
            Row(window_start=utc(w0), rank=2, origin="CDG", destination="LHR", flights=3, avg_departure_delay_min=20.5),
            Row(window_start=utc(w15), rank=1, origin="LHR", destination="JFK", flights=1, avg_departure_delay_min=5.0),
        ],
    )
    with pytest.raises(ValueError, match="top=0"):
        top_delayed_routes(routes, top=0)


def leg(n: int, seq: int, event_type: str, at: str, where: dict | None) -> dict:
    """Event `seq` of flight BA<n>; `where` is a position (or None)."""
    return event(
        event_id=f"BA{n}-x-{seq}", flight_id=f"BA{n}-x", flight_number=f"BA{n}", seq=seq, event_type=event_type,
        event_time=at, position=where, departure_delay_min=5,
    )


def test_latest_flight_positions_keep_the_last_event_and_the_last_position_per_flight_and_window(spark):
    p1, p2, p3, p4 = (position(lat_deg=50.0 + i, lon_deg=-1.0 - i) for i in range(4))
    events = [
        leg(1, 2, "departed", "2026-11-24T10:00:30.000Z", p1),
        leg(1, 4, "position", "2026-11-24T10:03:00.000Z", p3),
        leg(1, 3, "position", "2026-11-24T10:02:00.000Z", p2),  # arrives after a later event: must not win
        leg(1, 5, "position", "2026-11-24T10:06:00.000Z", p4),  # the next 5-minute window
        # flight 2 lands, then arrives without a position: the arrival is its last event, the landing its last fix
        leg(2, 6, "landed", "2026-11-24T10:01:00.000Z", p2),
        leg(2, 7, "arrived", "2026-11-24T10:04:00.000Z", None),
        # flight 3 has only a scheduled event: a row with no position
        leg(3, 1, "scheduled", "2026-11-24T10:01:00.000Z", None),
    ]
    valid = valid_events(parse_flight_events(kafka_records(spark, events)))
    assert valid.count() == len(events)
    positions = latest_flight_positions(valid, "10 minutes")

    m0, m5, m10 = (utc(f"2026-11-24T10:{m:02d}:00Z") for m in (0, 5, 10))

    def row(start, end, n, last_at, last_type, active, fix_at, fix):
        fix = fix or {}
        return Row(
            window_start=start, window_end=end, flight_id=f"BA{n}-x", airline="BA", flight_number=f"BA{n}",
            origin="LHR", destination="JFK", last_event_time=utc(last_at), last_event_type=last_type, active=active,
            position_time=utc(fix_at) if fix_at else None, lat_deg=fix.get("lat_deg"), lon_deg=fix.get("lon_deg"),
            altitude_ft=fix.get("altitude_ft"), ground_speed_kt=fix.get("ground_speed_kt"), heading_deg=fix.get("heading_deg"),
        )

    assertDataFrameEqual(
        positions,
        [
            row(m0, m5, 1, "2026-11-24T10:03:00Z", "position", True, "2026-11-24T10:03:00Z", p3),
            row(m5, m10, 1, "2026-11-24T10:06:00Z", "position", True, "2026-11-24T10:06:00Z", p4),
            row(m0, m5, 2, "2026-11-24T10:04:00Z", "arrived", False, "2026-11-24T10:01:00Z", p2),
            row(m0, m5, 3, "2026-11-24T10:01:00Z", "scheduled", True, None, None),
        ],
    )


def test_window_rows_become_kafka_records_keyed_by_kind_key_and_window_start(spark):
    rows = route_windows(
        valid_events(parse_flight_events(kafka_records(spark, [trip(1, "departed", "2026-11-24T10:01:00.000Z", "LHR", "JFK", departure_delay_min=10)]))),
        "10 minutes",
    )
    records = kafka_json_records(rows, "route_15min", ("origin", "destination")).collect()
    assert [r["key"] for r in records] == ["route_15min|LHR|JFK|2026-11-24T10:00:00Z"]
    assert json.loads(records[0]["value"]) == {
        "kind": "route_15min", "window_start": "2026-11-24T10:00:00.000Z", "window_end": "2026-11-24T10:15:00.000Z",
        "origin": "LHR", "destination": "JFK", "flights": 1, "avg_departure_delay_min": 10.0,
    }
