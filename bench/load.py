"""How busy the machine is, for benchmarks that must not publish figures taken while something else ran.

One rule for every benchmark (bench/spark_bench.py, bench/producer_bench.py): start only when the 1-minute
load average is below QUIET_LOAD (wait up to a bound for it, else stop), record the load before and
after each run, and count a run as not valid when its load before or after it was above BUSY_LOAD, or
when processes outside the benchmark used more than OTHERS_MAX_CORES of CPU on average during it: it is
left out of medians and ratios, and its results file names it and why, without its figures (left_out). On 2 shared cores a figure taken at load 17 says more
about the neighbours than about the code (docs/producer.md).

Why both the load and the CPU account: the load average counts runnable threads, and a benchmark that
keeps both cores busy (Spark's task, JIT and GC threads, the broker) can raise it past 3 by itself, so
a run that ends above BUSY_LOAD is left out even when nothing else ran; the CPU the rest of the
machine used during the run (/proc/stat's busy time minus the CPU of this process and its
descendants, CpuAccount) catches what the load average misses: a neighbour that ran and stopped.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from typing import NamedTuple

QUIET_LOAD = 1.0
"""1-minute load average below which the machine counts as quiet (to start, and before each run)."""
BUSY_LOAD = 3.0
"""A run whose 1-minute load before or after it is above this is invalid: it may not have run alone."""
OTHERS_MAX_CORES = 0.25
"""A run during which processes outside the benchmark used more CPU than this, on average, is invalid."""
LOAD_POLL_S = 5.0

RULE = (f"starts only when the 1-minute load average is below {QUIET_LOAD} (waits up to --wait-for-quiet-s, then exits 3); "
        f"waits the same way before each run; a run whose 1-minute load before or after it was above {BUSY_LOAD}, or "
        f"during which processes outside the benchmark used more than {OTHERS_MAX_CORES} cores on average (others_cores: "
        "/proc/stat busy time minus the CPU of the benchmark's process tree, sampled every 0.5 s), is valid false and "
        "left out of the medians and ratios (bench/load.py).")
"""The rule above in words, for the benchmarks' JSON."""
"""Seconds between two reads of the load average while waiting for a quiet machine."""


def load_1m() -> float:
    """The 1-minute load average now."""
    return os.getloadavg()[0]


def wait_for_quiet(max_wait_s: float, *, below: float = QUIET_LOAD, poll_s: float = LOAD_POLL_S,
                   load: Callable[[], float] = load_1m,
                   sleep: Callable[[float], None] = time.sleep) -> tuple[bool, float, float]:
    """Wait until the 1-minute load average is below `below`, checking every poll_s s for at most
    max_wait_s s. Returns (quiet, the last load read, seconds waited)."""
    waited_s = 0.0
    while True:
        current = load()
        if current < below:
            return True, current, waited_s
        if waited_s + poll_s > max_wait_s:
            return False, current, waited_s
        sleep(poll_s)
        waited_s += poll_s


def start_when_quiet(program: str, max_wait_s: float) -> tuple[float, float] | None:
    """wait_for_quiet before a benchmark starts: (load, seconds waited) once the machine is quiet, or
    None after saying on stderr that it is not (the caller exits 3)."""
    quiet, load, waited_s = wait_for_quiet(max_wait_s)
    if quiet:
        return load, waited_s
    print(f"{program}: the 1-minute load average is {load:.2f} after waiting {waited_s:.0f} s "
          f"for it to drop below {QUIET_LOAD}: something else is using the CPU. Stop it (or wait), then run again; "
          f"--wait-for-quiet-s={max_wait_s:g} sets how long to wait.", file=sys.stderr)
    return None


def run_validity(load_before: float, error: str | None, others_cores: float | None = None,
                 load_after: float | None = None) -> tuple[bool, str | None]:
    """(valid, why not): a failed run, one that started or ended above BUSY_LOAD, or one during which
    other processes used more than OTHERS_MAX_CORES (others_cores: CpuAccount.others_cores), is not used."""
    if error:
        return False, "the run failed (see error)"
    if load_before > BUSY_LOAD:
        return False, f"1-minute load {load_before:.2f} > {BUSY_LOAD} before the run: something else was running"
    if others_cores is not None and others_cores > OTHERS_MAX_CORES:
        return False, (f"processes outside the benchmark used {others_cores:.2f} cores on average during the run "
                       f"(> {OTHERS_MAX_CORES}): something else was running")
    if load_after is not None and load_after > BUSY_LOAD:
        return False, (f"1-minute load {load_after:.2f} > {BUSY_LOAD} at the end of the run: it may not have run "
                       "alone, so it is not published")
    return True, None


def left_out(runs: list[dict], names: tuple[str, ...]) -> tuple[list[dict], list[dict]]:
    """(the valid runs, one record per run that is not): a results file publishes only runs taken
    alone, so a run the rule left out keeps only the fields in `names` (which run it was) and why,
    never its rates or load averages. The medians and ratios never use it either."""
    kept = [run for run in runs if run["valid"]]
    dropped = [{**{name: run.get(name) for name in names}, "reason": run.get("invalid_reason")}
               for run in runs if not run["valid"]]
    return kept, dropped


