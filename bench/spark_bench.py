"""make bench-spark: the steady-state rate of our Spark job, against plain Spark and a naive job, in one run.

    .venv/bin/python -m bench.spark_bench [--events 3000000] [--partitions 6] [--repeats 1] [--plain-runs 3]
                                          [--run-timeout-s 1800] [--time-budget-s 7200] [--wait-for-quiet-s 120]
                                          [--job-arg=--opt=value ...] [--out bench/results/spark.json]

Starts an embedded broker on 127.0.0.1, preloads --events seeded events (seed 42) into a --partitions topic
with our producer, then runs three jobs over the whole topic, each in its own process, on local[2]
(order plain, ours, naive; each further repetition rotates the order by one):
  plain-spark-reference  bench/spark_plain_reference.py: one batch read of the topic + from_json + the
                         per-airline 1-minute window aggregation, --plain-runs times in one session (the
                         plan varied by a literal each time); the last, warm run is the reference
  flight-analytics       our job with its real command line (local.spark_job's main), trigger
                         available-now, --max-offsets-per-trigger = events / BATCHES_PER_QUERY
  naive-baseline         bench/spark_naive_job.py: from_json + per-airline windowed count with Spark's
                         defaults, the same maxOffsetsPerTrigger
Each streaming job first runs --warm-passes (default WARM_PASSES = 2) whole passes over the topic in its
JVM, with folders of their own, and is then measured on a pass from fresh folders in a new SparkSession of
the same JVM (bench/spark_warm.py): the plain reference is measured after two warm runs too.
Every streaming run starts from fresh output and checkpoint folders and writes a Spark event log (its
QueryProgressEvent entries give each micro-batch's start, duration and input rows).

Steady state (pure functions below, tested in test/bench/test_spark_bench_analysis.py):
  - each query's first WARMUP_BATCHES micro-batches are warm-up and dropped; a query with fewer than
    MIN_BATCHES batches in all leaves the run "steady_state": false, with the reason;
  - batch start = the progress timestamp, end = start + batchDuration;
  - the job's steady interval is [t0, t1]: t0 = the latest start of any query's first steady batch,
    t1 = the earliest end of any query's last batch (all queries are in steady state within it);
  - a query's rate = input rows of its steady batches inside [t0, t1] (a batch counts in proportion to
    its overlap) / (t1 - t0); the job's steady events/s = the least of its queries' rates (every query
    must process every event);
  - the plain reference has no micro-batches: its steady rate is its last warm run's events / wall s;
  - with --warm-passes 1 or 2 every figure but the whole-run CPU is the measured pass's.

CPU per event (µs):
  - whole run, all three: CPU seconds of the run's JVM (every thread: tasks, driver, JIT, GC), from
    /proc once a second, / events it processed (plain: the events of all its runs);
  - steady, all three: streaming jobs, that JVM CPU interpolated over [t0, t1] / the job's events in it
    (steady rate x (t1 - t0)); the plain reference, its JVM's CPU over the last run / its events;
  - our job, by stage: executor CPU of each stage (SparkListenerStageCompleted) of the whole measured pass, / the
    events on the topic. The job tags its Spark jobs (spark.job.description, SparkListenerJobStart)
    with a prefix; STAGE_TAGS maps each prefix to the bucket of each of the job's stages by its
    ordinal in that job's stage list (sorted by stage id; stages past the list take its last bucket):
        fa:events           [events]                           Kafka read + parse + validate + write events/
        fa:quarantine       [quarantine]                       write quarantine/ (rare)
        fa:positions        [positions]                        compute and write flight_positions/
        fa:windows-compute  [parse_validate, dedup, windows]   Kafka read + parse + validate, de-duplicate, aggregate
        fa:windows-write    [windows]                          write the closed windows
    A stage of a job with no tag (the streaming engine's own) goes to "other". Reported:
    parse_validate = parse_validate / events; events_write = (events + quarantine) / events -
    parse_validate, floored at 0 (the raw figures are reported too); dedup, windows, positions, other.

Load: it does not start until the 1-minute load average is below QUIET_LOAD (it waits up to
--wait-for-quiet-s, checking every LOAD_POLL_S s, then exits 3). Before each run it waits the same way
(then runs anyway). A run whose 1-minute load before or after it was above BUSY_LOAD, or during which processes
outside the benchmark used more than OTHERS_MAX_CORES of CPU on average (bench/load.py CpuAccount), is
"valid": false (something else was running) and left out of the medians and ratios, as is a failed run. Every wait and run is
bounded (--run-timeout-s), and no repetition starts that would end past --time-budget-s.

Writes bench/results/spark.json: method (all of the above in words), machine, events, partitions, runs
(every valid run with its batches, steady interval, CPU figures and load), runs_left_out (which runs the
load rule left out, and why), summary (per job: medians over valid
steady runs, per core, µs/event by stage, ratio_to_plain, ratio_to_naive), and prints a table.
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
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from bench.load import RULE as LOAD_RULE
from bench.load import (
    QUIET_LOAD, CpuAccount, PeriodicSampler, left_out, proc_stat, read_process_stats, run_validity, start_when_quiet, tree_pids,
    wait_for_quiet,
)
from local.embedded_kafka import EmbeddedKafka, free_ports
from local.pipeline import SPARK_JOBS_DIR, PipelineStepError, produce, run_spark_job, spark_job_args

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RESULTS_FILE = PROJECT_ROOT / "bench" / "results" / "spark.json"
SEED = 42
START_TIME = "2026-03-01T00:00:00.000Z"
TOPIC = "flight-events-bench"
CORES = 2
MASTER = f"local[{CORES}]"
DEFAULT_EVENTS = 6_000_000
"""Enough for WARMUP_BATCHES of warm-up and 14 steady batches of 250,000 events each."""

PLAIN, OURS, NAIVE = "plain-spark-reference", "flight-analytics", "naive-baseline"
JOBS = (PLAIN, OURS, NAIVE)
"""The order of the first repetition; each further one starts one job later."""

BATCHES_PER_QUERY = 24
"""maxOffsetsPerTrigger = events / this, so each query runs at least MIN_BATCHES micro-batches."""
WARMUP_BATCHES = 10
"""Each query's first micro-batches, dropped as warm-up (JIT compilation, class loading, first plans).
Why 10: per-thread CPU of our job's JVM (/proc/<pid>/task, 10 s samples) showed the JIT compiler
threads at 7 s of CPU per 10 s in the first minute, 4 s at 100 s and under 2 s from about 130 s on; 10
batches of 250,000 events take our job about 130 s. With 3 (the earlier setting) the JIT took about a
fifth of the CPU of the 'steady' interval, while the plain reference is measured after two whole warm
runs of the topic."""
MIN_BATCHES = 20
"""A query with fewer micro-batches in all gives no steady-state rate."""
WARM_PASSES = 2
"""Whole passes over the topic each streaming job runs in its JVM before the measured one (bench/spark_warm.py),
as the plain reference runs twice before its measured run (default --plain-runs 3). With one, the C1 and C2
threads still took about 7 % of our job's CPU in the steady interval (2026-12-07, a compilation log: C1
compiling Spark's planner and its listeners, a long tail)."""
EVENT_LOG = "eventlog"
"""A run's Spark event log folder, under its run folder."""

