"""docker-compose.yml, checked without Docker: the multi-node topology, ports, versions and the job's connector.

No Docker engine runs here, so the file is parsed (PyYAML, with its anchors and merge keys
resolved as Compose does) and held to versions.json and to what the Kafka and Spark images read.
"""
from __future__ import annotations

import base64
import re
import shlex

import pytest
import yaml

from local.multi_node import BROKERS, CONTROLLERS, FIRST_BROKER_ID, SPARK_WORKERS, TOPIC_MIN_INSYNC_REPLICAS, TOPIC_REPLICATION_FACTOR
from local.versions import PROJECT_ROOT, spark_kafka_connector_coordinates, versions

COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yml"
V = versions()


@pytest.fixture(scope="module")
def services() -> dict[str, dict]:
    return yaml.safe_load(COMPOSE_FILE.read_text())["services"]


def kafka_nodes(services: dict, role: str) -> dict[str, dict]:
    return {
        name: s["environment"] for name, s in services.items()
        if s.get("environment", {}).get("KAFKA_PROCESS_ROLES") == role
    }


def spark_daemons(services: dict, main_class: str) -> list[str]:
    return [name for name, s in services.items() if main_class in " ".join(s.get("command") or [])]


def command_words(service: dict) -> list[str]:
    """The words of a service's command, whether a list or one `bash -c` script."""
    command = service.get("command") or []
    return shlex.split(" ".join(command) if isinstance(command, list) else command)


def option(words: list[str], name: str) -> str:
    assert name in words, f"{name} missing from {words}"
    return words[words.index(name) + 1]


def test_topology_is_3_controllers_3_brokers_1_master_3_workers(services):
    controllers = kafka_nodes(services, "controller")
    brokers = kafka_nodes(services, "broker")
    masters = spark_daemons(services, "org.apache.spark.deploy.master.Master")
    workers = spark_daemons(services, "org.apache.spark.deploy.worker.Worker")

    assert (len(controllers), len(brokers), len(masters), len(workers)) == (3, 3, 1, 3)
    # The embedded twin (make demo TOPOLOGY=multi-node) has the same shape.
    assert (CONTROLLERS, BROKERS, SPARK_WORKERS) == (3, 3, 3)


def test_node_ids_are_unique_and_brokers_follow_the_embedded_numbering(services):
    controllers = kafka_nodes(services, "controller")
    brokers = kafka_nodes(services, "broker")
    ids = [int(env["KAFKA_NODE_ID"]) for env in [*controllers.values(), *brokers.values()]]

    assert len(set(ids)) == len(ids) == 6
    assert sorted(int(env["KAFKA_NODE_ID"]) for env in brokers.values()) == list(range(FIRST_BROKER_ID, FIRST_BROKER_ID + 3))


def test_quorum_voters_are_exactly_the_controllers(services):
    controllers = kafka_nodes(services, "controller")
    expected = {
        (int(env["KAFKA_NODE_ID"]), services[name].get("hostname", name), int(env["KAFKA_LISTENERS"].rsplit(":", 1)[1]))
        for name, env in controllers.items()
    }
    every_node = {**controllers, **kafka_nodes(services, "broker")}
    for name, env in every_node.items():
        voters = {
            (int(node), host, int(port))
            for node, host, port in re.findall(r"(\d+)@([\w.-]+):(\d+)", env["KAFKA_CONTROLLER_QUORUM_VOTERS"])
        }
        assert voters == expected, f"{name}: KAFKA_CONTROLLER_QUORUM_VOTERS {voters} != the controllers {expected}"


def test_every_node_shares_one_valid_cluster_id(services):
    nodes = {**kafka_nodes(services, "controller"), **kafka_nodes(services, "broker")}
    ids = {env["CLUSTER_ID"] for env in nodes.values()}

    assert len(ids) == 1
    (cluster_id,) = ids
    assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16, f"CLUSTER_ID {cluster_id!r} is not 16 bytes of base64"


def test_brokers_advertise_the_host_port_they_publish(services):
    for name, env in kafka_nodes(services, "broker").items():
        (published,) = services[name]["ports"]
        host_ip, host_port, container_port = published.split(":")
        advertised = dict(re.findall(r"(\w+)://([\w.:-]+)", env["KAFKA_ADVERTISED_LISTENERS"]))
        assert advertised["PLAINTEXT_HOST"] == f"localhost:{host_port}", name
        assert f"PLAINTEXT_HOST://:{container_port}" in env["KAFKA_LISTENERS"], name
        assert advertised["PLAINTEXT"] == f"{services[name]['hostname']}:19092", name


