"""The embedded broker, tested against itself: a real JVM, real Kafka tools, real sockets."""
from __future__ import annotations

import re
import socket
import subprocess
import sys
import uuid

import pytest

from local.embedded_kafka import (
    KAFKA_POM,
    EmbeddedKafka,
    JavaNotUsableError,
    KafkaBrokerError,
    PortInUseError,
    api_versions,
    free_port,
    free_ports,
    main,
)
from local.maven import JarResolutionError, resolve_jars
from local.versions import PROJECT_ROOT, STATE_DIR, versions

RECORD_COUNT = 5_000
PARTITIONS = 4


def unique_topic(purpose: str) -> str:
    return f"{purpose}-{uuid.uuid4().hex[:8]}"


def run_cli(*args: str, timeout_s: float = 150) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "local.embedded_kafka", *args],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout_s,
    )


def can_listen_on(port: int) -> bool:
    # As a new broker would: SO_REUSEADDR, so only a live listener counts as taken.
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
            probe.listen()
        except OSError:
            return False
        return True


# --- one shared broker -------------------------------------------------------------------

def test_broker_answers_kafka_requests(kafka_broker):
    supported = api_versions("127.0.0.1", kafka_broker.port)

    assert kafka_broker.is_running()
    assert kafka_broker.bootstrap_servers == f"127.0.0.1:{kafka_broker.port}"
    assert 0 in supported and 18 in supported  # Produce and ApiVersions


def test_topic_holds_exactly_the_records_produced(kafka_broker):
    topic = unique_topic("flight-events")
    kafka_broker.create_topic(topic, partitions=PARTITIONS)

    kafka_broker.run_tool(
        "org.apache.kafka.tools.ProducerPerformance",
        [
            "--topic", topic, "--num-records", str(RECORD_COUNT), "--record-size", "200",
            "--throughput", "-1",
            "--producer-props", f"bootstrap.servers={kafka_broker.bootstrap_servers}", "acks=all",
        ],
    )
    end_offsets = kafka_broker.topic_end_offsets(topic)

    assert sorted(end_offsets) == list(range(PARTITIONS))
    assert sum(end_offsets.values()) == RECORD_COUNT


def test_create_topic_applies_partitions_and_configs(kafka_broker):
    topic = unique_topic("airline-minutes")

    kafka_broker.create_topic(topic, partitions=3, configs={"retention.ms": "3600000", "cleanup.policy": "delete"})
    described = kafka_broker.describe_topic(topic)

    assert described["partitions"] == 3
    assert described["replication_factor"] == 1
    assert described["configs"]["retention.ms"] == "3600000"
    assert kafka_broker.topic_end_offsets(topic) == {0: 0, 1: 0, 2: 0}


def test_topics_are_not_created_implicitly(kafka_broker):
    topic = unique_topic("never-created")

    with pytest.raises(KafkaBrokerError, match=f"topic '{topic}' does not exist"):
        kafka_broker.topic_end_offsets(topic)


def test_creating_an_existing_topic_fails(kafka_broker):
    topic = unique_topic("twice")
    kafka_broker.create_topic(topic, partitions=1)

    with pytest.raises(KafkaBrokerError, match="already exists"):
        kafka_broker.create_topic(topic, partitions=2)


def test_cli_reports_end_offsets(kafka_broker):
    topic = unique_topic("cli-offsets")
    ports = ["--state-dir", str(kafka_broker.state_dir), "--port", str(kafka_broker.port),
             "--controller-port", str(kafka_broker.controller_port)]

    created = run_cli("create-topic", *ports, "--topic", topic, "--partitions", "2", "--config", "retention.ms=60000")
    offsets = run_cli("end-offsets", *ports, "--topic", topic)
    status = run_cli("status", *ports)

    assert created.returncode == 0, created.stderr
    assert offsets.returncode == 0, offsets.stderr
    assert offsets.stdout.split("\n")[:2] == ["0 0", "1 0"]
    assert status.returncode == 0 and kafka_broker.bootstrap_servers in status.stdout


# --- lifecycle of a broker of its own ------------------------------------------------------

