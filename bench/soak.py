"""`make soak`: the pipeline at a fixed rate for a long while; does memory stay flat?

The producer (the esbuild bundle, with the image's Node flags, as the container runs it) sends --rate events/s for
--seconds to a local broker while the Spark job streams them (processing-time trigger). Every
--sample-s seconds the producer's RSS and the Spark driver's RSS (its Python process plus its JVM)
are read from /proc/<pid>/status, the driver JVM's heap from its performance-data file (what
`jstat -gc` reads), and the CPU time of each
process and of the whole machine from /proc. Every --live-heap-s seconds `jcmd GC.class_histogram`
counts the driver JVM's live set by class (after a full collection). The producer runs with
--trace-gc, so the V8 heap left after each full (mark-compact) collection, its live set, comes from
its stdout; every micro-batch's duration comes from the job's SPARK_PROGRESS lines. The result is
one JSON file (bench/results/soak.json by default) and a verdict: memory is flat when the
least-squares growth over the second half of the run is under FLAT_GROWTH_FRACTION of the second
half's mean, for the producer's RSS, the producer's live heap and the driver JVM's live-heap floor
(its RSS also grows while the JVM expands its heap toward -Xmx, which is not a leak, and its old
generation holds garbage until the collector's next old-generation collection reaches it).

Not part of make test: it is long by design. SOAK_SECONDS and SOAK_RATE size it from make.
"""
from __future__ import annotations

import argparse
import getpass
import json
import math
import os
import random
import re
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

from bench.load import BUSY_LOAD, QUIET_LOAD, load_1m, proc_stat
from local.demo import positive_int
from local.embedded_kafka import EmbeddedKafka, free_ports
from local.pipeline import (PROJECT_ROOT, SPARK_JOBS_DIR, node_env, build_producer_bundle, producer_bundle_command,
                            producer_image_node_args)
from local.processes import stop_group
from local.versions import STATE_DIR, versions

TOPIC = "flight-events-soak"
PARTITIONS = 6
TRIGGER_S = 5.0
"""The default processing-time trigger (--trigger-s)."""
LOAD_SAMPLE_PERIOD_S = 5.004
"""The kernel folds the runnable (and uninterruptible) threads into its load average every 5 s plus one
tick (LOAD_FREQ = 5 * HZ + 1 jiffies; 5.004 s at this machine's HZ of 250). Spark starts a
processing-time trigger's micro-batches on whole multiples of the interval, so a trigger that divides
5 s (1 s, 1.25 s, 2.5 s, 5 s) meets the kernel's sample at the same point of its micro-batch for
minutes on end: the sample slides through a 1 s trigger once every 1 s / 4 ms x 5.004 s = 20.9 minutes,
and the 1-minute load then swings between the threads of the quiet part and those of the busy start
of a micro-batch, whatever the true average. `trigger_aliasing` says how evenly a trigger spreads the
samples over its micro-batch; the soak also counts the runnable threads itself, at random instants
(RunnableSampler), so its JSON carries a second figure, free of any trigger's rhythm, next to the
kernel's (not the same figure: the sampler is a thread too, and reads when it gets a core)."""
FLAT_GROWTH_FRACTION = 0.05
"""Memory is flat if the fitted growth over the second half is < 5% of its mean RSS."""
FLAT_BATCH_RATIO = 1.1
"""Batch durations are flat if each query's second-half median is at most 1.1x its first-half median."""

DRAIN_S = 30
"""After the producer stops, how long the job keeps streaming before the soak stops it."""
LIVE_HEAP_FLOOR_OF = 5
"""The driver's live-heap floor is the least of its last 5 class histograms (--live-heap-s apart)."""
STARTUP_BUDGET_S = 600
"""How long the job may take to run its first micro-batch (the producer starts after it)."""


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make soak", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=positive_int, default=3600, help="how long the producer runs (default 3600)")
    parser.add_argument("--rate", type=positive_int, default=1000, help="events per second (default 1000)")
    parser.add_argument("--trigger-s", type=float, default=TRIGGER_S,
                        help=f"the job's processing-time trigger in seconds, to the millisecond (default {TRIGGER_S:g}); "
                             "make soak uses 1.9 (a trigger that divides 5 s aliases with the kernel's load sampling: "
                             "LOAD_SAMPLE_PERIOD_S)")
    parser.add_argument("--min-batches", type=int, default=0,
                        help="the run fails unless every query ran at least this many micro-batches with data (default 0: not checked)")
    parser.add_argument("--warm-up-s", type=int, default=0,
                        help="seconds the producer and the job run before the measured run starts (the JIT warming up, "
                             "the state filling up to the watermark); nothing before its end is judged or counted, and "
                             "the load rule applies from it (default 0)")
    parser.add_argument("--sample-s", type=positive_int, default=5, help="seconds between RSS samples, jittered by up to 20 %% (default 5)")
    parser.add_argument("--live-heap-s", type=positive_int, default=180,
                        help="seconds between class histograms of the Spark driver's live heap (a full GC each, and a "
                             "JVM for jcmd; default 180)")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench" / "results" / "soak.json")
    parser.add_argument("--work-dir", type=Path, default=STATE_DIR / "soak", help="broker data, Spark output (deleted first)")
    args = parser.parse_args(argv)
    if not (math.isfinite(args.trigger_s) and round(args.trigger_s * 1000) > 0):
        parser.error(f"--trigger-s={args.trigger_s} is not valid: expected seconds > 0, e.g. 1.2")
    if args.warm_up_s < 0:
        parser.error(f"--warm-up-s={args.warm_up_s} is not valid: expected an integer >= 0 (seconds)")
    return args


# --- /proc ------------------------------------------------------------------------------------

