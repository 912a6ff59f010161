"""settings.spark_conf: the production sparkConf, the same for the local session and the cluster."""
from __future__ import annotations

import json

import pytest

from flight_analytics.settings import ABORTABLE_CHECKPOINT_FILE_MANAGER, SETTINGS_FILE, spark_conf


def test_every_setting_comes_from_the_data_file_the_chart_reads_too():
    # GIVEN spark-settings.json, which k8s/spark-conf.ts reads for the SparkApplication
    settings = json.loads(SETTINGS_FILE.read_text(encoding="utf-8"))
    # WHEN the job builds its conf for an s3a:// checkpoint
    conf = spark_conf("s3a://bucket/checkpoints", shuffle_partitions=24)
    # THEN it is the file's session-wide and s3a groups, its JVM options, and the shuffle partitions asked for
    assert conf == {
        **settings["everywhere"],
        **settings["s3aCheckpoints"],
        "spark.driver.extraJavaOptions": settings["javaOptions"],
        "spark.executor.extraJavaOptions": settings["javaOptions"],
        "spark.sql.shuffle.partitions": "24",
    }


def test_rocksdb_with_changelog_checkpointing_and_the_shuffle_partitions_asked_for():
    conf = spark_conf(shuffle_partitions=24)
    assert conf["spark.sql.streaming.stateStore.providerClass"].endswith("RocksDBStateStoreProvider")
    assert conf["spark.sql.streaming.stateStore.rocksdb.changelogCheckpointing.enabled"] == "true"
    assert conf["spark.sql.shuffle.partitions"] == "24"
    assert all(isinstance(v, str) for v in conf.values()), "a SparkApplication's sparkConf holds strings"


def test_generated_methods_stay_small_enough_for_the_jit():
    assert spark_conf()["spark.sql.codegen.hugeMethodLimit"] == "8000"


def test_s3a_checkpoints_get_the_abortable_checkpoint_file_manager_and_local_ones_do_not():
    assert spark_conf("s3a://bucket/checkpoints")["spark.sql.streaming.checkpointFileManagerClass"] == ABORTABLE_CHECKPOINT_FILE_MANAGER
    assert "spark.sql.streaming.checkpointFileManagerClass" not in spark_conf("/tmp/checkpoints")


def test_a_bad_partition_count_names_the_value():
    with pytest.raises(ValueError, match="shuffle_partitions=0"):
        spark_conf(shuffle_partitions=0)


def test_the_local_session_runs_with_these_settings(spark):
    # test/spark/conftest.py builds the session from spark_conf(), as the job's local run does
    assert spark.conf.get("spark.sql.codegen.hugeMethodLimit") == "8000"
    assert spark.conf.get("spark.sql.streaming.stateStore.providerClass").endswith("RocksDBStateStoreProvider")


def test_the_sessions_jvm_runs_the_parallel_collector(spark):
    # The JVM options reach the JVM itself (they only take effect when it starts): its collectors
    # are the parallel ones, not G1's
    beans = spark._jvm.java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()
    names = sorted(bean.getName() for bean in beans)
    assert names == ["PS MarkSweep", "PS Scavenge"], names


def test_reading_a_batch_folder_back_leaves_no_file_listing_cached_in_the_driver(spark, tmp_path):
    # GIVEN a batch folder the positions read back (a new one every micro-batch)
    folder = str(tmp_path / "events" / "batch_id=7")
    spark.range(3).write.parquet(folder)
    # WHEN it is read back, twice
    assert spark.read.parquet(folder).count() == 3
    assert spark.read.parquet(folder).count() == 3
    # THEN the session's file-status cache is the no-op one: no listing stays in the driver's heap
    jvm = spark.sparkContext._jvm
    cache = jvm.org.apache.spark.sql.execution.datasources.FileStatusCache.getOrCreate(spark._jsparkSession)
    assert cache.getClass().getName() == "org.apache.spark.sql.execution.datasources.NoopCache$"


def test_the_code_spark_generates_is_compiled_once_however_many_plans_the_job_runs(spark):
    # GIVEN the job's session (its settings) and more distinct plans than Spark's default code
    # cache holds (100 classes; the job's queries generate ~135, compiled in the driver and the tasks)
    compilations = spark._jvm.org.apache.spark.metrics.source.CodegenMetrics.METRIC_COMPILATION_TIME()

    def run(i: int) -> None:
        spark.range(3).selectExpr(f"id * {i} + 7 AS a", f"concat('k{i}', id) AS b").filter(f"a > {i}").collect()

    for i in range(120):
        run(i)
    # WHEN the first 30 plans run again, as a micro-batch repeats its plan
    before = compilations.getCount()
    for i in range(30):
        run(i)
    # THEN no class is compiled again (with the default cache, every one of them was: 2 per plan)
    assert compilations.getCount() - before == 0