def test_host_ports_are_unique_and_bound_to_loopback(services):
    published = [p for s in services.values() for p in s.get("ports", [])]
    host_ports = [p.split(":")[1] for p in published]

    assert len(published) >= 5  # 3 brokers, the Spark master UI, the producer's metrics
    assert all(p.startswith("127.0.0.1:") for p in published), published
    assert len(set(host_ports)) == len(host_ports), f"a host port is published twice: {sorted(host_ports)}"


def test_image_tags_equal_versions_json(services):
    images = {s["image"] for s in services.values() if "image" in s and "build" not in s}

    assert images == {V["images"]["kafka"], V["images"]["spark"]}


def test_every_kafka_and_spark_node_has_a_health_check_or_a_dependency_on_one(services):
    for name, env in {**kafka_nodes(services, "controller"), **kafka_nodes(services, "broker")}.items():
        assert services[name]["healthcheck"]["test"], name
    (master,) = spark_daemons(services, "org.apache.spark.deploy.master.Master")
    assert services[master]["healthcheck"]["test"]
    for worker in spark_daemons(services, "org.apache.spark.deploy.worker.Worker"):
        assert services[worker]["depends_on"][master]["condition"] == "service_healthy"


def test_topic_is_created_with_replication_3_and_min_insync_2(services):
    (creator,) = [s for s in services.values() if "kafka-topics.sh" in " ".join(s.get("entrypoint") or [])]
    words = [str(w) for w in creator["command"]]

    assert option(words, "--topic") == "flight-events"
    assert int(option(words, "--replication-factor")) == TOPIC_REPLICATION_FACTOR == 3
    assert option(words, "--config") == f"min.insync.replicas={TOPIC_MIN_INSYNC_REPLICAS}" == "min.insync.replicas=2"
    brokers = set(option(words, "--bootstrap-server").split(","))
    assert brokers == {f"{services[n]['hostname']}:19092" for n in kafka_nodes(services, "broker")}


def test_the_job_is_submitted_with_the_connector_that_matches_spark_and_scala(services):
    (submitter,) = [s for s in services.values() if "spark-submit" in " ".join(s.get("command") or [])]
    words = command_words(submitter)
    (master,) = spark_daemons(services, "org.apache.spark.deploy.master.Master")

    assert option(words, "--packages") == spark_kafka_connector_coordinates() == (
        f"org.apache.spark:spark-sql-kafka-0-10_{V['scalaBinary']}:{V['spark']}"
    )
    assert option(words, "--master") == f"spark://{services[master]['hostname']}:7077"
    assert submitter["image"] == V["images"]["spark"]
    # The job reads the three brokers and mounts the sources it runs.
    assert len(option(words, "--bootstrap").split(",")) == 3
    assert "./spark-jobs:/opt/flight-analytics:ro" in submitter["volumes"]
    assert "/opt/flight-analytics/main.py" in words


def test_spark_processes_authenticate_and_bind_no_rest_server(services):
    spark_services = [s for s in services.values() if s.get("image") == V["images"]["spark"]]
    for service in spark_services:
        script = " ".join(service["command"])
        assert "'spark.authenticate true'" in script and "spark.authenticate.secret $$SPARK_AUTH_SECRET" in script
        assert "'spark.master.rest.enabled false'" in script
        assert "--properties-file /tmp/spark-conf/spark-defaults.conf" in script
    # Compose refuses to start without a secret rather than run an open cluster.
    assert all(":?" in s["environment"]["SPARK_AUTH_SECRET"] for s in spark_services)


def test_the_producer_is_built_from_its_dockerfile_and_waits_for_the_topic(services):
    producer = services["producer"]

    assert producer["build"] == {"context": ".", "dockerfile": "producer/Dockerfile"}
    assert (PROJECT_ROOT / "producer" / "Dockerfile").is_file()
    assert producer["depends_on"]["topic-init"]["condition"] == "service_completed_successfully"
    assert len(producer["environment"]["PRODUCER_BOOTSTRAP"].split(",")) == 3
