"""One well-formed record must not silence the analytics.

The scenario from the issue, on a real broker and a real Spark job, with the same checkpoint:
  run 1: 3,000 good events plus one otherwise valid event stamped 2099-01-01 -> the 2099 event is
         quarantined (event_time_ahead), the good ones are aggregated;
  run 2: 3,000 more good events -> they are aggregated too (before the fix: 0 windows, for good);
  run 3: a few events far behind the watermark -> kept in events/, dropped by the windows as late,
         and counted as late_dropped (SPARK_RESULT) per query.
"""
from __future__ import annotations

import json
import uuid

import pandas as pd
import pytest

from local.pipeline import generate_events_file
from streaming_job import job_command, read_batches, run_job, send_raw_values

pytestmark = pytest.mark.e2e

SEED = 919
START_TIME = "2026-03-03T00:00:00.000Z"
GOOD_PER_RUN = 3_000
LATE_COUNT = 5
FUTURE_TIME = "2099-01-01T00:00:00.000Z"


@pytest.fixture(scope="module")
def three_runs(kafka_broker, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("poisoned-watermark")
    topic = f"flight-events-poison-{uuid.uuid4().hex[:8]}"
    kafka_broker.create_topic(topic, partitions=2)
    # 50 flights at once: each run's 3,000 events span hours of event time, so each closes windows.
    lines = generate_events_file(workdir / "good.jsonl", 2 * GOOD_PER_RUN, seed=SEED, start_time=START_TIME,
                                 extra_args=("--active-flights", "50")).read_text().splitlines()
    poison = {**json.loads(lines[10]), "event_id": "poison-2099", "event_time": FUTURE_TIME}
    # Copies of the first events under new ids: valid, but hours behind the watermark by run 3.
    late = [{**json.loads(line), "event_id": f"late-{i}"} for i, line in enumerate(lines[:LATE_COUNT])]
    cmd = job_command(kafka_broker.bootstrap_servers, topic, workdir / "output", workdir / "checkpoints",
                      "--trigger", "available-now", "--max-offsets-per-trigger", "2000", "--watermark-delay", "10 minutes")
    runs = []
    for values in (
        lines[:GOOD_PER_RUN // 2] + [json.dumps(poison)] + lines[GOOD_PER_RUN // 2:GOOD_PER_RUN],
        lines[GOOD_PER_RUN:],
        [json.dumps(e) for e in late],
    ):
        send_raw_values(kafka_broker, topic, values)
        windows_before = len(read_batches(workdir / "output" / "airline_minute")) if (workdir / "output" / "airline_minute").exists() else 0
        code, result, stderr = run_job(cmd)
        assert code == 0, stderr
        windows_after = len(read_batches(workdir / "output" / "airline_minute"))
        runs.append({"result": result, "new_airline_windows": windows_after - windows_before})
    return {"runs": runs, "output": workdir / "output", "good": [json.loads(line) for line in lines]}


def test_the_future_event_is_quarantined_with_its_own_reason(three_runs):
    first = three_runs["runs"][0]["result"]
    assert (first["processed"], first["quarantined"]) == (GOOD_PER_RUN, 1)
    quarantine = pd.read_parquet(three_runs["output"] / "quarantine")
    assert len(quarantine) == 1
    row = quarantine.iloc[0]
    assert row["reason"] == "event_time_ahead:1 hour"
    assert json.loads(row["raw_value"])["event_id"] == "poison-2099"


def test_the_analytics_go_on_after_the_future_event(three_runs):
    first, second = three_runs["runs"][0], three_runs["runs"][1]
    assert first["new_airline_windows"] > 0
    assert (second["result"]["processed"], second["result"]["quarantined"]) == (GOOD_PER_RUN, 0)
    # Run 2's events close windows of their own: before the fix it wrote none.
    assert second["new_airline_windows"] > 0
    assert second["result"]["windows"] > 0
    assert second["result"]["late_dropped"] == 0
    events = pd.read_parquet(three_runs["output"] / "events", columns=["event_id"])
    # Every good event is in events/ once (the late copies of run 3 come on top).
    good = {e["event_id"] for e in three_runs["good"]}
    assert set(events["event_id"]) - {f"late-{i}" for i in range(LATE_COUNT)} == good
    assert events["event_id"].isin(good).sum() == len(good)


def test_events_behind_the_watermark_are_kept_and_counted_as_late(three_runs):
    third = three_runs["runs"][2]["result"]
    assert (third["processed"], third["quarantined"]) == (LATE_COUNT, 0)
    # The windows query dropped every one of them, in its de-duplication; the events query keeps no state.
    assert third["late_dropped_by_query"] == {"events_quarantine": 0, "windows": LATE_COUNT}
    assert third["late_dropped"] == LATE_COUNT
    assert three_runs["runs"][2]["new_airline_windows"] == 0
    events = pd.read_parquet(three_runs["output"] / "events", columns=["event_id"])
    assert {f"late-{i}" for i in range(LATE_COUNT)} <= set(events["event_id"])
