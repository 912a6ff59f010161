"""make bench-spark: our Spark job vs the seed's job shape (bench/spark_naive_job.py), same topic, one run.

    .venv/bin/python -m bench.spark_bench [--events 1000000] [--partitions 6] [--repeats 3]
                                          [--run-timeout-s 900] [--time-budget-s 3000] [--job-arg=--opt=value ...]

Starts an embedded broker on 127.0.0.1, preloads N seeded events with our producer, then runs, alternating
(ours, baseline, ours, baseline, ...) and `repeats` times each, from fresh checkpoints over the whole topic
(trigger available-now, local[2]):
  flight-analytics  our job through its real command line (python -m flight_analytics), every query it starts
  naive-baseline    from_json + windowed count per airline with Spark's default settings, nothing else
events_per_sec = events on the topic / wall time of the streaming phase (session start-up excluded; each job
times itself from starting its queries until they are all done).

Every run is bounded: a run that passes --run-timeout-s is killed and recorded as failed (the others go on),
and no new repetition starts once --time-budget-s would be exceeded (the JSON then says how many completed).
Each run writes a Spark event log (uncompressed, in the temporary work folder) that is summarised into the JSON:
per query the micro-batches and the StreamingQueryProgress durationMs breakdown (addBatch, getBatch,
queryPlanning, walCommit, commitOffsets, ...) and state-operator times; per run the stages' executor run,
CPU and GC time. --no-event-log turns that off.

Writes bench/results/spark.json:
  {"events": N, "cores": 2, "runs": [{"job": "flight-analytics", "events_per_sec": median}, {"job": "naive-baseline", ...}],
   "ratio_ours_to_baseline": ..., "repetitions": [every run, with its breakdown], ...}
and prints a table of medians and the ratio.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

from local.embedded_kafka import EmbeddedKafka, free_ports
from local.pipeline import SPARK_JOBS_DIR, PipelineStepError, produce, run_spark_job

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = PROJECT_ROOT / "bench" / "results"
RESULTS_FILE = RESULTS_DIR / "spark.json"
SEED = 42
START_TIME = "2026-03-01T00:00:00.000Z"
TOPIC = "flight-events-bench"
CORES = 2
MASTER = f"local[{CORES}]"
JOBS = ("flight-analytics", "naive-baseline")
DEFAULT_EVENTS = 1_000_000
"""About 60-100 s of our job on a quiet 2-core machine (more when it is shared); --events for smaller runs."""

DURATION_KEYS = ("latestOffset", "getBatch", "queryPlanning", "walCommit", "addBatch", "commitOffsets", "triggerExecution")
PROGRESS_EVENT = "org.apache.spark.sql.streaming.StreamingQueryListener$QueryProgressEvent"


def _load() -> float:
    return round(os.getloadavg()[0], 1)


def event_log_conf(log_dir: Path) -> str:
    """PYSPARK_SUBMIT_ARGS that make a job write an uncompressed, single-file Spark event log to log_dir.

    Both jobs get the same setting through the environment, so neither job's code changes for the bench."""
    log_dir.mkdir(parents=True, exist_ok=True)
    confs = {
        "spark.eventLog.enabled": "true",
        "spark.eventLog.dir": str(log_dir),
        "spark.eventLog.compress": "false",
        "spark.eventLog.rolling.enabled": "false",
    }
    return " ".join(f"--conf {k}={v}" for k, v in confs.items()) + " pyspark-shell"


