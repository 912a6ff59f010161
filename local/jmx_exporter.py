"""The Prometheus JMX exporter Java agent, for local JVMs whose JMX metrics a test scrapes.

The agent (io.prometheus.jmx:jmx_prometheus_javaagent at versions.json `jmxExporter`) comes from
Maven Central through local/jmx-exporter/pom.xml, cached under .state/jars/ like every other jar.
"""
from __future__ import annotations

from pathlib import Path

from local.maven import JarResolutionError, resolve_jars
from local.versions import PROJECT_ROOT, versions

JMX_EXPORTER_POM = PROJECT_ROOT / "local" / "jmx-exporter" / "pom.xml"


def agent_jar() -> Path:
    """The agent's jar, resolved from Maven Central once, then cached."""
    version = versions()["jmxExporter"]
    jar_dir = resolve_jars(JMX_EXPORTER_POM, {"jmx.exporter.version": version}, f"jmx-exporter-{version}")
    jar = jar_dir / f"jmx_prometheus_javaagent-{version}.jar"
    if not jar.is_file():
        raise JarResolutionError(
            f"{jar_dir} has no {jar.name} (found {sorted(p.name for p in jar_dir.glob('*.jar'))}); "
            f"delete {jar_dir} and run `python -m local.jars` again"
        )
    return jar


def javaagent_option(port: int, rules_config: Path, host: str = "127.0.0.1") -> str:
    """The JVM option that serves the JVM's MBeans, mapped by `rules_config`, on http://host:port/metrics."""
    if not 0 < port < 65536:
        raise ValueError(f"port={port}: expected a TCP port 1..65535 for the JMX exporter's /metrics")
    if not Path(rules_config).is_file():
        raise FileNotFoundError(f"JMX exporter rules config {rules_config} does not exist; expected a YAML file of rules")
    return f"-javaagent:{agent_jar()}={host}:{port}:{Path(rules_config).resolve()}"
