"""Helpers for the streaming end-to-end tests: run the job as a subprocess (and kill it), send raw
records to a topic, read a topic back, and read the job's batch_id=<n> outputs and progress lines."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from local.embedded_kafka import EmbeddedKafka

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SPARK_JOBS_DIR = PROJECT_ROOT / "spark-jobs"


def job_command(bootstrap: str, topic: str, output_dir: Path, checkpoint_dir: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "local.spark_job", "--master", "local[2]", "--bootstrap", bootstrap, "--topic", topic,
        "--output-dir", str(output_dir), "--checkpoint-dir", str(checkpoint_dir), "--starting-offsets", "earliest", *extra,
    ]


def job_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SPARK_JOBS_DIR), str(PROJECT_ROOT), env.get("PYTHONPATH", "")])
    env.setdefault("PYSPARK_PYTHON", sys.executable)
    return env


def run_job(
    cmd: list[str], timeout_s: float = 600, env: dict[str, str] | None = None, stderr_log: Path | None = None
) -> tuple[int, dict | None, str]:
    """Run the job to its end: (exit code, the SPARK_RESULT dict or None, stderr tail). Its whole
    stderr goes to stderr_log (default: job-stderr.log next to a local --checkpoint-dir)."""
    process = subprocess.Popen(
        cmd, cwd=PROJECT_ROOT, env=env or job_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the driver and its JVM
        stdout, stderr = process.communicate()
        raise AssertionError(f"the job did not finish within {timeout_s:g} s; stderr tail:\n{stderr[-3000:]}") from None
    done = subprocess.CompletedProcess(cmd, process.returncode, stdout, stderr)
    (stderr_log or Path(cmd[cmd.index("--checkpoint-dir") + 1]).parent / "job-stderr.log").write_text(done.stderr)
    result = None
    for line in done.stdout.splitlines():
        if line.startswith("SPARK_RESULT "):
            result = json.loads(line.removeprefix("SPARK_RESULT "))
    # The job's own error line names the failed query and its exception; the tail is mostly stack.
    errors = [line[:3000] for line in done.stderr.splitlines() if line.startswith("flight_analytics:")]
    return done.returncode, result, "\n".join(errors) + "\n" + done.stderr[-1500:]


def batch_files(checkpoint: Path, folder: str) -> int:
    """Micro-batch files (named by their batch number) in a query checkpoint's commits/ or offsets/."""
    path = checkpoint / folder
    return len([p for p in path.iterdir() if p.name.isdigit()]) if path.is_dir() else 0


def committed_batches(checkpoint: Path) -> int:
    return batch_files(checkpoint, "commits")


def planned_batches(checkpoint: Path) -> int:
    return batch_files(checkpoint, "offsets")


@dataclass(frozen=True)
class Kill:
    committed: int
    """Micro-batches the query with the fewest had committed when the job was killed."""
    mid_batch: list[str]
    """Queries (checkpoint folder names) that had planned a batch (offsets/<n>) and not committed it."""


def run_job_and_kill(
    cmd: list[str],
    checkpoints: list[Any],
    after_batches: int,
    timeout_s: float = 300,
    env: dict[str, str] | None = None,
    count_batches: Callable[[Any, str], int] = batch_files,
    poll_s: float = 0.05,
) -> Kill:
    """Start the job; SIGKILL its whole process group (Python driver and JVM) once every query in
    `checkpoints` has committed `after_batches` micro-batches and one of them is mid-batch (planned,
    not committed), so that the restart has a batch to replay. A checkpoint is a local folder, or
    anything with a .name that count_batches(checkpoint, "commits" | "offsets") counts in."""
    process = subprocess.Popen(
        cmd, cwd=PROJECT_ROOT, env=env or job_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )

    def committed(checkpoint) -> int:
        return count_batches(checkpoint, "commits")

    def mid_batch(checkpoint) -> bool:
        return count_batches(checkpoint, "offsets") > committed(checkpoint)

    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if all(committed(c) >= after_batches for c in checkpoints) and any(mid_batch(c) for c in checkpoints):
                break
            time.sleep(poll_s)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
    return Kill(
        committed=min(committed(c) for c in checkpoints),
        mid_batch=[c.name for c in checkpoints if mid_batch(c)],
    )


def send_raw_values(broker: EmbeddedKafka, topic: str, values: list[str], timeout_s: float = 120) -> None:
    """Send one record per line, verbatim (no JSON encoding), in order, with Kafka's console producer."""
    assert all("\n" not in v for v in values)
    cmd = [
        broker.java, "-cp", str(broker.jar_dir() / "*"), "org.apache.kafka.tools.ConsoleProducer",
        "--bootstrap-server", broker.bootstrap_servers, "--topic", topic,
        "--producer-property", "acks=all", "--producer-property", "linger.ms=5",
    ]
    done = subprocess.run(cmd, input="\n".join(values) + "\n", capture_output=True, text=True, timeout=timeout_s)
    assert done.returncode == 0, done.stderr[-2000:]


def read_topic(broker: EmbeddedKafka, topic: str, expected: int, timeout_s: float = 180) -> list[tuple[str, str]]:
    """The first `expected` records of a topic as (key, value) strings, with Kafka's console consumer."""
    done = broker.run_tool(
        "org.apache.kafka.tools.consumer.ConsoleConsumer",
        [
            "--bootstrap-server", broker.bootstrap_servers, "--topic", topic, "--from-beginning",
            "--max-messages", str(expected), "--timeout-ms", str(int(timeout_s * 1000) // 2),
            "--property", "print.key=true", "--property", "key.separator=\t",
        ],
        timeout_s=timeout_s,
    )
    return [tuple(line.split("\t", 1)) for line in done.stdout.splitlines() if "\t" in line]


def read_batches(path: Path) -> pd.DataFrame:
    """A foreachBatch output (batch_id=<n> folders) as one frame, without the batch_id column."""
    frame = pd.read_parquet(path)
    return frame.drop(columns=["batch_id"])


def delivery_counts(written_ids, truth_ids) -> dict[str, int]:
    """The fault_report counts of the event ids a run wrote against those produced: found (distinct
    produced ids written), duplicated (writes beyond the first of an id) and lost (produced, never written)."""
    written = list(written_ids)
    unique, truth = set(written), set(truth_ids)
    return {"found": len(unique & truth), "duplicated": len(written) - len(unique), "lost": len(truth - unique)}


def progress_lines(checkpoint_dir: Path) -> list[dict]:
    """The SPARK_PROGRESS records of the last run_job with this checkpoint dir, in order."""
    log = checkpoint_dir.parent / "job-stderr.log"
    return [
        json.loads(line.removeprefix("SPARK_PROGRESS "))
        for line in log.read_text().splitlines()
        if line.startswith("SPARK_PROGRESS ")
    ]
