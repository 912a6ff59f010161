"""End to end, with real components only: TypeScript producer -> embedded Kafka -> PySpark job.

The truth is computed independently: the producer's `generate` writes the very events `produce`
sends (same seed and start time) to a file, and plain Python recomputes what Spark must output.
"""
from __future__ import annotations

import json
import math
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest

from local.pipeline import generate_events_file, produce, run_spark_job

pytestmark = pytest.mark.e2e

SEED = 20261124
START_TIME = "2026-03-01T00:00:00.000Z"
EVENT_COUNT = 60_000
PARTITIONS = 4
WATERMARK_DELAY_MIN = 10
# Several micro-batches, so the watermark moves between batches as in production.
MAX_OFFSETS_PER_TRIGGER = EVENT_COUNT // 6


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def expected_airline_minutes(events: list[dict]) -> pd.DataFrame:
    """Per airline, per 1-minute tumbling window: what the Spark job must report, in plain Python.

    Only windows the final watermark (max event time - delay) has closed are final, because the
    Parquet sink appends a window once, when the watermark passes its end.
    """
    max_event_time = max(parse_time(e["event_time"]) for e in events)
    watermark = max_event_time - timedelta(minutes=WATERMARK_DELAY_MIN)
    groups: dict[tuple[datetime, str], dict] = defaultdict(
        lambda: {"events": 0, "departures": 0, "arrivals": 0, "cancellations": 0, "delays": []}
    )
    for e in events:
        t = parse_time(e["event_time"])
        window_start = t.replace(second=0, microsecond=0)
        g = groups[(window_start, e["airline"])]
        g["events"] += 1
        if e["event_type"] == "departed":
            g["departures"] += 1
            g["delays"].append(e["departure_delay_min"])
        elif e["event_type"] == "arrived":
            g["arrivals"] += 1
        elif e["event_type"] == "cancelled":
            g["cancellations"] += 1
    rows = []
    for (window_start, airline), g in groups.items():
        window_end = window_start + timedelta(minutes=1)
        if window_end > watermark:
            continue
        rows.append(
            {
                "window_start": window_start.replace(tzinfo=None),
                "airline": airline,
                "events": g["events"],
                "departures": g["departures"],
                "arrivals": g["arrivals"],
                "cancellations": g["cancellations"],
                "avg_departure_delay_min": sum(g["delays"]) / len(g["delays"]) if g["delays"] else math.nan,
                # percentile_approx is exact below 10,000 values: the smallest delay with >= 90% at or below it
                "p90_departure_delay_min": (
                    sorted(g["delays"])[math.ceil(0.9 * len(g["delays"])) - 1] if g["delays"] else math.nan
                ),
                "on_time_rate": sum(d <= 15 for d in g["delays"]) / len(g["delays"]) if g["delays"] else math.nan,
            }
        )
    return pd.DataFrame(rows).sort_values(["window_start", "airline"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def pipeline_run(kafka_broker, tmp_path_factory):
    workdir: Path = tmp_path_factory.mktemp("e2e")
    topic = f"flight-events-e2e-{uuid.uuid4().hex[:8]}"
    kafka_broker.create_topic(topic, partitions=PARTITIONS)

    truth_file = generate_events_file(workdir / "truth.jsonl", EVENT_COUNT, seed=SEED, start_time=START_TIME)
    truth = [json.loads(line) for line in truth_file.read_text().splitlines()]

    produced = produce(kafka_broker.bootstrap_servers, topic, EVENT_COUNT, seed=SEED, start_time=START_TIME)
    spark = run_spark_job(
        kafka_broker.bootstrap_servers,
        topic,
        workdir / "output",
        workdir / "checkpoints",
        extra_args=(
            "--max-offsets-per-trigger", str(MAX_OFFSETS_PER_TRIGGER),
            "--watermark-delay", f"{WATERMARK_DELAY_MIN} minutes",
        ),
    )
    return {"truth": truth, "produced": produced, "spark": spark, "output": workdir / "output"}


def test_producer_acknowledges_every_event(pipeline_run):
    produced = pipeline_run["produced"]
    assert (produced.sent, produced.acked, produced.errors) == (EVENT_COUNT, EVENT_COUNT, 0)


def test_generate_and_produce_describe_the_same_events(pipeline_run):
    truth = pipeline_run["truth"]
    assert len(truth) == EVENT_COUNT
    assert len({e["event_id"] for e in truth}) == EVENT_COUNT


def test_every_produced_event_is_processed_exactly_once(pipeline_run):
    events = pd.read_parquet(pipeline_run["output"] / "events")
    truth_ids = {e["event_id"] for e in pipeline_run["truth"]}
    assert len(events) == EVENT_COUNT, "an event was lost or written twice"
    assert events["event_id"].nunique() == EVENT_COUNT
    assert set(events["event_id"]) == truth_ids
    spark = pipeline_run["spark"]
    assert (spark.input_rows, spark.processed, spark.quarantined) == (EVENT_COUNT, EVENT_COUNT, 0)


def test_parsed_fields_equal_what_the_producer_sent(pipeline_run):
    events = pd.read_parquet(
        pipeline_run["output"] / "events",
        columns=["event_id", "flight_id", "seq", "event_type", "airline", "event_time", "departure_delay_min", "position"],
    ).set_index("event_id")
    mismatches = []
    for e in pipeline_run["truth"]:
        row = events.loc[e["event_id"]]
        spark_time = row["event_time"].tz_localize("UTC") if row["event_time"].tzinfo is None else row["event_time"]
        position = row["position"]
        spark_lat = None if position is None else position["lat_deg"]
        truth_lat = None if e["position"] is None else e["position"]["lat_deg"]
        delay = None if pd.isna(row["departure_delay_min"]) else int(row["departure_delay_min"])
        if (
            row["flight_id"] != e["flight_id"]
            or row["seq"] != e["seq"]
            or row["event_type"] != e["event_type"]
            or row["airline"] != e["airline"]
            or spark_time != pd.Timestamp(e["event_time"])
            or delay != e["departure_delay_min"]
            or spark_lat != truth_lat
        ):
            mismatches.append(e["event_id"])
    assert mismatches[:5] == [] and len(mismatches) == 0


def test_airline_minute_windows_equal_an_independent_computation(pipeline_run):
    expected = expected_airline_minutes(pipeline_run["truth"])
    actual = pd.read_parquet(pipeline_run["output"] / "airline_minute")
    actual["window_start"] = pd.to_datetime(actual["window_start"]).dt.tz_localize(None)
    actual = (
        actual[expected.columns]
        .astype(expected.dtypes.to_dict())
        .sort_values(["window_start", "airline"])
        .reset_index(drop=True)
    )
    assert len(expected) > 100, "the run should close many windows"
    assert pipeline_run["spark"].windows == len(actual)
    pd.testing.assert_frame_equal(actual, expected, check_exact=False, rtol=1e-9)