STAGE_TAGS: dict[str, tuple[str, ...]] = {
    "fa:events": ("events",),
    "fa:quarantine": ("quarantine",),
    "fa:positions": ("positions",),
    "fa:windows-compute": ("parse_validate", "dedup", "windows"),
    "fa:windows-write": ("windows",),
}
"""spark.job.description prefix -> the bucket of the job's stage at each ordinal (see the module docstring).
cpu_split_us_per_event reads the buckets by these names."""
OTHER = "other"
BUCKETS = (*dict.fromkeys(name for names in STAGE_TAGS.values() for name in names), OTHER)

PROGRESS_EVENT = "org.apache.spark.sql.streaming.StreamingQueryListener$QueryProgressEvent"
JOB_START_EVENT = "SparkListenerJobStart"
STAGE_COMPLETED_EVENT = "SparkListenerStageCompleted"

METHOD = {
    "jobs": (
        f"{PLAIN}: bench/spark_plain_reference.py, a batch read of the whole topic + from_json + the per-airline "
        "1-minute window aggregation (count, avg departure_delay_min), run several times in one SparkSession with a "
        f"literal that changes the plan each run; the last run is reported. {OURS}: python -m local.spark_job, "
        f"trigger available-now. {NAIVE}: bench/spark_naive_job.py, from_json + per-airline windowed count, Spark "
        f"defaults. All local[{CORES}], one process each, fresh output and checkpoint folders. Each streaming job runs "
        f"warm_passes whole passes over the topic in its JVM first (own folders; bench/spark_warm.py), then the "
        "measured pass in a new SparkSession of the same JVM, as the plain reference is measured after warm runs."
    ),
    "batches": f"the streaming jobs read with maxOffsetsPerTrigger = events / {BATCHES_PER_QUERY}, so every query "
               f"runs at least {MIN_BATCHES} micro-batches.",
    "warm_up": f"a streaming job's warm_passes earlier passes warm its JVM (JIT, classes, Spark's code cache); of the "
               f"measured pass, each query's first {WARMUP_BATCHES} micro-batches are warm-up and dropped too; a query with fewer than "
               f"{MIN_BATCHES} batches in all makes the run steady_state false. The plain reference's earlier runs in "
               "its session are its warm-up.",
    "steady_interval": "batch start = progress timestamp, end = start + batchDuration (from the Spark event log). "
                       "t0 = the latest start of any query's first steady batch, t1 = the earliest end of any query's "
                       "last batch; a query's rate = its input rows inside [t0, t1] (a batch counted in proportion to "
                       "its overlap) / (t1 - t0); the job's steady events/s = the least of its queries' rates.",
    "cpu": "jvm_cpu_us_per_event_whole_run: CPU s of the run's JVM (/proc, every thread, warm passes included) / events "
           "it processed in all its passes or runs. "
           "jvm_cpu_us_per_event_steady: that CPU interpolated over [t0, t1] / (steady rate x (t1 - t0)); for the "
           "plain reference, its JVM's CPU over the last run / its events.",
    "cpu_split": "our job only, its whole measured pass: executor CPU of each stage (event log) / events on the topic, grouped by "
                 "the job's spark.job.description prefix and the stage's ordinal in its job (stage ids sorted): "
                 + "; ".join(f"{tag} {list(names)}" for tag, names in STAGE_TAGS.items())
                 + ". events_write = (fa:events + fa:quarantine) - parse_validate, floored at 0; untagged stages "
                   "are 'other'.",
    "load": LOAD_RULE,
    "not_steady": "wall_events_per_sec_not_steady is events / the whole run's wall time (warm-up included): not a "
                  "steady-state figure.",
}


# --- Steady state, from micro-batch progress (pure) -------------------------------------------


@dataclass(frozen=True)
class Batch:
    """One micro-batch of one query: start in Unix seconds, duration in seconds, input rows."""

    query: str
    batch_id: int
    start_s: float
    duration_s: float
    rows: int

    @property
    def end_s(self) -> float:
        return self.start_s + self.duration_s