def rss_kib(pid: int) -> int | None:
    """VmRSS of one process in KiB, None once it has exited."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return 0


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return []
    return [int(c) for c in text.split()]


def process_tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo and len(found) < 64:
        current = todo.pop()
        found.append(current)
        todo.extend(children(current))
    return found


def folder_size(path: Path) -> dict[str, float]:
    """Files and MiB under a folder (the job's checkpoints: bounded when old batches' files are
    cleaned up, growing with every batch when they are not)."""
    files, size = 0, 0
    for root, _dirs, names in os.walk(path):
        for name in names:
            try:
                size += os.stat(os.path.join(root, name)).st_size
                files += 1
            except OSError:  # deleted while we walked: Spark cleaning up, as it should
                pass
    return {"checkpoint_files": files, "checkpoint_mib": round(size / 2**20, 2)}


def tree_rss_mib(pid: int) -> float | None:
    sizes = [r for p in process_tree(pid) if (r := rss_kib(p)) is not None]
    return round(sum(sizes) / 1024, 1) if sizes else None


def producer_rss_mib(pid: int) -> float | None:
    """RSS of the Node process that runs the producer (the largest leaf, should a launcher sit above it)."""
    leaves = [p for p in process_tree(pid) if not children(p)]
    sizes = [r for p in leaves if (r := rss_kib(p)) is not None]
    return round(max(sizes) / 1024, 1) if sizes else None


PRODUCER_HEAP_METRICS = {
    "producer_heap_used_mib": "flight_producer_nodejs_heap_size_used_bytes",
    "producer_external_mib": "flight_producer_nodejs_external_memory_bytes",
}
"""What the soak reads from the producer's /metrics (prom-client's default Node metrics) each sample."""


def producer_heap_mib(port: int) -> dict[str, float]:
    """The producer's V8 heap in use and its external memory (Buffers), from its /metrics; {} if unreachable."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text = response.read().decode()
    except OSError:
        return {}
    values = {}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        for key, metric in PRODUCER_HEAP_METRICS.items():
            if name == metric:
                values[key] = round(float(value) / 2**20, 1)
    return values


MARK_COMPACT = re.compile(r"\bMark-Compact\b[^\d]*[\d.]+ \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB")
"""A V8 --trace-gc line of a full collection: `... 105888 ms: Mark-Compact 30.8 (61.2) -> 21.7 (29.3) MB, ...`."""


def mark_compact_live_mib(line: str) -> float | None:
    """The heap in use after a full collection (V8's MB are MiB), from a --trace-gc line; None for other lines.

    That is the live set: a leak raises it. The heap in use between collections (even its floor
    over a few samples) also holds garbage that no full collection has reached yet, and at a low
    allocation rate V8 runs one only every few minutes, so that reading creeps up and falls back.
    """
    match = MARK_COMPACT.search(line)
    return float(match.group(1)) if match else None


PRODUCER_FULL_GC_SIGNAL = signal.SIGUSR2


def producer_full_gc_node_args(snapshot_dir: Path) -> tuple[str, ...]:
    """Node options that let the soak have the producer's V8 run a full collection on a signal.

    The image's 128 MiB initial old generation (producer/Dockerfile) lets V8 put its first full
    collection off for hours at the soak's 500 events/s, so the live set it logs (--trace-gc)
    would have no point to judge, and the RSS creeps up with uncollected garbage. Node writes a heap
    snapshot on --heapsnapshot-signal, and a snapshot first collects all garbage (a Mark-Compact
    in the trace). These are diagnostics only: the heap sizes stay the image's."""
    return (f"--heapsnapshot-signal={PRODUCER_FULL_GC_SIGNAL.name}", f"--diagnostic-dir={snapshot_dir}")


def request_producer_full_gc(producer: subprocess.Popen, snapshot_dir: Path) -> None:
    """Asks the producer for a full collection (and the heap snapshot that comes with it), deleting
    the earlier snapshots first: only the collection is wanted, and one snapshot is tens of MiB."""
    for old in snapshot_dir.glob("*.heapsnapshot"):
        old.unlink(missing_ok=True)
    if producer.poll() is None:
        producer.send_signal(PRODUCER_FULL_GC_SIGNAL)


def floor(samples: list[dict], key: str, window: int = 6) -> float | None:
    """The least value of `key` over the last `window` samples: what survives collections (a
    leak raises it; a collector that runs less often than every sample does not)."""
    recent = [x[key] for x in samples[-window:] if x.get(key) is not None]
    return min(recent) if recent else None


def java_pid(pid: int) -> int | None:
    """The JVM in a process tree (the Spark driver's, under its Python process)."""
    for candidate in process_tree(pid):
        try:
            if Path(f"/proc/{candidate}/exe").resolve().name == "java":
                return candidate
        except OSError:
            continue
    return None


HISTOGRAM_ROW = re.compile(r"^\s*\d+:\s+(\d+)\s+(\d+)\s+(\S+)")
HISTOGRAM_TOTAL = re.compile(r"^Total\s+(\d+)\s+(\d+)\s*$", re.MULTILINE)


def parse_class_histogram(text: str) -> dict | None:
    """`jcmd <pid> GC.class_histogram` output -> {"live_heap_mib": .., "classes": {name: bytes}}; None if it has no Total.

    The JVM runs a full collection before it counts, so the total is the live set: what the old
    generation's occupancy between collections cannot show, since the old generation also holds
    garbage until the collector next collects it (the parallel collector, the job's: at a full
    collection; G1: in mixed collections after a concurrent cycle).
    """
    total = HISTOGRAM_TOTAL.search(text)
    if total is None:
        return None
    classes = {}
    for line in text.splitlines():
        if (row := HISTOGRAM_ROW.match(line)) is not None:
            classes[row.group(3)] = int(row.group(2))
    return {"live_heap_mib": round(int(total.group(2)) / 2**20, 1), "classes": classes}


