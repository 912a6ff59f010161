"""One real local SparkSession (local[2], with the Kafka connector jars) for the Spark tests."""
from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from flight_analytics.settings import spark_conf
from local.spark_runtime import local_session

# pyspark.testing imports pandas-on-Spark, which warns unless this is set before Spark starts.
os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")


@pytest.fixture(scope="session")
def spark() -> Iterator:
    session = local_session("flight-analytics-tests", extra_conf={**spark_conf(), "spark.sql.shuffle.partitions": "2"})
    try:
        yield session
    finally:
        session.stop()
