"""The broker-kill scenario, shared by test_faults_broker.py (in make test) and
loop_broker_kill.py (run by hand, N times in a row, not in CI).

3 KRaft controllers + 3 brokers (local/multi_node.py), the TypeScript producer's CLI (acks=all,
idempotent) at a fixed rate, one broker killed with SIGKILL a quarter into the run and restarted a
few seconds later; then Kafka's own console consumer reads everything back.
"""
from __future__ import annotations

import json
import re
import subprocess
import threading
import time
import uuid
from pathlib import Path

from local.pipeline import PROJECT_ROOT, node_env, generate_events_file, producer_command
from local.multi_node import MultiNodeKafka
from streaming_job import delivery_counts

SEED = 707
START_TIME = "2026-03-03T00:00:00.000Z"
EVENT_COUNT = 45_000
RATE_PER_S = 3_000  # ~15 s of producing: the kill and the restart both land mid-run
PARTITIONS = 3
KILLED_BROKER = 1  # index into MultiNodeKafka.brokers: node 5
KILL_AFTER_CONNECTED_S = 2.5  # about a quarter of the run
RESTART_AFTER_S = 4.0
# The producer's own limits: 120 s delivery timeout per batch (as Java's delivery.timeout.ms),
# then 15 s more for closing. This one only guards against a hung process.
PRODUCER_TIMEOUT_S = 200
CONSUMER_IDLE_TIMEOUT_MS = 30_000  # a guard only: the consumer stops after the topic's record count


class ProducerWatch:
    """The only reader of the producer's stderr (a second reader, such as communicate(), would
    take lines from it): collects every line and notes when the producer has connected."""

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

    def join(self, timeout_s: float = 10) -> None:
        self._thread.join(timeout_s)


def records_so_far(kafka: MultiNodeKafka, topic: str) -> int:
    """Records on the topic now (sum of the partitions' end offsets), read from the brokers still up."""
    return sum(kafka.tool_node().topic_end_offsets(topic).values())


def read_all_values(kafka: MultiNodeKafka, topic: str, records: int, timeout_s: float = 120) -> list[str]:
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


def run_broker_kill(workdir: Path) -> dict:
    """Runs the scenario once in `workdir`; returns its counts, the values read back, and the producer's stderr."""
    topic = f"flight-events-fault-{uuid.uuid4().hex[:8]}"
    truth_file = generate_events_file(workdir / "truth.jsonl", EVENT_COUNT, seed=SEED, start_time=START_TIME)
    truth_ids = [json.loads(line)["event_id"] for line in truth_file.read_text().splitlines()]

    kafka = MultiNodeKafka(workdir / "kafka")
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
        producer = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=node_env(), stdout=subprocess.PIPE,
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
            stdout = producer.stdout.read()  # stdout is small (the result line); stderr is the watch's alone
            producer.wait(timeout=PRODUCER_TIMEOUT_S)
            watch.join()
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
        # Written but never acknowledged: the producer exits 1 and says so; the test fails on it.
        "found_unacknowledged": max(0, delivered["found"] - acked),
        # Which events were acknowledged is known exactly when all were; otherwise count the shortfall.
        "lost": delivered["lost"] if acked == EVENT_COUNT else max(0, acked - delivered["found"]),
        "producer_retry_lines": sum(1 for line in watch.lines if re.search(r"\b(retrying|giving up on) \d+ messages", line)),
        **timeline,
    }
    return {
        "counts": counts, "values": values, "found_ids": found_ids, "truth_ids": truth_ids,
        "described": described, "producer_stderr": "\n".join(watch.lines),
    }
