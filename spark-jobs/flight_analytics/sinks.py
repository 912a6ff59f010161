"""Where parsed flight events go, each write exactly once per micro-batch.

events/ and quarantine/ come from one foreachBatch query that parses a batch once and writes
both. foreachBatch is at-least-once by itself (a batch that failed half-way is replayed after a
restart, with the same batch id and the same offsets), so each batch is written to its own
batch_id=<n> folder in overwrite mode: a replay replaces its earlier output instead of adding to it.
Readers see the usual partitioned Parquet layout (spark.read.parquet(".../events")).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from flight_analytics.transforms import quarantined_events, valid_events


@dataclass
class BatchCounts:
    valid: int
    quarantined: int


@dataclass
class EventsAndQuarantineWriter:
    """foreachBatch function: parsed batch -> <output_dir>/events and <output_dir>/quarantine."""

    output_dir: str
    counts_by_batch: dict[int, BatchCounts] = field(default_factory=dict)
    """Rows written per batch id; a replayed batch overwrites its entry, so totals count it once."""

    def __call__(self, parsed: DataFrame, batch_id: int) -> None:
        parsed.persist()
        try:
            # One pass over the cached batch counts both outcomes; a side with no rows writes nothing.
            by_outcome = {
                row["valid"]: row["rows"]
                for row in parsed.groupBy(F.col("parse_error").isNull().alias("valid")).agg(F.count(F.lit(1)).alias("rows")).collect()
            }
            counts = BatchCounts(valid=by_outcome.get(True, 0), quarantined=by_outcome.get(False, 0))
            if counts.valid:
                valid_events(parsed).write.mode("overwrite").parquet(self.batch_path("events", batch_id))
            if counts.quarantined:
                quarantined_events(parsed).write.mode("overwrite").parquet(self.batch_path("quarantine", batch_id))
            self.counts_by_batch[batch_id] = counts
        finally:
            parsed.unpersist()

    def batch_path(self, sink: str, batch_id: int) -> str:
        return f"{self.output_dir}/{sink}/batch_id={batch_id}"

    @property
    def valid_rows(self) -> int:
        return sum(c.valid for c in self.counts_by_batch.values())

    @property
    def quarantined_rows(self) -> int:
        return sum(c.quarantined for c in self.counts_by_batch.values())
