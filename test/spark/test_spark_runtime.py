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


def listing_stage_tasks(spark, events_dir, checkpoint_dir) -> tuple[list[int], int]:
    """Run one available-now micro-batch of a Parquet stream over events_dir; the task counts of the
    stages it ran, and the rows it read."""
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    tracker = spark.sparkContext.statusTracker()
    before = set(tracker.getJobIdsForGroup(None))
    rows = []
    schema = StructType([StructField("event_id", StringType()), StructField("batch_id", LongType())])
    query = (spark.readStream.schema(schema).parquet(str(events_dir)).writeStream
             .foreachBatch(lambda frame, _: rows.append(frame.count()))
             .option("checkpointLocation", str(checkpoint_dir)).trigger(availableNow=True).start())
    assert query.awaitTermination(120), "the available-now batch did not finish within 120 s"
    groups = (None, str(query.runId))
    jobs = {job for group in groups for job in tracker.getJobIdsForGroup(group)} - before
    stages = [tracker.getStageInfo(stage) for job in jobs for stage in tracker.getJobInfo(job).stageIds]
    return [stage.numTasks for stage in stages if stage is not None], sum(rows)


def test_the_file_source_lists_many_batch_folders_on_the_driver_not_with_a_task_per_folder(spark, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    # GIVEN events/ with more batch folders than Spark lists without a job (one event each)
    folders = spark_runtime.SPARK_DEFAULT_LISTING_THRESHOLD + 8
    for batch in range(folders):
        (tmp_path / "events" / f"batch_id={batch}").mkdir(parents=True)
        pq.write_table(pa.table({"event_id": [f"e{batch}"]}), tmp_path / "events" / f"batch_id={batch}" / "part-0.parquet")
    key = spark_runtime.LISTING_THRESHOLD_KEY
    try:
        # WHEN a stream reads it with Spark's own threshold, and then with the project's local one
        spark.conf.set(key, str(spark_runtime.SPARK_DEFAULT_LISTING_THRESHOLD))
        spark_default, spark_default_rows = listing_stage_tasks(spark, tmp_path / "events", tmp_path / "cp-default")
        spark.conf.set(key, spark_runtime.DEFAULT_CONF[key])
        ours, our_rows = listing_stage_tasks(spark, tmp_path / "events", tmp_path / "cp-ours")
    finally:
        spark.conf.set(key, spark_runtime.DEFAULT_CONF[key])
    # THEN both read every event, but only Spark's default ran a listing stage of a task per folder
    assert spark_default_rows == our_rows == folders
    assert folders in spark_default, f"stage task counts with Spark's threshold: {spark_default}"
    assert not [tasks for tasks in ours if tasks >= folders], f"stage task counts with ours: {ours}"
