"""The multi-node topology's configuration, checked before anything starts: node roles, the static quorum,
the ports and the limits that keep a bad setting from turning into a confusing broker failure.
(The topology itself runs in test/e2e/test_faults_*.py.)"""
from __future__ import annotations

import re

import pytest

from local.embedded_kafka import EmbeddedKafka
from local.multi_node import FIRST_BROKER_ID, MultiNodeKafka, SparkStandalone


def properties(node: EmbeddedKafka) -> dict[str, str]:
    node.state_dir.mkdir(parents=True, exist_ok=True)
    node._write_config()
    return dict(re.findall(r"^([\w.]+)=(.*)$", node.properties_path.read_text(), flags=re.M))


def test_multi_node_kafka_is_three_controllers_and_three_brokers_on_one_static_quorum(tmp_path):
    kafka = MultiNodeKafka(tmp_path)
    controllers = [properties(n) for n in kafka.controllers]
    brokers = [properties(n) for n in kafka.brokers]

    assert [c["process.roles"] for c in controllers] == ["controller"] * 3
    assert [b["process.roles"] for b in brokers] == ["broker"] * 3
    assert [int(b["node.id"]) for b in brokers] == [FIRST_BROKER_ID + i for i in range(3)]
    voters = {p["controller.quorum.voters"] for p in controllers + brokers}
    assert voters == {",".join(f"{n.node_id}@127.0.0.1:{n.controller_port}" for n in kafka.controllers)}
    # Internal topics replicate like the events topic: 3 replicas, 2 in sync for a write.
    assert {b["offsets.topic.replication.factor"] for b in brokers} == {"3"}
    assert {b["min.insync.replicas"] for b in brokers} == {"2"}
    # Every listener is on loopback, and every node has its own port.
    listeners = [p["listeners"] for p in controllers + brokers]
    assert all(re.fullmatch(r"(PLAINTEXT|CONTROLLER)://127\.0\.0\.1:\d+", entry) for entry in listeners)
    assert len(set(listeners)) == 6
    assert len({n.cluster_id for n in kafka.nodes}) == 1
    assert kafka.bootstrap_servers == ",".join(f"127.0.0.1:{n.port}" for n in kafka.brokers)


def test_a_single_node_keeps_its_combined_roles_and_dynamic_quorum(tmp_path):
    single = properties(EmbeddedKafka(tmp_path, port=19001, controller_port=19002))

    assert single["process.roles"] == "broker,controller"
    assert single["controller.quorum.bootstrap.servers"] == "127.0.0.1:19002"
    assert "controller.quorum.voters" not in single
    assert single["offsets.topic.replication.factor"] == "1"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"roles": "broker"}, "needs controller_quorum"),
        ({"roles": "leader", "controller_quorum": {1: 9093}}, "roles='leader'"),
        ({"roles": "controller", "node_id": 2, "controller_quorum": {1: 9093}}, "controller node 2 listens on 9093"),
        ({"roles": "broker", "node_id": 1, "controller_quorum": {1: 9093}}, "broker node_id=1 is also a controller"),
        ({"cluster_brokers": 0}, "cluster_brokers=0"),
    ],
)
def test_a_bad_node_setting_is_named(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        EmbeddedKafka(tmp_path, port=19001, controller_port=9093, **kwargs)


def test_a_replication_factor_above_the_brokers_is_refused_before_any_tool_runs(tmp_path):
    kafka = MultiNodeKafka(tmp_path)

    with pytest.raises(ValueError, match=r"replication_factor=4 .* has 3 broker\(s\); use 1\.\.3"):
        kafka.create_topic("flight-events", partitions=3, replication_factor=4)
    with pytest.raises(ValueError, match=r"min_insync_replicas=4 .* expected 1\.\.3"):
        kafka.create_topic("flight-events", partitions=3, min_insync_replicas=4)


def test_the_spark_cluster_config_authenticates_and_sizes_executors_to_the_workers(tmp_path):
    spark = SparkStandalone(tmp_path)
    spark._write_conf()
    conf_file = spark.conf_dir / "spark-defaults.conf"
    conf = dict(line.split(" ", 1) for line in conf_file.read_text().splitlines())

    assert conf["spark.authenticate"] == "true" and len(conf["spark.authenticate.secret"]) == 64
    assert conf_file.stat().st_mode & 0o077 == 0, "the secret must be readable by its owner only"
    assert conf["spark.master.rest.enabled"] == "false"
    assert int(conf["spark.cores.max"]) == 3 and conf["spark.executor.cores"] == "1"
    assert spark.job_env({})["SPARK_CONF_DIR"] == str(spark.conf_dir)
    assert spark.master_url.startswith("spark://127.0.0.1:")


def test_a_spark_worker_too_small_for_an_executor_is_refused(tmp_path):
    with pytest.raises(ValueError, match="worker_memory_mb=256"):
        SparkStandalone(tmp_path, worker_memory_mb=256)
