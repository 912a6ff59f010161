"""`python -m local.jars`: fetch every jar the local pipeline needs from Maven Central, once.

The Kafka broker and tools (local/kafka/pom.xml) and the Spark Kafka connector that matches
pyspark exactly (local/spark/pom.xml), and the JMX exporter agent (local/jmx-exporter/pom.xml), all at
the versions in versions.json, into .state/jars/.
"""
from __future__ import annotations

import sys

from local.embedded_kafka import EmbeddedKafka
from local.jmx_exporter import agent_jar
from local.maven import JarResolutionError
from local.spark_runtime import connector_jars
from local.versions import STATE_DIR, spark_kafka_connector_coordinates, versions


def main() -> int:
    try:
        kafka_dir = EmbeddedKafka(STATE_DIR / "kafka").jar_dir()
        connector = connector_jars()
        agent = agent_jar()
    except JarResolutionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"kafka {versions()['kafka']}: {len(list(kafka_dir.glob('*.jar')))} jars in {kafka_dir}")
    print(f"{spark_kafka_connector_coordinates()}: {len(connector)} jars")
    print(f"JMX exporter agent {versions()['jmxExporter']}: {agent}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
