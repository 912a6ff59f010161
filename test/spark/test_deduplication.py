"""The streaming de-duplication (transforms.deduplicated_events: FlightDeduplication, one state value
per flight) on a real stream, micro-batch by micro-batch: what it keeps, what it drops as a copy or as
late, and that a flight's state is cleared once the watermark has passed every id in it."""
from __future__ import annotations

import json

from pyspark.sql.types import StringType, StructField, StructType, TimestampType

from flight_analytics.transforms import deduplicated_events

SCHEMA = StructType([
    StructField("flight_id", StringType()),
    StructField("event_id", StringType()),
    StructField("event_time", TimestampType()),
])
DELAY = "10 minutes"


def test_each_event_of_a_flight_is_kept_once_copies_and_late_events_are_dropped_and_state_is_cleared(spark, tmp_path):
    source, checkpoint = tmp_path / "in", tmp_path / "checkpoint"
    source.mkdir()
    stream = spark.readStream.schema(SCHEMA).option("maxFilesPerTrigger", 1).json(str(source))
    query = (
        deduplicated_events(stream, DELAY).writeStream.format("memory").queryName("dedup_out")
        .option("checkpointLocation", str(checkpoint)).outputMode("append").start()
    )
    try:
        def batch(n: int, *events: tuple[str, str, str]) -> None:
            lines = [json.dumps({"flight_id": f, "event_id": e, "event_time": f"2026-03-01T{t}:00Z"}) for f, e, t in events]
            (source / f"{n:02d}.json").write_text("\n".join(lines) + "\n")
            query.processAllAvailable()

        # 1: a copy in the same batch is dropped; the same id on another flight is another event.
        batch(1, ("A", "e1", "00:00"), ("A", "e2", "00:01"), ("A", "e1", "00:00"), ("B", "e1", "00:00"))
        # 2: A's e1 re-sent within the delay is dropped; e3 moves the watermark to 00:20 for batch 3.
        batch(2, ("A", "e1", "00:05"), ("A", "e3", "00:30"))
        # 3: an event behind the watermark (00:20) is dropped as late, a new one on time is kept.
        batch(3, ("A", "e2", "00:01"), ("C", "e4", "00:25"))
        # 4: C's e9 moves the watermark to 00:50 for the next batch, past every id of A and B.
        batch(4, ("C", "e9", "01:00"))
        # 5: A's e1 again: its id expired with the flight's state, so it is kept as a new event.
        batch(5, ("A", "e1", "00:55"))
        progress = query.recentProgress  # every batch, the no-data ones Spark runs for the timers too
        kept = sorted((r.flight_id, r.event_id, r.event_time.strftime("%H:%M")) for r in spark.table("dedup_out").collect())
    finally:
        query.stop()

    assert kept == [
        ("A", "e1", "00:00"), ("A", "e1", "00:55"), ("A", "e2", "00:01"), ("A", "e3", "00:30"),
        ("B", "e1", "00:00"), ("C", "e4", "00:25"), ("C", "e9", "01:00"),
    ]
    dropped_late = sum(op["numRowsDroppedByWatermark"] for p in progress for op in p["stateOperators"])
    assert dropped_late == 1, [p["stateOperators"] for p in progress]
    # The flights' state, read back with Spark's state data source: after batch 5, with the
    # watermark at 00:50, A holds its new e1 and C still has e9 inside the delay (it expires at
    # 01:10); B's timer (00:10) fired and cleared its state.
    state = spark.read.format("statestore").option("stateVarName", "seen_ids").load(str(checkpoint))
    flights = sorted(row.key.value for row in state.collect())
    assert flights == ["A", "C"], flights


def test_a_batch_dataframe_drops_copies_per_flight(spark):
    rows = [("A", "e1", "2026-03-01 00:00:00"), ("A", "e1", "2026-03-01 00:00:00"), ("B", "e1", "2026-03-01 00:00:00")]
    events = spark.createDataFrame(rows, "flight_id string, event_id string, event_time string").selectExpr(
        "flight_id", "event_id", "cast(event_time as timestamp) as event_time"
    )
    assert sorted(tuple(r) for r in deduplicated_events(events, DELAY).select("flight_id", "event_id").collect()) == [
        ("A", "e1"), ("B", "e1"),
    ]
