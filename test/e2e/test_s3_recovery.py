"""Exactly-once on the production storage path: the job writes its outputs and checkpoints to
s3a:// (an S3-compatible server, moto, started by the test) with its production S3 settings (the
abortable checkpoint manager of spark-hadoop-cloud, hadoop-aws, the AWS SDK's default credentials
chain), is SIGKILLed mid-batch, restarted once, and every output is still exact.

The scenario is test_recovery's (same events, batch sizes and kill point; see there why one restart
is enough); only the storage differs. On S3 a rename is a copy, and the checkpoint manager the
cluster uses writes each checkpoint file in place instead: the server's request log shows which one
the job used.
"""
from __future__ import annotations

import json
import uuid

import pandas as pd
import pytest

from flight_analytics.settings import spark_conf
from local.pipeline import generate_events_file, produce
from s3_server import MotoS3, S3Checkpoint
from streaming_job import delivery_counts, job_command, job_env, run_job, run_job_and_kill
from test_recovery import (
    EVENT_COUNT,
    MAX_OFFSETS_PER_TRIGGER,
    PARTITIONS,
    QUERIES,
    RUN_TIMEOUT_S,
    SEED,
    START_TIME,
    WATERMARK_DELAY_MIN,
    check_every_event_once,
    check_killed_mid_batch_and_restarted,
    check_windows_equal_the_truth,
    produce_while_down,
)

pytestmark = pytest.mark.e2e

BUCKET = "flight-analytics-e2e"
OUTPUT_PREFIX, CHECKPOINT_PREFIX = "output", "checkpoints"
OUTPUT, CHECKPOINTS = f"s3a://{BUCKET}/{OUTPUT_PREFIX}", f"s3a://{BUCKET}/{CHECKPOINT_PREFIX}"
KILL_POLL_S = 0.25
"""Each look at the checkpoints lists 4 S3 prefixes; looking every 50 ms would take CPU from the job."""


@pytest.fixture(scope="module")
def s3_recovered_run(kafka_broker, tmp_path_factory, fault_report):
    workdir = tmp_path_factory.mktemp("s3-recovery")
    topic = f"flight-events-s3-recovery-{uuid.uuid4().hex[:8]}"
    kafka_broker.create_topic(topic, partitions=PARTITIONS)
    truth_file = generate_events_file(workdir / "truth.jsonl", EVENT_COUNT, seed=SEED, start_time=START_TIME)
    truth = [json.loads(line) for line in truth_file.read_text().splitlines()]
    first = produce(kafka_broker.bootstrap_servers, topic, EVENT_COUNT, seed=SEED, start_time=START_TIME)

    s3 = MotoS3(workdir / "s3").start()
    try:
        s3.create_bucket(BUCKET)
        env = s3.job_env(job_env())
        common = ("--max-offsets-per-trigger", str(MAX_OFFSETS_PER_TRIGGER), "--watermark-delay", f"{WATERMARK_DELAY_MIN} minutes")
        # GIVEN a job writing to S3, killed (SIGKILL of driver and JVM) once every query has committed
        # 2 micro-batches and at least one has planned a batch it has not committed
        killed = run_job_and_kill(
            job_command(kafka_broker.bootstrap_servers, topic, OUTPUT, CHECKPOINTS, "--trigger", "processing-time:1s", *common),
            [S3Checkpoint(s3, BUCKET, f"{CHECKPOINT_PREFIX}/{name}") for name in QUERIES],
            after_batches=2,
            timeout_s=RUN_TIMEOUT_S,
            env=env,
            count_batches=S3Checkpoint.batch_files,
            poll_s=KILL_POLL_S,
        )
        # AND more events arrive while it is down
        later = produce_while_down(kafka_broker, topic, workdir, truth)
        # WHEN it is started again on the same S3 checkpoints, once
        code, result, stderr = run_job(
            job_command(kafka_broker.bootstrap_servers, topic, OUTPUT, CHECKPOINTS, "--trigger", "available-now", *common),
            timeout_s=RUN_TIMEOUT_S,
            env=env,
            stderr_log=workdir / "job-stderr.log",
        )
        output = s3.download(BUCKET, f"{OUTPUT_PREFIX}/", workdir / "output")
        checkpoint_keys = s3.keys(BUCKET, f"{CHECKPOINT_PREFIX}/")
        first_offsets_key = f"{CHECKPOINT_PREFIX}/windows/offsets/0"
        first_offsets = (
            json_lines(s3.client().get_object(Bucket=BUCKET, Key=first_offsets_key)["Body"].read())
            if first_offsets_key in checkpoint_keys else None
        )
        requests = s3.requests()
    finally:
        s3.stop()
    written = pd.read_parquet(output / "events", columns=["event_id"])["event_id"] if (output / "events").exists() else pd.Series([], dtype=str)
    fault_report({
        "scenario": "Spark job on S3 (moto, s3a:// with the abortable checkpoint manager) kill -9 mid-batch and one restart",
        "produced": first.sent + later.sent,
        "acknowledged": first.acked + later.acked,
        **delivery_counts(written, (e["event_id"] for e in truth)),
        "batches_committed_at_kill": killed.committed,
        "queries_killed_mid_batch": sorted(killed.mid_batch),
        "restart_exit_code": code,
    })
    return {
        "truth": truth, "output": output, "killed": killed, "code": code, "result": result, "stderr": stderr,
        "checkpoint_keys": checkpoint_keys, "first_offsets": first_offsets, "requests": requests,
    }


