"""`make demo`'s driver, run for real on a small number of events: it must finish, report, and clean up."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from local import demo

pytestmark = pytest.mark.e2e

SUMMARY = re.compile(
    r"^SUMMARY produced=(\d+) processed=(\d+) quarantined=(\d+) late_dropped=(\d+) windows=(\d+) aggregates=(\d+) "
    r"producer_msgs_per_sec=(\d+) spark_events_per_sec=(\d+)$"
)


def test_demo_runs_the_pipeline_and_ends_with_a_machine_readable_summary(demo_run):
    # GIVEN a small demo in its own state folder, run end to end (its own broker, the producer, the
    # Spark job) by the demo_run fixture (conftest.py)
    events, out = demo_run.events, demo_run.out
    # THEN it succeeds, prints the airline table, and its last line is the summary
    assert demo_run.exit_code == 0, out[-3000:]
    assert "Airlines by average departure delay" in out
    last_line = out.strip().splitlines()[-1]
    match = SUMMARY.match(last_line)
    assert match, f"last line is not a SUMMARY line: {last_line!r}"
    produced, processed, quarantined, late_dropped, windows, aggregates, producer_rate, spark_rate = map(int, match.groups())
    # The simulator's events arrive in event-time order per flight, within the watermark: none is late.
    assert (produced, processed, quarantined, late_dropped) == (events, events, 0, 0)
    assert windows > 0 and producer_rate > 0 and spark_rate > 0
    # AND every window row the job wrote, of every family, is also on the aggregates topic, once
    output = demo_run.state_dir / "output"
    written = sum(len(pd.read_parquet(output / family)) for family in ("airline_minute", "airport_5min", "route_15min"))
    assert aggregates == written
    # AND the broker it started is gone
    assert not list((demo_run.state_dir / "kafka").glob("*.pid")), "the demo left its broker running"


@pytest.mark.parametrize("bad", [["--events", "0"], ["--events", "-5"], ["--partitions", "many"]])
def test_demo_rejects_a_bad_size_naming_the_value(bad, capsys):
    with pytest.raises(SystemExit) as exit_info:
        demo.main(bad)
    assert exit_info.value.code == 2
    assert repr(bad[1]) in capsys.readouterr().err
