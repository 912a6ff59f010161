"""Run the pipeline's real programs on this machine: the TypeScript producer and the PySpark job.

Both the demo (local/demo.py) and the end-to-end tests drive the programs through their real
command lines, exactly as a user would, and read the one-line JSON result each prints at the end.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from local.versions import PROJECT_ROOT

NODE_BIN = PROJECT_ROOT / "node_modules" / ".bin"
PRODUCER_ENTRY = PROJECT_ROOT / "producer" / "src" / "main.ts"
PRODUCER_BUILD = PROJECT_ROOT / "producer" / "build.mjs"
PRODUCER_BUNDLE = PROJECT_ROOT / "producer" / "dist" / "producer.mjs"
PRODUCER_DOCKERFILE = PROJECT_ROOT / "producer" / "Dockerfile"
SPARK_JOBS_DIR = PROJECT_ROOT / "spark-jobs"


class PipelineStepError(RuntimeError):
    """A pipeline program exited non-zero or did not print its result line."""


@dataclass(frozen=True)
class ProducerRun:
    sent: int
    acked: int
    errors: int
    bytes: int
    elapsed_ms: float
    msgs_per_sec: float


@dataclass(frozen=True)
class SparkRun:
    processed: int
    quarantined: int
    windows: int
    input_rows: int
    elapsed_s: float
    events_per_sec: float
    late_dropped: int = 0
    late_dropped_by_query: dict = field(default_factory=dict)


def node_env() -> dict[str, str]:
    """This environment with the project's Node 24 (node_modules/.bin) first on PATH, for the producer's CLI."""
    env = dict(os.environ)
    env["PATH"] = f"{NODE_BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def _result_line(stdout: str, tag: str) -> dict:
    for line in reversed(stdout.splitlines()):
        if line.startswith(tag + " "):
            return json.loads(line[len(tag) + 1 :])
    raise PipelineStepError(f"no '{tag} {{...}}' line in the program's output")


def _run(cmd: list[str], tag: str, env: dict[str, str], timeout_s: float, echo: bool) -> dict:
    stderr = None if echo else subprocess.PIPE
    try:
        done = subprocess.run(
            cmd, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True, timeout=timeout_s
        )
    except subprocess.TimeoutExpired as exc:
        raise PipelineStepError(f"{' '.join(cmd[:4])} … did not finish within {timeout_s:.0f} s") from exc
    if done.returncode != 0:
        detail = (done.stderr or "")[-4000:] + done.stdout[-2000:]
        raise PipelineStepError(f"{' '.join(cmd[:4])} … exited {done.returncode}\n{detail}")
    try:
        return _result_line(done.stdout, tag)
    except PipelineStepError as exc:
        raise PipelineStepError(f"{exc}\nstdout tail:\n{done.stdout[-2000:]}") from None


def producer_command(subcommand: str, *args: str) -> list[str]:
    """The producer's CLI under Node 24 (tsx runs the TypeScript sources)."""
    return [str(NODE_BIN / "tsx"), str(PRODUCER_ENTRY), subcommand, *args]


def build_producer_bundle(timeout_s: float = 300) -> Path:
    """Bundle the producer with esbuild (producer/build.mjs) into the one file the image runs."""
    subprocess.run([str(NODE_BIN / "node"), str(PRODUCER_BUILD)], check=True, timeout=timeout_s, cwd=PROJECT_ROOT, env=node_env())
    return PRODUCER_BUNDLE


def producer_image_node_args() -> tuple[str, ...]:
    """The flags the container image starts Node with: its ENTRYPOINT, the one place they are set."""
    for line in PRODUCER_DOCKERFILE.read_text().splitlines():
        if line.startswith("ENTRYPOINT "):
            entrypoint = json.loads(line.removeprefix("ENTRYPOINT "))
            if len(entrypoint) < 2 or entrypoint[0] != "node" or entrypoint[-1] != "/app/producer.mjs":
                raise ValueError(f"{PRODUCER_DOCKERFILE}: ENTRYPOINT {entrypoint}: expected [\"node\", <flags>..., \"/app/producer.mjs\"]")
            return tuple(entrypoint[1:-1])
    raise ValueError(f"{PRODUCER_DOCKERFILE} has no ENTRYPOINT [...] line")


def producer_bundle_command(subcommand: str, *args: str, node_args: tuple[str, ...] = ()) -> list[str]:
    """The bundled producer under Node 24, as the container image runs it (build it first)."""
    return [str(NODE_BIN / "node"), *node_args, str(PRODUCER_BUNDLE), subcommand, *args]


def produce(
    bootstrap: str,
    topic: str,
    count: int,
    *,
    seed: int,
    start_time: str,
    extra_args: tuple[str, ...] = (),
    timeout_s: float = 600,
    echo: bool = False,
) -> ProducerRun:
    cmd = producer_command(
        "produce", "--bootstrap", bootstrap, "--topic", topic, "--count", str(count),
        "--seed", str(seed), "--start-time", start_time, *extra_args,
    )
    return ProducerRun(**_run(cmd, "PRODUCER_RESULT", node_env(), timeout_s, echo))


def generate_events_file(out: Path, count: int, *, seed: int, start_time: str, extra_args: tuple[str, ...] = ()) -> Path:
    """Write the same events `produce` would send (same seed and start) as JSON Lines, with no Kafka."""
    cmd = producer_command(
        "generate", "--count", str(count), "--seed", str(seed), "--start-time", start_time, "--out", str(out), *extra_args
    )
    done = subprocess.run(cmd, cwd=PROJECT_ROOT, env=node_env(), capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise PipelineStepError(f"producer generate exited {done.returncode}: {done.stderr[-2000:]}")
    return out


def run_spark_job(
    bootstrap: str,
    topic: str,
    output_dir: Path,
    checkpoint_dir: Path,
    *,
    master: str = "local[2]",
    extra_args: tuple[str, ...] = (),
    timeout_s: float = 900,
    echo: bool = False,
) -> SparkRun:
    """Run the Spark job once with trigger(availableNow=True) over everything on the topic."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SPARK_JOBS_DIR), str(PROJECT_ROOT), env.get("PYTHONPATH", "")])
    env.setdefault("PYSPARK_PYTHON", sys.executable)
    cmd = [sys.executable, "-m", "local.spark_job",
           *spark_job_args(bootstrap, topic, output_dir, checkpoint_dir, master=master, extra_args=extra_args)]
    return SparkRun(**_run(cmd, "SPARK_RESULT", env, timeout_s, echo))


def spark_job_args(
    bootstrap: str, topic: str, output_dir: Path, checkpoint_dir: Path, *, master: str = "local[2]", extra_args: tuple[str, ...] = ()
) -> list[str]:
    """The job's arguments for one available-now run over everything on the topic (run_spark_job's)."""
    return [
        "--master", master, "--bootstrap", bootstrap, "--topic", topic,
        "--output-dir", str(output_dir), "--checkpoint-dir", str(checkpoint_dir),
        "--starting-offsets", "earliest", "--trigger", "available-now", *extra_args,
    ]