def unix_seconds(iso: str) -> float:
    """Unix seconds of an ISO 8601 time such as a progress timestamp ('2026-12-06T04:12:33.123Z')."""
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def iso_time(seconds: float) -> str:
    """An ISO 8601 UTC time (milliseconds) of Unix seconds."""
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def batch_of(progress: dict) -> Batch:
    """A StreamingQueryProgress as the event log holds it: name (else id), batchId, timestamp (the
    trigger's start), batchDuration (ms) and numInputRows (else the sum of its sources' rows)."""
    rows = progress.get("numInputRows")
    if rows is None:
        rows = sum(source.get("numInputRows", 0) for source in progress.get("sources") or [])
    duration_ms = progress.get("batchDuration")
    if duration_ms is None:
        duration_ms = (progress.get("durationMs") or {}).get("triggerExecution", 0)
    return Batch(
        query=progress.get("name") or progress["id"],
        batch_id=int(progress["batchId"]),
        start_s=unix_seconds(progress["timestamp"]),
        duration_s=duration_ms / 1000,
        rows=int(rows),
    )


def batches_by_query(progress: Iterable[dict]) -> dict[str, list[Batch]]:
    """Each query's micro-batches in batch order."""
    grouped: dict[str, list[Batch]] = defaultdict(list)
    for record in progress:
        batch = batch_of(record)
        grouped[batch.query].append(batch)
    return {query: sorted(batches, key=lambda b: (b.batch_id, b.start_s)) for query, batches in grouped.items()}


def rows_within(batch: Batch, t0: float, t1: float) -> float:
    """Input rows of `batch` inside [t0, t1] (Unix s), its rows spread evenly over its duration."""
    if batch.duration_s <= 0:
        return float(batch.rows) if t0 <= batch.start_s <= t1 else 0.0
    overlap_s = min(batch.end_s, t1) - max(batch.start_s, t0)
    return batch.rows * max(0.0, overlap_s) / batch.duration_s


def steady_state(batches: dict[str, list[Batch]], warmup: int = WARMUP_BATCHES, min_batches: int = MIN_BATCHES) -> dict:
    """The job's steady-state rate from its queries' micro-batches (see the module docstring).

    Returns {"steady_state": bool, "reason": str | None, and when steady: "events_per_sec" (the least
    query rate), "limiting_query", "t0_unix_s", "t1_unix_s", "t0", "t1" (ISO), "interval_s", and per
    query its batches, first steady batch id, rows inside the interval and events/s}."""
    if not batches:
        return {"steady_state": False, "reason": "no micro-batch progress was recorded"}
    short = {query: len(runs) for query, runs in batches.items() if len(runs) < min_batches}
    if short:
        counts = ", ".join(f"{query} had {n}" for query, n in sorted(short.items()))
        return {"steady_state": False, "reason": f"fewer than {min_batches} micro-batches ({counts})"}
    steady = {query: runs[warmup:] for query, runs in batches.items()}
    t0 = max(runs[0].start_s for runs in steady.values())
    t1 = min(runs[-1].end_s for runs in steady.values())
    if t1 <= t0:
        return {"steady_state": False,
                "reason": "the queries' steady batches do not overlap in time (t1 <= t0): they did not run concurrently"}
    interval_s = t1 - t0
    queries = {}
    for query, runs in sorted(steady.items()):
        rows = sum(rows_within(batch, t0, t1) for batch in runs)
        queries[query] = {
            "batches": len(batches[query]),
            "first_steady_batch_id": runs[0].batch_id,
            "rows_in_interval": round(rows, 1),
            "events_per_sec": round(rows / interval_s, 1),
        }
    limiting = min(queries, key=lambda query: queries[query]["events_per_sec"])
    return {
        "steady_state": True,
        "reason": None,
        "events_per_sec": queries[limiting]["events_per_sec"],
        "limiting_query": limiting,
        "t0_unix_s": t0,
        "t1_unix_s": t1,
        "t0": iso_time(t0),
        "t1": iso_time(t1),
        "interval_s": round(interval_s, 3),
        "queries": queries,
    }


def query_batches(batches: list[Batch], origin_s: float) -> list[dict]:
    """A query's micro-batches for the JSON: id, start (s after origin_s), duration (s), rows."""
    return [{"batch_id": b.batch_id, "start_s": round(b.start_s - origin_s, 3), "duration_s": b.duration_s, "rows": b.rows}
            for b in batches]


# --- CPU (pure) ----------------------------------------------------------------------------------


def cpu_between(samples: list[tuple[float, float]], t0: float, t1: float) -> float | None:
    """CPU seconds used between t0 and t1 (Unix s), linearly interpolated from (Unix s, cumulative CPU s)
    samples in time order; None unless the samples cover [t0, t1]."""

    def at(t: float) -> float | None:
        for (ta, ca), (tb, cb) in zip(samples, samples[1:]):
            if ta <= t <= tb:
                return ca if tb == ta else ca + (cb - ca) * (t - ta) / (tb - ta)
        return None

    start, end = at(t0), at(t1)
    return None if start is None or end is None else end - start


def tag_of(description: str | None) -> str | None:
    """The STAGE_TAGS prefix a Spark job's description starts with (the longest one), or None."""
    matches = [tag for tag in STAGE_TAGS if (description or "").startswith(tag)]
    return max(matches, key=len) if matches else None


