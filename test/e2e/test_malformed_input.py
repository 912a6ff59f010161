"""Malformed records in a live topic: every one is quarantined with its reason and offset, the good
events around them are aggregated exactly as if the bad ones were not there, and the job exits 0."""
from __future__ import annotations

import json
import uuid

import pandas as pd
import pytest

from local.pipeline import generate_events_file
from streaming_job import job_command, read_batches, run_job, send_raw_values
from test_pipeline import comparable, expected_airline_minutes

pytestmark = pytest.mark.e2e

SEED = 777
START_TIME = "2026-03-03T00:00:00.000Z"
GOOD_COUNT = 6_000
RESENT_EVERY = 500  # every 500th good event is sent a second time, a few records later (a producer retry)
WATERMARK_DELAY_MIN = 10


def malformed_kinds(good: dict) -> list[tuple[str, str]]:
    """(raw value, expected reason): one of each kind the job tells apart, made from a real event."""

    def changed(**changes) -> str:
        e = json.loads(json.dumps(good))
        for name, value in changes.items():
            if value is ...:
                e.pop(name)
            else:
                e[name] = value
        return json.dumps(e)

    position = {"lat_deg": 51.47, "lon_deg": -0.45, "altitude_ft": 0, "ground_speed_kt": 150, "heading_deg": 270.0}
    return [
        ("not json at all", "invalid_json"),
        ('{"event_id": "x",', "invalid_json"),
        ("[1, 2, 3]", "invalid_json"),
        (changed(flight_id=...), "missing_required:flight_id"),
        (changed(event_time=None), "missing_required:event_time"),
        (changed(gate="A12"), "unexpected_field:gate"),
        (changed(seq="two"), "invalid_type:seq"),
        (changed(event_time="yesterday"), "invalid_format:event_time"),
        (changed(schema_version=2), "unsupported_schema_version:2"),
        (changed(event_type="taxiing"), "unknown_event_type:taxiing"),
        (changed(position={**position, "lat_deg": 90.5}), "out_of_range:position.lat_deg"),
        (changed(departure_delay_min=-61), "out_of_range:departure_delay_min"),
        (changed(airline="ba"), "invalid_format:airline"),
    ]


@pytest.fixture(scope="module")
def mixed_run(kafka_broker, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("malformed")
    topic = f"flight-events-malformed-{uuid.uuid4().hex[:8]}"
    kafka_broker.create_topic(topic, partitions=1)  # one partition: a record's offset is its position below
    lines = generate_events_file(workdir / "good.jsonl", GOOD_COUNT, seed=SEED, start_time=START_TIME).read_text().splitlines()
    good = [json.loads(line) for line in lines]
    bad = malformed_kinds(good[0])
    # GIVEN a topic where a malformed record follows every few hundred good ones
    values, expected_quarantine, stride, resent = [], {}, GOOD_COUNT // len(bad), 0
    for i, line in enumerate(lines):
        values.append(line)
        if i % RESENT_EVERY == 3:
            values.append(lines[i - 3])
            resent += 1
        if i % stride == stride - 1 and len(expected_quarantine) < len(bad):
            raw, reason = bad[len(expected_quarantine)]
            expected_quarantine[len(values)] = (raw, reason)
            values.append(raw)
    send_raw_values(kafka_broker, topic, values)
    # WHEN the job reads it in several micro-batches
    output = workdir / "output"
    code, result, stderr = run_job(
        job_command(
            kafka_broker.bootstrap_servers, topic, output, workdir / "checkpoints", "--trigger", "available-now",
            "--max-offsets-per-trigger", "2000", "--watermark-delay", f"{WATERMARK_DELAY_MIN} minutes",
        )
    )
    return {"resent": resent, "code": code, "result": result, "stderr": stderr, "good": good, "expected_quarantine": expected_quarantine, "output": output}


def test_the_job_finishes_with_exit_0(mixed_run):
    assert mixed_run["code"] == 0, mixed_run["stderr"]
    # events/ is the log of every valid record, so a re-sent event is in it twice (different offsets)
    assert mixed_run["result"]["processed"] == GOOD_COUNT + mixed_run["resent"]
    assert mixed_run["result"]["quarantined"] == len(mixed_run["expected_quarantine"])


def test_every_bad_record_is_quarantined_with_its_reason_raw_value_and_offset(mixed_run):
    quarantine = pd.read_parquet(mixed_run["output"] / "quarantine")
    actual = {int(row.offset): (row.raw_value, row.reason) for row in quarantine.itertuples()}
    assert actual == mixed_run["expected_quarantine"]


def test_good_events_are_all_kept_and_aggregated_as_if_the_bad_and_re_sent_ones_were_absent(mixed_run):
    events = pd.read_parquet(mixed_run["output"] / "events", columns=["event_id"])
    assert mixed_run["resent"] > 5
    assert set(events["event_id"]) == {e["event_id"] for e in mixed_run["good"]}
    assert len(events) == GOOD_COUNT + mixed_run["resent"]
    # the windows count each event once: de-duplicated by event_id within the watermark
    expected = expected_airline_minutes(mixed_run["good"])
    actual = comparable(read_batches(mixed_run["output"] / "airline_minute"), expected, ["window_start", "airline"])
    pd.testing.assert_frame_equal(actual, expected, check_exact=False, rtol=1e-9)
