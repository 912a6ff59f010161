"""Micro-batch progress: JSON lines for logs, and a Prometheus /metrics endpoint.

ProgressLog writes one line per batch of each query to stderr (stdout keeps the job's one
SPARK_RESULT line):

    SPARK_PROGRESS {"query":"windows","batch_id":3,"input_rows":2000,"input_rows_per_sec":...,
                    "processed_rows_per_sec":...,"batch_duration_ms":812,"state_bytes":4202880,"watermark":...,
                    "sources":[{"end_offset":{...},"lag_records":{...}}]}

ProgressMetrics keeps the latest of those records per query, and MetricsServer serves them, with
the job's record counters, in the Prometheus text format on http://<host>:<port>/metrics
(stdlib http.server; --metrics-port, 0 = off). Metric names carry their unit (_seconds, _records).

add_listeners registers them through one relay that reads each event as the JSON text Spark writes
for it: one call into the JVM per event. PySpark's own listener wrapper builds each event field by
field through Py4J instead, once per listener, and part of those calls make the JVM search every jar
of the class path for a class that is not there (observed metrics): about 7 % of a core in a
profile of the job (docs/spark-job.md).
"""
from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import TextIO

from pyspark.sql.streaming import StreamingQueryListener


def _offsets(text: object) -> object:
    """A source's offsets as reported: JSON for Kafka ({"topic": {"partition": offset}}), a
    source-specific text for others (kept as it is). Offsets already decoded (a progress read from
    Spark's JSON, progress_from_json) are kept as they are."""
    if text is not None and not isinstance(text, str):
        return text
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _kafka_offsets(offsets: object) -> bool:
    """Kafka source offsets are {"topic": {"partition": offset}}; a file source's are {"logOffset": n}."""
    return isinstance(offsets, dict) and all(isinstance(partitions, dict) for partitions in offsets.values())


def _state_operators(progress) -> list:
    """The batch's stateful operators (none for a stateless query)."""
    return getattr(progress, "stateOperators", None) or []


STATE_FILE_BYTES_METRIC = "rocksdbSstFileSize"
"""The RocksDB state store's custom metric: bytes of its SST files (0 until its first snapshot)."""


def state_memory_bytes(progress) -> int:
    """Memory of the query's state stores. With RocksDB's bounded memory (settings.py) each store
    reports its share of the JVM's one pool (block cache and write buffers), so this stays near or
    under the pool's size whatever the state holds."""
    return sum(op.memoryUsedBytes or 0 for op in _state_operators(progress))


def state_file_bytes(progress) -> int:
    """Bytes of the query's state stores' files (RocksDB's SST files): what grows with the keys held."""
    return sum(int((getattr(op, "customMetrics", None) or {}).get(STATE_FILE_BYTES_METRIC, 0) or 0)
               for op in _state_operators(progress))


def state_bytes(progress) -> int:
    """Bytes of the query's state: each store's memory, plus its files."""
    return state_memory_bytes(progress) + state_file_bytes(progress)


def late_dropped_rows(progress) -> int:
    """Rows the batch's stateful operators dropped as late (event_time behind the watermark).

    An operator sees the rows that reached it, so in the windows query a late event is counted by
    the de-duplication (the first operator), and an event that passed it but whose window had
    already closed is counted by the aggregation, once per window family it feeds."""
    return sum(op.numRowsDroppedByWatermark for op in _state_operators(progress))


def _rounded(rate: float | None) -> float | None:
    """A rate to one decimal; None when Spark has none (its JSON leaves out a rate that is NaN, as
    on a batch of no time)."""
    return None if rate is None or rate != rate else round(rate, 1)


def progress_from_json(progress: dict) -> SimpleNamespace:
    """A micro-batch's progress, decoded from the JSON text Spark writes for it, with the attribute
    names of PySpark's StreamingQueryProgress that progress_record reads. Offsets stay decoded
    (PySpark's own fromJson turns a Kafka source's offsets into a Python repr, not JSON)."""
    return SimpleNamespace(
        name=progress.get("name"),
        batchId=progress["batchId"],
        numInputRows=progress.get("numInputRows"),
        inputRowsPerSecond=progress.get("inputRowsPerSecond"),
        processedRowsPerSecond=progress.get("processedRowsPerSecond"),
        batchDuration=progress.get("batchDuration"),
        eventTime=progress.get("eventTime") or {},
        stateOperators=[
            SimpleNamespace(
                numRowsDroppedByWatermark=op.get("numRowsDroppedByWatermark", 0),
                memoryUsedBytes=op.get("memoryUsedBytes", 0),
                customMetrics=op.get("customMetrics") or {},
            )
            for op in progress.get("stateOperators", [])
        ],
        sources=[
            SimpleNamespace(
                description=source.get("description"),
                endOffset=source.get("endOffset"),
                latestOffset=source.get("latestOffset"),
            )
            for source in progress.get("sources", [])
        ],
    )


