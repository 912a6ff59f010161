"""Helpers for the streaming end-to-end tests: run the job as a subprocess (and kill it), send raw
records to a topic, and read a file sink's committed output the way Spark does (through _spark_metadata)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

import pandas as pd

from local.embedded_kafka import EmbeddedKafka

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SPARK_JOBS_DIR = PROJECT_ROOT / "spark-jobs"


def job_command(bootstrap: str, topic: str, output_dir: Path, checkpoint_dir: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "flight_analytics", "--master", "local[2]", "--bootstrap", bootstrap, "--topic", topic,
        "--output-dir", str(output_dir), "--checkpoint-dir", str(checkpoint_dir), "--starting-offsets", "earliest", *extra,
    ]


def job_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SPARK_JOBS_DIR), str(PROJECT_ROOT), env.get("PYTHONPATH", "")])
    env.setdefault("PYSPARK_PYTHON", sys.executable)
    return env


def run_job(cmd: list[str], timeout_s: float = 600) -> tuple[int, dict | None, str]:
    """Run the job to its end: (exit code, the SPARK_RESULT dict or None, stderr tail)."""
    done = subprocess.run(cmd, cwd=PROJECT_ROOT, env=job_env(), capture_output=True, text=True, timeout=timeout_s)
    Path(cmd[cmd.index("--checkpoint-dir") + 1]).parent.joinpath("job-stderr.log").write_text(done.stderr)
    result = None
    for line in done.stdout.splitlines():
        if line.startswith("SPARK_RESULT "):
            result = json.loads(line.removeprefix("SPARK_RESULT "))
    # The job's own error line names the failed query and its exception; the tail is mostly stack.
    errors = [line[:3000] for line in done.stderr.splitlines() if line.startswith("flight_analytics:")]
    return done.returncode, result, "\n".join(errors) + "\n" + done.stderr[-1500:]


def committed_batches(checkpoint: Path) -> int:
    commits = checkpoint / "commits"
    return len([p for p in commits.iterdir() if p.name.isdigit()]) if commits.is_dir() else 0


def run_job_and_kill(cmd: list[str], checkpoints: list[Path], after_batches: int, timeout_s: float = 300) -> int:
    """Start the job, SIGKILL its whole process group (Python driver and JVM) once every query in
    `checkpoints` has committed `after_batches` micro-batches. Returns the batches committed by then."""
    process = subprocess.Popen(
        cmd, cwd=PROJECT_ROOT, env=job_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if all(committed_batches(c) >= after_batches for c in checkpoints):
                break
            time.sleep(0.2)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
    return min(committed_batches(c) for c in checkpoints)


def read_file_sink(path: Path) -> pd.DataFrame:
    """The rows a Spark file sink has committed: only files listed in its _spark_metadata log.

    A batch killed half-way can leave Parquet files the log never lists; Spark's readers ignore
    them, and so must the test (pandas alone would read them and double count)."""
    files: set[str] = set()
    for log in sorted((path / "_spark_metadata").iterdir()):
        if log.name.startswith(".") or log.suffix == ".crc":
            continue
        for line in log.read_text().splitlines()[1:]:  # the first line is the log version, "v1"
            entry = json.loads(line)
            if entry.get("action", "add") == "add":
                files.add(unquote(urlparse(entry["path"]).path))
    frames = [pd.read_parquet(f) for f in sorted(files)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


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
