"""The Spark job on this machine: `python -m local.spark_job --master local[2] --bootstrap ...`
(every option is the job's; see `--help`), with PYTHONPATH=.:spark-jobs.

The production job (spark-jobs/flight_analytics) never imports local tooling: on a cluster its image
carries the Kafka connector jars. Here they come from Maven Central (local/spark_runtime.py), so this
runner builds the session and hands it to the job.
"""
from __future__ import annotations

import sys

from flight_analytics import job
from flight_analytics.config import JobConfig
from flight_analytics.settings import spark_conf
from local.spark_runtime import local_session

DEFAULT_MASTER = "local[2]"


def job_session(config: JobConfig):
    """A local SparkSession with the connector jars and the job's production settings (settings.py)."""
    return local_session("flight-analytics", master=config.master or DEFAULT_MASTER, extra_conf=spark_conf(config.checkpoint_dir))


def main(argv: list[str] | None = None) -> int:
    return job.main(argv, session_factory=job_session)


if __name__ == "__main__":
    sys.exit(main())