def _clock_ticks() -> int:
    return os.sysconf("SC_CLK_TCK")


def machine_busy_s(stat_text: str) -> float:
    """Busy CPU seconds of the whole machine since boot, from /proc/stat's first ("cpu") line: every
    field but idle and iowait (guest time is already inside user and nice, so it is left out)."""
    fields = [int(v) for v in stat_text.split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / _clock_ticks()


def tree_pids(root: int, parents: dict[int, int]) -> set[int]:
    """Process `root` and its live descendants (parents: pid -> parent pid of every process)."""
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid in found or pid not in parents:
            continue
        found.add(pid)
        todo.extend(children.get(pid, []))
    return found


class ProcStat(NamedTuple):
    """A process as /proc/<pid>/stat gives it."""

    name: str
    ppid: int
    own_s: float
    """CPU seconds the process used itself (utime + stime, every thread)."""
    reaped_s: float
    """CPU seconds of the children it reaped (cutime + cstime)."""


def proc_stat(pid: int) -> ProcStat | None:
    """Process `pid` now, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    ticks = [int(v) / _clock_ticks() for v in fields[11:15]]
    return ProcStat(text[text.index("(") + 1: text.rindex(")")], int(fields[1]), ticks[0] + ticks[1], ticks[2] + ticks[3])


def read_process_stats() -> dict[int, ProcStat]:
    """Every process now, by pid."""
    return {int(entry.name): stat for entry in os.scandir("/proc")
            if entry.name.isdigit() and (stat := proc_stat(int(entry.name))) is not None}


class PeriodicSampler:
    """A context manager that calls sample() on entry, every interval_s on its own thread while the
    block runs, and on exit; subclasses say what a sample reads (and may act once sampling opened
    or closed, in _opened and _closed)."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        raise NotImplementedError

    def _opened(self) -> None:
        """Called after the first sample, before the sampling thread starts."""

    def _closed(self) -> None:
        """Called after the last sample."""

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.sample()

    def __enter__(self):
        self.sample()
        self._opened()
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sample()
        self._closed()


class CpuAccount(PeriodicSampler):
    """CPU the rest of the machine used while a benchmark run lasted: `with CpuAccount() as cpu: run()`,
    then cpu.others_cores (average cores used by processes other than this one and its descendants).

    Every interval_s it reads, for each process in the benchmark's tree, the CPU it used itself and
    the CPU of the children it reaped (which covers children too short-lived to be sampled: the local
    file system's chmod processes of a Spark job, thousands a minute). Once seen, a process stays
    counted wherever it is re-parented: pyspark's JVM outlives its Python driver and goes to init.
    A process that is gone while its last parent is still in the tree was reaped by that parent, whose
    reaped CPU now holds all of it, so it is not counted again. What a process re-parented to init
    uses in its last interval_s, and the CPU of its own children after that, is missed and so counted
    as someone else's: at most a few tenths of a core-second per run."""

    def __init__(self, root: int | None = None, interval_s: float = 0.5) -> None:
        super().__init__(interval_s)
        self.root = root or os.getpid()
        self.others_cores: float | None = None
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._parent: dict[int, int] = {}
        self._reaped_by_tree: set[int] = set()
        self._opening = True

    def sample(self) -> None:
        """Record the CPU (own + reaped) of every process in the tree, and of every process ever seen in it."""
        stats = read_process_stats()
        alive = stats.keys()
        tracked = tree_pids(self.root, {pid: stat.ppid for pid, stat in stats.items()}) | (self._last.keys() & alive)
        for pid in tracked:
            used = stats[pid].own_s + stats[pid].reaped_s
            # a process there at the start counts from what it had used then; one born since, from 0
            self._first.setdefault(pid, used if self._opening else 0.0)
            self._last[pid] = max(self._last.get(pid, 0.0), used)
            self._parent[pid] = stats[pid].ppid
        for pid in self._last.keys() - alive - self._reaped_by_tree:
            if self._parent[pid] in tracked and self._parent[pid] != 1:
                self._reaped_by_tree.add(pid)

    def ours_s(self) -> float:
        """CPU seconds the tree used since the account opened."""
        return sum(last - self._first[pid] for pid, last in self._last.items() if pid not in self._reaped_by_tree)

    @staticmethod
    def _busy_s() -> float:
        with open("/proc/stat") as f:
            return machine_busy_s(f.read())

    def _opened(self) -> None:
        self._opening = False
        self._t0, self._busy0 = time.monotonic(), self._busy_s()

    def _closed(self) -> None:
        t1, busy1 = time.monotonic(), self._busy_s()
        if t1 > self._t0:
            self.others_cores = round(max(0.0, (busy1 - self._busy0) - self.ours_s()) / (t1 - self._t0), 3)
