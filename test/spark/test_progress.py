"""progress.py: one JSON line per micro-batch, with rates, duration, offsets and per-partition lag,
and the same figures on a Prometheus /metrics endpoint, scraped from a real streaming query."""
from __future__ import annotations

import io
import json
import re
import time
import urllib.error
import urllib.request
import uuid
from types import SimpleNamespace

import pytest

from flight_analytics.job import written_counters
from flight_analytics.progress import (
    MetricsServer,
    ProgressLog,
    ProgressMetrics,
    add_listeners,
    progress_from_json,
    progress_record,
    prometheus_text,
)
from flight_analytics.sinks import EventsWriter
from flight_analytics.transforms import parse_flight_events
from flight_events import event
from local.embedded_kafka import free_port


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
        "state_bytes": 0,
        "state_memory_bytes": 0,
        "state_file_bytes": 0,
        "late_dropped_rows": 0,
        "watermark": "2026-03-01T00:10:00.000Z",
        "sources": [
            {
                "description": "KafkaV2[Subscribe[flights]]",
                "end_offset": {"flights": {"0": 100, "1": 40}},
                "lag_records": {"flights": {"0": 50, "1": 0}},
            }
        ],
    }


def test_a_progress_read_from_sparks_json_gives_the_same_record():
    # Spark's JSON for a progress (StreamingQueryProgress.json): Kafka offsets are nested objects,
    # and a rate that is NaN is left out.
    text = json.dumps({
        "id": str(uuid.uuid4()), "runId": str(uuid.uuid4()), "name": "airline_minute", "timestamp": "2026-03-01T00:10:01.000Z",
        "batchId": 3, "batchDuration": 1161, "numInputRows": 140, "processedRowsPerSecond": 120.55,
        "durationMs": {"triggerExecution": 1161}, "eventTime": {"watermark": "2026-03-01T00:10:00.000Z"},
        "stateOperators": [{"operatorName": "transformWithStateExec", "numRowsTotal": 0, "memoryUsedBytes": 1000,
                            "numRowsDroppedByWatermark": 2, "customMetrics": {"rocksdbSstFileSize": 500}}],
        "sources": [{"description": "KafkaV2[Subscribe[flights]]", "startOffset": {"flights": {"0": 60, "1": 40}},
                     "endOffset": {"flights": {"0": 100, "1": 40}}, "latestOffset": {"flights": {"0": 150, "1": 40}},
                     "numInputRows": 140}],
        "sink": {"description": "ForeachBatchSink", "numOutputRows": -1},
    })
    record = progress_record(progress_from_json(json.loads(text)))
    assert record["input_rows_per_sec"] is None and record["processed_rows_per_sec"] == 120.5
    assert (record["state_bytes"], record["late_dropped_rows"]) == (1500, 2)
    assert (record["state_memory_bytes"], record["state_file_bytes"]) == (1000, 500)
    assert record["sources"] == [{
        "description": "KafkaV2[Subscribe[flights]]",
        "end_offset": {"flights": {"0": 100, "1": 40}},
        "lag_records": {"flights": {"0": 50, "1": 0}},
    }]
    assert (record["query"], record["batch_id"], record["batch_duration_ms"]) == ("airline_minute", 3, 1161)


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


def test_a_file_source_progress_keeps_its_offsets_and_has_no_kafka_lag():
    # The analytics queries read events/ as a Parquet stream: its offsets are not Kafka's, and the
    # latest offset can be a text that is not JSON.
    files = SimpleNamespace(description="FileStreamSource[file:/out/events]", endOffset='{"logOffset":2}', latestOffset="-")
    record = progress_record(fake_progress(sources=[files]))
    assert record["sources"] == [{"description": "FileStreamSource[file:/out/events]", "end_offset": {"logOffset": 2}, "lag_records": None}]
    assert "kafka_end_offset" not in prometheus_text({"windows": record}, {})


def test_a_progress_counts_the_bytes_of_every_state_store_in_memory_and_in_files():
    stores = [
        SimpleNamespace(memoryUsedBytes=4000, customMetrics={"rocksdbSstFileSize": 600}, numRowsDroppedByWatermark=0),
        SimpleNamespace(memoryUsedBytes=200, customMetrics={}, numRowsDroppedByWatermark=0),
    ]
    record = progress_record(fake_progress(stateOperators=stores))
    # THEN the total, and memory and files apart (the soak judges them apart)
    assert (record["state_bytes"], record["state_memory_bytes"], record["state_file_bytes"]) == (4800, 4200, 600)


def test_late_rows_are_counted_per_batch_and_summed_per_query_on_metrics():
    # The de-duplication drops 3 late rows, the aggregation 1 more (an event whose window had closed).
    stores = [SimpleNamespace(memoryUsedBytes=5, numRowsDroppedByWatermark=3), SimpleNamespace(memoryUsedBytes=2, numRowsDroppedByWatermark=1)]
    assert progress_record(fake_progress(stateOperators=stores))["late_dropped_rows"] == 4
    metrics = ProgressMetrics()
    for batch_id, late in ((1, 4), (2, 0), (3, 2)):
        dropped = [SimpleNamespace(memoryUsedBytes=1, numRowsDroppedByWatermark=late)]
        metrics.onQueryProgress(SimpleNamespace(progress=fake_progress(name="windows", batchId=batch_id, stateOperators=dropped)))
    text = prometheus_text(metrics.records(), {})
    assert "# TYPE flight_analytics_late_dropped_records_total counter" in text
    assert 'flight_analytics_late_dropped_records_total{query="windows"} 6' in text