def stage_cpu_by_bucket(jobs: list[tuple[str | None, list[int]]], stage_cpu_s: dict[int, float]) -> tuple[dict, dict]:
    """Executor CPU seconds per bucket (BUCKETS), and per tag the CPU seconds at each stage ordinal.

    jobs: (spark.job.description, stage ids) of each Spark job in start order; a stage belongs to the
    first job that lists it (a later job that reuses its output lists it as skipped)."""
    placed: dict[int, tuple[str | None, int]] = {}
    for description, stage_ids in jobs:
        tag = tag_of(description)
        for ordinal, stage_id in enumerate(sorted(stage_ids)):
            placed.setdefault(stage_id, (tag, ordinal))
    buckets = dict.fromkeys(BUCKETS, 0.0)
    by_ordinal: dict[str, list[float]] = {}
    for stage_id, cpu_s in stage_cpu_s.items():
        tag, ordinal = placed.get(stage_id, (None, 0))
        if tag is None:
            buckets[OTHER] += cpu_s
            continue
        names = STAGE_TAGS[tag]
        buckets[names[min(ordinal, len(names) - 1)]] += cpu_s
        ordinals = by_ordinal.setdefault(tag, [])
        ordinals.extend([0.0] * (ordinal + 1 - len(ordinals)))
        ordinals[ordinal] += cpu_s
    return buckets, by_ordinal


def cpu_split_us_per_event(buckets: dict[str, float], events: int) -> dict[str, float]:
    """Our job's stage CPU in µs per event: parse_validate, events_write, dedup, windows, positions,
    other, the raw fa:events and fa:quarantine figures, and the total (see the module docstring)."""
    us = {name: cpu_s * 1e6 / events for name, cpu_s in buckets.items()}
    split = {
        "parse_validate": us["parse_validate"],
        "events_write": max(0.0, us["events"] + us["quarantine"] - us["parse_validate"]),
        "dedup": us["dedup"],
        "windows": us["windows"],
        "positions": us["positions"],
        OTHER: us[OTHER],
        "fa_events_raw": us["events"],
        "fa_quarantine_raw": us["quarantine"],
        "total": sum(us.values()),
    }
    return {name: round(value, 2) for name, value in split.items()}


def us_per_event(cpu_s: float | None, events: float) -> float | None:
    """CPU seconds -> µs per event (None when either is missing)."""
    return round(cpu_s * 1e6 / events, 2) if cpu_s is not None and events else None


# --- Load, order, validity, summary (pure) -------------------------------------------------------


def run_order(repeat: int) -> tuple[str, ...]:
    """JOBS rotated by one per repetition: plain, ours, naive; then ours, naive, plain; ..."""
    shift = repeat % len(JOBS)
    return JOBS[shift:] + JOBS[:shift]


def usable(run: dict) -> bool:
    """A run that counts in the medians and ratios: valid and with a steady-state rate."""
    return run.get("valid", False) and bool(run.get("steady_events_per_sec"))


def ratio(a: float | None, b: float | None) -> float | None:
    """a / b, or None when either is missing."""
    return round(a / b, 3) if a and b else None


def attach_ratios(runs: list[dict]) -> None:
    """Each usable run's steady rate over the plain reference's and the naive job's in the same repetition."""
    for run in runs:
        peers = {r["job"]: r for r in runs if r["repeat"] == run["repeat"] and usable(r)}
        mine = run.get("steady_events_per_sec") if usable(run) else None
        run["ratio_to_plain"] = ratio(mine, peers.get(PLAIN, {}).get("steady_events_per_sec"))
        run["ratio_to_naive"] = ratio(mine, peers.get(NAIVE, {}).get("steady_events_per_sec"))


def median_of(values: Iterable[float | None]) -> float | None:
    """The median of the values that are present, or None."""
    present = [v for v in values if v is not None]
    return round(statistics.median(present), 2) if present else None


def summarise(runs: list[dict]) -> dict:
    """Per job: medians over its usable runs (steady events/s, per core, CPU µs/event; ours by stage)
    and the ratios of those medians to the plain reference's and the naive job's."""
    summary = {}
    for job in JOBS:
        mine = [r for r in runs if r["job"] == job and usable(r)]
        rate = median_of(r["steady_events_per_sec"] for r in mine)
        entry = {
            "runs": sum(r["job"] == job for r in runs),
            "usable_runs": len(mine),
            "steady_events_per_sec_median": rate,
            "steady_events_per_sec_per_core": round(rate / CORES, 1) if rate else None,
            "jvm_cpu_us_per_event_steady_median": median_of(r.get("jvm_cpu_us_per_event_steady") for r in mine),
            "jvm_cpu_us_per_event_whole_run_median": median_of(r.get("jvm_cpu_us_per_event_whole_run") for r in mine),
            "wall_events_per_sec_not_steady_median": median_of(r.get("wall_events_per_sec_not_steady") for r in mine),
        }
        if job == OURS:
            stages = [r["cpu_us_per_event_by_stage"] for r in mine if r.get("cpu_us_per_event_by_stage")]
            entry["cpu_us_per_event_by_stage"] = (
                {name: median_of(s[name] for s in stages) for name in stages[0]} if stages else None
            )
        summary[job] = entry
    for entry in summary.values():
        entry["ratio_to_plain"] = ratio(entry["steady_events_per_sec_median"], summary[PLAIN]["steady_events_per_sec_median"])
        entry["ratio_to_naive"] = ratio(entry["steady_events_per_sec_median"], summary[NAIVE]["steady_events_per_sec_median"])
    return summary


# --- The Spark event log -------------------------------------------------------------------------


@dataclass
class EventLog:
    """What the bench reads from a run's Spark event log."""

    progress: list[dict] = field(default_factory=list)
    """Every StreamingQueryProgress (QueryProgressEvent's "progress")."""
    jobs: list[tuple[str | None, list[int]]] = field(default_factory=list)
    """(spark.job.description, stage ids) of each Spark job, in start order."""
    stage_cpu_s: dict[int, float] = field(default_factory=dict)
    """Executor CPU seconds of each stage id, summed over its attempts."""


