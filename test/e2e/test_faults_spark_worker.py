"""Spark worker failure: the job runs on a standalone master + 3 workers (local/multi_node.py);
one worker and its executor are killed (SIGKILL) mid-stream. The job must finish on the other two
and its aggregates must equal an independent recomputation: no event lost, none counted twice.

Real processes only: a real Kafka broker, the TypeScript producer, Spark's own Master and Worker
daemons (pyspark's spark-class) and the job's CLI. The counts are printed as one FAULT_RESULT line and in the run's summary.
"""
from __future__ import annotations

import json
import os
import subprocess
import time
import uuid

import pandas as pd
import pytest

from local.pipeline import generate_events_file, produce
from local.multi_node import SparkStandalone
from streaming_job import PROJECT_ROOT, committed_batches, delivery_counts, job_command, job_env, read_batches
from test_pipeline import comparable, expected_airline_minutes

pytestmark = pytest.mark.e2e

SEED = 909
START_TIME = "2026-03-04T00:00:00.000Z"
EVENT_COUNT = 4_000
# Few flights in the air stretch 4,000 events over ~40 minutes of event time: windows get closed.
SIMULATION = ("--active-flights", "100")
PARTITIONS = 3
MAX_OFFSETS_PER_TRIGGER = 2_000  # 2 micro-batches per query; the kill lands once a query committed its first
WATERMARK_DELAY_MIN = 10  # expected_airline_minutes assumes the e2e default
KILLED_WORKER = 0
# A bound, not an estimate: 3 cold executors on 2 busy cores take minutes for their first batch.
JOB_TIMEOUT_S = 420


def query_commits(checkpoints) -> list[int]:
    """Micro-batches each of the job's queries (one checkpoint folder each) has committed."""
    return [committed_batches(q) for q in checkpoints.iterdir() if q.is_dir()] if checkpoints.is_dir() else []


@pytest.fixture(scope="module")
def worker_fault_run(kafka_broker, tmp_path_factory, fault_report):
    workdir = tmp_path_factory.mktemp("fault-worker")
    topic = f"flight-events-worker-fault-{uuid.uuid4().hex[:8]}"
    kafka_broker.create_topic(topic, partitions=PARTITIONS)
    truth_file = generate_events_file(
        workdir / "truth.jsonl", EVENT_COUNT, seed=SEED, start_time=START_TIME, extra_args=SIMULATION
    )
    truth = [json.loads(line) for line in truth_file.read_text().splitlines()]
    produced = produce(kafka_broker.bootstrap_servers, topic, EVENT_COUNT, seed=SEED, start_time=START_TIME,
                       extra_args=(*SIMULATION, "--max-in-flight", "5"))

    output, checkpoints = workdir / "output", workdir / "checkpoints"
    cluster = SparkStandalone(workdir / "spark")
    cluster.start()
    try:
        cmd = job_command(
            kafka_broker.bootstrap_servers, topic, output, checkpoints, "--trigger", "available-now",
            "--max-offsets-per-trigger", str(MAX_OFFSETS_PER_TRIGGER), "--watermark-delay", f"{WATERMARK_DELAY_MIN} minutes",
            "--timeout-s", str(JOB_TIMEOUT_S),
        )
        cmd[cmd.index("--master") + 1] = cluster.master_url
        stderr_log = workdir / "job-stderr.log"
        with open(stderr_log, "w") as err:
            # GIVEN the job running on 3 workers (one executor each)
            job = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=cluster.job_env(job_env()), stdout=subprocess.PIPE,
                                   stderr=err, text=True, start_new_session=True)
            try:
                deadline = time.monotonic() + JOB_TIMEOUT_S
                while time.monotonic() < deadline and job.poll() is None:
                    if max(query_commits(checkpoints), default=0) >= 1 and cluster.executor_pids(KILLED_WORKER):
                        break
                    time.sleep(0.2)
                # WHEN one worker dies with its executor (SIGKILL) once a query has committed a micro-batch
                executors_killed = len(cluster.executor_pids(KILLED_WORKER))
                committed_at_kill = max(query_commits(checkpoints), default=0)
                committed_at_kill_least = min(query_commits(checkpoints), default=0)
                job_running_at_kill = job.poll() is None
                cluster.kill_worker(KILLED_WORKER)
                stdout, _ = job.communicate(timeout=JOB_TIMEOUT_S + 30)
            finally:
                if job.poll() is None:
                    os.killpg(job.pid, 9)
                    job.wait(timeout=30)
        alive_after = cluster.alive_workers()
    finally:
        cluster.stop()

    results = [json.loads(line.removeprefix("SPARK_RESULT ")) for line in stdout.splitlines() if line.startswith("SPARK_RESULT ")]
    events = read_batches(output / "events") if (output / "events").exists() else pd.DataFrame({"event_id": []})
    counts = {
        "scenario": "Spark worker kill -9 mid-stream (standalone master + 3 workers, 1 executor each)",
        "produced": produced.sent,
        "acknowledged": produced.acked,
        **delivery_counts(events["event_id"], (e["event_id"] for e in truth)),
        "batches_committed_at_kill": committed_at_kill,
        "batches_committed_at_kill_least": committed_at_kill_least,
        "batches_committed_at_end": min(query_commits(checkpoints), default=0),
        "executors_killed": executors_killed,
        "workers_alive_after": alive_after,
        "job_exit_code": job.returncode,
        "spark_input_rows": results[-1]["input_rows"] if results else None,
    }
    fault_report(counts)
    return {
        "counts": counts, "truth": truth, "output": output, "result": results[-1] if results else None,
        "job_running_at_kill": job_running_at_kill, "stderr_tail": stderr_log.read_text()[-3000:],
    }


def test_a_worker_and_its_executor_died_mid_stream(worker_fault_run):
    counts = worker_fault_run["counts"]
    assert worker_fault_run["job_running_at_kill"], worker_fault_run["stderr_tail"]
    assert counts["executors_killed"] == 1
    # a query had committed its first micro-batch, and not every query had finished
    assert counts["batches_committed_at_kill"] >= 1
    assert counts["batches_committed_at_kill_least"] < EVENT_COUNT // MAX_OFFSETS_PER_TRIGGER
    assert counts["workers_alive_after"] == 2


def test_the_job_finishes_on_the_remaining_workers(worker_fault_run):
    assert worker_fault_run["counts"]["job_exit_code"] == 0, worker_fault_run["stderr_tail"]
    result = worker_fault_run["result"]
    assert (result["processed"], result["quarantined"]) == (EVENT_COUNT, 0)
    # input_rows adds up the source's row metrics, which also count the map tasks Spark re-ran to
    # rebuild the shuffle output the dead executor held; so it may exceed the events, never fall short.
    assert result["input_rows"] >= EVENT_COUNT


def test_every_event_is_written_exactly_once(worker_fault_run):
    counts = worker_fault_run["counts"]
    assert (counts["acknowledged"], counts["found"], counts["duplicated"], counts["lost"]) == (EVENT_COUNT, EVENT_COUNT, 0, 0)


def test_airline_minute_windows_equal_an_independent_computation(worker_fault_run):
    expected = expected_airline_minutes(worker_fault_run["truth"])
    actual = comparable(read_batches(worker_fault_run["output"] / "airline_minute"), expected, ["window_start", "airline"])
    assert len(expected) > 50, "the run should close many windows"
    pd.testing.assert_frame_equal(actual, expected, check_exact=False, rtol=1e-9)
