"""Exactly-once across a crash: the job is SIGKILLed while a micro-batch is under way, restarted once
from its checkpoints, and every output equals an independent computation: no event lost, none
counted twice.

The restart replays the batch the kill interrupted. Spark 4.1.2 then fails that query while
reporting the replayed batch's progress (SPARK-55271: KafkaMicroBatchStream.metrics reads latest
offsets only a newly planned batch sets); the batch is committed by then, and the job starts that
query again in place (job.Queries), once. The replay rewrites its events/ folder: the analytics,
which read events/ as files, must still count every event once. So one restart is enough, as spark-operator would do it.
See docs/spark-job.md.
"""
from __future__ import annotations

import json
import uuid

import pandas as pd
import pytest

from local.pipeline import ProducerRun, generate_events_file, produce
from streaming_job import delivery_counts, job_command, read_batches, run_job, run_job_and_kill
from test_pipeline import comparable, expected_airline_minutes, expected_airport_windows, expected_route_windows

pytestmark = pytest.mark.e2e

SEED = 4242
START_TIME = "2026-03-02T00:00:00.000Z"
EVENT_COUNT = 3_000
LATER_SEED, LATER_START_TIME, LATER_COUNT = 4343, "2026-03-03T00:00:00.000Z", 500
"""Events sent while the job is down, a day later: a stream keeps flowing across a crash. They also
advance the watermark past every earlier window. A query that had processed all its data before the
kill, and was only waiting for its no-data batch to close windows, would otherwise never run that
batch on an available-now restart: Spark does not persist "another batch is due" in the checkpoint
(docs/spark-job.md, "Known Spark problems")."""
PARTITIONS = 2
MAX_OFFSETS_PER_TRIGGER = 1_000  # 3 micro-batches per query in all; the kill lands after 2 of them
QUERIES = ("events_quarantine", "windows")  # both read Kafka
WATERMARK_DELAY_MIN = 10  # expected_* assume the e2e default
RUN_TIMEOUT_S = 600  # a bound, not an expectation: each run takes 1-2 minutes on a quiet 2-core machine


@pytest.fixture(scope="module")
def recovered_run(kafka_broker, tmp_path_factory, fault_report):
    workdir = tmp_path_factory.mktemp("recovery")
    topic = f"flight-events-recovery-{uuid.uuid4().hex[:8]}"
    kafka_broker.create_topic(topic, partitions=PARTITIONS)
    truth_file = generate_events_file(workdir / "truth.jsonl", EVENT_COUNT, seed=SEED, start_time=START_TIME)
    truth = [json.loads(line) for line in truth_file.read_text().splitlines()]
    first = produce(kafka_broker.bootstrap_servers, topic, EVENT_COUNT, seed=SEED, start_time=START_TIME)

    output, checkpoints = workdir / "output", workdir / "checkpoints"
    common = ("--max-offsets-per-trigger", str(MAX_OFFSETS_PER_TRIGGER), "--watermark-delay", f"{WATERMARK_DELAY_MIN} minutes")
    # GIVEN a job killed (SIGKILL of driver and JVM, no clean shutdown) once every query has committed
    # 2 micro-batches and at least one has planned a batch it has not committed
    killed = run_job_and_kill(
        job_command(kafka_broker.bootstrap_servers, topic, output, checkpoints, "--trigger", "processing-time:1s", *common),
        [checkpoints / name for name in QUERIES],
        after_batches=2,
        timeout_s=RUN_TIMEOUT_S,
    )
    # AND more events arrive while it is down
    later = produce_while_down(kafka_broker, topic, workdir, truth)
    # WHEN it is started again on the same checkpoints, once
    code, result, stderr = run_job(
        job_command(kafka_broker.bootstrap_servers, topic, output, checkpoints, "--trigger", "available-now", *common),
        timeout_s=RUN_TIMEOUT_S,
    )
    written = pd.read_parquet(output / "events", columns=["event_id"])["event_id"] if (output / "events").exists() else pd.Series([], dtype=str)
    fault_report({
        "scenario": "Spark job kill -9 mid-batch and one restart from its checkpoints (local[2], 2 partitions)",
        "produced": first.sent + later.sent,
        "acknowledged": first.acked + later.acked,
        **delivery_counts(written, (e["event_id"] for e in truth)),
        "batches_committed_at_kill": killed.committed,
        "queries_killed_mid_batch": sorted(killed.mid_batch),
        "restart_exit_code": code,
    })
    return {"truth": truth, "output": output, "killed": killed, "code": code, "result": result, "stderr": stderr}


def produce_while_down(broker, topic: str, workdir, truth: list[dict]) -> ProducerRun:
    """Send LATER_COUNT more events and add them to the truth; every event id stays unique."""
    later = generate_events_file(workdir / "later.jsonl", LATER_COUNT, seed=LATER_SEED, start_time=LATER_START_TIME)
    truth += [json.loads(line) for line in later.read_text().splitlines()]
    assert len({e["event_id"] for e in truth}) == len(truth) == EVENT_COUNT + LATER_COUNT
    return produce(broker.bootstrap_servers, topic, LATER_COUNT, seed=LATER_SEED, start_time=LATER_START_TIME)


def check_killed_mid_batch_and_restarted(run: dict) -> None:
    """The first run was killed mid-batch after 2 committed batches, and the one restart exited 0."""
    killed = run["killed"]
    assert 2 <= killed.committed < EVENT_COUNT // MAX_OFFSETS_PER_TRIGGER
    assert killed.mid_batch, "the kill should interrupt a batch, so the restart has one to replay"
    assert run["code"] == 0, run["stderr"]
    # A query interrupted mid-batch replayed its batch, hit SPARK-55271 and was started again in
    # place. When a Spark release fixes the bug this fails: then drop job.Queries' restart and this assertion.
    for query in killed.mid_batch:
        assert f"query {query} hit the Spark Kafka metrics bug" in run["stderr"]


def check_every_event_once(output, truth: list[dict]) -> None:
    events = pd.read_parquet(output / "events", columns=["event_id"])
    assert len(events) == EVENT_COUNT + LATER_COUNT, "an event was lost or written twice"
    assert set(events["event_id"]) == {e["event_id"] for e in truth}


def check_windows_equal_the_truth(output, truth: list[dict]) -> None:
    """Every window family, each window once, equal to the recomputation from the truth."""
    for folder, expected, keys in (
        ("airline_minute", expected_airline_minutes(truth), ["window_start", "airline"]),
        ("airport_5min", expected_airport_windows(truth), ["window_start", "airport"]),
        ("route_15min", expected_route_windows(truth), ["window_start", "origin", "destination"]),
    ):
        assert len(expected) > 10, folder
        actual = read_batches(output / folder)
        assert not actual.duplicated(subset=keys).any(), f"{folder}: a window was written twice"
        pd.testing.assert_frame_equal(comparable(actual, expected, keys), expected, check_exact=False, rtol=1e-9, obj=folder)


def test_the_first_run_was_killed_mid_batch_and_one_restart_finishes_the_work(recovered_run):
    check_killed_mid_batch_and_restarted(recovered_run)


def test_every_event_is_written_exactly_once_across_the_crash(recovered_run):
    check_every_event_once(recovered_run["output"], recovered_run["truth"])


def test_windows_across_the_crash_equal_an_independent_computation(recovered_run):
    check_windows_equal_the_truth(recovered_run["output"], recovered_run["truth"])
