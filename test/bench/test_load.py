"""bench/load.py: the one load rule both benchmarks follow, over made-up load readings (no sleeping)."""
from __future__ import annotations

import os

from bench.load import BUSY_LOAD, QUIET_LOAD, load_1m, run_validity, wait_for_quiet


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