def jvm_live_histogram(pid: int | None) -> dict | None:
    """The driver JVM's live set by class (see parse_class_histogram); None without jcmd or the JVM."""
    if pid is None or shutil.which("jcmd") is None:
        return None
    try:
        done = subprocess.run(["jcmd", str(pid), "GC.class_histogram"], capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return None
    return parse_class_histogram(done.stdout) if done.returncode == 0 else None


def class_growth(earlier: list[dict[str, int]], later: list[dict[str, int]], top: int = 15) -> list[dict]:
    """The classes whose live bytes grew most from some histograms to later ones, each class's median
    over each group (a single histogram also counts the batch in flight when it was taken)."""
    def medians(group: list[dict[str, int]]) -> dict[str, float]:
        names = set().union(*group)
        return {name: statistics.median(h.get(name, 0) for h in group) for name in names}

    first, last = medians(earlier), medians(later)
    grown = sorted(((last.get(name, 0) - first.get(name, 0), name) for name in set(first) | set(last)), reverse=True)
    return [{"class": name, "grew_mib": round(delta / 2**20, 2), "first_mib": round(first.get(name, 0) / 2**20, 2),
             "last_mib": round(last.get(name, 0) / 2**20, 2)} for delta, name in grown[:top] if delta > 0]


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU seconds of a process (all its threads), from /proc/<pid>/stat."""
    stat = proc_stat(pid) if pid is not None else None
    return round(stat.own_s, 2) if stat is not None else None


def tree_cpu_seconds(pid: int) -> float | None:
    """CPU seconds of a process and its live descendants (the Spark driver: Python and its JVM)."""
    times = [t for t in (cpu_seconds(p) for p in process_tree(pid)) if t is not None]
    return round(sum(times), 2) if times else None


def machine_cpu_seconds() -> dict[str, float]:
    """CPU seconds the whole machine spent busy (everything but idle and iowait) and stolen by its
    hypervisor, summed over its cores, from /proc/stat: with our processes' own CPU time, it tells a
    batch slowed by other work on a shared machine from a job doing more work per batch."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return {}
    tick = os.sysconf("SC_CLK_TCK")
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    steal = values[7] if len(values) > 7 else 0
    # guest time is already counted in user time
    busy = sum(values[:8]) - idle - steal
    return {"machine_busy_cpu_s": round(busy / tick, 2), "machine_steal_cpu_s": round(steal / tick, 2)}


HSPERFDATA_MAGIC = b"\xca\xfe\xc0\xc0"
HEAP_SPACES = ("sun.gc.generation.0.space.0.used", "sun.gc.generation.0.space.1.used", "sun.gc.generation.0.space.2.used",
               "sun.gc.generation.1.space.0.used")
"""Eden, the two survivor spaces and the old generation: what `jstat -gc` calls EU, S0U, S1U and OU."""


def parse_hsperfdata(data: bytes) -> dict[str, int] | None:
    """The scalar long counters of a HotSpot performance-data file (what jstat reads): a 32-byte
    prologue (magic 0xcafec0c0, then the byte order of the rest, the entries' offset and count) and
    entries of (length, name offset, vector length, type, flags, units, variability, data offset).
    None if `data` is not such a file or is cut short."""
    if len(data) < 32 or data[:4] != HSPERFDATA_MAGIC:
        return None
    order = "<" if data[4] == 1 else ">"
    entry_offset, entries = struct.unpack_from(order + "ii", data, 24)
    counters, pos = {}, entry_offset
    for _ in range(entries):
        if pos + 20 > len(data):
            return None
        length, name_offset, vector_length, data_type, _, _, _, data_offset = struct.unpack_from(order + "iiibbbbi", data, pos)
        name_end = data.find(b"\0", pos + name_offset)
        if length <= 0 or name_end < 0:
            return None
        if vector_length == 0 and data_type == ord("J") and pos + data_offset + 8 <= len(data):
            (counters[data[pos + name_offset:name_end].decode("ascii", "replace")],) = struct.unpack_from(order + "q", data, pos + data_offset)
        pos += length
    return counters


def jvm_heap_mib(pid: int | None) -> dict[str, float] | None:
    """Heap in use and old generation in use (MiB), read from the JVM's own performance-data file,
    /tmp/hsperfdata_<user>/<pid>, as `jstat -gc` reads it, without starting a JVM for jstat every
    sample (whose threads added to the load the soak is judged by). None without the file. HotSpot
    writes it under /tmp on Linux whatever TMPDIR says, so the path is not Python's tempfile dir."""
    if pid is None:
        return None
    try:
        counters = parse_hsperfdata((Path("/tmp") / f"hsperfdata_{getpass.getuser()}" / str(pid)).read_bytes())
    except OSError:
        return None
    if counters is None or any(name not in counters for name in HEAP_SPACES):
        return None
    return {"heap_used_mib": round(sum(counters[name] for name in HEAP_SPACES) / 2**20, 1),
            "old_gen_used_mib": round(counters["sun.gc.generation.1.space.0.used"] / 2**20, 1)}


# --- analysis ---------------------------------------------------------------------------------

def slope_per_min(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) points, per minute."""
    if len(points) < 3:
        return 0.0
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return 60 * sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / var if var else 0.0


def memory_verdict(samples: list[dict], key: str, run_s: float, unit: str = "mib") -> dict:
    """Flat when the least-squares growth over the second half is under FLAT_GROWTH_FRACTION of
    that half's mean (shrinking is fine). `unit` names the figures (MiB, or files)."""
    points = [(s["t_s"], s[key]) for s in samples if s.get(key) is not None]
    if len(points) < 6:
        return {"flat": None, "reason": f"only {len(points)} samples of {key}"}
    half = run_s / 2
    second = [p for p in points if p[0] >= half]
    first = [p for p in points if p[0] < half]
    slope = slope_per_min(second)
    second_mean = statistics.fmean(v for _, v in second)
    growth = slope * (run_s - half) / 60
    return {
        f"first_half_mean_{unit}": round(statistics.fmean(v for _, v in first), 1),
        f"second_half_mean_{unit}": round(second_mean, 1),
        f"min_{unit}": min(v for _, v in points),
        f"max_{unit}": max(v for _, v in points),
        f"second_half_slope_{unit}_per_min": round(slope, 2),
        f"second_half_fitted_growth_{unit}": round(growth, 1),
        # Shrinking is fine (a collector returning memory); only growth counts against flatness.
        "flat": growth < FLAT_GROWTH_FRACTION * second_mean,
    }


CPU_KEYS = ("spark_driver_cpu_s", "producer_cpu_s", "broker_cpu_s", "machine_busy_cpu_s", "machine_steal_cpu_s")


def cores_used(samples: list[dict], key: str, start_s: float, end_s: float) -> float | None:
    """The mean number of cores a cumulative CPU-seconds series used between two times."""
    points = [(x["t_s"], x[key]) for x in samples if x.get(key) is not None and start_s <= x["t_s"] <= end_s]
    if len(points) < 2 or points[-1][0] <= points[0][0]:
        return None
    return round((points[-1][1] - points[0][1]) / (points[-1][0] - points[0][0]), 3)


def cpu_summary(samples: list[dict], batches: list[dict], run_s: float) -> dict:
    """Per half of the run: the cores each process and the whole machine used, the rest ("other":
    the soak itself and whatever else shares the machine), and the driver's CPU per 1,000 events.
    A batch that slows down while the driver's CPU per event stays put waited for cores; one whose
    CPU per event grew is doing more work."""
    summary = {}
    for half, (start, end) in {"first_half": (0.0, run_s / 2), "second_half": (run_s / 2, run_s)}.items():
        cores = {key.removesuffix("_cpu_s") + "_cores": cores_used(samples, key, start, end) for key in CPU_KEYS}
        ours = [cores[key] for key in ("spark_driver_cores", "producer_cores", "broker_cores")]
        busy = cores["machine_busy_cores"]
        cores["other_cores"] = round(busy - sum(ours), 3) if busy is not None and None not in ours else None
        events = sum(b["input_rows"] for b in batches if b["query"] == "events_quarantine" and start <= b["t_s"] < end)
        driver = cores["spark_driver_cores"]
        cores["spark_driver_cpu_ms_per_1000_events"] = (
            round(driver * (end - start) * 1e6 / events, 1) if driver is not None and events else None
        )
        summary[half] = cores
    return summary


def batch_summary(batches: list[dict], run_s: float) -> dict:
    def stats(durations: list[int]) -> dict:
        if not durations:
            return {"batches": 0}
        ordered = sorted(durations)
        return {
            "batches": len(ordered),
            "median_ms": statistics.median(ordered),
            "p90_ms": ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))],
            "max_ms": ordered[-1],
        }

    summary = {}
    for query in sorted({b["query"] for b in batches}):
        mine = [b for b in batches if b["query"] == query and b["input_rows"] > 0]
        first = stats([b["batch_duration_ms"] for b in mine if b["t_s"] < run_s / 2])
        second = stats([b["batch_duration_ms"] for b in mine if b["t_s"] >= run_s / 2])
        summary[query] = {
            "first_half": first,
            "second_half": second,
            "second_to_first_median_ratio": (
                round(second["median_ms"] / first["median_ms"], 2) if first.get("median_ms") and second.get("median_ms") else None
            ),
            "rows": sum(b["input_rows"] for b in mine),
            # Bytes in the query's state stores: bounded by the watermark, so they level off once the
            # first watermark delay (10 minutes) has passed.
            "state_bytes_max": {
                half: max((b["state_bytes"] or 0 for b in mine if (b["t_s"] < run_s / 2) == (half == "first_half")), default=None)
                for half in ("first_half", "second_half")
            },
        }
    return summary