def event_log_env(log_dir: Path) -> str:
    """PYSPARK_SUBMIT_ARGS that make a job write an uncompressed, single-file Spark event log to log_dir
    (the same for every job, through the environment, so no job's code changes for the bench)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    confs = {
        "spark.eventLog.enabled": "true",
        "spark.eventLog.dir": str(log_dir),
        "spark.eventLog.compress": "false",
        "spark.eventLog.rolling.enabled": "false",
    }
    return " ".join(f"--conf {k}={v}" for k, v in confs.items()) + " pyspark-shell"


def _stage_cpu_s(stage_info: dict) -> float:
    """Executor CPU seconds of a completed stage (its executorCpuTime accumulable, ns)."""
    for accumulable in stage_info.get("Accumulables", []):
        if accumulable.get("Name") == "internal.metrics.executorCpuTime":
            try:
                return float(accumulable.get("Value") or 0) / 1e9
            except (TypeError, ValueError):
                return 0.0
    return 0.0


def read_event_log(log_dir: Path) -> EventLog:
    """The progress, job and stage-CPU entries of the event log(s) in log_dir (task events skipped)."""
    files = sorted(p for p in log_dir.iterdir() if p.is_file()) if log_dir.is_dir() else []
    if not files:
        raise PipelineStepError(f"no Spark event log in {log_dir}")
    log = EventLog()
    markers = (PROGRESS_EVENT, f'"{JOB_START_EVENT}"', f'"{STAGE_COMPLETED_EVENT}"')
    for path in files:
        with path.open() as lines:
            for line in lines:
                if not any(marker in line for marker in markers):
                    continue  # most lines are task events
                try:
                    event = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a log cut off by a killed run ends mid-line
                kind = event.get("Event")
                if kind == PROGRESS_EVENT:
                    log.progress.append(event["progress"])
                elif kind == JOB_START_EVENT:
                    description = (event.get("Properties") or {}).get("spark.job.description")
                    log.jobs.append((description, list(event.get("Stage IDs", []))))
                elif kind == STAGE_COMPLETED_EVENT:
                    info = event["Stage Info"]
                    stage_id = info.get("Stage ID")
                    log.stage_cpu_s[stage_id] = log.stage_cpu_s.get(stage_id, 0.0) + _stage_cpu_s(info)
    return log


# --- Processes --------------------------------------------------------------------------------


def proc_cpu_s(pid: int) -> float:
    """CPU seconds (user + system, every thread) a running process has used."""
    stat = proc_stat(pid)
    if stat is None:
        raise ProcessLookupError(f"process {pid} is gone")
    return stat.own_s


def java_descendants(root: int) -> list[int]:
    """Pids of the java processes under process `root` (children, grandchildren, ...)."""
    stats = read_process_stats()
    descendants = tree_pids(root, {pid: stat.ppid for pid, stat in stats.items()}) - {root}
    return sorted(pid for pid in descendants if stats[pid].name == "java")


class JvmCpuSampler(PeriodicSampler):
    """CPU seconds of the JVMs started under this process while it runs (every thread: tasks, driver,
    GC, JIT), read from /proc once a second into `samples`: (Unix s, cumulative CPU s) in time order.
    JVMs already running when it is made (the broker) are left out."""

    def __init__(self, interval_s: float = 1.0) -> None:
        super().__init__(interval_s)
        self.exclude = set(java_descendants(os.getpid()))
        self.cpu_by_pid: dict[int, float] = {}
        self.samples: list[tuple[float, float]] = []

    def sample(self) -> None:
        for pid in java_descendants(os.getpid()):
            if pid not in self.exclude and (stat := proc_stat(pid)) is not None:
                self.cpu_by_pid[pid] = max(self.cpu_by_pid.get(pid, 0.0), stat.own_s)
        self.samples.append((time.time(), sum(self.cpu_by_pid.values())))

    @property
    def cpu_s(self) -> float:
        """CPU seconds of those JVMs over the whole run (each up to its last sample)."""
        return round(sum(self.cpu_by_pid.values()), 2)


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set environment variables for the block (run_spark_job reads os.environ), then restore them."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def max_offsets_per_trigger(events: int) -> int:
    """Records per micro-batch so that each query runs about BATCHES_PER_QUERY batches."""
    return max(1, round(events / BATCHES_PER_QUERY))


def run_module(module: str, args: list[str], tag: str, timeout_s: float) -> dict:
    """Run `python -m module args` like the job (spark-jobs/ and the project on PYTHONPATH) and
    return the JSON of its last '<tag> {...}' line on stdout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SPARK_JOBS_DIR), str(PROJECT_ROOT), env.get("PYTHONPATH", "")])
    cmd = [sys.executable, "-m", module, *args]
    try:
        done = subprocess.run(cmd, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        raise PipelineStepError(f"{module} did not finish within {timeout_s:.0f} s") from exc
    if done.returncode != 0:
        raise PipelineStepError(f"{module} exited {done.returncode}: {done.stderr[-2000:]}")
    line = next((l for l in reversed(done.stdout.splitlines()) if l.startswith(tag + " ")), None)
    if line is None:
        raise PipelineStepError(f"{module} printed no {tag} line: {done.stdout[-1000:]}")
    return json.loads(line.removeprefix(tag + " "))


def run_plain(bootstrap: str, run_dir: Path, args: argparse.Namespace) -> dict:
    """The plain reference's PLAIN_RESULT."""
    return run_module("bench.spark_plain_reference", [bootstrap, TOPIC, "--runs", str(args.plain_runs)],
                      "PLAIN_RESULT", args.run_timeout_s)


def run_ours(bootstrap: str, run_dir: Path, args: argparse.Namespace) -> dict:
    """Our job's SPARK_RESULT (input_rows, elapsed_s, ...) of its measured pass."""
    # The job's own --timeout-s ends each pass cleanly (exit 1, with a message) before the hard kill.
    job_args = ("--timeout-s", str(max(args.run_timeout_s / (1 + args.warm_passes) - 60, 30)),
                "--max-offsets-per-trigger", str(max_offsets_per_trigger(args.events)), *args.job_arg)
    if not args.warm_passes:
        result = run_spark_job(bootstrap, TOPIC, run_dir / "out", run_dir / "ck", master=MASTER,
                               extra_args=job_args, timeout_s=args.run_timeout_s)
        return asdict(result)
    job_argv = spark_job_args(bootstrap, TOPIC, run_dir / "out", run_dir / "ck", master=MASTER, extra_args=job_args)
    return run_module("bench.spark_warm", ["ours", str(args.warm_passes), str(run_dir / EVENT_LOG), str(run_dir / "warmup"), "--", *job_argv],
                      "SPARK_RESULT", args.run_timeout_s)


def run_naive(bootstrap: str, run_dir: Path, args: argparse.Namespace) -> dict:
    """The naive job's NAIVE_RESULT (input_rows, elapsed_s, ...) of its measured pass."""
    job_argv = [bootstrap, TOPIC, str(run_dir / "out"), str(run_dir / "ck"),
                "--max-offsets-per-trigger", str(max_offsets_per_trigger(args.events))]
    if not args.warm_passes:
        return run_module("bench.spark_naive_job", job_argv, "NAIVE_RESULT", args.run_timeout_s)
    return run_module("bench.spark_warm", ["naive", str(args.warm_passes), str(run_dir / EVENT_LOG), str(run_dir / "warmup"), "--", *job_argv],
                      "NAIVE_RESULT", args.run_timeout_s)


RUNNERS = {PLAIN: run_plain, OURS: run_ours, NAIVE: run_naive}


def plain_figures(result: dict, sampler: JvmCpuSampler) -> dict:
    """Steady (last run) and whole-process figures of the plain reference."""
    runs = result["runs"]
    last = runs[-1]
    events_all = sum(r["events"] for r in runs)
    return {
        "events_processed": last["events"],
        "steady_state": True,
        "steady_state_reason": None,
        "steady": {"steady_state": True, "reason": None, "events_per_sec": last["events_per_sec"],
                   "basis": f"the last of {len(runs)} runs in one SparkSession (the earlier ones are its warm-up)"},
        "steady_events_per_sec": last["events_per_sec"],
        "jvm_cpu_s_steady": last["jvm_cpu_s"],
        "jvm_cpu_us_per_event_steady": us_per_event(last["jvm_cpu_s"], last["events"]),
        "wall_events_per_sec_not_steady": round(events_all / sum(r["wall_s"] for r in runs), 1),
        "wall_basis": "events / wall s of all runs in the session, the cold first one included",
        "jvm_cpu_s_whole_run": sampler.cpu_s,
        "jvm_cpu_us_per_event_whole_run": us_per_event(sampler.cpu_s, events_all),
        "whole_run_basis": f"JVM CPU of the whole process / the events of all {len(runs)} runs",
    }


def streaming_figures(result: dict, log: EventLog, sampler: JvmCpuSampler, passes: int = 1) -> dict:
    """Steady state, per-query batches, JVM CPU (steady and whole run) and wall rate of a streaming run
    (the measured pass's; `passes` counts the warm-up passes too, for the whole-run CPU)."""
    batches = batches_by_query(log.progress)
    steady = steady_state(batches)
    origin_s = min((b.start_s for runs in batches.values() for b in runs), default=0.0)
    events = result["input_rows"]
    figures = {
        "events_processed": events,
        "steady_state": steady["steady_state"],
        "steady_state_reason": steady["reason"],
        "steady": steady,
        "steady_events_per_sec": steady.get("events_per_sec"),
        "batches": {query: query_batches(runs, origin_s) for query, runs in batches.items()},
        "wall_events_per_sec_not_steady": round(events / result["elapsed_s"], 1) if result["elapsed_s"] else None,
        "wall_basis": "events / wall s from starting the queries until all are done (the job's own timing; "
                      "session start-up excluded, warm-up batches included)",
        "jvm_cpu_s_whole_run": sampler.cpu_s,
        "jvm_cpu_us_per_event_whole_run": us_per_event(sampler.cpu_s, events * passes),
        "whole_run_basis": f"JVM CPU of the whole process (start-up included) / the events it read in {passes} pass(es)",
    }
    if steady["steady_state"]:
        cpu_s = cpu_between(sampler.samples, steady["t0_unix_s"], steady["t1_unix_s"])
        figures["jvm_cpu_s_steady"] = round(cpu_s, 2) if cpu_s is not None else None
        figures["jvm_cpu_us_per_event_steady"] = us_per_event(cpu_s, steady["events_per_sec"] * steady["interval_s"])
    return figures


def stage_figures(log: EventLog, events: int) -> dict:
    """Our job's stage CPU split by STAGE_TAGS, µs per event on the topic (whole run)."""
    buckets, by_ordinal = stage_cpu_by_bucket(log.jobs, log.stage_cpu_s)
    return {
        "cpu_us_per_event_by_stage": cpu_split_us_per_event(buckets, events),
        "stage_cpu_s_by_bucket": {name: round(cpu_s, 2) for name, cpu_s in buckets.items()},
        "stage_cpu_s_by_tag_and_ordinal": {tag: [round(c, 2) for c in cpus] for tag, cpus in by_ordinal.items()},
        "stage_split_basis": "executor CPU of every stage of the whole run (event log) / events on the topic",
    }


def run_one(job: str, repeat: int, bootstrap: str, workdir: Path, args: argparse.Namespace) -> dict:
    """One run of one job, in its own process, with its load, event log and JVM CPU: the JSON row."""
    _, load_before, waited_s = wait_for_quiet(args.wait_for_quiet_s)
    run_dir = workdir / f"{job}-{repeat}"
    log_dir = run_dir / EVENT_LOG
    row: dict = {"job": job, "repeat": repeat, "load_before": round(load_before, 2), "waited_for_quiet_s": waited_s,
                 "started": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    started = time.monotonic()
    error = None
    others = CpuAccount()
    try:
        with environment(PYSPARK_SUBMIT_ARGS=event_log_env(log_dir)), JvmCpuSampler() as sampler, CpuAccount() as others:
            result = RUNNERS[job](bootstrap, run_dir, args)
        row["result"] = result
        if job == PLAIN:
            row.update(plain_figures(result, sampler))
        else:
            log = read_event_log(log_dir)
            row.update(streaming_figures(result, log, sampler, passes=1 + args.warm_passes))
            if job == OURS:
                row.update(stage_figures(log, args.events))
        if row["events_processed"] != args.events:
            error = f"processed {row['events_processed']} events, expected {args.events}"
    except Exception as exc:  # noqa: BLE001 (one run's failure, whatever it is, must not lose the others' results)
        error = f"{type(exc).__name__}: {exc}"[-1500:]
    row["process_wall_s"] = round(time.monotonic() - started, 1)
    row["load_after"] = round(os.getloadavg()[0], 2)
    row["others_cores"] = others.others_cores
    row["valid"], row["invalid_reason"] = run_validity(load_before, error, others.others_cores, row["load_after"])
    if error:
        row["error"] = error
    return row


def report(args: argparse.Namespace, runs: list[dict], produced, start_load: tuple[float, float],
           stopped_early: str | None) -> dict:
    """The JSON document: method, machine, settings, summary and every run."""
    attach_ratios(runs)
    summary = summarise(runs)
    ours_per_core = summary[OURS]["steady_events_per_sec_per_core"]
    return {
        "benchmark": "spark",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": args.command,
        "method": METHOD,
        "machine": {"cores": CORES, "cpu_count": os.cpu_count(), "platform": platform.platform(),
                    "load_before_start": round(start_load[0], 2), "waited_for_quiet_s_at_start": start_load[1],
                    "master": MASTER},
        "events": args.events,
        "partitions": args.partitions,
        "max_offsets_per_trigger": max_offsets_per_trigger(args.events),
        "warm_passes": args.warm_passes,
        "warmup_batches": WARMUP_BATCHES,
        "min_batches": MIN_BATCHES,
        "plain_runs_per_session": args.plain_runs,
        "job_args": args.job_arg,
        "repeats_requested": args.repeats,
        "repeats_completed": len({r["repeat"] for r in runs}),
        "stopped_early": stopped_early,
        "producer": {"acked": produced.acked, "bytes": produced.bytes, "msgs_per_sec": produced.msgs_per_sec},
        # Taken into the capacity plan by `npm run plan -- --update-from` (deploy/plan/inputs.ts): our job's steady events/s per core (median).
        "events_per_sec_per_core": ours_per_core,
        "events_per_sec_per_core_basis": f"{OURS} steady-state events/s (median of usable runs) / {CORES} cores",
        "summary": summary,
        "runs": runs,
    }


def is_complete(summary: dict) -> bool:
    """Whether a run may replace the published file: each of the three jobs has a steady rate from a
    valid run (the ratios need all three)."""
    return all((summary.get(job) or {}).get("steady_events_per_sec_median") for job in JOBS)


def print_table(result: dict, out: Path | None) -> None:
    """The summary as a short table, our stage split, and why any run does not count. `out` is None
    when the published file was left as it was: a run without a steady rate for each of the three
    jobs (--only, or runs left out) never replaces the last complete result."""
    summary = result["summary"]

    def show(value: float | None, spec: str) -> str:
        return format(value, spec) if value is not None else "n/a"

    print(f"\n{'job':22s} {'steady ev/s':>12s} {'per core':>9s} {'JVM µs/ev':>10s} {'runs':>5s} "
          f"{'vs plain':>9s} {'vs naive':>9s}   whole-run ev/s (not steady)")
    for job, entry in summary.items():
        print(f"{job:22s} {show(entry['steady_events_per_sec_median'], ',.0f'):>12s} "
              f"{show(entry['steady_events_per_sec_per_core'], ',.0f'):>9s} "
              f"{show(entry['jvm_cpu_us_per_event_steady_median'], '.1f'):>10s} "
              f"{str(entry['usable_runs']) + '/' + str(entry['runs']):>5s} "
              f"{show(entry['ratio_to_plain'], '.3f'):>9s} {show(entry['ratio_to_naive'], '.3f'):>9s}   "
              f"{show(entry['wall_events_per_sec_not_steady_median'], ',.0f')}")
    stages = summary[OURS].get("cpu_us_per_event_by_stage")
    if stages:
        print(f"{OURS} stage CPU, µs/event (whole run): "
              + ", ".join(f"{name} {value}" for name, value in stages.items() if value is not None))
    for run in result["runs"]:
        notes = [note for note in (run.get("invalid_reason"), run.get("steady_state_reason"), (run.get("error") or "")[-300:])
                 if note]
        if notes:
            print(f"  {run['job']} (repeat {run['repeat']}): " + "; ".join(notes))
    if out is not None:
        print(f"-> {out}")
    else:
        print(f"{RESULTS_FILE.relative_to(PROJECT_ROOT)} left as it was: not every job of {', '.join(JOBS)} has a steady "
              "rate from a valid run (write elsewhere with --out, or every run with --profile-out)")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.spark_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS, help=f"events to preload (default {DEFAULT_EVENTS:,})")
    parser.add_argument("--partitions", type=int, default=6, help="topic partitions (default 6)")
    parser.add_argument("--repeats", type=int, default=1, help="repetitions of the three runs, order rotated (default 1)")
    parser.add_argument("--plain-runs", type=int, default=3, help="runs of the plain reference in its session, the last reported (default 3, >= 2)")
    parser.add_argument("--run-timeout-s", type=float, default=1800, help="kill a run after this long (default 1800)")
    parser.add_argument("--time-budget-s", type=float, default=7200,
                        help="start no repetition that would end after this many seconds of runs (default 7200)")
    parser.add_argument("--wait-for-quiet-s", type=float, default=120,
                        help=f"wait up to this long for the 1-minute load to drop below {QUIET_LOAD}, at the start "
                             "(else exit 3) and before each run (default 120)")
    parser.add_argument("--warm-passes", type=int, choices=(0, 1, 2, 3), default=WARM_PASSES,
                        help=f"whole passes over the topic each streaming job runs in its JVM before the measured one "
                             f"(default {WARM_PASSES}; 0: measure a fresh JVM)")
    parser.add_argument("--job-arg", action="append", default=[],
                        help="extra argument for our job, repeatable, e.g. --job-arg=--watermark-delay='5 minutes'")
    parser.add_argument("--only", action="append", choices=JOBS, default=[],
                        help="run only this job (repeatable): for profiling; ratios need all three")
    parser.add_argument("--out", type=Path, default=RESULTS_FILE, help=f"result file (default {RESULTS_FILE.relative_to(PROJECT_ROOT)}, which only a run with a steady rate "
                             "for each of the three jobs replaces)")
    parser.add_argument("--profile-out", type=Path, default=None,
                        help="also write every run, the left-out ones with all their figures, to this file: a profile "
                             "for the developer, never a published result (--out keeps only valid runs' figures)")
    args = parser.parse_args(argv)
    args.command = " ".join([".venv/bin/python -m bench.spark_bench", *(sys.argv[1:] if argv is None else argv)])
    for name in ("events", "partitions", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name}={getattr(args, name)} is not valid: expected an integer >= 1")
    if args.plain_runs < 2:
        parser.error(f"--plain-runs={args.plain_runs} is not valid: expected an integer >= 2 (the first run is cold)")
    if args.events < BATCHES_PER_QUERY:
        parser.error(f"--events={args.events} is not valid: expected >= {BATCHES_PER_QUERY} (one per micro-batch at least)")
    for name in ("run_timeout_s", "time_budget_s"):
        if not getattr(args, name) > 0:
            parser.error(f"--{name.replace('_', '-')}={getattr(args, name)} is not valid: expected seconds > 0")
    if args.wait_for_quiet_s < 0:
        parser.error(f"--wait-for-quiet-s={args.wait_for_quiet_s} is not valid: expected seconds >= 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    start = start_when_quiet("bench.spark_bench", args.wait_for_quiet_s)
    if start is None:
        return 3
    load_at_start, waited_s = start
    # `kill` (SIGTERM) unwinds like Ctrl-C, so the broker is stopped and the running job killed.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    runs: list[dict] = []
    stopped_early = None
    with tempfile.TemporaryDirectory(prefix="spark-bench-") as tmp:
        workdir = Path(tmp)
        port, controller_port = free_ports(2)
        broker = EmbeddedKafka(workdir / "kafka", port=port, controller_port=controller_port, heap_mb=512)
        broker.start(timeout_s=120)
        try:
            broker.create_topic(TOPIC, partitions=args.partitions)
            print(f"preloading {args.events:,} events into {TOPIC} ({args.partitions} partitions) ...", flush=True)
            produced = produce(broker.bootstrap_servers, TOPIC, args.events, seed=SEED, start_time=START_TIME,
                               timeout_s=max(600, args.events / 2000))
            if produced.acked != args.events:
                raise SystemExit(f"bench.spark_bench: the producer acknowledged {produced.acked} of {args.events} events")
            print(f"preloaded: {produced.acked:,} events, {produced.bytes / 2**20:,.0f} MiB, {produced.msgs_per_sec:,.0f} msg/s", flush=True)
            budget_end = time.monotonic() + args.time_budget_s
            repeat_s = 0.0
            for repeat in range(args.repeats):
                if repeat > 0 and time.monotonic() + repeat_s > budget_end:
                    stopped_early = (f"stopped after {repeat} of {args.repeats} repetitions: another one "
                                     f"(~{repeat_s:.0f} s) would pass --time-budget-s={args.time_budget_s:g}")
                    print(stopped_early, flush=True)
                    break
                repeat_started = time.monotonic()
                for job in (j for j in run_order(repeat) if not args.only or j in args.only):
                    row = run_one(job, repeat, broker.bootstrap_servers, workdir, args)
                    runs.append(row)
                    print(json.dumps({k: row.get(k) for k in ("job", "repeat", "load_before", "valid", "steady_events_per_sec",
                                                              "wall_events_per_sec_not_steady", "error")}), flush=True)
                repeat_s = time.monotonic() - repeat_started
        finally:
            broker.stop()

    result = report(args, runs, produced, (load_at_start, waited_s), stopped_early)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.profile_out is not None:
        args.profile_out.parent.mkdir(parents=True, exist_ok=True)
        args.profile_out.write_text(json.dumps({**result, "not_a_result": "a profile: every run, valid or not"}, indent=2) + "\n")
    complete = is_complete(result["summary"])
    if complete or args.out != RESULTS_FILE:
        published, result_left_out = left_out(result["runs"], ("job", "repeat", "started"))
        args.out.write_text(json.dumps({**result, "runs": published, "runs_left_out": result_left_out}, indent=2) + "\n")
        print_table(result, args.out)
    else:
        print_table(result, None)
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