def progress_record(progress) -> dict:
    """The fields of a StreamingQueryProgress worth logging, with units in their names."""
    sources = []
    for source in progress.sources:
        end_offset = _offsets(source.endOffset)
        latest = _offsets(getattr(source, "latestOffset", None))
        lag = None
        if _kafka_offsets(end_offset) and _kafka_offsets(latest):
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
        "input_rows_per_sec": _rounded(progress.inputRowsPerSecond),
        "processed_rows_per_sec": _rounded(progress.processedRowsPerSecond),
        "batch_duration_ms": progress.batchDuration,
        # Bytes held by the query's state stores (windows, de-duplication ids) after the batch: in
        # memory, plus the store's files once it has written any. (Not rows: the job turns off
        # RocksDB's row count, which costs a read per write; settings.py.)
        "state_bytes": state_bytes(progress),
        # The same, apart: the files grow with the keys the state holds; the memory is RocksDB's
        # shared pool, capped by its configured size (settings.py).
        "state_memory_bytes": state_memory_bytes(progress),
        "state_file_bytes": state_file_bytes(progress),
        # Rows the query's stateful operators dropped because they arrived behind the watermark (late).
        "late_dropped_rows": late_dropped_rows(progress),
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
        # One write with its newline: the JVM logs to the same stderr, and a print() (the text, then
        # the newline) let a JVM line start in between, glued to ours (seen once in 8,584 lines).
        out.write(f"SPARK_PROGRESS {line}\n")
        out.flush()

    def onQueryIdle(self, event) -> None:
        pass

    def onQueryTerminated(self, event) -> None:
        pass


METRIC_PREFIX = "flight_analytics_"

_GAUGES = (
    # (metric, help, record field, scale)
    ("batch_id", "Id of the query's latest micro-batch", "batch_id", 1),
    ("input_rows_per_second", "Records per second arriving from Kafka, over the latest micro-batch", "input_rows_per_sec", 1),
    ("processed_rows_per_second", "Records per second the query processed in its latest micro-batch", "processed_rows_per_sec", 1),
    ("batch_duration_seconds", "Wall time of the latest micro-batch", "batch_duration_ms", 0.001),
    ("batch_input_records", "Records read from Kafka by the latest micro-batch", "input_rows", 1),
    ("state_bytes", "Bytes in the query's state stores (memory and files) after the latest micro-batch", "state_bytes", 1),
)


def _labels(**labels: object) -> str:
    def escape(value: object) -> str:  # the exposition format's three escapes: backslash, quote, newline
        return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    return "{" + ",".join(f'{k}="{escape(v)}"' for k, v in labels.items()) + "}"


def _number(value: float) -> str:
    """Whole numbers in full (offsets, Unix seconds), others as Python's shortest exact repr."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _watermark_seconds(text: str | None) -> float | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def prometheus_text(records: dict[str, dict], counters: dict[str, tuple[str, float]]) -> str:
    """The Prometheus text exposition (format 0.0.4) of the latest progress record of each query,
    and of `counters` ({name: (help, value)}, exposed as <prefix><name>_total; a value is a number,
    or a list of ({label: value}, number) for a labelled counter)."""
    lines: list[str] = []

    def family(name: str, kind: str, help_text: str, samples: list[tuple[str, float]]) -> None:
        if samples:
            lines.append(f"# HELP {METRIC_PREFIX}{name} {help_text}")
            lines.append(f"# TYPE {METRIC_PREFIX}{name} {kind}")
            lines.extend(f"{METRIC_PREFIX}{name}{labels} {_number(value)}" for labels, value in samples)

    queries = sorted(records)
    for name, help_text, key, scale in _GAUGES:
        family(name, "gauge", help_text, [
            (_labels(query=q), records[q][key] * scale) for q in queries if records[q].get(key) is not None
        ])
    family("watermark_seconds", "gauge", "Event-time watermark of the query, Unix seconds", [
        (_labels(query=q), _watermark_seconds(records[q].get("watermark"))) for q in queries
        if _watermark_seconds(records[q].get("watermark")) is not None
    ])
    lag, end = [], []
    for q in queries:
        for source in records[q].get("sources", []):
            for topic, partitions in sorted((source.get("lag_records") or {}).items()):
                lag += [(_labels(query=q, topic=topic, partition=p), v) for p, v in sorted(partitions.items(), key=lambda i: int(i[0]))]
            if _kafka_offsets(source.get("end_offset")):
                for topic, partitions in sorted(source["end_offset"].items()):
                    end += [(_labels(query=q, topic=topic, partition=p), v) for p, v in sorted(partitions.items(), key=lambda i: int(i[0]))]
    family("kafka_lag_records", "gauge", "Records on the partition not yet read by the query (latest offset - end offset of its batch)", lag)
    family("kafka_end_offset", "gauge", "Offset up to which the query has read the partition", end)
    family("late_dropped_records_total", "counter",
           "Rows the query's stateful operators dropped as late (behind the watermark), since the job started", [
               (_labels(query=q), records[q].get("late_dropped_total", 0)) for q in queries
               if records[q].get("late_dropped_total") is not None
           ])
    for name, (help_text, value) in sorted(counters.items()):
        samples = [(_labels(**labels), v) for labels, v in value] if isinstance(value, list) else [("", value)]
        family(f"{name}_total", "counter", help_text, samples)
    return "\n".join(lines) + "\n"


class ProgressMetrics(StreamingQueryListener):
    """Keeps the latest progress record of each query for MetricsServer (thread-safe: Spark calls
    the listener on its own thread, the HTTP server reads on others)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, dict] = {}

    def onQueryStarted(self, event) -> None:
        pass

    def onQueryProgress(self, event) -> None:
        try:
            record = progress_record(event.progress)
        except Exception:  # a metrics problem must never stop the query; the ProgressLog line says why
            return
        with self._lock:
            before = self._records.get(record["query"], {}).get("late_dropped_total", 0)
            record["late_dropped_total"] = before + record["late_dropped_rows"]
            self._records[record["query"]] = record

    def onQueryIdle(self, event) -> None:
        pass

    def onQueryTerminated(self, event) -> None:
        pass

    def records(self) -> dict[str, dict]:
        with self._lock:
            return dict(self._records)

    def wait_until_seen(self, queries, timeout_s: float = 10.0) -> None:
        """Listener events arrive asynchronously: wait until the last progress of each query is in."""
        deadline = time.monotonic() + timeout_s
        for query in queries:
            last = query.lastProgress
            while last is not None and self.records().get(query.name, {}).get("batch_id", -1) < last["batchId"]:
                if time.monotonic() >= deadline:
                    return
                time.sleep(0.05)


