"""The events/quarantine foreachBatch writer: both outputs from one batch, and a replay replaces."""
from __future__ import annotations

from pyspark.sql import Row
from pyspark.testing import assertDataFrameEqual

from flight_analytics.sinks import EventsAndQuarantineWriter
from flight_analytics.transforms import parse_flight_events
from flight_events import DEPARTED, event, kafka_records


def test_a_replayed_batch_replaces_its_output_instead_of_duplicating_it(spark, tmp_path):
    writer = EventsAndQuarantineWriter(str(tmp_path))
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
