"""local/spark_runtime.py: the pyspark version guard, the connector jars, and how a local session lists a file source."""
from __future__ import annotations

import re

import pytest

from local import spark_runtime
from local.versions import PROJECT_ROOT, versions


def test_requirements_pin_the_spark_of_versions_json():
    pins = dict(
        re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line).groups()
        for line in (PROJECT_ROOT / "spark-jobs" / "requirements.txt").read_text().splitlines()
        if re.match(r"^[A-Za-z0-9_.-]+==", line)
    )
    assert pins["pyspark"] == versions()["spark"]


def test_the_installed_pyspark_is_the_spark_of_versions_json():
    assert spark_runtime.check_pyspark_version() == versions()["spark"]


def test_another_pyspark_fails_with_a_message_that_names_both_versions_and_the_fix(monkeypatch):
    import pyspark

    monkeypatch.setattr(pyspark, "__version__", "3.5.0")
    with pytest.raises(spark_runtime.SparkVersionMismatch, match=r"pyspark 3\.5\.0 .* spark 4\..*requirements\.txt"):
        spark_runtime.check_pyspark_version()


def test_connector_jars_add_kafka_without_a_second_copy_of_spark_or_scala():
    names = [jar.name for jar in spark_runtime.connector_jars()]
    spark, scala = versions()["spark"], versions()["scalaBinary"]
    assert f"spark-sql-kafka-0-10_{scala}-{spark}.jar" in names
    for wanted in ("spark-token-provider-kafka-0-10_", "kafka-clients-", "commons-pool2-"):
        assert any(name.startswith(wanted) for name in names), wanted
    for clash in ("spark-core_", "spark-sql_", "spark-catalyst_", "spark-tags_", "scala-library-", "slf4j-", "hadoop-"):
        assert not any(name.startswith(clash) for name in names), clash


def test_s3a_jars_are_hadoop_aws_of_pysparks_hadoop_and_the_checkpoint_manager_without_a_second_hadoop_or_spark():
    names = [jar.name for jar in spark_runtime.s3a_jars()]
    spark, scala = versions()["spark"], versions()["scalaBinary"]
    assert f"hadoop-aws-{spark_runtime.pyspark_hadoop_version()}.jar" in names
    assert f"spark-hadoop-cloud_{scala}-{spark}.jar" in names
    assert any(name.startswith("bundle-") for name in names), "the AWS SDK v2 bundle hadoop-aws declares"
    for clash in ("hadoop-client-", "hadoop-common-", "spark-core_", "scala-library-", "slf4j-", "jackson-"):
        assert not any(name.startswith(clash) for name in names), clash