def summarise_event_log(log_dir: Path) -> dict:
    """Where a run's time went, from its Spark event log: per streaming query the micro-batches,
    rows and summed durationMs phases and state-operator times; per run the executor time of all
    stages and the largest stages."""
    files = [p for p in log_dir.iterdir() if p.is_file()] if log_dir.is_dir() else []
    if not files:
        return {"error": f"no event log in {log_dir}"}
    queries: dict[str, dict] = {}
    stages = []
    stage_query: dict[int, str] = {}  # stage id -> the streaming query whose micro-batch ran it
    for path in files:
        with path.open() as lines:
            for line in lines:
                try:
                    event = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a log cut off by a killed run ends mid-line
                kind = event.get("Event")
                if kind == PROGRESS_EVENT:
                    progress = event["progress"]
                    query = queries.setdefault(
                        progress.get("name") or progress["id"],
                        {"batches": 0, "input_rows": 0, "duration_ms": defaultdict(int), "state_ms": defaultdict(int),
                         "max_batch_input_rows": 0},
                    )
                    # The logged progress holds each source's row count (numInputRows is their sum).
                    rows = sum(source.get("numInputRows", 0) for source in progress.get("sources") or [])
                    query["batches"] += 1
                    query["input_rows"] += rows
                    query["max_batch_input_rows"] = max(query["max_batch_input_rows"], rows)
                    for key, value in (progress.get("durationMs") or {}).items():
                        query["duration_ms"][key] += value
                    for op in progress.get("stateOperators") or []:
                        name = op.get("operatorName", "state")
                        query["state_ms"][f"{name}.allUpdatesTimeMs"] += op.get("allUpdatesTimeMs", 0)
                        query["state_ms"][f"{name}.allRemovalsTimeMs"] += op.get("allRemovalsTimeMs", 0)
                        query["state_ms"][f"{name}.commitTimeMs"] += op.get("commitTimeMs", 0)
                elif kind == "SparkListenerJobStart":
                    # Streaming jobs carry their query in the job description: "<name>\nid = ...\nbatch = N".
                    description = (event.get("Properties") or {}).get("spark.job.description") or ""
                    name = "(not a micro-batch)"
                    if "\nbatch = " in description:
                        # A query without a name is known by its id, as in its progress events.
                        first, _, rest = description.partition("\n")
                        name = first or rest.partition("id = ")[2].partition("\n")[0]
                    for stage_id in event.get("Stage IDs", []):
                        stage_query[stage_id] = name
                elif kind == "SparkListenerStageCompleted":
                    info = event["Stage Info"]
                    acc = {a.get("Name"): a.get("Value") for a in info.get("Accumulables", [])}

                    def metric(name: str) -> float:
                        try:
                            return float(acc.get(f"internal.metrics.{name}", 0) or 0)
                        except (TypeError, ValueError):
                            return 0.0

                    stages.append({
                        "query": stage_query.get(info.get("Stage ID"), "?"),
                        "name": info.get("Stage Name", "")[:80],
                        "tasks": info.get("Number of Tasks"),
                        "wall_s": round(((info.get("Completion Time") or 0) - (info.get("Submission Time") or 0)) / 1000, 2),
                        "run_s": round(metric("executorRunTime") / 1000, 2),
                        "cpu_s": round(metric("executorCpuTime") / 1e9, 2),
                        "gc_s": round(metric("jvmGCTime") / 1000, 2),
                        "shuffle_write_mb": round(metric("shuffle.write.bytesWritten") / 2**20, 1),
                        "input_records": int(metric("input.recordsRead")),
                    })
    for name, query in queries.items():
        query["duration_ms"] = dict(query["duration_ms"])
        query["state_ms"] = dict(query["state_ms"])
        mine = [s for s in stages if s["query"] == name]
        query["stages"] = len(mine)
        query["stage_cpu_s"] = round(sum(s["cpu_s"] for s in mine), 1)
        query["stage_run_s"] = round(sum(s["run_s"] for s in mine), 1)
    return {
        "queries": queries,
        "stages": len(stages),
        "stage_run_s": round(sum(s["run_s"] for s in stages), 1),
        "stage_cpu_s": round(sum(s["cpu_s"] for s in stages), 1),
        "stage_gc_s": round(sum(s["gc_s"] for s in stages), 1),
        "top_stages": sorted(stages, key=lambda s: s["run_s"], reverse=True)[:6],
    }


