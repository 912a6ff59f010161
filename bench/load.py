"""How busy the machine is, for benchmarks that must not publish figures taken while something else ran.

One rule for every benchmark (bench/spark_bench.py, bench/producer_bench.py): start only when the 1-minute
load average is below QUIET_LOAD (wait up to a bound for it, else stop), record the load before each run,
and count a run whose load before it was above BUSY_LOAD as not valid: it is reported, but left out of
medians and ratios. On 2 shared cores a figure taken at load 17 says more about the neighbours than
about the code (docs/producer.md).
"""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

QUIET_LOAD = 1.0
"""1-minute load average below which the machine counts as quiet (to start, and before each run)."""
BUSY_LOAD = 3.0
"""A run whose 1-minute load before it is above this is invalid: something else was running."""
LOAD_POLL_S = 5.0
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


def run_validity(load_before: float, error: str | None) -> tuple[bool, str | None]:
    """(valid, why not): a failed run, or one that started above BUSY_LOAD, is not used."""
    if error:
        return False, "the run failed (see error)"
    if load_before > BUSY_LOAD:
        return False, f"1-minute load {load_before:.2f} > {BUSY_LOAD} before the run: something else was running"
    return True, None
