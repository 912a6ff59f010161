"""progress.py: one JSON line per micro-batch, with rates, duration, offsets and per-partition lag."""
from __future__ import annotations

import io
import json
from types import SimpleNamespace

from flight_analytics.progress import ProgressLog, progress_record


def fake_progress(**changes):
    source = SimpleNamespace(
        description="KafkaV2[Subscribe[flights]]",
        endOffset=json.dumps({"flights": {"0": 100, "1": 40}}),
        latestOffset=json.dumps({"flights": {"0": 150, "1": 40}}),
    )
    fields = dict(
        name="airline_minute", batchId=3, numInputRows=140, inputRowsPerSecond=70.04,
        processedRowsPerSecond=120.55, batchDuration=1161, eventTime={"watermark": "2026-03-01T00:10:00.000Z"},
        sources=[source],
    )
    fields.update(changes)
    return SimpleNamespace(**fields)


def test_a_progress_becomes_one_record_with_lag_per_partition():
    assert progress_record(fake_progress()) == {
        "query": "airline_minute",
        "batch_id": 3,
        "input_rows": 140,
        "input_rows_per_sec": 70.0,
        "processed_rows_per_sec": 120.5,
        "batch_duration_ms": 1161,
        "watermark": "2026-03-01T00:10:00.000Z",
        "sources": [
            {
                "description": "KafkaV2[Subscribe[flights]]",
                "end_offset": {"flights": {"0": 100, "1": 40}},
                "lag_records": {"flights": {"0": 50, "1": 0}},
            }
        ],
    }


def test_the_listener_writes_one_prefixed_json_line_per_batch():
    out = io.StringIO()
    ProgressLog(out).onQueryProgress(SimpleNamespace(progress=fake_progress()))
    line = out.getvalue()
    assert line.startswith("SPARK_PROGRESS ") and line.count("\n") == 1
    assert json.loads(line.removeprefix("SPARK_PROGRESS "))["batch_id"] == 3


def test_a_malformed_progress_is_logged_not_raised():
    out = io.StringIO()
    ProgressLog(out).onQueryProgress(SimpleNamespace(progress=fake_progress(sources=[None])))
    assert "progress_log_error" in out.getvalue()
