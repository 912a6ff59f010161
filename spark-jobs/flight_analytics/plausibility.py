"""Event-time plausibility: no single record may move the analytics' watermark out of reach.

A streaming watermark never goes back. The analytics' watermark is the largest event_time seen
minus --watermark-delay, so ONE well-formed event stamped 2099-01-01 would push it 73 years ahead,
and every later event would be dropped as late, for good and without an error. Such an event is
therefore quarantined before any query sees it (reason `event_time_ahead:<bound>`).

The reference is the record's own Kafka timestamp, not the job's clock and not the stream:
- The broker vouches for it. With CreateTime, Kafka 4 rejects a record stamped more than
  log.message.timestamp.after.max.ms (default 1 hour) after the broker's clock; with
  LogAppendTime it IS the broker's clock. So event_time <= kafka timestamp + bound <= broker
  clock + 2 bounds, whatever the producer's clock says about event_time.
- It is part of the record, so a replayed batch (same offsets) quarantines exactly the same
  records: the decision is deterministic, as exactly-once needs. The job's clock would decide a
  replay differently, and a reference taken from the stream (its watermark, a batch's median) is
  undefined for the first batch and can itself be moved by the records it judges.
- It costs one comparison per record and no state.
The bound (--max-event-ahead, default 1 hour, the broker's own default) is how far an event may be
stamped after it was handed to Kafka: clock skew between a producer's event clock and its Kafka
client's. Producers that stamp records with the event's own time (CreateTime = event_time) pass
trivially, and the broker's check applies to them instead.

Events far in the past need no bound: they do not move the watermark. The analytics drop them as
late (counted per query: late_dropped in SPARK_RESULT, SPARK_PROGRESS and /metrics), and events/
keeps them like any valid event.
"""
from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

EVENT_TIME_AHEAD = "event_time_ahead"
"""Quarantine reason prefix: `event_time_ahead:<bound>`."""


def quarantine_implausible_event_times(parsed: DataFrame, max_ahead: str) -> DataFrame:
    """`parsed` (transforms.parse_flight_events rows) with `parse_error` set to
    'event_time_ahead:<max_ahead>' on otherwise valid events whose event_time is more than
    `max_ahead` (e.g. '1 hour') after their Kafka record timestamp."""
    ahead = F.col("event_time") > F.col("kafka_timestamp") + F.expr(f"INTERVAL {max_ahead}")
    reason = F.when(F.col("parse_error").isNull() & ahead, F.lit(f"{EVENT_TIME_AHEAD}:{max_ahead}"))
    return parsed.withColumn("parse_error", F.coalesce(F.col("parse_error"), reason))