def test_prometheus_text_has_one_typed_family_per_figure_with_whole_offsets():
    record = progress_record(fake_progress(batchId=9, sources=[SimpleNamespace(
        description="KafkaV2", endOffset=json.dumps({"flights": {"0": 123456789}}), latestOffset=json.dumps({"flights": {"0": 123456799}}),
    )]))
    counters = {"quarantined_records": ("Records quarantined", [({"reason": "invalid_json"}, 12), ({"reason": "out_of_range"}, 1)]),
                "window_rows": ("Window rows", 7)}
    text = prometheus_text({"windows": record}, counters)
    assert "# TYPE flight_analytics_batch_duration_seconds gauge" in text
    assert 'flight_analytics_batch_duration_seconds{query="windows"} 1.161' in text
    assert 'flight_analytics_kafka_end_offset{query="windows",topic="flights",partition="0"} 123456789' in text
    assert 'flight_analytics_kafka_lag_records{query="windows",topic="flights",partition="0"} 10' in text
    assert ("# TYPE flight_analytics_quarantined_records_total counter\n"
            'flight_analytics_quarantined_records_total{reason="invalid_json"} 12\n'
            'flight_analytics_quarantined_records_total{reason="out_of_range"} 1\n') in text
    assert "# TYPE flight_analytics_window_rows_total counter\nflight_analytics_window_rows_total 7\n" in text
    assert 'flight_analytics_watermark_seconds{query="windows"} 1772323800' in text


def scrape(url: str) -> dict[str, float]:
    """{'name{labels}': value} of every sample on a /metrics page."""
    text = urllib.request.urlopen(url, timeout=10).read().decode()
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def test_the_metrics_endpoint_serves_a_real_querys_progress_lag_and_quarantine_count(spark, kafka_broker, tmp_path):
    # GIVEN a topic of 2 partitions with 10 good and 3 malformed records
    topic = f"flight-events-metrics-{uuid.uuid4().hex[:8]}"
    kafka_broker.create_topic(topic, partitions=2)
    values = [json.dumps(event(event_id=f"BA117-20261124-LHR-{i}", seq=i)) for i in range(10)] + ["oops", "{", "[]"]
    spark.createDataFrame([(i % 2, v) for i, v in enumerate(values)], "partition int, value string").write.format("kafka").option(
        "kafka.bootstrap.servers", kafka_broker.bootstrap_servers
    ).option("topic", topic).save()
    end_offsets = kafka_broker.topic_end_offsets(topic)
    assert sum(end_offsets.values()) == len(values)

    # WHEN a streaming query reads it, 4 records per micro-batch, with the metrics listener and server on
    metrics, log = ProgressMetrics(), io.StringIO()
    jlistener = add_listeners(spark, metrics, ProgressLog(log))
    server = MetricsServer(metrics, lambda: written_counters(writer), "127.0.0.1", free_port()).start()
    writer = EventsWriter(str(tmp_path / "out"))
    try:
        records = (
            spark.readStream.format("kafka").option("kafka.bootstrap.servers", kafka_broker.bootstrap_servers)
            .option("subscribe", topic).option("startingOffsets", "earliest").option("maxOffsetsPerTrigger", "4").load()
        )
        query = (
            parse_flight_events(records).writeStream.queryName("metrics_probe").foreachBatch(writer)
            .option("checkpointLocation", str(tmp_path / "ck")).trigger(availableNow=True).start()
        )
        query.awaitTermination(300)
        assert query.exception() is None and not query.isActive
        last_batch = query.lastProgress["batchId"]
        deadline = time.monotonic() + 30  # listener events arrive asynchronously
        while metrics.records().get("metrics_probe", {}).get("batch_id") != last_batch and time.monotonic() < deadline:
            time.sleep(0.1)

        # THEN /metrics has the query's latest figures, per-partition offsets and lag, and the quarantine count
        samples = scrape(server.url)
        q = '{query="metrics_probe"}'
        assert samples[f"flight_analytics_batch_id{q}"] == last_batch >= 3  # 13 records, at most 4 per batch
        for name in ("input_rows_per_second", "processed_rows_per_second", "batch_duration_seconds"):
            assert samples[f"flight_analytics_{name}{q}"] >= 0
        for partition, offset in end_offsets.items():
            labels = f'{{query="metrics_probe",topic="{topic}",partition="{partition}"}}'
            assert samples[f"flight_analytics_kafka_end_offset{labels}"] == offset
            assert samples[f"flight_analytics_kafka_lag_records{labels}"] == 0  # all read by the last batch
        # "oops" and "{" are not JSON; "[]" is JSON but not an object, which is invalid_json too
        assert samples['flight_analytics_quarantined_records_total{reason="invalid_json"}'] == 3
        # ... and while it ran, the lag the first batches left behind was reported
        first = json.loads(log.getvalue().splitlines()[0].removeprefix("SPARK_PROGRESS "))
        assert 0 < first["input_rows"] <= 4 and sum(first["sources"][0]["lag_records"][topic].values()) == len(values) - first["input_rows"]
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(server.url.replace("/metrics", "/other"), timeout=10)
    finally:
        server.stop()
        spark._jsparkSession.streams().removeListener(jlistener)
