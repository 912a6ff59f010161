"""Broker failure on the seed topology: kill -9 one of three brokers while the producer runs, restart
it later; every event the producer acknowledged is on the topic exactly once.

Real processes only: 3 KRaft controllers + 3 brokers (local/seed_topology.py), the TypeScript
producer's CLI (acks=all, idempotent), and Kafka's own console consumer to read everything back.
The counts are printed as one FAULT_RESULT line and in the run's summary (test/conftest.py).
"""
from __future__ import annotations

import json
import re
import subprocess
import threading
import time
import uuid

import pytest

from local.pipeline import PROJECT_ROOT, _node_env, generate_events_file, producer_command
from local.seed_topology import SeedKafka
from streaming_job import delivery_counts

pytestmark = pytest.mark.e2e

SEED = 707
START_TIME = "2026-03-03T00:00:00.000Z"
EVENT_COUNT = 45_000
RATE_PER_S = 3_000  # ~15 s of producing: the kill and the restart both land mid-run
PARTITIONS = 3
KILLED_BROKER = 1  # index into SeedKafka.brokers: node 5
KILL_AFTER_CONNECTED_S = 2.5  # about a quarter of the run
RESTART_AFTER_S = 4.0
PRODUCER_TIMEOUT_S = 120
CONSUMER_IDLE_TIMEOUT_MS = 30_000  # a guard only: the consumer stops after the topic's record count


class ProducerWatch:
    """Collects the producer's stderr while it runs and notes when it has connected."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.process = process
        self.connected = threading.Event()
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line.rstrip())
            if re.search(r"\bconnected\b", line):
                self.connected.set()


def records_so_far(kafka: SeedKafka, topic: str) -> int:
    """Records on the topic now (sum of the partitions' end offsets), read from the brokers still up."""
    return sum(kafka.tool_node().topic_end_offsets(topic).values())


def read_all_values(kafka: SeedKafka, topic: str, records: int, timeout_s: float = 120) -> list[str]:
    """Every record value on the topic, from the beginning, with Kafka's console consumer.

    It stops after `records` records (the sum of the end offsets), or after CONSUMER_IDLE_TIMEOUT_MS
    without one; the caller checks it got them all."""
    node = kafka.tool_node()
    result = node.run_tool(
        "org.apache.kafka.tools.consumer.ConsoleConsumer",
        ["--bootstrap-server", kafka.bootstrap_servers, "--topic", topic, "--from-beginning",
         "--max-messages", str(records), "--timeout-ms", str(CONSUMER_IDLE_TIMEOUT_MS)],
        timeout_s=timeout_s,
        check=False,  # a --timeout-ms ending exits non-zero; the count check below catches a short read
    )
    return [line for line in result.stdout.splitlines() if line.startswith("{")]


@pytest.fixture(scope="module")
def broker_fault_run(tmp_path_factory, fault_report):
    workdir = tmp_path_factory.mktemp("fault-broker")
    topic = f"flight-events-fault-{uuid.uuid4().hex[:8]}"
    truth_file = generate_events_file(workdir / "truth.jsonl", EVENT_COUNT, seed=SEED, start_time=START_TIME)
    truth_ids = [json.loads(line)["event_id"] for line in truth_file.read_text().splitlines()]

    kafka = SeedKafka(workdir / "kafka")
    kafka.start()
    try:
        kafka.create_topic(topic, partitions=PARTITIONS)
        described = kafka.describe_topic(topic)
        victim = kafka.brokers[KILLED_BROKER]
        # GIVEN the producer sending a fixed number of events at a fixed rate (acks=all, idempotent)
        cmd = producer_command(
            "produce", "--bootstrap", kafka.bootstrap_servers, "--topic", topic, "--count", str(EVENT_COUNT),
            "--seed", str(SEED), "--start-time", START_TIME, "--rate", str(RATE_PER_S), "--max-in-flight", "5",
        )
        producer = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=_node_env(), stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
        watch = ProducerWatch(producer)
        timeline = {}
        try:
            # WHEN one broker is killed (SIGKILL) a quarter into the run ...
            assert watch.connected.wait(timeout=60), "the producer did not connect:\n" + "\n".join(watch.lines)
            time.sleep(KILL_AFTER_CONNECTED_S)
            timeline["producer_running_at_kill"] = producer.poll() is None
            victim.kill()
            killed_s = time.monotonic()
            # ... and restarted a few seconds later, while the producer still runs
            time.sleep(RESTART_AFTER_S)
            timeline["producer_running_at_restart"] = producer.poll() is None
            victim.start(wait=False)
            timeline["records_at_restart"] = records_so_far(kafka, topic)
            stdout, _ = producer.communicate(timeout=PRODUCER_TIMEOUT_S)
            timeline["producer_done_s_after_kill"] = round(time.monotonic() - killed_s, 1)
        finally:
            if producer.poll() is None:
                producer.kill()
                producer.wait(timeout=10)
        victim.wait_until_ready(timeout_s=120)
        kafka.wait_for_full_isr(topic)
        result_lines = [line for line in stdout.splitlines() if line.startswith("PRODUCER_RESULT ")]
        producer_result = json.loads(result_lines[-1].removeprefix("PRODUCER_RESULT ")) if result_lines else None

        # THEN read everything back with a real consumer and account for every event
        end_offsets = kafka.tool_node().topic_end_offsets(topic)
        values = read_all_values(kafka, topic, sum(end_offsets.values()))
    finally:
        kafka.stop()

    found_ids = [json.loads(v)["event_id"] for v in values]
    acked = producer_result["acked"] if producer_result else 0
    delivered = delivery_counts(found_ids, truth_ids)
    counts = {
        "scenario": "broker kill -9 and restart (3 controllers + 3 brokers, RF 3, min.insync.replicas 2)",
        "produced": producer_result["sent"] if producer_result else None,
        "acknowledged": acked,
        "producer_errors": producer_result["errors"] if producer_result else None,
        "producer_exit_code": producer.returncode,
        "records_on_topic": sum(end_offsets.values()),
        **delivered,
        # Written but never acknowledged (a request whose answer the kill cut off): allowed, not lost.
        "found_unacknowledged": max(0, delivered["found"] - acked),
        # Which events were acknowledged is known exactly when all were; otherwise count the shortfall.
        "lost": delivered["lost"] if acked == EVENT_COUNT else max(0, acked - delivered["found"]),
        **timeline,
    }
    fault_report(counts)
    return {
        "counts": counts, "values": values, "found_ids": found_ids, "truth_ids": truth_ids,
        "described": described, "producer_stderr": "\n".join(watch.lines[-30:]),
    }


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


def test_every_acknowledged_event_is_on_the_topic_exactly_once(broker_fault_run):
    counts = broker_fault_run["counts"]
    # The consumer read the whole topic: as many records as the partitions' end offsets add up to.
    assert len(broker_fault_run["values"]) == counts["records_on_topic"]
    assert counts["duplicated"] == 0
    assert counts["lost"] == 0
    assert set(broker_fault_run["found_ids"]) <= set(broker_fault_run["truth_ids"])
    # Every acknowledged event is there; beyond them only events the producer sent but never saw acknowledged.
    assert counts["acknowledged"] <= counts["found"] <= counts["produced"]
    assert counts["acknowledged"] > 0