class JvmCpuSampler:
    """CPU seconds (user + system, every thread: tasks, driver, GC, JIT) of the Spark JVMs started
    under this process while it runs, read from /proc once a second. Stage CPU time from the event
    log counts task threads only; on a shared machine both are steadier than wall time."""

    def __init__(self, exclude_pids: set[int]) -> None:
        self.exclude = exclude_pids
        self.ticks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "JvmCpuSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    @staticmethod
    def _stat(pid: int) -> tuple[str, int, int] | None:
        try:
            text = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return None
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        return name, int(fields[1]), int(fields[11]) + int(fields[12])  # comm, ppid, utime + stime

    def sample(self) -> None:
        stats = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and (stat := self._stat(int(entry.name))) is not None:
                stats[int(entry.name)] = stat
        me = os.getpid()
        for pid, (name, ppid, ticks) in stats.items():
            if name != "java" or pid in self.exclude:
                continue
            ancestor, hops = ppid, 0
            while ancestor not in (me, 0, 1) and ancestor in stats and hops < 10:
                ancestor, hops = stats[ancestor][1], hops + 1
            if ancestor == me:
                self.ticks[pid] = max(self.ticks.get(pid, 0), ticks)

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            self.sample()

    @property
    def cpu_s(self) -> float:
        return round(sum(self.ticks.values()) / os.sysconf("SC_CLK_TCK"), 1)


