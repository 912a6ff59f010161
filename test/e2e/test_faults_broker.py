"""Broker failure on the multi-node topology: kill -9 one of three brokers while the producer runs, restart
it later; the producer acknowledges every event, exits 0, and every event is on the topic once.

The scenario itself is in broker_kill.py (loop_broker_kill.py runs it many times in a row, by hand).
The counts are printed as one FAULT_RESULT line and in the run's summary (test/conftest.py).
"""
from __future__ import annotations

import pytest

from broker_kill import EVENT_COUNT, run_broker_kill

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def broker_fault_run(tmp_path_factory, fault_report):
    run = run_broker_kill(tmp_path_factory.mktemp("fault-broker"))
    fault_report(run["counts"])
    return run


def test_the_topic_has_three_replicas_and_needs_two_in_sync(broker_fault_run):
    described = broker_fault_run["described"]
    assert described["replication_factor"] == 3
    assert described["configs"]["min.insync.replicas"] == "2"


def test_the_broker_was_killed_mid_run(broker_fault_run):
    counts = broker_fault_run["counts"]
    assert counts["producer_running_at_kill"] and counts["producer_running_at_restart"], broker_fault_run["producer_stderr"]
    assert 0 < counts["records_at_restart"] < EVENT_COUNT


def test_the_producer_survives_the_broker_kill_and_acknowledges_every_event(broker_fault_run):
    counts = broker_fault_run["counts"]
    assert counts["producer_exit_code"] == 0, broker_fault_run["producer_stderr"]
    assert (counts["produced"], counts["acknowledged"], counts["producer_errors"]) == (EVENT_COUNT, EVENT_COUNT, 0)
    # Every event that reached the topic was acknowledged.
    assert counts["found_unacknowledged"] == 0


def test_every_acknowledged_event_is_on_the_topic_exactly_once(broker_fault_run):
    counts = broker_fault_run["counts"]
    # The consumer read the whole topic: as many records as the partitions' end offsets add up to.
    assert len(broker_fault_run["values"]) == counts["records_on_topic"]
    assert counts["duplicated"] == 0
    assert counts["lost"] == 0
    assert set(broker_fault_run["found_ids"]) <= set(broker_fault_run["truth_ids"])
    assert counts["acknowledged"] <= counts["found"] <= counts["produced"]
    assert counts["acknowledged"] > 0