def json_lines(body: bytes) -> list[dict]:
    """An offset log file: a version line ("v1"), then one JSON document per line."""
    return [json.loads(line) for line in body.decode().splitlines()[1:] if line.strip()]


def test_the_job_on_s3_was_killed_mid_batch_and_one_restart_finishes_the_work(s3_recovered_run):
    check_killed_mid_batch_and_restarted(s3_recovered_run)


def test_every_event_is_written_to_s3_exactly_once_across_the_crash(s3_recovered_run):
    check_every_event_once(s3_recovered_run["output"], s3_recovered_run["truth"])


def test_windows_on_s3_across_the_crash_equal_an_independent_computation(s3_recovered_run):
    check_windows_equal_the_truth(s3_recovered_run["output"], s3_recovered_run["truth"])


def test_the_checkpoints_are_on_s3_with_the_production_settings(s3_recovered_run):
    keys = s3_recovered_run["checkpoint_keys"]
    for query in QUERIES:
        for part in ("metadata", "offsets/0", "commits/0", "sources/0/0"):
            assert f"{CHECKPOINT_PREFIX}/{query}/{part}" in keys, (query, part)
    # RocksDB with changelog checkpointing: the windows' state is uploaded as changelog files.
    assert any(k.startswith(f"{CHECKPOINT_PREFIX}/windows/state/") and k.endswith(".changelog") for k in keys)
    # The offset log records the SQL settings a checkpoint depends on: the job's production values.
    production = spark_conf(CHECKPOINTS)
    assert s3_recovered_run["first_offsets"], "no offset log for batch 0 of the windows query"
    recorded = s3_recovered_run["first_offsets"][0]["conf"]
    shared = sorted(set(production) & set(recorded))
    assert "spark.sql.streaming.stateStore.providerClass" in shared
    assert {k: recorded[k] for k in shared} == {k: production[k] for k in shared}


def test_checkpoint_files_are_written_in_place_not_renamed(s3_recovered_run):
    # A rename-based checkpoint manager writes .<name>.<uuid>.tmp and copies it to <name> (a rename
    # on S3); the abortable manager the cluster uses PUTs <name> directly.
    checkpoint_puts = [path for method, path in s3_recovered_run["requests"]
                       if method == "PUT" and path.startswith(f"/{BUCKET}/{CHECKPOINT_PREFIX}/")]
    assert any(path.split("?")[0].endswith("/commits/0") for path in checkpoint_puts), checkpoint_puts[:20]
    temporary = [path for path in checkpoint_puts if ".tmp" in path]
    assert temporary == [], f"checkpoint files written under a temporary name and renamed: {temporary[:5]}"
