"""The foreachBatch writers: every output of a batch, a replay replaces its Parquet output, and the
Kafka topic of JSON aggregates on a real broker."""
from __future__ import annotations

import json
import uuid

import pytest
from pyspark.sql import Row
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from flight_analytics.sinks import (
    EVENTS_HIGH_CARDINALITY_COLUMNS,
    EVENTS_POOL,
    SCHEDULER_POOL_PROPERTY,
    WINDOWS_POOL,
    BatchTotals,
    EventsWriter,
    KafkaOutput,
    WindowsWriter,
)
from flight_analytics.transforms import (
    WINDOW_FAMILIES,
    analytics_windows,
    deduplicated_events,
    family_windows,
    kafka_json_records,
    latest_flight_positions,
    parse_flight_events,
    route_windows,
    top_delayed_routes,
    valid_events,
)
from flight_events import DEPARTED, event, kafka_records


def test_a_replayed_batch_replaces_its_output_instead_of_duplicating_it(spark, tmp_path):
    writer = EventsWriter(str(tmp_path))
    batch0 = parse_flight_events(kafka_records(spark, [DEPARTED, "oops"]))
    batch1 = parse_flight_events(kafka_records(spark, [event(event_id="BA117-20261124-LHR-3", seq=3)], partition=1))

    writer(batch0, 0)
    writer(batch0, 0)  # the same batch again, as after a restart mid-batch
    writer(batch1, 1)

    events = spark.read.parquet(str(tmp_path / "events"))
    assertDataFrameEqual(
        events.select("event_id", "partition", "offset", "batch_id"),
        [
            Row(event_id="BA117-20261124-LHR-2", partition=0, offset=0, batch_id=0),
            Row(event_id="BA117-20261124-LHR-3", partition=1, offset=0, batch_id=1),
        ],
    )
    quarantine = spark.read.parquet(str(tmp_path / "quarantine"))
    assertDataFrameEqual(quarantine.select("raw_value", "reason", "batch_id"), [Row(raw_value="oops", reason="invalid_json", batch_id=0)])
    # Batch 1 had nothing to quarantine, so it wrote no quarantine folder at all.
    assert not (tmp_path / "quarantine" / "batch_id=1").exists()
    assert (writer.valid_rows, writer.quarantined_rows) == (2, 1)


def test_events_are_written_without_a_dictionary_for_distinct_valued_columns_only(spark, tmp_path):
    import pyarrow.parquet as pq

    # GIVEN a batch of 400 events (Parquet drops a dictionary that saves nothing, as for a handful of rows), written as the job writes them
    batch = [event(event_id=f"BA117-20261124-LHR-{seq}", seq=seq) for seq in range(400)]
    EventsWriter(str(tmp_path))(parse_flight_events(kafka_records(spark, batch)), 0)
    # WHEN the Parquet footer of events/ is read
    groups = [
        pq.ParquetFile(part).metadata.row_group(0) for part in (tmp_path / "events" / "batch_id=0").glob("*.parquet")
        if pq.ParquetFile(part).metadata.num_rows
    ]
    assert groups, "events/batch_id=0 holds no rows"
    encodings = [
        {g.column(i).path_in_schema: any("DICTIONARY" in e for e in g.column(i).encodings) for i in range(g.num_columns)}
        for g in groups
    ]
    # THEN in every file the distinct-valued columns are plain, and the low-cardinality ones keep a dictionary
    for dictionary in encodings:
        assert not [c for c in EVENTS_HIGH_CARDINALITY_COLUMNS if dictionary[c]], dictionary
        assert all(dictionary[c] for c in ("airline", "origin", "destination", "event_type", "flight_id")), dictionary


def trip(n: int, event_type: str, at: str, origin: str, destination: str, delay: int) -> dict:
    return event(
        event_id=f"BA{n}-{event_type}", flight_id=f"BA{n}", flight_number=f"BA{n}", event_type=event_type, event_time=at,
        origin=origin, destination=destination, departure_delay_min=delay, arrival_delay_min=delay if event_type == "arrived" else None,
    )


EVENTS = [
    trip(1, "departed", "2026-11-24T10:01:00.000Z", "LHR", "JFK", 10),
    trip(2, "departed", "2026-11-24T10:03:00.000Z", "LHR", "JFK", 30),
    trip(3, "departed", "2026-11-24T10:07:00.000Z", "CDG", "LHR", 50),
    trip(4, "arrived", "2026-11-24T10:08:00.000Z", "JFK", "LHR", 12),
    trip(5, "departed", "2026-11-24T10:20:00.000Z", "LHR", "AMS", 0),
]


def read_topic(spark, broker, topic: str):
    return (
        spark.read.format("kafka").option("kafka.bootstrap.servers", broker.bootstrap_servers).option("subscribe", topic)
        .option("startingOffsets", "earliest").load()
        .select(F.col("key").cast("string").alias("key"), F.col("value").cast("string").alias("value"))
    )


