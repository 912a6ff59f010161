"""A streaming job of bench.spark_bench, run several times in one JVM: warm-up passes, then the measured pass.

    python -m bench.spark_warm {ours|naive} PASSES EVENT_LOG_DIR WARMUP_DIR -- ARGS...

The plain reference is measured on its third run in one SparkSession, after two whole runs of the
topic have warmed its JVM (JIT compilation, class loading, Spark's code cache). A streaming job in
a process of its own is still compiling when its steady interval starts: in a 6 M-event run of our
job the C1 and C2 threads took 0.3-0.4 of a core from minute 2 to minute 3, 15-20 % of the JVM's
CPU (docs/spark-job.md), and after one warm pass still about 7 % (C1 compiling Spark's planner, a
long tail). A job that runs for days is past that. So each streaming job gets the same treatment as
the reference: PASSES whole passes over the topic, each with its own output and checkpoint folders
under WARMUP_DIR/pass<n>, each ended by SparkSession.stop(), then the measured pass in a new
SparkSession of the same JVM, from fresh folders (ARGS), exactly as `python -m local.spark_job ARGS`
(ours) or `python -m bench.spark_naive_job ARGS` (naive) runs it. Nothing carries over from the
warm-up passes but the JVM itself.

After each warm-up pass its Spark event log is moved from EVENT_LOG_DIR to WARMUP_DIR/pass<n>/eventlog, so
the bench reads the measured pass's log only. The job's own result line (SPARK_RESULT or
NAIVE_RESULT) is printed by each pass; the measured one comes last, and
WARMUP_RESULT {"passes":N,"elapsed_s":X} before it.
"""
from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

JOBS = ("ours", "naive")


def warmup_args(job: str, args: list[str], warmup_dir: Path) -> list[str]:
    """The measured pass's arguments with its output and checkpoint folders moved under warmup_dir."""
    out, ck = str(warmup_dir / "out"), str(warmup_dir / "ck")
    if job == "naive":
        # bench.spark_naive_job BOOTSTRAP TOPIC OUTPUT_DIR CHECKPOINT_DIR [options]
        if len(args) < 4:
            raise ValueError(f"naive job: expected BOOTSTRAP TOPIC OUTPUT_DIR CHECKPOINT_DIR [options], got {args}")
        return [args[0], args[1], out, ck, *args[4:]]
    moved = list(args)
    for option, folder in (("--output-dir", out), ("--checkpoint-dir", ck)):
        if option not in moved or moved.index(option) + 1 >= len(moved):
            raise ValueError(f"our job: expected {option} <folder> among the arguments, got {args}")
        moved[moved.index(option) + 1] = folder
    return moved


def runner(job: str):
    """The job's main(argv) -> exit code."""
    if job == "ours":
        from local.spark_job import main
    else:
        from bench.spark_naive_job import main
    return main


def move_event_logs(log_dir: Path, to: Path) -> None:
    """Move every event log file of log_dir (the warm-up pass's, closed by SparkSession.stop()) to `to`."""
    to.mkdir(parents=True, exist_ok=True)
    for path in log_dir.iterdir() if log_dir.is_dir() else []:
        if path.is_file():
            shutil.move(str(path), to / path.name)


def pass_dir(warmup_dir: Path, number: int) -> Path:
    """Where warm-up pass `number` (1, 2, ...) keeps its output and checkpoint folders and its event log."""
    return warmup_dir / f"pass{number}"


def main(argv: list[str]) -> int:
    usage = __doc__.splitlines()[2].strip()
    if len(argv) < 5 or argv[0] not in JOBS or not argv[1].isdigit() or int(argv[1]) < 1 or argv[4] != "--":
        print(usage, file=sys.stderr)
        return 2
    job, passes, log_dir, warmup_dir, args = argv[0], int(argv[1]), Path(argv[2]), Path(argv[3]), argv[5:]
    main_of = runner(job)
    started = time.monotonic()
    for number in range(1, passes + 1):
        code = main_of(warmup_args(job, args, pass_dir(warmup_dir, number)))
        if code != 0:
            print(f"bench.spark_warm: warm-up pass {number} of the {job} job exited {code}", file=sys.stderr)
            return code
        move_event_logs(log_dir, pass_dir(warmup_dir, number) / "eventlog")
    print("WARMUP_RESULT " + json.dumps({"passes": passes, "elapsed_s": round(time.monotonic() - started, 3)}), flush=True)
    return main_of(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
