"""Stopping a process that runs in its own process group (start_new_session=True): a Spark driver
and its JVM, Prometheus, a tsx-launched node. One way to do it for the harness, the soak and the tests."""
from __future__ import annotations

import os
import signal
import subprocess


def stop_group(process: subprocess.Popen, timeout_s: float = 30) -> int | None:
    """SIGTERM the process's group, SIGKILL the group if the process has not exited within timeout_s.
    Returns its exit code. Safe to call on a process that has exited already (and so, twice)."""
    if process.poll() is not None:
        return process.returncode
    _signal_group(process.pid, signal.SIGTERM)
    try:
        return process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _signal_group(process.pid, signal.SIGKILL)
        return process.wait(timeout=10)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:  # the group is gone: it exited between the look and the signal
        pass
