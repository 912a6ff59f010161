"""versions.json is the one source of truth: every other place a version appears must agree with it."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from local.versions import PROJECT_ROOT, spark_kafka_connector_coordinates, versions

V = versions()

# Folders whose files are not ours or are generated from ours.
SKIPPED_DIRS = {".git", "node_modules", ".venv", ".state", "cdk.out", "dist", "__pycache__", ".pytest_cache"}
SCANNED_SUFFIXES = {".py", ".ts", ".json", ".yaml", ".yml", ".md", ".txt", ".xml", ".toml", ".mjs", ".sh", ""}


def tracked_and_new_files() -> list[Path]:
    """Every file git would ship (tracked or untracked-but-not-ignored)."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=True,
    ).stdout
    files = []
    for rel in out.splitlines():
        path = PROJECT_ROOT / rel
        if set(Path(rel).parts) & SKIPPED_DIRS or not path.is_file():
            continue
        if path.suffix in SCANNED_SUFFIXES or path.name in {"Dockerfile", "Makefile"}:
            files.append(path)
    return files


def version_mentions(pattern: str) -> list[tuple[str, str]]:
    """(file, captured version) for every match of `pattern` in the tree, versions.json excluded."""
    regex = re.compile(pattern)
    found = []
    for path in tracked_and_new_files():
        if path.name in {"versions.json", "package-lock.json"}:
            continue
        for match in regex.finditer(path.read_text(encoding="utf-8", errors="replace")):
            found.append((str(path.relative_to(PROJECT_ROOT)), match.group(1)))
    return found


def test_pyspark_pin_in_requirements_equals_spark_version():
    requirements = (PROJECT_ROOT / "spark-jobs" / "requirements.txt").read_text()
    pins = re.findall(r"^pyspark==(\S+)", requirements, flags=re.M)
    assert pins == [V["spark"]], f"spark-jobs/requirements.txt pins pyspark {pins}, versions.json says {V['spark']}"


def test_installed_pyspark_equals_spark_version():
    import pyspark

    assert pyspark.__version__ == V["spark"]


def test_connector_coordinates_are_derived_from_spark_and_scala():
    assert spark_kafka_connector_coordinates() == (
        f"org.apache.spark:spark-sql-kafka-0-10_{V['scalaBinary']}:{V['spark']}"
    )


def test_local_runner_puts_the_matching_connector_jar_on_the_classpath():
    from local.spark_runtime import connector_jars

    names = {jar.name for jar in connector_jars()}
    expected = f"spark-sql-kafka-0-10_{V['scalaBinary']}-{V['spark']}.jar"
    assert expected in names, f"{expected} not among the local runner's jars: {sorted(names)}"
    # A second Spark or Scala on the classpath is the classic NoClassDefFoundError; pyspark brings its own.
    clashing = sorted(n for n in names if n.startswith(("spark-core_", "spark-sql_", "scala-library-")))
    assert clashing == []


@pytest.mark.parametrize("pom", ["local/kafka/pom.xml", "local/spark/pom.xml", "local/spark-s3a/pom.xml"])
def test_poms_hold_no_version_literals_of_kafka_or_spark(pom):
    text = (PROJECT_ROOT / pom).read_text()
    for artifact in re.findall(r"<artifactId>((?:kafka|spark)[^<]*)</artifactId>\s*<version>([^<]*)</version>", text):
        name, version = artifact
        assert version.startswith("${"), f"{pom}: {name} has version {version!r}; use a property fed from versions.json"


def test_every_spark_kafka_connector_mention_matches():
    wrong = [
        (f, found) for f, found in version_mentions(r"spark-sql-kafka-0-10_(\d+\.\d+:\d+\.\d+\.\d+)")
        if found != f"{V['scalaBinary']}:{V['spark']}"
    ]
    assert wrong == []


def test_every_apache_spark_image_mention_matches():
    wrong = [(f, t) for f, t in version_mentions(r"apache/spark:([\w.\-]+)") if t != V["images"]["spark"].split(":", 1)[1]]
    assert wrong == []


def test_spark_image_tag_follows_spark_scala_and_java():
    assert V["images"]["spark"].startswith(
        f"apache/spark:{V['spark']}-scala{V['scalaBinary']}-java{V['javaRelease']}-python3"
    )


def test_every_apache_kafka_image_and_broker_jar_mention_matches():
    images = [(f, t) for f, t in version_mentions(r"apache/kafka:([\w.\-]+)") if t != V["kafka"]]
    assert images == []
    assert V["images"]["kafka"] == f"apache/kafka:{V['kafka']}"
    jars = [(f, t) for f, t in version_mentions(r"kafka_2\.13:(\d+\.\d+\.\d+)") if t != V["kafka"]]
    assert jars == []


def test_every_pyspark_pin_mention_matches():
    wrong = [(f, t) for f, t in version_mentions(r"pyspark==(\d+\.\d+\.\d+)") if t != V["spark"]]
    assert wrong == []


def test_node_pin_and_image_follow_the_node_version():
    package = json.loads((PROJECT_ROOT / "package.json").read_text())
    assert package["devDependencies"]["node"].lstrip("^~") == V["node"]
    assert V["node"].split(".")[0] == "24"
    assert V["images"]["nodeBase"].startswith(f"node:{V['node']}-")


def test_kubernetes_packages_follow_the_kubernetes_version():
    minor = V["kubernetes"].split(".")[1]
    assert V["kubectlLayerPackage"].endswith(f"-v{minor}")
    package = json.loads((PROJECT_ROOT / "package.json").read_text())
    deps = {**package.get("dependencies", {}), **package.get("devDependencies", {})}
    assert V["cdk8sPlusPackage"] in deps, f"{V['cdk8sPlusPackage']} is not a dependency in package.json"
    # cdk8s-plus-N targets Kubernetes 1.N; 34 is the newest published, so it may trail the cluster.
    plus_minor = int(V["cdk8sPlusPackage"].rsplit("-", 1)[1])
    assert plus_minor <= int(minor)


def test_vendored_strimzi_crds_are_the_pinned_chart_version():
    # k8s/imports/kafka.strimzi.io.ts is generated from these CRDs; a chart upgrade must bring new ones.
    crds = sorted(p.name for p in (PROJECT_ROOT / "k8s" / "imports" / "crds").glob("strimzi-*.yaml"))
    assert crds, "no vendored Strimzi CRDs in k8s/imports/crds"
    wrong = [name for name in crds if not name.startswith(f"strimzi-{V['strimziChart']}-")]
    assert wrong == [], f"CRDs {wrong} are not from Strimzi {V['strimziChart']} (versions.json strimziChart)"
