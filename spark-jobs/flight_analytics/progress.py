"""Micro-batch progress as JSON lines, one per batch of each query, for logs and scrapers.

    SPARK_PROGRESS {"query":"airline_minute","batch_id":3,"input_rows":2000,"input_rows_per_sec":...,
                    "processed_rows_per_sec":...,"batch_duration_ms":812,"sources":[{"end_offset":{...},"lag":{...}}]}

Written to stderr, so stdout keeps the job's one SPARK_RESULT line.
"""
from __future__ import annotations

import json
import sys
from typing import TextIO

from pyspark.sql.streaming import StreamingQueryListener


def progress_record(progress) -> dict:
    """The fields of a StreamingQueryProgress worth logging, with units in their names."""
    sources = []
    for source in progress.sources:
        end_offset = json.loads(source.endOffset) if source.endOffset else None
        latest = json.loads(source.latestOffset) if getattr(source, "latestOffset", None) else None
        lag = None
        if isinstance(end_offset, dict) and isinstance(latest, dict):
            # Kafka offsets: {"topic": {"partition": offset}}; lag = latest - processed, per partition.
            lag = {
                topic: {p: latest[topic][p] - end_offset.get(topic, {}).get(p, 0) for p in latest[topic]}
                for topic in latest
            }
        sources.append({"description": source.description, "end_offset": end_offset, "lag_records": lag})
    return {
        "query": progress.name,
        "batch_id": progress.batchId,
        "input_rows": progress.numInputRows,
        "input_rows_per_sec": round(progress.inputRowsPerSecond, 1),
        "processed_rows_per_sec": round(progress.processedRowsPerSecond, 1),
        "batch_duration_ms": progress.batchDuration,
        "watermark": (progress.eventTime or {}).get("watermark"),
        "sources": sources,
    }


class ProgressLog(StreamingQueryListener):
    """Logs every micro-batch's progress as one JSON line."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out

    def onQueryStarted(self, event) -> None:
        pass

    def onQueryProgress(self, event) -> None:
        out = self.out or sys.stderr
        try:
            line = json.dumps(progress_record(event.progress), separators=(",", ":"))
        except Exception as err:  # a logging problem must never stop the query
            line = json.dumps({"query": event.progress.name, "progress_log_error": str(err)})
        print("SPARK_PROGRESS " + line, file=out, flush=True)

    def onQueryIdle(self, event) -> None:
        pass

    def onQueryTerminated(self, event) -> None:
        pass