def test_cli_start_then_stop_from_another_process_shuts_down_cleanly(tmp_path):
    port, controller_port = free_ports(2)
    options = ["--state-dir", str(tmp_path), "--port", str(port), "--controller-port", str(controller_port),
               "--heap-mb", "512"]

    started = run_cli("start", *options)
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == f"127.0.0.1:{port}"
    assert api_versions("127.0.0.1", port)

    stopped = run_cli("stop", *options, timeout_s=60)
    stopped_again = run_cli("stop", *options, timeout_s=60)
    status = run_cli("status", *options)

    assert stopped.returncode == 0, stopped.stderr
    assert stopped_again.returncode == 0, stopped_again.stderr
    assert status.returncode == 1 and "not running" in status.stdout
    assert not (tmp_path / "broker.pid").exists()
    broker_log = (tmp_path / "logs" / "broker.log").read_text()
    assert "[BrokerServer id=1] Transition from SHUTTING_DOWN to SHUTDOWN" in broker_log
    assert "[RaftManager id=1] Graceful shutdown completed" in broker_log
    assert can_listen_on(port) and can_listen_on(controller_port)


def test_a_broker_that_dies_while_starting_reports_its_log(tmp_path):
    port, controller_port = free_ports(2)
    broker = EmbeddedKafka(tmp_path, port=port, controller_port=controller_port, heap_mb=512)
    broker.start()
    broker.stop()
    # Data of another node: Kafka refuses to start on it, a real failure with a real log line.
    meta = tmp_path / "data" / "meta.properties"
    meta.write_text(meta.read_text().replace("node.id=1", "node.id=2"))

    with pytest.raises(KafkaBrokerError) as failure:
        broker.start()

    assert "exited while starting" in str(failure.value)
    assert "Stored node id 2 doesn't match" in str(failure.value)
    assert not broker.is_running()


# --- clear errors before anything starts -------------------------------------------------

def test_a_taken_port_is_named_in_the_error(tmp_path):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken_port = squatter.getsockname()[1]
        broker = EmbeddedKafka(tmp_path, port=taken_port, controller_port=free_port())

        with pytest.raises(PortInUseError) as failure:
            broker.start()

    assert f"127.0.0.1:{taken_port}" in str(failure.value)
    assert "--port" in str(failure.value)
    assert not broker.is_running()


def test_a_taken_controller_port_is_named_in_the_error(tmp_path):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken_port = squatter.getsockname()[1]

        with pytest.raises(PortInUseError, match=f"controller port 127.0.0.1:{taken_port}.*--controller-port"):
            EmbeddedKafka(tmp_path, port=free_port(), controller_port=taken_port).start()


def test_missing_java_is_named_in_the_error(tmp_path):
    port, controller_port = free_ports(2)
    broker = EmbeddedKafka(tmp_path, port=port, controller_port=controller_port, java="/nonexistent/java")

    with pytest.raises(JavaNotUsableError) as failure:
        broker.start()

    assert "/nonexistent/java" in str(failure.value)
    assert "Java 17 or newer" in str(failure.value) and "JAVA_HOME" in str(failure.value)


def test_cli_start_exits_1_with_the_error(tmp_path):
    port, controller_port = free_ports(2)
    result = run_cli("start", "--state-dir", str(tmp_path), "--java", "/nonexistent/java",
                     "--port", str(port), "--controller-port", str(controller_port))

    assert result.returncode == 1
    assert "/nonexistent/java" in result.stderr


def test_cli_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as usage:
        main(["create-topic", "--topic", "flight-events"])  # --partitions is missing

    assert usage.value.code == 2
    assert "--partitions" in capsys.readouterr().err


def test_a_kafka_version_maven_central_lacks_is_named_in_the_error():
    missing_version = "0.0.404-does-not-exist"
    name = f"kafka-test-missing-{uuid.uuid4().hex[:8]}"

    with pytest.raises(JarResolutionError) as failure:
        resolve_jars(KAFKA_POM, {"kafka.version": missing_version}, name)

    assert missing_version in str(failure.value)
    assert not (STATE_DIR / "jars" / name).exists()


# --- the resolved jars -------------------------------------------------------------------

def test_resolved_jars_match_versions_json_and_have_one_log4j2(kafka_broker):
    names = {jar.name for jar in kafka_broker.jar_dir().glob("*.jar")}
    kafka = versions()["kafka"]

    assert {f"kafka_2.13-{kafka}.jar", f"kafka-tools-{kafka}.jar", f"kafka-clients-{kafka}.jar"} <= names
    # The slf4j bridge is pinned in the POM; it must match the log4j-core Kafka brings.
    log4j_versions = {m.group(2) for n in names if (m := re.fullmatch(r"log4j-(core|api|slf4j-impl)-(.+)\.jar", n))}
    assert len(log4j_versions) == 1, sorted(n for n in names if n.startswith("log4j"))
    assert any(n.startswith("log4j-slf4j-impl-") for n in names)