def medians_per_period(batches: list[dict], run_s: float, period_s: float = 600.0) -> dict[str, list[float | None]]:
    """Per query, the median duration (ms) of its batches with data in each `period_s` of the run
    (None for a period without one): the shape of the run, where two halves give only its ends."""
    periods = max(1, int(-(-run_s // period_s)))
    result = {}
    for query in sorted({b["query"] for b in batches}):
        medians = []
        for i in range(periods):
            durations = [b["batch_duration_ms"] for b in batches if b["query"] == query and b["input_rows"] > 0
                         and i * period_s <= b["t_s"] < (i + 1) * period_s and b["t_s"] <= run_s]
            medians.append(statistics.median(durations) if durations else None)
        result[query] = medians
    return result


def trigger_aliasing(trigger_s: float, sample_period_s: float = LOAD_SAMPLE_PERIOD_S, samples: int = 12) -> float:
    """How unevenly the kernel's load samples fall across a trigger's micro-batch: over `samples`
    consecutive samples (a minute), the largest gap between the points of the micro-batch they meet,
    as a fraction of the trigger. 1 - 1/samples is perfectly spread over a minute; near 1.0 every
    sample of that minute meets the same point (a trigger that divides 5 s)."""
    phases = sorted((i * sample_period_s / trigger_s) % 1.0 for i in range(samples))
    gaps = [b - a for a, b in zip(phases, phases[1:])] + [1.0 - phases[-1] + phases[0]]
    return round(max(gaps), 3)


def parse_procs(stat_text: str) -> tuple[int, int] | None:
    """`procs_running` and `procs_blocked` from /proc/stat's text, or None if either is missing."""
    found = dict(re.findall(r"^(procs_running|procs_blocked) (\d+)$", stat_text, re.MULTILINE))
    if len(found) != 2:
        return None
    return int(found["procs_running"]), int(found["procs_blocked"])


class RunnableSampler(threading.Thread):
    """Counts the machine's runnable and blocked threads (/proc/stat) at random instants, 0.1-0.3 s
    apart, so no trigger's rhythm can line up with the samples (it reads when it gets a core, so a
    busy moment delays a sample rather than skipping it). `take()` returns the means since the last call.
    The running count excludes this thread, which is running when it reads."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self._lock = threading.Lock()
        self._running = self._blocked = 0
        self._count = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(random.uniform(0.1, 0.3)):
            try:
                with open("/proc/stat") as f:
                    procs = parse_procs(f.read())
            except OSError:
                procs = None
            if procs is not None:
                with self._lock:
                    self._running += max(0, procs[0] - 1)
                    self._blocked += procs[1]
                    self._count += 1

    def take(self) -> dict[str, float | None]:
        with self._lock:
            count, running, blocked = self._count, self._running, self._blocked
            self._running = self._blocked = self._count = 0
        if not count:
            return {"runnable_mean": None, "blocked_mean": None}
        return {"runnable_mean": round(running / count, 3), "blocked_mean": round(blocked / count, 3)}

    def stop(self) -> None:
        self._halt.set()


def load_verdict(samples: list[dict], load_at_start: float, run_s: float) -> dict:
    """The benchmarks' load rule (bench/load.py) over a soak: it started on a quiet machine (1-minute
    load below QUIET_LOAD) and the 1-minute load stayed at or below BUSY_LOAD all through the measured
    run (0 <= t_s <= run_s; the warm-up before it is not judged). `valid` false means its figures are
    not published."""
    loads = [x["load_1min"] for x in samples if x.get("load_1min") is not None and 0 <= x["t_s"] <= run_s]
    if not loads:
        return {"valid": False, "reason": "no load samples in the measured run"}
    reasons = []
    if load_at_start >= QUIET_LOAD:
        reasons.append(f"1-minute load {load_at_start:.2f} >= {QUIET_LOAD} at the start")
    if max(loads) > BUSY_LOAD:
        reasons.append(f"1-minute load up to {max(loads):.2f} > {BUSY_LOAD} in the measured run")
    # Not judged: the runnable threads sampled at random instants (RunnableSampler), each sample the
    # mean over --sample-s; runnable + blocked is what the kernel's load average counts.
    threads = [x["runnable_mean"] + (x.get("blocked_mean") or 0.0) for x in samples
               if x.get("runnable_mean") is not None and 0 <= x["t_s"] <= run_s]
    return {
        "load_at_start": load_at_start,
        "load_at_measured_start": loads[0],
        "max_load_in_run": max(loads),
        "median_load_in_run": statistics.median(loads),
        "load_at_measured_end": loads[-1],
        "runnable_and_blocked_threads_mean_in_run": round(statistics.fmean(threads), 3) if threads else None,
        "valid": not reasons,
        "reason": "; ".join(reasons) or None,
    }


def rocksdb_pool_mib() -> float:
    """The RocksDB memory pool of the job's JVM, MiB: what every state store of it shares with
    bounded memory on (spark-settings.json, the conf the job runs with)."""
    conf = json.loads((SPARK_JOBS_DIR / "flight_analytics" / "spark-settings.json").read_text(encoding="utf-8"))["everywhere"]
    if conf.get("spark.sql.streaming.stateStore.rocksdb.boundedMemoryUsage") != "true":
        raise SystemExit("soak: the job's RocksDB memory is not bounded (spark-settings.json), so the state's memory has no bound to judge")
    return float(conf["spark.sql.streaming.stateStore.rocksdb.maxMemoryUsageMB"])


def state_verdict(batches: list[dict], query: str, run_s: float, pool_mib: float) -> dict:
    """Whether a query's state stayed bounded, in its two parts:
    - its files (RocksDB's SST files), which grow with the keys it holds: the memory rule
      (fitted growth over the second half under FLAT_GROWTH_FRACTION of their mean);
    - its memory, its stores' share of the JVM's RocksDB pool (block cache, write buffers): the same
      rule. The block cache keeps blocks of SST files that compaction has since deleted until it
      needs the room, so it fills toward the pool over the first part of a run and then stays there:
      a pool that holds makes the second half flat. Its peak is reported beside the pool's size, not
      judged against it: Spark's figure adds each store's own memtables and index blocks to its share
      of the cache (RocksDB.getMemoryUsage), which the cache already charges for, so at a full pool it
      can read above the pool's size (the 2026-12-07 22:41 soak peaked at 237.6 of 256 MiB).
    A record without the split (before it existed) is judged on its total, as before."""
    mine = [b for b in batches if b["query"] == query and b["input_rows"] > 0 and 0 <= b["t_s"] <= run_s]
    split = [b for b in mine if b.get("state_file_bytes") is not None and b.get("state_memory_bytes") is not None]
    if not split:
        total = [{"t_s": b["t_s"], "state_mib": b["state_bytes"] / 2**20} for b in mine if b.get("state_bytes") is not None]
        if not any(x["state_mib"] > 0 for x in total):
            return {"bounded": True, "stateful": False}
        return {"bounded": memory_verdict(total, "state_mib", run_s).get("flat"), "stateful": True, "judged": "state_bytes"}
    files = [{"t_s": b["t_s"], "mib": b["state_file_bytes"] / 2**20} for b in split]
    memory_max = max(b["state_memory_bytes"] for b in split) / 2**20
    if not any(x["mib"] > 0 for x in files) and memory_max == 0:
        return {"bounded": True, "stateful": False}
    files_verdict = memory_verdict(files, "mib", run_s)
    memory = memory_verdict([{"t_s": b["t_s"], "mib": b["state_memory_bytes"] / 2**20} for b in split], "mib", run_s)
    return {
        "bounded": bool(files_verdict.get("flat")) and bool(memory.get("flat")),
        "stateful": True,
        "files": files_verdict,
        "memory": memory,
        "memory_max_mib": round(memory_max, 1),
        "memory_pool_mib": pool_mib,
    }


def batches_verdict(batches: list[dict], spark_batches: dict, run_s: float, min_batches: int, pool_mib: float) -> dict:
    """Per query with data: how many micro-batches it ran, whether its batch durations stayed flat
    (second-half median <= FLAT_BATCH_RATIO x the first half's) and whether its state stayed bounded
    (state_verdict). `ok` needs all three, for every query, and at least `min_batches` batches each."""
    verdict = {}
    for query, stats in spark_batches.items():
        ran = stats["first_half"].get("batches", 0) + stats["second_half"].get("batches", 0)
        ratio = stats["second_to_first_median_ratio"]
        state = state_verdict(batches, query, run_s, pool_mib)
        verdict[query] = {
            "batches": ran,
            "durations_flat": ratio is not None and ratio <= FLAT_BATCH_RATIO,
            "state_bounded": state["bounded"],
            "state": state,
            "enough_batches": ran >= min_batches,
        }
    verdict["ok"] = bool(verdict) and all(
        v["durations_flat"] and v["state_bounded"] and v["enough_batches"] for v in verdict.values()
    )
    return verdict


# --- the run ----------------------------------------------------------------------------------

class LineWatch(threading.Thread):
    """Reads a child's stream line by line, keeping tagged lines with the time (monotonic s) they arrived,
    and the live heap of each V8 full collection it reports (--trace-gc)."""

    def __init__(self, stream, tag: str, log_path: Path) -> None:
        super().__init__(daemon=True)
        self.stream, self.tag, self.log_path = stream, tag, log_path
        self.records: list[tuple[float, str]] = []
        self.live_heap_mib: list[tuple[float, float]] = []

    def run(self) -> None:
        with open(self.log_path, "w") as log:
            for line in self.stream:
                log.write(line)
                if line.startswith(self.tag + " "):
                    self.records.append((time.monotonic(), line[len(self.tag) + 1 :].strip()))
                elif (live := mark_compact_live_mib(line)) is not None:
                    self.live_heap_mib.append((time.monotonic(), live))


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    v = versions()
    load_at_start = os.getloadavg()

    print("== bundling the producer (node producer/build.mjs), as the image runs it", flush=True)
    build_producer_bundle()
    if args.work_dir.exists():
        shutil.rmtree(args.work_dir)
    args.work_dir.mkdir(parents=True)
    port, controller_port = free_ports(2)
    broker = EmbeddedKafka(args.work_dir / "kafka", port=port, controller_port=controller_port, heap_mb=768)
    print(f"== soak: {args.rate}/s for {args.seconds} s, Kafka {v['kafka']}, Spark {v['spark']}", flush=True)
    processes: list[subprocess.Popen] = []
    try:
        broker.start()
        broker.create_topic(TOPIC, partitions=PARTITIONS)
        job_env = dict(os.environ)
        job_env["PYTHONPATH"] = os.pathsep.join([str(SPARK_JOBS_DIR), str(PROJECT_ROOT), job_env.get("PYTHONPATH", "")])
        job_env.setdefault("PYSPARK_PYTHON", sys.executable)
        job = subprocess.Popen(
            [sys.executable, "-m", "local.spark_job", "--master", "local[2]", "--bootstrap", broker.bootstrap_servers,
             "--topic", TOPIC, "--output-dir", str(args.work_dir / "output"),
             "--checkpoint-dir", str(args.work_dir / "checkpoints"), "--starting-offsets", "earliest",
             "--trigger", f"processing-time:{round(args.trigger_s * 1000)}ms",
             # The producer simulates from now at ~30x real time: its event_time runs ahead of the
             # Kafka timestamps, which the job's 1-hour default would quarantine (plausibility.py).
             "--max-event-ahead", "3650 days",
             # About 2x what arrives per trigger, as FACTS/decisions advise.
             "--max-offsets-per-trigger", str(math.ceil(2 * args.rate * args.trigger_s)),
             # A bound only: the soak stops the job itself once the producer is done and DRAIN_S passed.
             "--timeout-s", str(STARTUP_BUDGET_S + args.seconds + DRAIN_S + 60)],
            cwd=PROJECT_ROOT, env=job_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True,
        )
        processes.append(job)
        job_started_s = time.monotonic()
        spark_watch = LineWatch(job.stderr, "SPARK_PROGRESS", args.work_dir / "job-stderr.log")
        spark_watch.start()
        # The clock starts when the job streams (its first micro-batch, empty or not): a cold JVM's
        # start-up is not what a soak measures.
        while not spark_watch.records and job.poll() is None and time.monotonic() - job_started_s < STARTUP_BUDGET_S:
            time.sleep(0.5)
        if not spark_watch.records:
            raise SystemExit(f"soak: the Spark job ran no micro-batch within {STARTUP_BUDGET_S} s "
                             f"(exit {job.poll()}); see {args.work_dir / 'job-stderr.log'}")
        startup_s = round(time.monotonic() - job_started_s, 1)
        print(f"   Spark job streaming after {startup_s} s; producer starts now", flush=True)
        started_s = time.monotonic()
        (producer_metrics_port,) = free_ports(1)
        snapshot_dir = args.work_dir / "producer-heap-snapshots"
        snapshot_dir.mkdir()
        producer = subprocess.Popen(
            producer_bundle_command("produce", "--bootstrap", broker.bootstrap_servers, "--topic", TOPIC, "--count", "0",
                                    "--duration-s", str(args.warm_up_s + args.seconds), "--rate", str(args.rate), "--seed", "1",
                                    "--max-in-flight", "5", "--metrics-port", str(producer_metrics_port),
                                    node_args=(*producer_image_node_args(), "--trace-gc", *producer_full_gc_node_args(snapshot_dir))),
            cwd=PROJECT_ROOT, env=node_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        processes.append(producer)
        producer_out = LineWatch(producer.stdout, "PRODUCER_RESULT", args.work_dir / "producer-stdout.log")
        producer_err = LineWatch(producer.stderr, "-", args.work_dir / "producer-stderr.log")
        producer_out.start()
        producer_err.start()

        # Every time below is counted from the end of the warm-up (negative during it).
        measured_from = started_s + args.warm_up_s
        driver_jvm = java_pid(job.pid)
        samples = []
        histograms: list[dict] = []
        next_histogram = time.monotonic() + args.live_heap_s
        # The producer's full collections come half a period after the driver's, so the two never coincide.
        next_producer_gc = time.monotonic() + args.live_heap_s / 2
        hard_deadline = measured_from + args.seconds + 120
        next_sample = time.monotonic()
        next_report = time.monotonic() + 60
        runnable = RunnableSampler()
        runnable.start()
        while producer.poll() is None and job.poll() is None and time.monotonic() < hard_deadline:
            now = time.monotonic()
            if now >= next_sample:
                heap = jvm_heap_mib(driver_jvm) or {}
                broker_pid = broker._read_pid() or -1
                samples.append({
                    "t_s": round(now - measured_from, 1),
                    "load_1min": load_1m(),
                    **runnable.take(),
                    "producer_rss_mib": producer_rss_mib(producer.pid) if producer.poll() is None else None,
                    "spark_driver_rss_mib": tree_rss_mib(job.pid),
                    "spark_driver_heap_used_mib": heap.get("heap_used_mib"),
                    "spark_driver_old_gen_used_mib": heap.get("old_gen_used_mib"),
                    "broker_rss_mib": tree_rss_mib(broker_pid),
                    **folder_size(args.work_dir / "checkpoints"),
                    **producer_heap_mib(producer_metrics_port),
                    "spark_driver_cpu_s": tree_cpu_seconds(job.pid),
                    "producer_cpu_s": cpu_seconds(producer.pid),
                    "broker_cpu_s": tree_cpu_seconds(broker_pid),
                    **machine_cpu_seconds(),
                })
                # What the old generation and the V8 heap keep after collections (floors over the last
                # 6 samples): a leak raises a floor; a runtime growing its heap spaces raises only the RSS.
                samples[-1]["spark_driver_old_gen_floor_mib"] = floor(samples, "spark_driver_old_gen_used_mib")
                samples[-1]["producer_heap_used_floor_mib"] = floor(samples, "producer_heap_used_mib")
                # Jittered: work done every 5 s exactly (the jstat JVM this loop used to start) drifts
                # past the kernel's 5.004 s load samples by 4 ms a sample, and then sits on them for
                # minutes at a time (LOAD_SAMPLE_PERIOD_S).
                next_sample += args.sample_s * random.uniform(0.8, 1.2)
            if now >= next_histogram:
                histogram = jvm_live_histogram(driver_jvm)
                if histogram is not None:
                    histograms.append({"t_s": round(now - measured_from, 1), **histogram})
                    samples[-1]["spark_driver_live_heap_mib"] = histogram["live_heap_mib"]
                    # Each histogram also holds the batch in flight; their floor is what the driver keeps.
                    samples[-1]["spark_driver_live_heap_floor_mib"] = floor(histograms, "live_heap_mib", window=LIVE_HEAP_FLOOR_OF)
                next_histogram += args.live_heap_s * random.uniform(0.9, 1.1)
            if now >= next_producer_gc:
                request_producer_full_gc(producer, snapshot_dir)
                next_producer_gc += args.live_heap_s * random.uniform(0.9, 1.1)
            if now >= next_report:
                last = samples[-1]
                print(f"   t={last['t_s']:.0f}s producer {last['producer_rss_mib']} MiB, Spark driver "
                      f"{last['spark_driver_rss_mib']} MiB, batches {len(spark_watch.records)}, 1-minute load "
                      f"{last['load_1min']:.2f}, runnable threads {last['runnable_mean']}", flush=True)
                next_report += 60
            time.sleep(0.5)
        runnable.stop()
        producer.wait(timeout=60)
        job_alive_at_end = job.poll() is None
        drain_end = time.monotonic() + DRAIN_S
        while job.poll() is None and time.monotonic() < drain_end:
            time.sleep(0.5)
        job_code = job.poll()
        if job_code is None:  # still streaming, as it should be: stop it (SIGTERM, then SIGKILL)
            stop_group(job)
        spark_watch.join(timeout=10)
        producer_out.join(timeout=10)
        run_s = float(args.seconds)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)
        broker.stop()

    producer_result = json.loads(producer_out.records[-1][1]) if producer_out.records else None
    batches = []
    for arrived_s, text in spark_watch.records:
        # The first JSON value on the line: text glued after it (another writer's, on the same
        # stderr) must not lose the run's results.
        record, _ = json.JSONDecoder().raw_decode(text)
        if "batch_duration_ms" in record:
            batches.append({"t_s": round(arrived_s - measured_from, 1), "query": record["query"], "batch_id": record["batch_id"],
                            "input_rows": record["input_rows"], "batch_duration_ms": record["batch_duration_ms"],
                            "state_bytes": record.get("state_bytes"), "state_memory_bytes": record.get("state_memory_bytes"),
                            "state_file_bytes": record.get("state_file_bytes")})
    producing = [s for s in samples if 0 <= s["t_s"] <= run_s]
    live_heap = [{"t_s": round(t - measured_from, 1), "producer_live_heap_mib": mib} for t, mib in producer_out.live_heap_mib]
    summary = {
        "producer_rss": memory_verdict(producing, "producer_rss_mib", run_s),
        "producer_live_heap": memory_verdict([x for x in live_heap if 0 <= x["t_s"] <= run_s], "producer_live_heap_mib", run_s),
        "spark_driver_rss": memory_verdict(producing, "spark_driver_rss_mib", run_s),
        "spark_driver_live_heap_floor": memory_verdict(producing, "spark_driver_live_heap_floor_mib", run_s),
        "spark_driver_old_gen_floor": memory_verdict(producing, "spark_driver_old_gen_floor_mib", run_s),
        # The checkpoints, judged like memory: they grow while the state's first window fills, then
        # stay level once the state stores' snapshots let old changelog and offset files go.
        "checkpoint_size": memory_verdict(producing, "checkpoint_mib", run_s),
        "checkpoint_files": memory_verdict(producing, "checkpoint_files", run_s, unit="files"),
        "broker_rss": memory_verdict(producing, "broker_rss_mib", run_s),
        "producer_heap_used_floor": memory_verdict(producing, "producer_heap_used_floor_mib", run_s),
        "producer_external": memory_verdict(producing, "producer_external_mib", run_s),
        "spark_batches": batch_summary([b for b in batches if 0 <= b["t_s"] <= run_s], run_s),
        "cpu": cpu_summary(producing, batches, run_s),
    }
    summary["spark_batches_verdict"] = batches_verdict(batches, summary["spark_batches"], run_s, args.min_batches, rocksdb_pool_mib())
    summary["load"] = load_verdict(samples, load_at_start[0], run_s)
    summary["spark_batch_median_ms_per_10_min"] = medians_per_period(batches, run_s)
    in_run = [h for h in histograms if 0 <= h["t_s"] <= run_s]
    second_half = [h for h in in_run if h["t_s"] >= run_s / 2]
    if len(second_half) >= 2 * LIVE_HEAP_FLOOR_OF:
        summary["spark_driver_class_growth_second_half"] = class_growth(
            [h["classes"] for h in second_half[:LIVE_HEAP_FLOOR_OF]], [h["classes"] for h in second_half[-LIVE_HEAP_FLOOR_OF:]])
    result = {
        "benchmark": "soak",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "config": {"seconds": args.seconds, "rate_per_s": args.rate, "sample_s": args.sample_s, "partitions": PARTITIONS,
                   "trigger_s": args.trigger_s, "trigger_aliasing_with_load_sampling": trigger_aliasing(args.trigger_s),
                   "min_batches": args.min_batches, "warm_up_s": args.warm_up_s,
                   "load_average_at_start": load_at_start,
                   "flat_batch_ratio": FLAT_BATCH_RATIO, "spark_master": "local[2]", "kafka": v["kafka"], "spark": v["spark"],
                   "node": v["node"], "flat_growth_fraction": FLAT_GROWTH_FRACTION, "cpus": os.cpu_count(),
                   "live_heap_s": args.live_heap_s,
                   "load_average_at_end": os.getloadavg()},
        "producer_result": producer_result,
        "spark_startup_s": startup_s,
        "spark_job_alive_when_producer_ended": job_alive_at_end,
        "spark_job_exit_code_before_stop": job_code,
        "summary": summary,
        "samples": samples,
        "producer_full_gcs": live_heap,
        "spark_driver_histograms": [
            {"t_s": h["t_s"], "live_heap_mib": h["live_heap_mib"],
             "top_classes_mib": {name: round(size / 2**20, 2) for name, size in
                                 sorted(h["classes"].items(), key=lambda item: -item[1])[:20]}}
            for h in histograms
        ],
        "batches": batches,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")

    print(f"== wrote {args.out}")
    if producer_result:
        print(f"   producer: {producer_result['acked']:,} acked of {producer_result['sent']:,}, {producer_result['errors']} errors, "
              f"{producer_result['msgs_per_sec']:,.0f} msg/s")
    for name in ("producer_rss", "producer_live_heap", "producer_heap_used_floor", "producer_external", "spark_driver_rss",
                 "spark_driver_live_heap_floor", "spark_driver_old_gen_floor", "broker_rss"):
        verdict = summary[name]
        print(f"   {name}: {json.dumps(verdict)}")
    for query, stats in summary["spark_batches"].items():
        print(f"   batches {query}: {json.dumps(stats)}")
    for half, cores in summary["cpu"].items():
        print(f"   cpu {half}: {json.dumps(cores)}")
    for row in summary.get("spark_driver_class_growth_second_half", [])[:8]:
        print(f"   driver live heap, 2nd half: {row['class']} {row['first_mib']} -> {row['last_mib']} MiB")
    # Judged: the producer's RSS and live heap, and the driver JVM's live heap (its RSS also grows
    # while the JVM sizes its heap toward -Xmx, which is not a leak). A run too short for 6 full
    # collections of the producer has no live-heap verdict (flat: None), which does not fail it.
    # Without 6 class histograms of the driver (no jcmd, or a short run) the old generation's floor
    # stands in, which over-reads: it holds garbage until the next old-generation collection.
    driver = summary["spark_driver_live_heap_floor"]
    if driver.get("flat") is None:
        driver = summary["spark_driver_old_gen_floor"]
    checkpoints_bounded = summary["checkpoint_files"].get("flat") is not False and summary["checkpoint_size"].get("flat") is not False
    flat = (summary["producer_rss"].get("flat") and driver.get("flat")
            and summary["producer_live_heap"].get("flat") is not False)
    batches_ok = summary["spark_batches_verdict"]["ok"]
    print(f"   batches verdict: {json.dumps(summary['spark_batches_verdict'])}")
    print(f"   checkpoints: {json.dumps(summary['checkpoint_files'])} {json.dumps(summary['checkpoint_size'])}")
    load_ok = summary["load"]["valid"]
    print(f"   load: {json.dumps(summary['load'])}")
    print(f"SOAK valid={load_ok} memory_flat={bool(flat)} batches_flat_and_state_bounded={batches_ok} checkpoints_bounded={checkpoints_bounded} "
          f"producer_acked={producer_result['acked'] if producer_result else 0} "
          f"spark_alive_to_the_end={job_alive_at_end}", flush=True)
    ok = load_ok and flat and batches_ok and checkpoints_bounded and job_alive_at_end and producer_result is not None and producer_result["errors"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
