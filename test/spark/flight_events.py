"""Small flight events for the Spark tests, as the producer would send them."""
from __future__ import annotations

import copy
import json
from datetime import datetime, timezone

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import BinaryType, IntegerType, LongType, StringType, StructField, StructType, TimestampType

TOPIC = "flight-events"
KAFKA_TIMESTAMP = datetime(2026, 11, 24, 10, 0, 5)

KAFKA_RECORD = StructType(
    [
        StructField("key", BinaryType()),
        StructField("value", BinaryType()),
        StructField("topic", StringType()),
        StructField("partition", IntegerType()),
        StructField("offset", LongType()),
        StructField("timestamp", TimestampType()),
    ]
)

DEPARTED = {
    "schema_version": 1,
    "event_id": "BA117-20261124-LHR-2",
    "flight_id": "BA117-20261124-LHR",
    "seq": 2,
    "event_type": "departed",
    "event_time": "2026-11-24T10:00:30.250Z",
    "airline": "BA",
    "flight_number": "BA117",
    "origin": "LHR",
    "destination": "JFK",
    "aircraft_type": "B77W",
    "scheduled_departure": "2026-11-24T09:45:00.000Z",
    "scheduled_arrival": "2026-11-24T17:50:00.000Z",
    "actual_departure": "2026-11-24T10:00:30.250Z",
    "actual_arrival": None,
    "departure_delay_min": 15,
    "arrival_delay_min": None,
    "diverted_to": None,
    "position": {"lat_deg": 51.47, "lon_deg": -0.4543, "altitude_ft": 0, "ground_speed_kt": 150, "heading_deg": 270.0},
}


def event(**changes) -> dict:
    """DEPARTED with some fields changed; a value of `...` removes that field."""
    result = copy.deepcopy(DEPARTED)
    for name, value in changes.items():
        if value is ...:
            result.pop(name)
        else:
            result[name] = value
    return result


def utc(text: str) -> datetime:
    """A naive UTC datetime, as Spark returns TimestampType with session time zone UTC."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc).replace(tzinfo=None)


def kafka_records(spark: SparkSession, values: list[str | dict | None], partition: int = 0) -> DataFrame:
    """Kafka source rows: offset i holds values[i] (dicts are JSON-encoded, strings sent as they are)."""
    rows = []
    for offset, value in enumerate(values):
        text = json.dumps(value) if isinstance(value, dict) else value
        rows.append((None, None if text is None else text.encode(), TOPIC, partition, offset, KAFKA_TIMESTAMP))
    return spark.createDataFrame(rows, KAFKA_RECORD)