def test_the_windows_writer_writes_every_family_the_top_routes_and_json_aggregates_to_kafka(spark, tmp_path, kafka_broker):
    # GIVEN the windows of a few events, and a Kafka topic for the aggregates
    topic = f"flight-aggregates-{uuid.uuid4().hex[:8]}"
    kafka_broker.create_topic(topic, partitions=1)
    valid = valid_events(parse_flight_events(kafka_records(spark, EVENTS)))
    windows = analytics_windows(deduplicated_events(valid, "10 minutes"))
    writer = WindowsWriter(str(tmp_path), KafkaOutput(kafka_broker.bootstrap_servers, topic))

    # WHEN batch 3 is written, then written again (a replay after a crash)
    writer(windows, 3)
    writer(windows, 3)

    # THEN each family's folder holds its windows once
    for family in WINDOW_FAMILIES:
        written = spark.read.parquet(str(tmp_path / family.name))
        assert {r["batch_id"] for r in written.select("batch_id").collect()} == {3}
        assertDataFrameEqual(written.drop("batch_id"), family_windows(valid, "10 minutes", family))
    assertDataFrameEqual(
        spark.read.parquet(str(tmp_path / "top_delayed_routes")).drop("batch_id"),
        top_delayed_routes(route_windows(valid, "10 minutes")),
    )
    total = sum(family_windows(valid, "10 minutes", family).count() for family in WINDOW_FAMILIES)
    assert writer.windows_written == total

    # ... and the topic holds one JSON record per window and send: at-least-once, the same key and value again
    records = read_topic(spark, kafka_broker, topic)
    assert records.count() == 2 * total
    expected = None
    for family in WINDOW_FAMILIES:
        family_records = kafka_json_records(family_windows(valid, "10 minutes", family), family.name, family.keys)
        expected = family_records if expected is None else expected.unionByName(family_records)
    assertDataFrameEqual(records.distinct(), expected)
    route = [json.loads(r["value"]) for r in records.collect() if r["key"] == "route_15min|LHR|JFK|2026-11-24T10:00:00Z"][0]
    assert (route["flights"], route["avg_departure_delay_min"]) == (2, 20.0)


def test_the_kafka_output_reuses_the_sources_security_options_only():
    source_options = {
        "kafka.security.protocol": "SASL_SSL",
        "kafka.sasl.mechanism": "AWS_MSK_IAM",
        "kafka.sasl.jaas.config": "software.amazon.msk.auth.iam.IAMLoginModule required;",
        "kafka.ssl.truststore.location": "/etc/ssl/kafka.jks",
        "kafka.group.id": "flight-analytics",  # a consumer setting: not for the producer
        "kafka.isolation.level": "read_committed",
    }
    output = KafkaOutput.like_source("b-1:9098", "flight-aggregates", source_options)
    assert output.options == {k: v for k, v in source_options.items() if k.split(".")[1] in ("security", "sasl", "ssl")}


def test_the_events_writer_writes_each_batchs_latest_positions_and_replaces_a_replayed_batch(spark, tmp_path):
    parsed = parse_flight_events(kafka_records(spark, EVENTS))
    writer = EventsWriter(str(tmp_path))
    writer(parsed, 0)
    writer(parsed, 0)  # the same batch again, as after a restart mid-batch
    expected = latest_flight_positions(valid_events(parsed), None)
    assertDataFrameEqual(spark.read.parquet(str(tmp_path / "flight_positions")).drop("batch_id"), expected)
    assert writer.position_rows == expected.count() == len(EVENTS)


def test_each_writer_runs_its_batch_in_its_own_fair_scheduler_pool(spark, tmp_path):
    # GIVEN the job's settings (FAIR scheduling between pools) and two pools no job has used yet
    context = spark.sparkContext._jsc.sc()
    assert context.getSchedulingMode().toString() == "FAIR"
    events_pool, windows_pool = f"events-{uuid.uuid4().hex[:8]}", f"windows-{uuid.uuid4().hex[:8]}"
    assert not context.getPoolForName(events_pool).isDefined() and not context.getPoolForName(windows_pool).isDefined()
    parsed = parse_flight_events(kafka_records(spark, EVENTS))
    windows = analytics_windows(deduplicated_events(valid_events(parsed), "10 minutes"))

    # WHEN each writer writes a batch
    EventsWriter(str(tmp_path), pool=events_pool)(parsed, 0)
    WindowsWriter(str(tmp_path), pool=windows_pool)(windows, 0)

    # THEN Spark's FAIR scheduler made each pool for the jobs submitted to it, and the thread is back in the default pool
    assert context.getPoolForName(events_pool).isDefined() and context.getPoolForName(windows_pool).isDefined()
    assert spark.sparkContext.getLocalProperty(SCHEDULER_POOL_PROPERTY) is None
    # ... and the job's two writers use two different pools by default
    assert (EventsWriter("x").pool, WindowsWriter("x").pool) == (EVENTS_POOL, WINDOWS_POOL) and EVENTS_POOL != WINDOWS_POOL


def test_a_failed_windows_write_fails_the_batch_after_the_other_writes_end(spark, tmp_path):
    # GIVEN windows to write, where one family's folder cannot be made (a file is in its place)
    windows = analytics_windows(deduplicated_events(valid_events(parse_flight_events(kafka_records(spark, EVENTS))), "10 minutes"))
    (tmp_path / "airport_5min").write_text("not a folder")
    writer = WindowsWriter(str(tmp_path))

    # WHEN the batch is written, THEN the batch fails with that write's error, and counts nothing
    with pytest.raises(Exception, match="airport_5min"):
        writer(windows, 0)
    assert writer.windows_written == 0
    # ... the other writes ran to their end (none is left running), and the thread is back in the default pool
    assert spark.read.parquet(str(tmp_path / "airline_minute")).count() > 0
    assert spark.sparkContext.getLocalProperty(SCHEDULER_POOL_PROPERTY) is None


def test_batch_totals_count_a_replayed_batch_once_in_constant_memory():
    totals = BatchTotals()
    totals.record(0, {"valid": 5, "quarantined": 1})
    totals.record(1, {"valid": 7})
    totals.record(1, {"valid": 7})  # batch 1 again, as after a restart mid-batch
    totals.record(2, {"valid": 2, "quarantined": 3})
    assert (totals["valid"], totals["quarantined"], totals.total()) == (14, 4, 18)
    # Only the latest batch's figures are kept besides the totals, however many batches ran.
    assert totals.last_batch_id == 2 and totals.last == {"valid": 2, "quarantined": 3}

