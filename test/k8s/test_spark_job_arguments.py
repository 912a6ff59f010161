"""The SparkApplication (k8s/) and the job (spark-jobs/flight_analytics) must agree on the job's
command line: the job's own parser accepts the arguments the chart composition passes it, for each
Kafka choice, and they mean what the chart intends. (The sparkConf needs no such check: the chart
and the job read it from one file, spark-jobs/flight_analytics/spark-settings.json.)"""
from __future__ import annotations

import json
import subprocess

import pytest

from flight_analytics.config import parse_args
from local.pipeline import NODE_BIN
from local.versions import PROJECT_ROOT


def chart_job_arguments(kafka_choice: str) -> list[str]:
    """The SparkApplication's `arguments` for the project's deployment with `kafka_choice`, as
    k8s/workload-charts.ts composes it (run with tsx; its last stdout line is the JSON)."""
    script = (
        "import { Testing } from 'cdk8s';"
        "import { loadDeployment, readCdkContext } from './deploy/deployment.ts';"
        "import { composeWorkloadCharts } from './k8s/workload-charts.ts';"
        "const context = readCdkContext();"
        f"const deployment = loadDeployment({{ flightAnalytics: context['flightAnalytics'], kafka: {json.dumps(kafka_choice)} }});"
        "const { charts } = composeWorkloadCharts(Testing.app(), deployment, { mskBootstrapServers: 'b-1.msk.example:9098',"
        " bucketName: 'flight-analytics-test-bucket', producerImage: 'example.com/producer:test',"
        " sparkJobImage: 'example.com/flight-spark:test', awsRegion: 'eu-west-1' });"
        "const spark = charts.find((c) => c.role === 'spark').chart;"
        "console.log(JSON.stringify(Testing.synth(spark).find((m) => m.kind === 'SparkApplication').spec.arguments));"
    )
    done = subprocess.run(
        [str(NODE_BIN / "tsx"), "--eval", script], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("kafka_choice", "security_protocol"),
    [("msk", "SASL_SSL"), ("strimzi", "SSL")],
)
def test_the_job_accepts_every_argument_the_chart_passes_it(kafka_choice, security_protocol):
    # WHEN the job's own parser reads the arguments the deployment's SparkApplication passes
    config = parse_args(chart_job_arguments(kafka_choice))
    # THEN they mean what the chart intends: S3 sinks, a cluster trigger, metrics Prometheus can
    # reach, and the deployment's Kafka security and consumer group
    assert config.output_dir.startswith("s3a://") and config.checkpoint_dir.startswith("s3a://")
    assert config.processing_time_s == 10
    assert (config.metrics_host, config.metrics_port) == ("0.0.0.0", 9091)
    assert config.kafka_options["kafka.security.protocol"] == security_protocol
    assert config.kafka_options["kafka.group.id"] == "flight-analytics-spark"
