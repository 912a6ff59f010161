"""bench/load.py: the one load rule both benchmarks follow, over made-up load readings, and its CPU
account over real processes."""
from __future__ import annotations

import os
import subprocess
import sys
import time

from bench.load import (
    left_out,
    BUSY_LOAD, OTHERS_MAX_CORES, QUIET_LOAD, CpuAccount, load_1m, machine_busy_s, run_validity, tree_pids,
    wait_for_quiet,
)


def test_it_starts_at_once_on_a_quiet_machine():
    slept: list[float] = []
    assert wait_for_quiet(60, load=lambda: QUIET_LOAD - 0.01, sleep=slept.append) == (True, QUIET_LOAD - 0.01, 0.0)
    assert slept == []


def test_it_waits_for_the_load_to_drop_polling_every_5_s():
    loads, slept = iter([2.0, 1.5, 0.8]), []
    assert wait_for_quiet(60, load=lambda: next(loads), sleep=slept.append) == (True, 0.8, 10.0)
    assert slept == [5.0, 5.0]


def test_it_gives_up_within_the_bound_and_says_how_busy_it_was():
    slept: list[float] = []
    assert wait_for_quiet(12, load=lambda: 2.0, sleep=slept.append) == (False, 2.0, 10.0)
    assert slept == [5.0, 5.0]
    assert wait_for_quiet(0, load=lambda: 2.0, sleep=slept.append)[0] is False


def test_a_load_of_exactly_the_quiet_bound_is_not_quiet():
    assert wait_for_quiet(0, load=lambda: QUIET_LOAD, sleep=lambda _s: None)[0] is False


def test_a_run_started_above_the_busy_load_or_failed_is_not_valid():
    assert run_validity(BUSY_LOAD, None) == (True, None)
    valid, reason = run_validity(BUSY_LOAD + 0.5, None)
    assert valid is False and "3.50 > 3.0" in reason and "something else was running" in reason
    assert run_validity(0.5, "exited 1") == (False, "the run failed (see error)")


def test_the_load_read_is_the_1_minute_average(monkeypatch):
    monkeypatch.setattr(os, "getloadavg", lambda: (0.25, 4.0, 9.0))
    assert load_1m() == 0.25


def test_cpu_used_by_other_processes_makes_a_run_not_valid():
    assert run_validity(0.5, None, OTHERS_MAX_CORES) == (True, None)
    valid, reason = run_validity(0.5, None, OTHERS_MAX_CORES + 0.5)
    assert valid is False and "used 0.75 cores" in reason and "something else was running" in reason
    assert run_validity(0.5, None, None) == (True, None)  # not measured (the run did not get that far)


def test_a_run_that_ended_above_the_busy_load_is_not_valid():
    assert run_validity(0.5, None, 0.01, BUSY_LOAD) == (True, None)
    valid, reason = run_validity(0.5, None, 0.01, BUSY_LOAD + 0.42)
    assert valid is False and "3.42 > 3.0 at the end of the run" in reason and "not published" in reason


def test_machine_busy_time_is_every_field_of_the_cpu_line_but_idle_and_iowait():
    ticks = os.sysconf("SC_CLK_TCK")
    #            user nice system idle iowait irq softirq steal guest guest_nice
    stat = f"cpu  {ticks * 10} {ticks} {ticks * 2} {ticks * 500} {ticks * 7} 0 {ticks} 0 {ticks * 3} 0\ncpu0 1 2 3\n"
    assert machine_busy_s(stat) == 14.0  # guest time is already in user


def test_a_process_tree_is_its_root_and_live_descendants_but_not_its_neighbours():
    parents = {10: 1, 11: 10, 12: 11, 20: 1, 21: 20}
    assert tree_pids(10, parents) == {10, 11, 12}
    assert tree_pids(11, parents) == {11, 12}
    assert tree_pids(99, parents) == set()


ORPHANED_SPINNER = """
import subprocess, sys, time
# start a grandchild that spins for 1.5 s of CPU, and exit while it runs, without waiting for it: it
# is re-parented to init, as pyspark's JVM is when its Python driver exits first
subprocess.Popen([sys.executable, "-c", "import time\\nend = time.process_time() + 1.5\\nwhile time.process_time() < end: pass"])
time.sleep(0.6)
"""


def test_a_descendant_that_is_orphaned_still_counts_as_the_benchmarks_own_cpu():
    with CpuAccount(interval_s=0.2) as account:
        subprocess.run([sys.executable, "-c", ORPHANED_SPINNER], check=True, timeout=30)
        deadline = time.monotonic() + 30
        while account.ours_s() < 1.2 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(0.5)
    # the grandchild's 1.5 s, less what the last interval before it exited missed
    assert account.ours_s() >= 1.2


SHORT_LIVED_SPINNERS = """
import subprocess, sys
# ten grandchildren of 0.1 s of CPU each, one after the other: each is gone before a 0.5 s sample
# sees it (as a Spark job's chmod processes are), and this process reaps them
for _ in range(10):
    subprocess.run([sys.executable, "-c", "import time\\nend = time.process_time() + 0.1\\nwhile time.process_time() < end: pass"], check=True)
"""


def test_descendants_too_short_lived_to_be_sampled_count_through_the_parent_that_reaped_them():
    with CpuAccount(interval_s=0.5) as account:
        child = subprocess.Popen([sys.executable, "-c", SHORT_LIVED_SPINNERS])
        time.sleep(0.7)  # the child is seen alive once
        child.wait(timeout=60)
    # ten times 0.1 s, and the interpreters' own start-up, counted once
    assert 1.0 <= account.ours_s() < 6.0


def test_a_busy_process_outside_the_benchmark_is_seen():
    # seen from a benchmark whose process tree is an idle `sleep`, a spinning process is someone else's
    idle = subprocess.Popen(["sleep", "60"])
    spinner = subprocess.Popen([sys.executable, "-c", "import time\nend = time.monotonic() + 1.5\nwhile time.monotonic() < end: pass"])
    try:
        with CpuAccount(root=idle.pid) as other:
            spinner.wait(timeout=30)
    finally:
        spinner.kill()
        idle.kill()
    assert other.others_cores is not None and other.others_cores > 0.5
    assert other.ours_s() == 0.0


def test_a_left_out_run_keeps_only_which_run_it_was_and_why():
    # GIVEN one run taken alone and one the rule left out
    runs = [
        {"job": "ours", "repeat": 0, "events_per_sec": 100.0, "load_after": 2.0, "valid": True, "invalid_reason": None},
        {"job": "naive", "repeat": 1, "events_per_sec": 90.0, "load_after": 3.4, "valid": False,
         "invalid_reason": "1-minute load 3.40 > 3.0 at the end of the run"},
    ]
    # WHEN they are split for the results file
    kept, dropped = left_out(runs, ("job", "repeat"))
    # THEN the valid run is kept whole, and the other keeps no rate and no load, only its name and reason
    assert kept == [runs[0]]
    assert dropped == [{"job": "naive", "repeat": 1, "reason": "1-minute load 3.40 > 3.0 at the end of the run"}]
