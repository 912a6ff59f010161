"""The SparkApplication's sparkConf (k8s/spark-conf.ts) must carry the job's production settings
(spark-jobs/flight_analytics/settings.py): every key the job sets for an s3a:// checkpoint, same value."""
from __future__ import annotations

import json
import subprocess

from flight_analytics.settings import spark_conf
from local.pipeline import NODE_BIN
from local.versions import PROJECT_ROOT

SHUFFLE_PARTITIONS = 256


def chart_spark_conf() -> dict[str, str]:
    script = (
        "import { productionSparkConf } from './k8s/spark-conf.ts';"
        f"console.log(JSON.stringify(productionSparkConf({{ shufflePartitions: {SHUFFLE_PARTITIONS} }})));"
    )
    done = subprocess.run(
        [str(NODE_BIN / "tsx"), "--eval", script], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_chart_spark_conf_carries_every_production_setting_of_the_job():
    job = spark_conf("s3a://analytics-bucket/checkpoints", SHUFFLE_PARTITIONS)
    chart = chart_spark_conf()
    differing = {key: (value, chart.get(key)) for key, value in job.items() if chart.get(key) != value}
    assert differing == {}, f"settings.py value vs k8s/spark-conf.ts value: {differing}"