def run_naive(bootstrap: str, topic: str, workdir: Path, timeout_s: float, env: dict[str, str]) -> dict:
    env = {**env, "PYTHONPATH": os.pathsep.join([str(SPARK_JOBS_DIR), str(PROJECT_ROOT), env.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-m", "bench.spark_naive_job", bootstrap, topic, str(workdir / "out"), str(workdir / "ck")]
    try:
        done = subprocess.run(cmd, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        raise PipelineStepError(f"naive baseline did not finish within {timeout_s:.0f} s") from exc
    if done.returncode != 0:
        raise PipelineStepError(f"naive baseline exited {done.returncode}: {done.stderr[-2000:]}")
    line = next((l for l in reversed(done.stdout.splitlines()) if l.startswith("NAIVE_RESULT ")), None)
    if line is None:
        raise PipelineStepError(f"naive baseline printed no NAIVE_RESULT line: {done.stdout[-1000:]}")
    return json.loads(line.removeprefix("NAIVE_RESULT "))


def run_ours(bootstrap: str, topic: str, workdir: Path, timeout_s: float, job_args: list[str]) -> dict:
    # The job's own --timeout-s ends it cleanly (exit 1, with a message) a little before the hard kill.
    result = run_spark_job(
        bootstrap, topic, workdir / "out", workdir / "ck", master=MASTER,
        extra_args=("--timeout-s", str(max(timeout_s - 60, 30)), *job_args), timeout_s=timeout_s,
    )
    return {"input_rows": result.input_rows, "elapsed_s": result.elapsed_s, "events_per_sec": result.events_per_sec,
            "processed": result.processed, "quarantined": result.quarantined, "windows": result.windows}


def run_one(job: str, repeat: int, broker: EmbeddedKafka, workdir: Path, args: argparse.Namespace) -> dict:
    run_dir = workdir / f"{job}-{repeat}"
    log_dir = run_dir / "eventlog"
    saved = os.environ.get("PYSPARK_SUBMIT_ARGS")
    if args.event_log:
        os.environ["PYSPARK_SUBMIT_ARGS"] = event_log_conf(log_dir)
    row: dict = {"job": job, "repeat": repeat, "load_before": _load()}
    started = time.monotonic()
    bootstrap = broker.bootstrap_servers
    sampler = JvmCpuSampler(exclude_pids={broker._read_pid() or -1})
    try:
        with sampler:
            if job == "flight-analytics":
                row.update(run_ours(bootstrap, TOPIC, run_dir, args.run_timeout_s, args.job_arg))
            else:
                row.update(run_naive(bootstrap, TOPIC, run_dir, args.run_timeout_s, dict(os.environ)))
        if row["input_rows"] != args.events:
            row["error"] = f"read {row['input_rows']} records, expected {args.events}"
    except PipelineStepError as exc:
        row["error"] = str(exc)[-1500:]
    finally:
        if saved is None:
            os.environ.pop("PYSPARK_SUBMIT_ARGS", None)
        else:
            os.environ["PYSPARK_SUBMIT_ARGS"] = saved
    row["process_wall_s"] = round(time.monotonic() - started, 1)
    # All CPU the job's JVM used (start-up included), per 100k events: comparable across loads.
    row["jvm_cpu_s"] = sampler.cpu_s
    row["jvm_cpu_s_per_100k_events"] = round(sampler.cpu_s / args.events * 100_000, 2)
    row["load_after"] = _load()
    if args.event_log:
        row["breakdown"] = summarise_event_log(log_dir)
    return row


def report(args: argparse.Namespace, runs: list[dict], produced, planned: int, stopped_early: str | None) -> dict:
    ok = {job: [r for r in runs if r["job"] == job and "error" not in r] for job in JOBS}
    medians = {job: statistics.median(r["events_per_sec"] for r in rows) if rows else None for job, rows in ok.items()}
    # Ratio of each repetition's pair (ours, then the baseline right after it): the two ran under
    # nearly the same machine load, so the pairwise ratio is steadier than the ratio of medians.
    pair_ratios = []
    for repeat in sorted({r["repeat"] for r in runs}):
        pair = {r["job"]: r for r in runs if r["repeat"] == repeat and "error" not in r}
        if len(pair) == 2:
            pair_ratios.append(round(pair["flight-analytics"]["events_per_sec"] / pair["naive-baseline"]["events_per_sec"], 3))
    ours, naive = medians["flight-analytics"], medians["naive-baseline"]
    cpu = {job: statistics.median(r["jvm_cpu_s_per_100k_events"] for r in rows) if rows else None for job, rows in ok.items()}
    ours_cpu_s = statistics.median(r["jvm_cpu_s"] for r in ok["flight-analytics"]) if ok["flight-analytics"] else None
    return {
        "benchmark": "spark",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": args.command,
        "events": args.events,
        "cores": CORES,
        "runs": [{"job": job, "events_per_sec": medians[job]} for job in JOBS],
        "ratio_ours_to_baseline": round(ours / naive, 3) if ours and naive else None,
        "pair_ratios": pair_ratios,
        "median_pair_ratio": statistics.median(pair_ratios) if pair_ratios else None,
        # JVM CPU seconds per 100k events (median): what each job costs, whatever the machine's load.
        "median_jvm_cpu_s_per_100k_events": cpu,
        # Read by the capacity plan (lib/plan/bench-rates.ts) as what one dedicated executor core
        # processes: events per second of our JVM's CPU time (median run). On this shared machine the
        # JVM gets far less than its 2 cores, so the wall-clock rate per core would undersize nothing
        # and oversize everything; wall_events_per_sec_per_core is that reading, for comparison.
        "events_per_sec_per_core": round(args.events / ours_cpu_s, 1) if ours_cpu_s else None,
        "events_per_sec_per_core_basis": "events / JVM CPU seconds of our job (start-up included), median run",
        "wall_events_per_sec_per_core": round(ours / CORES, 1) if ours else None,
        "targets": {"first_bar_events_per_sec": 154_000, "goal_events_per_sec": 333_000, "min_ratio_to_baseline": 2.0},
        "master": MASTER,
        "partitions": args.partitions,
        "job_args": args.job_arg,
        "repeats_requested": args.repeats,
        "repeats_completed": planned,
        "stopped_early": stopped_early,
        "producer": {"acked": produced.acked, "bytes": produced.bytes, "msgs_per_sec": produced.msgs_per_sec},
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "shared": "2 cores shared with other work; see load_before/load_after of each run",
        },
        "repetitions": runs,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.spark_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS, help=f"events to preload (default {DEFAULT_EVENTS:,})")
    parser.add_argument("--partitions", type=int, default=6, help="topic partitions (default 6)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each job, alternating (default 3)")
    parser.add_argument("--run-timeout-s", type=float, default=900, help="kill a run after this long (default 900)")
    parser.add_argument("--time-budget-s", type=float, default=3000,
                        help="start no new repetition that would end after this many seconds of runs (default 3000)")
    parser.add_argument("--job-arg", action="append", default=[],
                        help="extra argument for our job, repeatable, e.g. --job-arg=--max-offsets-per-trigger=250000")
    parser.add_argument("--no-event-log", dest="event_log", action="store_false", help="no Spark event log breakdown")
    parser.add_argument("--out", type=Path, default=RESULTS_FILE, help=f"result file (default {RESULTS_FILE.relative_to(PROJECT_ROOT)})")
    args = parser.parse_args(argv)
    args.command = " ".join([".venv/bin/python -m bench.spark_bench", *(sys.argv[1:] if argv is None else argv)])
    for name in ("events", "partitions", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name}={getattr(args, name)} is not valid: expected an integer >= 1")
    for name in ("run_timeout_s", "time_budget_s"):
        if not getattr(args, name) > 0:
            parser.error(f"--{name.replace('_', '-')}={getattr(args, name)} is not valid: expected seconds > 0")

    # `kill` (SIGTERM) unwinds like Ctrl-C, so the broker is stopped and the running job killed.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    runs: list[dict] = []
    completed, stopped_early = 0, None
    with tempfile.TemporaryDirectory(prefix="spark-bench-") as tmp:
        workdir = Path(tmp)
        port, controller_port = free_ports(2)
        broker = EmbeddedKafka(workdir / "kafka", port=port, controller_port=controller_port, heap_mb=512)
        broker.start(timeout_s=120)
        try:
            broker.create_topic(TOPIC, partitions=args.partitions)
            print(f"preloading {args.events:,} events into {TOPIC} ({args.partitions} partitions) ...", flush=True)
            produced = produce(broker.bootstrap_servers, TOPIC, args.events, seed=SEED, start_time=START_TIME,
                               timeout_s=max(600, args.events / 5000))
            if produced.acked != args.events:
                raise SystemExit(f"bench.spark_bench: the producer acknowledged {produced.acked} of {args.events} events")
            print(f"preloaded: {produced.acked:,} events, {produced.bytes / 2**20:,.0f} MiB, {produced.msgs_per_sec:,.0f} msg/s", flush=True)
            budget_end = time.monotonic() + args.time_budget_s
            pair_s = 0.0
            for repeat in range(args.repeats):
                if repeat > 0 and time.monotonic() + pair_s > budget_end:
                    stopped_early = (f"stopped after {repeat} of {args.repeats} repetitions: another pair "
                                     f"(~{pair_s:.0f} s) would pass --time-budget-s={args.time_budget_s:g}")
                    print(stopped_early, flush=True)
                    break
                pair_started = time.monotonic()
                for job in JOBS:
                    row = run_one(job, repeat, broker, workdir, args)
                    runs.append(row)
                    shown = {k: v for k, v in row.items() if k != "breakdown"}
                    print(json.dumps(shown), flush=True)
                pair_s = time.monotonic() - pair_started
                completed = repeat + 1
        finally:
            broker.stop()

    result = report(args, runs, produced, completed, stopped_early)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\n{'job':18s} {'median events/s':>16s}  runs (events/s)")
    for row in result["runs"]:
        per_run = [r.get("events_per_sec", "failed") if "error" not in r else "failed" for r in runs if r["job"] == row["job"]]
        median = f"{row['events_per_sec']:16,.0f}" if row["events_per_sec"] else f"{'n/a':>16s}"
        print(f"{row['job']:18s} {median}  {per_run}")
    print(f"ratio flight-analytics / naive-baseline: medians {result['ratio_ours_to_baseline']}, "
          f"per pair {result['pair_ratios']}  -> {args.out}")
    return 0 if all(row["events_per_sec"] for row in result["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
