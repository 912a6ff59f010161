"""local.processes.stop_group, on real processes in their own process groups."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from local.processes import stop_group

# A parent that starts a child in its group, reports the child's pid, and then waits.
PARENT = """
import signal, subprocess, sys, time
{handler}
child = subprocess.Popen([sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"])
print(child.pid, flush=True)
time.sleep(60)
"""


def start(handler: str) -> tuple[subprocess.Popen, int]:
    process = subprocess.Popen([sys.executable, "-c", PARENT.format(handler=handler)], stdout=subprocess.PIPE, text=True,
                               start_new_session=True)
    return process, int(process.stdout.readline())


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_gone(pid: int, timeout_s: float = 10) -> bool:
    deadline = time.monotonic() + timeout_s
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


def test_a_process_that_exits_on_sigterm_is_stopped_without_waiting_for_the_timeout():
    process, child = start("")
    started = time.monotonic()
    assert stop_group(process, timeout_s=20) == -signal.SIGTERM
    assert time.monotonic() - started < 10  # no wait for the SIGKILL fallback
    if alive(child):  # it may have ignored SIGTERM (if its handler was set in time): not stop_group's job
        os.kill(child, signal.SIGKILL)
    assert wait_gone(child)


def test_a_process_that_ignores_sigterm_is_killed_with_its_group_after_the_timeout():
    process, child = start("signal.signal(signal.SIGTERM, signal.SIG_IGN)")
    started = time.monotonic()
    assert stop_group(process, timeout_s=1) == -signal.SIGKILL
    assert 1 <= time.monotonic() - started < 10
    assert wait_gone(child)  # the SIGKILL went to the whole group


def test_stopping_a_process_that_has_exited_returns_its_code():
    process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"], start_new_session=True)
    process.wait(timeout=30)
    assert stop_group(process) == 3
    assert stop_group(process) == 3
