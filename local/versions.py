"""Python view of versions.json, the one source of truth for every version in the project."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VERSIONS_PATH = PROJECT_ROOT / "versions.json"
STATE_DIR = PROJECT_ROOT / ".state"


@lru_cache(maxsize=1)
def versions() -> dict:
    return json.loads(VERSIONS_PATH.read_text(encoding="utf-8"))


def spark_kafka_connector_coordinates(v: dict | None = None) -> str:
    """Maven coordinates of the Structured Streaming Kafka connector that matches Spark exactly."""
    v = v or versions()
    return f"org.apache.spark:spark-sql-kafka-0-10_{v['scalaBinary']}:{v['spark']}"
