"""The SparkApplication (k8s/) and the job (spark-jobs/flight_analytics) must agree: its sparkConf
carries the job's production settings (settings.py: every key the job sets for an s3a:// checkpoint,
same value), and the job's own parser accepts the arguments the chart passes."""
from __future__ import annotations

import json
import subprocess

from flight_analytics.config import parse_args
from flight_analytics.settings import spark_conf
from local.pipeline import NODE_BIN
from local.versions import PROJECT_ROOT

SHUFFLE_PARTITIONS = 256


def tsx_json(script: str):
    """Run a TypeScript snippet of the project with tsx; the JSON its last stdout line prints."""
    done = subprocess.run(
        [str(NODE_BIN / "tsx"), "--eval", script], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def chart_spark_conf() -> dict[str, str]:
    return tsx_json(
        "import { productionSparkConf } from './k8s/spark-conf.ts';"
        f"console.log(JSON.stringify(productionSparkConf({{ shufflePartitions: {SHUFFLE_PARTITIONS} }})));"
    )


def test_chart_spark_conf_carries_every_production_setting_of_the_job():
    job = spark_conf("s3a://analytics-bucket/checkpoints", SHUFFLE_PARTITIONS)
    chart = chart_spark_conf()
    differing = {key: (value, chart.get(key)) for key, value in job.items() if chart.get(key) != value}
    assert differing == {}, f"settings.py value vs k8s/spark-conf.ts value: {differing}"


def chart_job_arguments(**props: object) -> list[str]:
    """The SparkApplication's `arguments` as k8s/spark-job-chart.ts writes them, for the given chart props."""
    chart_props = {"bootstrapServers": "b-1.msk.example:9098", "bucketName": "flight-analytics-test-bucket",
                   "image": "example.com/flight-spark:test", **props}
    return tsx_json(
        "import { Testing } from 'cdk8s';"
        "import { SparkJobChart } from './k8s/spark-job-chart.ts';"
        f"const chart = new SparkJobChart(Testing.app(), 'flight-analytics', {json.dumps(chart_props)});"
        "const app = Testing.synth(chart).find((m) => m.kind === 'SparkApplication');"
        "console.log(JSON.stringify(app.spec.arguments));"
    )


def test_the_job_accepts_every_argument_the_chart_passes_it():
    # WHEN the job's own parser reads the chart's arguments (MSK with IAM auth, the production shape)
    config = parse_args(chart_job_arguments(mskIamAuth=True, consumerGroupId="flight-analytics-spark"))
    # THEN they mean what the chart intends: S3 sinks, a cluster trigger, and metrics Prometheus can reach
    assert config.output_dir.startswith("s3a://") and config.checkpoint_dir.startswith("s3a://")
    assert config.processing_time_s == 10
    assert (config.metrics_host, config.metrics_port) == ("0.0.0.0", 9091)
    assert config.kafka_options["kafka.security.protocol"] == "SASL_SSL"
    assert config.kafka_options["kafka.group.id"] == "flight-analytics-spark"
