"""Fixtures shared by the tests of local/."""
from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from pathlib import Path

import pytest

from local import demo


@dataclass(frozen=True)
class DemoRun:
    events: int
    exit_code: int
    out: str
    """What the demo printed (its stdout)."""
    state_dir: Path


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> DemoRun:
    """One real `make demo` run (its own broker, the producer, the Spark job) on 20,000 events, shared
    by the tests of its summary (test_demo.py) and of its HTML report (test_report_browser.py): one
    run instead of two saves about 70 s of make test."""
    events = 20_000
    state_dir = tmp_path_factory.mktemp("demo") / "demo"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exit_code = demo.main(["--events", str(events), "--partitions", "3", "--state-dir", str(state_dir)])
    return DemoRun(events, exit_code, printed.getvalue(), state_dir)