class _JsonEventRelay:
    """Spark's listener interface for Python (called through Py4J's callback server): decodes each
    event from one JVM call, its JSON, and hands it to every listener in turn. Only the progress
    event carries anything our listeners read; the others are passed on as Spark's JSON decoded."""

    def __init__(self, listeners: tuple[StreamingQueryListener, ...]) -> None:
        self.listeners = listeners

    def _relay(self, method: str, event: object) -> None:
        for listener in self.listeners:
            try:
                getattr(listener, method)(event)
            except Exception as err:  # one listener's failure must not keep the event from the others
                print(f"flight_analytics: {type(listener).__name__}.{method} failed: {err}", file=sys.stderr, flush=True)

    def onQueryStarted(self, jevent) -> None:  # noqa: N802 (Spark's interface)
        self._relay("onQueryStarted", SimpleNamespace(**json.loads(jevent.json())))

    def onQueryProgress(self, jevent) -> None:  # noqa: N802
        self._relay("onQueryProgress", SimpleNamespace(progress=progress_from_json(json.loads(jevent.json())["progress"])))

    def onQueryIdle(self, jevent) -> None:  # noqa: N802
        self._relay("onQueryIdle", SimpleNamespace(**json.loads(jevent.json())))

    def onQueryTerminated(self, jevent) -> None:  # noqa: N802
        self._relay("onQueryTerminated", SimpleNamespace(**json.loads(jevent.json())))

    class Java:
        implements = ["org.apache.spark.sql.streaming.PythonStreamingQueryListener"]


def add_listeners(spark, *listeners: StreamingQueryListener):
    """Registers `listeners` on the session's streaming queries through one relay (see the module
    docstring); returns the JVM listener, for spark._jsparkSession.streams().removeListener."""
    from pyspark.java_gateway import ensure_callback_server_started

    gateway = spark.sparkContext._gateway
    ensure_callback_server_started(gateway)
    jlistener = gateway.jvm.org.apache.spark.sql.streaming.PythonStreamingQueryListenerWrapper(_JsonEventRelay(listeners))
    spark._jsparkSession.streams().addListener(jlistener)
    return jlistener


class MetricsServer:
    """GET /metrics -> prometheus_text(...) of `metrics` and `counters()`, on a daemon thread.

        server = MetricsServer(metrics, counters, host="127.0.0.1", port=9108).start()
        ...
        server.stop()
    """

    def __init__(
        self, metrics: ProgressMetrics, counters: Callable[[], dict[str, tuple[str, float]]], host: str, port: int
    ) -> None:
        if not 0 < port < 65536:
            raise ValueError(f"port={port}: expected 1..65535 (0 means no metrics server: do not start one)")
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                if self.path.split("?")[0] != "/metrics":
                    self.send_error(404, "only /metrics is served here")
                    return
                body = prometheus_text(outer.metrics.records(), outer.counters()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args) -> None:  # noqa: A002 (http.server's signature)
                pass  # one line per scrape would drown the job's log

        self.metrics = metrics
        self.counters = counters
        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="metrics-server", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/metrics"

    def start(self) -> "MetricsServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
